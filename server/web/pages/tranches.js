// Deliveries (tranches) of the caller's schools, paged, with their rollout progress.
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api } from '../js/api.js';
import { formatDate, formatNumber } from '../js/format.js';
import { pagedList } from '../js/table.js';
import { updateQuery } from '../js/router.js';
import { pageTitle, dataTable, link, selectField, button } from '../js/ui.js';
import { trancheProgress } from '../js/summary.js';

export async function render(main, ctx) {
  ctx.setTitle(t('tranches.title'));
  main.appendChild(pageTitle(t('tranches.title')));
  const isCity = ctx.user.role === 'city_admin';
  const own = ctx.user.schools || [];
  const schoolNumber = ctx.query.get('school_number') || '';

  let schools = [];
  try {
    schools = (await api.get('/schools', { limit: 500 })).items || [];
  } catch (_) { /* the list below shows the error if there is one */ }
  if (!ctx.isCurrent()) return undefined;
  const names = new Map(schools.map((s) => [s.school_number, s.name]));
  const multi = isCity || own.length > 1;

  if (multi) {
    const form = h('form', { class: 'app-filters', method: 'get', action: '/tranches', role: 'search', 'aria-label': t('devices.filters') },
      selectField({ id: 'school_number', label: t('tranches.school'), value: schoolNumber,
        options: [['', t('tranches.all_schools')], ...schools.map((s) => [s.school_number, `${s.name} (${s.school_number})`])] }),
      h('div', { class: 'app-filters__actions' }, button(t('tranches.filter'), { type: 'submit' })));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      if (form.elements.school_number.value) p.set('school_number', form.elements.school_number.value);
      updateQuery(p);
    });
    main.appendChild(form);
  }

  const list = pagedList({
    path: '/tranches',
    query: { school_number: schoolNumber },
    limit: 50,
    label: t('tranches.caption'),
    emptyText: t('tranches.empty'),
    renderPage: (items) => dataTable({
      caption: t('tranches.caption'),
      captionHidden: true,
      columns: [
        { label: t('city.delivery'), header: true, render: (tr) => link(`/tranches/${tr.id}`, t('tranches.name', { id: tr.id }), { class: 'kern-link app-nowrap' }) },
        multi ? { label: t('tranches.school'), render: (tr) => `${names.get(tr.school_number) || ''} (${tr.school_number})` } : null,
        { label: t('tranches.delivered_on'), render: (tr) => formatDate(tr.delivered_on) },
        { label: t('tranches.model'), render: (tr) => tr.model },
        { label: t('tranches.expected'), numeric: true, render: (tr) => formatNumber(tr.expected_count) },
        { label: t('tranches.progress'), render: (tr) => trancheProgress(tr.progress || {}) },
      ].filter(Boolean),
      rows: items,
    }),
  });
  main.appendChild(list.element);
  return undefined;
}
