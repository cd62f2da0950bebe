// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The school picker shared by the pages that choose one school among thousands: a six-digit
// number field with a search (GET /schools?q=) that fills it in, and a cache of school names.
import { h, clear, announce } from './dom.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { formatNumber } from './format.js';
import { inputField, button, alertBox, loading } from './ui.js';

export const SCHOOL_NUMBER = /^\d{6}$/;

/** School names by number, each asked once (GET /schools/{n}); null when not visible. */
export function schoolNameCache() {
  const cache = new Map();
  return {
    get(n) {
      if (!cache.has(n)) {
        cache.set(n, api.get(`/schools/${encodeURIComponent(n)}`).then((s) => (s && s.name) || '', () => null));
      }
      return cache.get(n);
    },
  };
}

/**
 * A school chosen by its six-digit number, with a search (GET /schools?q=) that fills the number
 * in. Returns {element, input}; the number input is named `school_number` (its form's field).
 */
export function schoolPicker({ prefix, value = '', legend, names, required = true }) {
  const numberId = `${prefix}-school_number`;
  const numberField = inputField({
    id: numberId, name: 'school_number', label: t('school_picker.number'), hint: t('school_picker.number_hint'), value,
    optional: !required,
    attrs: { inputmode: 'numeric', autocomplete: 'off', maxlength: '6', spellcheck: 'false', class: 'kern-form-input__input app-input-short' },
  });
  const input = numberField.querySelector('input');
  const chosen = h('p', { class: 'kern-body app-picker__chosen', id: `${prefix}-school-chosen`, 'aria-live': 'polite' });
  numberField.appendChild(chosen);
  input.setAttribute('aria-describedby', `${numberId}-hint ${prefix}-school-chosen`);

  let lookupSeq = 0;
  async function showName() {
    const n = input.value.trim();
    const seq = ++lookupSeq;
    if (!SCHOOL_NUMBER.test(n)) { chosen.textContent = ''; return; }
    const name = await names.get(n);
    if (seq !== lookupSeq) return;
    chosen.textContent = name === null ? t('school_picker.unknown', { number: n }) : t('school_picker.chosen', { name: name || n, number: n });
  }
  input.addEventListener('input', showName);

  const qId = `${prefix}-school-q`;
  const q = h('input', { class: 'kern-form-input__input', id: qId, type: 'search', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${qId}-hint`, 'aria-controls': `${prefix}-school-results` });
  const results = h('div', { class: 'app-picker__results', id: `${prefix}-school-results` });
  let searchSeq = 0;
  async function search() {
    const text = q.value.trim();
    const seq = ++searchSeq;
    if (!text) {
      results.replaceChildren(h('p', { class: 'kern-body' }, t('school_picker.empty_query')));
      q.focus();
      return;
    }
    results.replaceChildren(loading());
    let data;
    try {
      data = await api.get('/schools', { q: text, limit: 10 });
    } catch (err) {
      if (seq !== searchSeq) return;
      results.replaceChildren(alertBox('danger', t('school_picker.failed')));
      return;
    }
    if (seq !== searchSeq) return;
    const items = (data && data.items) || [];
    const status = items.length
      ? t(data.next_cursor ? 'school_picker.found_more' : 'school_picker.found', { count: formatNumber(items.length) })
      : t('school_picker.none', { q: text });
    results.replaceChildren(
      h('p', { class: 'kern-body app-picker__status' }, status),
      items.length ? h('ul', { class: 'app-picker__list', 'aria-label': t('school_picker.results') }, items.map((s) => h('li', {},
        h('button', {
          type: 'button',
          class: 'kern-btn kern-btn--tertiary app-picker__choice',
          onclick: () => {
            input.value = s.school_number;
            chosen.textContent = t('school_picker.chosen', { name: s.name || s.school_number, number: s.school_number });
            lookupSeq += 1;
            clear(results);
            input.dispatchEvent(new Event('change', { bubbles: true }));
            input.focus();
            announce(chosen.textContent);
          },
        }, h('span', { class: 'kern-label' }, `${s.name || t('school_picker.no_name')} (${s.school_number})`),
        s.address ? h('span', { class: 'app-picker__address' }, s.address) : null)))) : null);
    announce(status);
  }
  q.addEventListener('keydown', (ev) => {
    // Enter searches; it must not send the form the picker is part of.
    if (ev.key === 'Enter') { ev.preventDefault(); search(); }
  });
  const searchBlock = h('div', { class: 'kern-form-input app-picker__search' },
    h('label', { class: 'kern-label', for: qId }, t('school_picker.search'), h('span', { class: 'kern-label__optional' }, ' ', t('forms.optional'))),
    h('div', { class: 'kern-hint', id: `${qId}-hint` }, t('school_picker.search_hint')),
    h('div', { class: 'app-picker__row' }, q, button(t('school_picker.search_submit'), { variant: 'secondary', onclick: search })),
    results);
  const element = h('fieldset', { class: 'kern-fieldset app-picker' },
    h('legend', { class: 'kern-label app-picker__legend' }, legend || t('tranches.school')),
    h('div', { class: 'kern-fieldset__body' }, numberField, searchBlock));
  if (value) showName();
  return { element, input };
}
