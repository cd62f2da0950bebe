// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Device list: filters in the query string, prefix search, cursor paging, CSV download.
import { h, announce } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api } from '../js/api.js';
import { formatDateTime } from '../js/format.js';
import { pagedList } from '../js/table.js';
import { pageTitle, dataTable, statusBadge, link, STATUSES, inputField, selectField, checkboxField, button } from '../js/ui.js';
import { trancheName } from '../js/summary.js';
import { schoolNameCache, schoolPicker } from '../js/school_picker.js';

const PAGE_SIZE = 50;

function filtersFrom(query) {
  return {
    school_number: query.get('school_number') || '',
    status: STATUSES.includes(query.get('status')) ? query.get('status') : '',
    tranche_id: query.get('tranche_id') || query.get('delivery') || '',
    on_loan: query.get('on_loan') === 'true',
    stale: query.get('stale') === 'true',
    q: (query.get('q') || '').trim(),
    // Links from the overview (funded devices of one grant, devices unseen for N days): passed
    // through to the API as they are; the form keeps them in hidden fields.
    grant_id: /^\d{1,18}$/.test(query.get('grant_id') || '') ? query.get('grant_id') : '',
    unseen_days: /^\d{1,4}$/.test(query.get('unseen_days') || '') ? query.get('unseen_days') : '',
  };
}

function toQuery(f) {
  const p = new URLSearchParams();
  if (f.school_number) p.set('school_number', f.school_number);
  if (f.status) p.set('status', f.status);
  if (f.tranche_id) p.set('tranche_id', f.tranche_id);
  if (f.on_loan) p.set('on_loan', 'true');
  if (f.stale) p.set('stale', 'true');
  if (f.q) p.set('q', f.q);
  if (f.grant_id) p.set('grant_id', f.grant_id);
  if (f.unseen_days) p.set('unseen_days', f.unseen_days);
  return p;
}

// The caller's own schools with their names (a school role has a handful); municipal IT picks
// one of thousands with the school picker instead of a list.
async function loadOwnSchools(isCity) {
  if (isCity) return [];
  try {
    const page = await api.get('/schools', { limit: 500 });
    return page.items || [];
  } catch (_) {
    return [];
  }
}

async function loadTranches(schoolNumber) {
  try {
    const page = await api.get('/tranches', { school_number: schoolNumber || undefined, limit: 200 });
    return page.items || [];
  } catch (_) {
    return [];
  }
}

export async function render(main, ctx) {
  ctx.setTitle(t('devices.title'));
  const f = filtersFrom(ctx.query);
  const isCity = ctx.user.role === 'city_admin';
  const ownSchools = ctx.user.schools || [];
  main.appendChild(pageTitle(t('devices.title')));

  const schools = await loadOwnSchools(isCity);
  if (!ctx.isCurrent()) return undefined;
  const schoolName = new Map(schools.map((s) => [s.school_number, s.name]));
  const effectiveSchool = f.school_number || (!isCity && ownSchools.length === 1 ? ownSchools[0] : '');
  const tranches = (effectiveSchool || !isCity) ? await loadTranches(effectiveSchool) : [];
  if (!ctx.isCurrent()) return undefined;
  const showSchoolColumn = isCity || ownSchools.length > 1;

  // Filters: a plain GET form (works without JavaScript), enhanced to update the list in place.
  const schoolOptions = [['', t('devices.all_schools')], ...schools.map((s) => [s.school_number, `${s.name} (${s.school_number})`])];
  if (f.school_number && !schoolName.has(f.school_number)) schoolOptions.push([f.school_number, f.school_number]);
  const trancheOptions = [['', t('devices.any_delivery')], ...tranches.map((tr) => [String(tr.id), trancheName(tr)])];
  if (f.tranche_id && !tranches.some((tr) => String(tr.id) === f.tranche_id)) trancheOptions.push([f.tranche_id, t('tranches.name', { id: f.tranche_id })]);

  const form = h('form', { class: 'app-filters', method: 'get', action: '/devices', role: 'search', 'aria-label': t('devices.filters') },
    h('div', { class: 'app-filters__wide' },
      inputField({ id: 'q', label: t('devices.search'), hint: t('devices.search_hint'), type: 'search', value: f.q, attrs: { autocapitalize: 'characters', spellcheck: 'false', autocomplete: 'off' } })),
    isCity
      ? schoolPicker({ prefix: 'filter', value: f.school_number, names: schoolNameCache(), legend: t('devices.school'), required: false }).element
      : (showSchoolColumn ? selectField({ id: 'school_number', label: t('devices.school'), value: f.school_number, options: schoolOptions }) : null),
    selectField({ id: 'status', label: t('devices.status'), value: f.status, options: [['', t('devices.any_status')], ...STATUSES.map((s) => [s, t(`status.${s}`)])] }),
    selectField({ id: 'tranche_id', label: t('devices.delivery'), value: f.tranche_id, options: trancheOptions }),
    h('div', { class: 'app-filters__checks' },
      checkboxField({ id: 'on_loan', label: t('devices.on_loan'), checked: f.on_loan }),
      checkboxField({ id: 'stale', label: t('devices.stale'), checked: f.stale })),
    f.grant_id ? h('input', { type: 'hidden', name: 'grant_id', value: f.grant_id }) : null,
    f.unseen_days ? h('input', { type: 'hidden', name: 'unseen_days', value: f.unseen_days }) : null,
    (f.grant_id || f.unseen_days) ? h('p', { class: 'kern-body app-filters__wide' }, [
      f.grant_id ? t('city_overview.filter_grant', { id: f.grant_id }) : null,
      f.unseen_days ? t('city_overview.filter_unseen', { days: f.unseen_days }) : null,
    ].filter(Boolean).join(' · ')) : null,
    h('div', { class: 'app-filters__actions' },
      button(t('devices.apply'), { type: 'submit', variant: 'primary' }),
      link('/devices', t('devices.reset'))));
  // Checkboxes submit "true" like the API expects.
  form.elements.on_loan.value = 'true';
  form.elements.stale.value = 'true';
  main.appendChild(form);

  // Downloads / labels.
  const downloads = h('div', { class: 'app-actions app-downloads' });
  main.appendChild(h('section', { class: 'app-section', 'aria-labelledby': 'downloads-h' },
    h('h2', { class: 'kern-heading-small', id: 'downloads-h' }, t('devices.downloads')), downloads));

  const results = h('div', { class: 'app-results' });
  main.appendChild(results);

  function renderDownloads(cur) {
    const items = [];
    const csvFor = (n) => h('a', {
      class: 'kern-link',
      href: api.url('/reports/inventory', { school_number: n, format: 'csv', dialect: 'excel-de' }),
      download: '',
    }, t('devices.csv', { school: schoolName.get(n) ? `${schoolName.get(n)} (${n})` : n }));
    if (cur.school_number) items.push(csvFor(cur.school_number));
    else if (!isCity) ownSchools.forEach((n) => items.push(csvFor(n)));
    else items.push(h('span', { class: 'kern-body app-muted' }, t('devices.csv_pick_school')));
    if (cur.tranche_id) items.push(link(`/tranches/${encodeURIComponent(cur.tranche_id)}/labels`, t('devices.labels')));
    downloads.replaceChildren(...items.map((i) => h('span', {}, i)));
  }

  function columns() {
    const cols = [
      { label: t('devices.serial'), header: true, render: (d) => link(`/devices/${encodeURIComponent(d.serial_number)}`, d.serial_number, { class: 'kern-link app-mono' }) },
      { label: t('devices.asset_tag'), render: (d) => d.asset_tag || t('app.none') },
      { label: t('devices.model'), render: (d) => d.model },
      { label: t('devices.status'), render: (d) => statusBadge(d.status) },
      { label: t('devices.location'), render: (d) => d.location || t('app.none') },
      { label: t('devices.delivery'), render: (d) => link(`/tranches/${d.tranche_id}`, t('tranches.name', { id: d.tranche_id }), { class: 'kern-link app-nowrap' }) },
    ];
    if (showSchoolColumn) {
      cols.push({ label: t('devices.school'), render: (d) => link(`/schools/${encodeURIComponent(d.school_number)}`, schoolName.get(d.school_number) || d.school_number) });
    }
    cols.push({ label: t('devices.updated'), render: (d) => formatDateTime(d.updated_at) });
    return cols;
  }

  let announceNext = false;
  function showList(cur) {
    const query = {
      school_number: cur.school_number,
      status: cur.status,
      tranche_id: cur.tranche_id,
      on_loan: cur.on_loan ? 'true' : '',
      stale: cur.stale ? 'true' : '',
      q: cur.q,
      grant_id: cur.grant_id,
      unseen_days: cur.unseen_days,
    };
    const list = pagedList({
      path: '/devices',
      query,
      limit: PAGE_SIZE,
      label: t('devices.caption'),
      emptyText: t('devices.empty'),
      onPage: ({ items, hasNext }) => {
        if (!announceNext) return;
        announceNext = false;
        if (!items.length) announce(t('devices.empty'));
        else announce(t(hasNext ? 'devices.results_more' : 'devices.results', { count: items.length }));
      },
      renderPage: (items) => dataTable({ caption: t('devices.caption'), captionHidden: true, columns: columns(), rows: items }),
    });
    results.replaceChildren(list.element);
    renderDownloads(cur);
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const cur = {
      school_number: fd.get('school_number') || '',
      status: fd.get('status') || '',
      tranche_id: fd.get('tranche_id') || '',
      on_loan: fd.get('on_loan') === 'true',
      stale: fd.get('stale') === 'true',
      q: String(fd.get('q') || '').trim(),
      grant_id: fd.get('grant_id') || '',
      unseen_days: fd.get('unseen_days') || '',
    };
    const qs = toQuery(cur).toString();
    window.history.pushState({}, '', '/devices' + (qs ? '?' + qs : ''));
    announceNext = true;
    showList(cur);
  });

  // When the school changes, offer that school's deliveries.
  if (form.elements.school_number) {
    form.elements.school_number.addEventListener('change', async () => {
      const n = form.elements.school_number.value;
      const list = (n || !isCity) ? await loadTranches(n) : [];
      const sel = form.elements.tranche_id;
      sel.replaceChildren(...[['', t('devices.any_delivery')], ...list.map((tr) => [String(tr.id), trancheName(tr)])]
        .map(([v, text]) => h('option', { value: v }, text)));
    });
  }

  showList(f);
  return undefined;
}
