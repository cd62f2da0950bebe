// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// One school (/schools/{n}): its key figures and devices by status, then its deliveries, devices,
// current loans, site agents and unknown devices, each a short list paged through the API with a
// link to the full list.
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api, ApiProblem } from '../js/api.js';
import { formatDate, formatDateTime, formatNumber, todayISO } from '../js/format.js';
import { pagedList } from '../js/table.js';
import { schoolSummary, trancheName, trancheProgress } from '../js/summary.js';
import { pageTitle, descList, alertBox, errorAlert, dataTable, link, statusBadge, badge } from '../js/ui.js';
import { agentColumns, unknownColumns } from './agents.js';

const PAGE_SIZE = 10;

/** A section with an h2, an optional intro, a paged list and a link to the full list. */
function listSection(id, title, { intro, list, more }) {
  return h('section', { class: 'app-section school-part', id, 'aria-labelledby': `${id}-h` },
    h('h2', { class: 'kern-heading-medium', id: `${id}-h` }, title),
    intro ? h('p', { class: 'kern-body' }, intro) : null,
    list.element,
    more ? h('p', { class: 'kern-body school-part__more' }, more) : null);
}

export async function render(main, ctx) {
  const n = ctx.params.school_number;
  ctx.setTitle(t('school.title', { number: n }));
  const title = pageTitle(t('school.title', { number: n }));
  main.appendChild(title);
  let school;
  try {
    school = await api.get(`/schools/${encodeURIComponent(n)}`);
  } catch (err) {
    if (!ctx.isCurrent()) return undefined;
    main.appendChild(err instanceof ApiProblem && (err.status === 404 || err.status === 400) ? alertBox('warning', t('errors.404')) : errorAlert(err));
    return undefined;
  }
  if (!ctx.isCurrent()) return undefined;
  const name = school.name || school.school_number;
  const heading = `${name} (${school.school_number})`;
  title.querySelector('h1').textContent = heading;
  ctx.setTitle(heading);
  const enc = encodeURIComponent(school.school_number);
  const isCity = ctx.user.role === 'city_admin';

  main.appendChild(descList([
    [t('school.number'), school.school_number],
    [t('school.type'), school.school_type],
    [t('school.district'), school.district],
    [t('school.address'), school.address],
  ]));

  const parts = [
    ['school-deliveries', t('overview.deliveries')],
    ['school-devices', t('school_page.devices')],
    ['school-loans', t('school_page.loans')],
    ['school-agents', t('overview.agents')],
    ['school-unknown', t('agents.unknown.title')],
  ];
  main.appendChild(h('nav', { class: 'school-contents', 'aria-labelledby': 'school-contents-h' },
    h('h2', { class: 'kern-heading-small', id: 'school-contents-h' }, t('school_page.contents')),
    h('ul', { class: 'app-inline-list' }, parts.map(([id, text]) => h('li', {}, link(`#${id}`, text))))));

  main.appendChild(schoolSummary(school.school_number, { headingLevel: 0, isCurrent: ctx.isCurrent, parts: ['figures', 'status'] }));

  const deliveries = pagedList({
    path: '/tranches',
    query: { school_number: school.school_number },
    limit: PAGE_SIZE,
    label: t('overview.deliveries'),
    emptyText: t('overview.no_deliveries'),
    renderPage: (items) => dataTable({
      caption: t('overview.deliveries_caption', { name }), captionHidden: true, rows: items,
      columns: [
        { label: t('city.delivery'), header: true, render: (tr) => link(`/tranches/${tr.id}`, trancheName(tr)) },
        { label: t('tranches.expected'), numeric: true, render: (tr) => formatNumber(tr.expected_count) },
        { label: t('tranches.progress'), render: (tr) => trancheProgress(tr.progress || {}) },
        { label: t('progress.missing'), numeric: true, render: (tr) => formatNumber((tr.progress || {}).missing || 0) },
      ],
    }),
  });
  main.appendChild(listSection('school-deliveries', t('overview.deliveries'), {
    list: deliveries,
    more: link(`/tranches?school_number=${enc}`, t('school_page.deliveries_all')),
  }));

  const devices = pagedList({
    path: '/devices',
    query: { school_number: school.school_number },
    limit: PAGE_SIZE,
    label: t('school_page.devices'),
    emptyText: t('school_page.devices_empty'),
    renderPage: (items) => dataTable({
      caption: t('school_page.devices_caption', { name }), captionHidden: true, rows: items,
      columns: [
        { label: t('devices.serial'), header: true, render: (d) => link(`/devices/${encodeURIComponent(d.serial_number)}`, d.serial_number, { class: 'kern-link app-mono' }) },
        { label: t('devices.asset_tag'), render: (d) => d.asset_tag || t('app.none') },
        { label: t('devices.model'), render: (d) => d.model },
        { label: t('devices.status'), render: (d) => statusBadge(d.status) },
        { label: t('devices.location'), render: (d) => d.location || t('app.none') },
        { label: t('devices.updated'), render: (d) => formatDateTime(d.updated_at) },
      ],
    }),
  });
  main.appendChild(listSection('school-devices', t('school_page.devices'), {
    list: devices,
    more: link(`/devices?school_number=${enc}`, t('overview.all_devices')),
  }));

  const loans = pagedList({
    path: '/loans',
    query: { school_number: school.school_number, state: 'current' },
    limit: PAGE_SIZE,
    label: t('school_page.loans'),
    emptyText: t('school_page.loans_empty'),
    renderPage: (items) => dataTable({
      caption: t('school_page.loans_caption', { name }), captionHidden: true, rows: items,
      columns: [
        { label: t('loans.col.serial'), header: true, render: (l) => link(`/devices/${encodeURIComponent(l.serial_number)}`, l.serial_number, { class: 'kern-link app-mono' }) },
        { label: t('loans.col.borrower_ref'), render: (l) => l.borrower_ref },
        { label: t('loans.col.kind'), render: (l) => t(`loans.kind.${l.borrower_kind}`) },
        { label: t('loans.col.since'), render: (l) => formatDate(l.started_at) },
        {
          label: t('loans.col.due_on'),
          render: (l) => {
            if (!l.due_on) return t('loans.no_due');
            const overdue = l.due_on < todayISO(); // by the German calendar day, as /loans
            return overdue ? h('span', {}, formatDate(l.due_on), ' ', badge(t('loans.overdue'), 'danger')) : formatDate(l.due_on);
          },
        },
      ],
    }),
  });
  main.appendChild(listSection('school-loans', t('school_page.loans'), {
    list: loans,
    more: link(`/loans?school_number=${enc}`, t('school_page.loans_all')),
  }));

  const agents = pagedList({
    path: '/agents',
    query: { school_number: school.school_number },
    limit: PAGE_SIZE,
    label: t('overview.agents'),
    emptyText: t('overview.no_agents'),
    renderPage: (items) => dataTable({ caption: t('overview.agents_caption', { name }), captionHidden: true, rows: items, columns: agentColumns() }),
  });
  main.appendChild(listSection('school-agents', t('overview.agents'), {
    list: agents,
    more: link(`/agents?school_number=${enc}`, t(ctx.canWrite ? 'school_page.agents_manage' : 'school_page.agents_all')),
  }));

  const unknown = pagedList({
    path: `/schools/${enc}/unknown-devices`,
    limit: PAGE_SIZE,
    label: t('agents.unknown.title'),
    emptyText: t('agents.unknown.empty'),
    renderPage: (items) => dataTable({ caption: t('agents.unknown.caption', { school: name }), captionHidden: true, columns: unknownColumns(), rows: items }),
  });
  main.appendChild(listSection('school-unknown', t('agents.unknown.title'), {
    intro: t('agents.unknown.text'),
    list: unknown,
    more: link(`/agents?school_number=${enc}#unknown`, t('school_page.unknown_all')),
  }));

  if (isCity) main.appendChild(h('p', { class: 'kern-body' }, link('/schools', t('school_page.back'))));
  return undefined;
}
