// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The GOV.UK error-summary pattern: a summary at the top of the form with links to the fields,
// and the message again next to each field (aria-invalid + aria-describedby).
import { h } from './dom.js';
import { t, language } from './i18n.js';
import { ApiProblem, problemMessage } from './api.js';

function fieldElement(form, name) {
  if (!name) return null;
  const byName = form.elements ? form.elements.namedItem(name) : null;
  if (byName && byName.nodeType === 1) return byName;
  if (byName && byName.length) return byName[0];
  return form.querySelector(`#${CSS.escape(name)}`);
}

/** Removes the summary and all inline messages of a form. */
export function clearErrors(form) {
  form.querySelectorAll('.app-error-summary').forEach((el) => el.remove());
  form.querySelectorAll('.app-field-error').forEach((el) => el.remove());
  form.querySelectorAll('[aria-invalid="true"]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter((id) => id && !id.endsWith('-error'));
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
  });
  form.querySelectorAll('.kern-form-input--error').forEach((el) => el.classList.remove('kern-form-input--error'));
}

/**
 * Shows errors for a form.
 * problem: an ApiProblem / NetworkError / Error, an array [{field, message}] of own (client-side) messages,
 *   or a string (one general message without a field).
 * fieldMap: {apiField: {name: 'formFieldName', messages: {default: text, <keyword>: text}} | 'formFieldName' | (err) => text}
 *   — maps the server's field names to the form's inputs and optionally to own texts
 *     (server texts are English; pass German/English texts via t()).
 * Returns the summary element (already focused).
 */
export function showErrors(form, problem, fieldMap = {}) {
  clearErrors(form);
  const items = []; // {name, message}
  let general = null;

  if (typeof problem === 'string') {
    general = problem;
  } else if (Array.isArray(problem)) {
    for (const e of problem) items.push({ name: e.field, message: e.message });
  } else {
    general = problemMessage(problem);
    const errors = problem instanceof ApiProblem ? problem.errors : [];
    for (const e of errors) {
      const map = fieldMap[e.field];
      let name = e.field;
      let message = null;
      if (typeof map === 'string') name = map;
      else if (typeof map === 'function') message = map(e);
      else if (map && typeof map === 'object') {
        if (map.name) name = map.name;
        if (typeof map.message === 'function') message = map.message(e);
        else if (map.message) message = map.message;
      }
      if (!message) {
        const label = labelFor(form, name);
        message = label ? t('forms.field_invalid', { field: label }) : t('forms.invalid');
        // The server's reasons are English: a hint for English readers, not mixed into German.
        if (e.message && language() === 'en') message += ` (${e.message})`;
      }
      if (e.line) message = t('forms.line', { line: e.line }) + ': ' + message;
      items.push({ name, message });
    }
  }

  const list = h('ul', { class: 'kern-list app-error-summary__list' });
  for (const item of items) {
    const el = fieldElement(form, item.name);
    if (el && el.id) {
      list.appendChild(h('li', {}, h('a', {
        class: 'kern-link',
        href: `#${el.id}`,
        onclick: (ev) => { ev.preventDefault(); el.focus(); },
      }, item.message)));
      addInline(el, item.message);
    } else {
      list.appendChild(h('li', {}, item.message));
    }
  }

  const summary = h('div', { class: 'kern-alert kern-alert--danger app-error-summary', role: 'alert', tabindex: '-1', 'aria-labelledby': `${form.id || 'form'}-error-title` },
    h('div', { class: 'kern-alert__header' },
      h('span', { class: 'kern-icon kern-icon--danger', 'aria-hidden': 'true' }),
      h('h2', { class: 'kern-title', id: `${form.id || 'form'}-error-title` }, t('forms.error_summary_title'))),
    h('div', { class: 'kern-alert__body' },
      general && !items.length ? h('p', { class: 'kern-body' }, general) : null,
      items.length ? list : null));
  form.insertBefore(summary, form.firstChild);
  summary.focus();
  return summary;
}

function labelFor(form, name) {
  const el = fieldElement(form, name);
  if (!el || !el.id) return null;
  const label = form.querySelector(`label[for="${CSS.escape(el.id)}"]`);
  if (!label) return null;
  const clone = label.cloneNode(true);
  clone.querySelectorAll('.kern-label__optional').forEach((o) => o.remove());
  return clone.textContent.trim();
}

function addInline(el, message) {
  const errId = `${el.id}-error`;
  el.setAttribute('aria-invalid', 'true');
  const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  if (!ids.includes(errId)) ids.push(errId);
  el.setAttribute('aria-describedby', ids.join(' '));
  const wrap = el.closest('.kern-form-input, .kern-form-check, .kern-fieldset') || el.parentElement;
  wrap.classList.add('kern-form-input--error');
  const msg = h('p', { class: 'kern-error app-field-error', id: errId },
    h('span', { class: 'kern-icon kern-icon--danger kern-icon--default', 'aria-hidden': 'true' }),
    h('span', { class: 'kern-body' }, message));
  const label = wrap.querySelector('.kern-hint') || wrap.querySelector('label');
  if (label && label.nextSibling) wrap.insertBefore(msg, label.nextSibling);
  else wrap.appendChild(msg);
}
