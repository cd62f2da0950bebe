// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Schools: a search (school number prefix; name, district or address substring → GET /schools?q=)
// kept in the address (?q=), as-you-type with a short delay and on submit, and the matching schools
// paged through the API with their device counts; each links to /schools/{n}.
import { h, announce } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { formatNumber } from '../js/format.js';
import { pagedList } from '../js/table.js';
import { pageTitle, dataTable, link, alertBox, inputField, button } from '../js/ui.js';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300;

function addressFor(q) {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  const qs = p.toString();
  return '/schools' + (qs ? `?${qs}` : '');
}

export async function render(main, ctx) {
  ctx.setTitle(t('school.list_title'));
  main.appendChild(pageTitle(t('school.list_title')));
  if (ctx.user.role !== 'city_admin' && (ctx.user.schools || []).length === 0) {
    main.appendChild(alertBox('info', t('overview.no_schools')));
    return undefined;
  }
  const initial = (ctx.query.get('q') || '').trim();

  const form = h('form', { class: 'app-filters schools-search', method: 'get', action: '/schools', role: 'search', 'aria-label': t('schools_search.form_label'), novalidate: true },
    h('div', { class: 'app-filters__wide' },
      inputField({
        id: 'schools-q', name: 'q', type: 'search', value: initial, label: t('schools_search.label'), hint: t('schools_search.hint'),
        attrs: { autocomplete: 'off', spellcheck: 'false', maxlength: '100', 'aria-controls': 'schools-results' },
      })),
    h('div', { class: 'app-filters__actions' },
      button(t('schools_search.submit'), { type: 'submit', variant: 'primary' }),
      link('/schools', t('schools_search.reset'))));
  const input = form.elements.q;
  main.appendChild(form);

  const results = h('div', { class: 'app-results', id: 'schools-results' });
  main.appendChild(results);

  const count = (s, status) => formatNumber(((s.device_counts || {}).by_status || {})[status] || 0);
  const columns = [
    { label: t('school.name'), header: true, render: (s) => link(`/schools/${encodeURIComponent(s.school_number)}`, s.name || s.school_number) },
    { label: t('school.number'), render: (s) => s.school_number },
    { label: t('school.type'), render: (s) => s.school_type || t('app.none') },
    { label: t('schools_search.place'), render: (s) => [s.district, s.address].filter(Boolean).join(' · ') || t('app.none') },
    { label: t('school.devices_total'), numeric: true, render: (s) => formatNumber((s.device_counts || {}).total || 0) },
    { label: t('status.in_storage'), numeric: true, render: (s) => count(s, 'in_storage') },
    { label: t('status.in_use'), numeric: true, render: (s) => count(s, 'in_use') },
    { label: t('status.in_repair'), numeric: true, render: (s) => count(s, 'in_repair') },
  ];

  let shown = null; // the query whose results are on the page
  function show(q, { announceResult = false, force = false } = {}) {
    if (q === shown && !force) return;
    shown = q;
    const list = pagedList({
      path: '/schools',
      query: { q },
      limit: PAGE_SIZE,
      label: t('school.list_caption'),
      emptyText: q ? t('schools_search.empty', { q }) : t('school.empty'),
      onPage: ({ items, hasNext, page }) => {
        if (!announceResult || page !== 1) return;
        announceResult = false;
        if (!items.length) announce(q ? t('schools_search.empty', { q }) : t('school.empty'));
        else announce(t(hasNext ? 'schools_search.results_more' : 'schools_search.results', { count: items.length }));
      },
      renderPage: (items) => dataTable({ caption: q ? t('schools_search.caption', { q }) : t('school.list_caption'), captionHidden: true, columns, rows: items }),
    });
    results.replaceChildren(list.element);
  }

  // Typing replaces the address (one history entry per search, not per key); submitting adds one.
  let timer = null;
  function search({ push }) {
    clearTimeout(timer);
    const q = input.value.trim();
    const target = addressFor(q);
    if (target !== window.location.pathname + window.location.search) {
      if (push) window.history.pushState({}, '', target);
      else window.history.replaceState({}, '', target);
    }
    show(q, { announceResult: true, force: push });
  }
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => search({ push: false }), SEARCH_DELAY_MS);
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    search({ push: true });
  });

  show(initial);
  return () => clearTimeout(timer);
}
