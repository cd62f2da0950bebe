// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Small shared building blocks on top of KERN classes (all text through t()).
import { h, announce } from './dom.js';
import { t } from './i18n.js';
import { ApiProblem, problemMessage } from './api.js';

export const STATUSES = ['in_storage', 'in_use', 'in_repair', 'lost', 'stolen', 'retired'];

const BADGE_KIND = {
  in_storage: 'info',
  in_use: 'success',
  in_repair: 'warning',
  lost: 'danger',
  stolen: 'danger',
  retired: 'neutral',
};

/** Status badge with colour AND text (and an icon shape for the colour-blind). */
export function statusBadge(status) {
  const kind = BADGE_KIND[status] || 'neutral';
  return h('span', { class: `kern-badge kern-badge--small app-badge app-badge--${kind}${kind !== 'neutral' ? ' kern-badge--' + kind : ''}` },
    h('span', { class: 'kern-label' }, t(`status.${status}`)));
}

/** A neutral-looking badge with arbitrary text; kind = info|success|warning|danger|neutral. */
export function badge(text, kind = 'neutral') {
  return h('span', { class: `kern-badge kern-badge--small app-badge app-badge--${kind}${kind !== 'neutral' ? ' kern-badge--' + kind : ''}` },
    h('span', { class: 'kern-label' }, text));
}

/** KERN alert: kind = info|success|warning|danger. role=alert for danger, status otherwise. */
export function alertBox(kind, title, ...body) {
  return h('div', { class: `kern-alert kern-alert--${kind} app-alert`, role: kind === 'danger' ? 'alert' : 'status' },
    h('div', { class: 'kern-alert__header' },
      h('span', { class: `kern-icon kern-icon--${kind}`, 'aria-hidden': 'true' }),
      h('span', { class: 'kern-title' }, title)),
    body.length ? h('div', { class: 'kern-alert__body' },
      body.map((b) => (typeof b === 'string' ? h('p', { class: 'kern-body' }, b) : b))) : null);
}

/** An error alert for an ApiProblem / NetworkError / other error. */
export function errorAlert(err) {
  let title = problemMessage(err);
  const extra = [];
  if (err instanceof ApiProblem && err.status === 404) title = t('errors.404');
  if (err instanceof ApiProblem && err.detail) extra.push(h('p', { class: 'kern-body kern-body--small app-muted' }, t('errors.server_said', { detail: err.detail })));
  return alertBox('danger', title, ...extra);
}

export function loading() {
  return h('p', { class: 'kern-body app-loading', role: 'status' }, t('app.loading'));
}

/** Page heading (the only h1). */
export function pageTitle(text, subline) {
  return h('div', { class: 'app-page-title' },
    h('h1', { class: 'kern-heading-x-large', tabindex: '-1' }, text),
    subline ? h('p', { class: 'kern-body kern-body--large app-muted' }, subline) : null);
}

/** Definition list: pairs [[label, value|Node], ...]; empty values show a dash. */
export function descList(pairs, label) {
  return h('dl', { class: 'kern-description-list app-dl', 'aria-label': label || null },
    pairs.filter(Boolean).map(([k, v]) =>
      h('div', { class: 'kern-description-list-item' },
        h('dt', { class: 'kern-description-list-item__key' }, k),
        h('dd', { class: 'kern-description-list-item__value' },
          (v === null || v === undefined || v === '') ? t('app.none') : v))));
}

/**
 * A table: columns [{label, numeric?, render(row) → string|Node, header? (row header)}],
 * rows: array; caption (visible) or ariaLabel.
 */
export function dataTable({ caption, ariaLabel, columns, rows, captionHidden = false, footer = null, className = '' }) {
  return h('div', { class: 'kern-table-responsive app-table-wrap' },
    h('table', { class: `kern-table kern-table--small kern-table--striped ${className}`, 'aria-label': caption ? null : ariaLabel },
      caption ? h('caption', { class: `kern-title${captionHidden ? ' visually-hidden' : ''}` }, caption) : null,
      h('thead', { class: 'kern-table__head' },
        h('tr', { class: 'kern-table__row' },
          columns.map((c) => h('th', { scope: 'col', class: `kern-table__header${c.numeric ? ' kern-table__header--numeric' : ''}` }, c.label)))),
      h('tbody', { class: 'kern-table__body' },
        rows.map((row) => h('tr', { class: 'kern-table__row' },
          columns.map((c) => {
            const content = c.render(row);
            if (c.header) return h('th', { scope: 'row', class: `kern-table__header${c.numeric ? ' kern-table__header--numeric' : ''}` }, content);
            return h('td', { class: `kern-table__cell${c.numeric ? ' kern-table__cell--numeric' : ''}` }, content);
          })))),
      footer));
}

export function link(href, text, attrs = {}) {
  return h('a', { class: 'kern-link', href, ...attrs }, text);
}

/** A link that looks like a button. */
export function buttonLink(href, text, variant = 'secondary', attrs = {}) {
  return h('a', { class: `kern-btn kern-btn--${variant} app-btn-link`, href, ...attrs }, h('span', { class: 'kern-label' }, text));
}

export function button(text, { variant = 'primary', type = 'button', onclick, ...attrs } = {}) {
  return h('button', { class: `kern-btn kern-btn--${variant}`, type, onclick, ...attrs }, h('span', { class: 'kern-label' }, text));
}

export function section(title, ...children) {
  return h('section', { class: 'app-section' }, h('h2', { class: 'kern-heading-medium' }, title), children);
}

/** A KERN accordion (<details>): a form or detail that stays folded until asked for. */
export function disclosure({ title, open = false, id, className = '' }, ...children) {
  return h('details', { class: `kern-accordion app-disclosure ${className}`.trim(), id, open },
    h('summary', { class: 'kern-accordion__header' }, h('span', { class: 'kern-title' }, title)),
    h('div', { class: 'kern-accordion__body' }, children));
}

/** Label + input (KERN form input). opts: {id, label, hint, type, name, value, autocomplete, required, attrs}. */
export function inputField({ id, label, hint, type = 'text', name, value = '', autocomplete, required = false, optional = false, attrs = {} }) {
  const hintId = hint ? `${id}-hint` : null;
  return h('div', { class: 'kern-form-input' },
    h('label', { class: 'kern-label', for: id }, label,
      optional ? h('span', { class: 'kern-label__optional' }, ' ', t('forms.optional')) : null),
    hint ? h('div', { class: 'kern-hint', id: hintId }, hint) : null,
    h('input', { class: 'kern-form-input__input', id, name: name || id, type, value, autocomplete, required, 'aria-describedby': hintId, ...attrs }));
}

export function textareaField({ id, label, hint, name, value = '', optional = false, attrs = {} }) {
  const hintId = hint ? `${id}-hint` : null;
  return h('div', { class: 'kern-form-input' },
    h('label', { class: 'kern-label', for: id }, label,
      optional ? h('span', { class: 'kern-label__optional' }, ' ', t('forms.optional')) : null),
    hint ? h('div', { class: 'kern-hint', id: hintId }, hint) : null,
    h('textarea', { class: 'kern-form-input__input', id, name: name || id, 'aria-describedby': hintId, rows: '3', ...attrs }, value || ''));
}

/** options: [[value, text], ...] */
export function selectField({ id, label, hint, name, value = '', options, optional = false, attrs = {} }) {
  const hintId = hint ? `${id}-hint` : null;
  return h('div', { class: 'kern-form-input' },
    h('label', { class: 'kern-label', for: id }, label,
      optional ? h('span', { class: 'kern-label__optional' }, ' ', t('forms.optional')) : null),
    hint ? h('div', { class: 'kern-hint', id: hintId }, hint) : null,
    h('div', { class: 'kern-form-input__select-wrapper' },
      h('select', { class: 'kern-form-input__select', id, name: name || id, 'aria-describedby': hintId, ...attrs },
        options.map(([v, text]) => h('option', { value: v, selected: String(v) === String(value) }, text)))));
}

export function checkboxField({ id, label, name, checked = false }) {
  return h('div', { class: 'kern-form-check' },
    h('input', { class: 'kern-form-check__checkbox', type: 'checkbox', id, name: name || id, checked }),
    h('label', { class: 'kern-form-check__label', for: id }, label));
}

/**
 * A button that copies `getText()` to the clipboard and says so in the live region; where the
 * browser refuses (no permission, no secure context) it selects `selectEl`'s text instead, so
 * Ctrl+C still works. `label` is the button's text, `ariaLabel` an optional longer name.
 */
export function copyButton(getText, label, selectEl, { ariaLabel, variant = 'secondary' } = {}) {
  const btn = button(label, {
    variant,
    'aria-label': ariaLabel || null,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(getText());
        announce(t('app.copied'));
      } catch (_) {
        if (selectEl) {
          const range = document.createRange();
          range.selectNodeContents(selectEl);
          const sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
        }
        announce(t('app.copy_failed'));
      }
    },
  });
  return btn;
}
