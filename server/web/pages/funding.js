// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Proof of use (/funding): the figures of GET /reports/funding per programme, per grant and per
// school, with charts (spend against the grant and the school cap; the rollout funnel), the CSV in
// the excel-de dialect exactly as the API gives it, and an A4 print view (?print=1) that a
// municipality attaches to its Verwendungsnachweis. ?grant_id=N picks one grant.
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api, ApiProblem } from '../js/api.js';
import { formatDate, formatDateTime, formatMoney, formatNumber, todayISO } from '../js/format.js';
import { referenceBarChart } from '../js/charts.js';
import { updateQuery } from '../js/router.js';
import {
  pageTitle, dataTable, descList, section, link, badge, alertBox, errorAlert, loading, selectField, button,
  buttonLink, STATUSES,
} from '../js/ui.js';
import { atRiskBadge, daysText, formatShare, rolloutFunnel, statusBlock } from '../js/summary.js';

const GRANTS_LIMIT = 500;
const CHART_SCHOOLS = 40; // bars in the per-school chart; the table always has every school

function csvHref(grantId) {
  return api.url('/reports/funding', { format: 'csv', dialect: 'excel-de', grant_id: grantId || null });
}

function funding(grantId, extra = {}) {
  const p = new URLSearchParams();
  if (grantId) p.set('grant_id', String(grantId));
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  const qs = p.toString();
  return `/funding${qs ? '?' + qs : ''}`;
}

function capText(cents) {
  return cents === null || cents === undefined ? t('funding.no_cap') : formatMoney(cents);
}

function period(g) {
  return t('funding.period_text', { from: formatDate(g.approved_on), to: formatDate(g.spend_by) });
}

function programmeText(g, programmes) {
  const p = programmes.get(g.programme);
  return p && p.name ? `${p.name} (${g.programme})` : g.programme;
}

/** The programme for a page or print: the code ("DP-SOFORT") never breaks at its hyphen. */
function programmeLabel(g, programmes) {
  const p = programmes.get(g.programme);
  const code = h('span', { class: 'app-nowrap' }, p && p.name ? `(${g.programme})` : g.programme);
  return p && p.name ? h('span', {}, `${p.name} `, code) : code;
}

function schoolCapCell(s) {
  if (s.school_cap_cents === null || s.school_cap_cents === undefined) return t('funding.no_cap');
  return s.above_school_cap ? badge(t('funding.cap_exceeded'), 'danger') : t('funding.cap_kept');
}

function riskText(g) {
  return t(`funding.at_risk_${g.at_risk_reason}_text`, {
    remaining: formatMoney(g.remaining_cents), date: formatDate(g.spend_by), when: daysText(g.days_to_spend_by),
  });
}

function schoolCapText(g) {
  const names = new Map(g.schools.map((s) => [s.school_number, s.name]));
  return t('funding.breach_schools_text', {
    cap: capText(g.max_per_school_cents),
    schools: g.schools_above_school_cap.map((n) => (names.get(n) ? `${names.get(n)} (${n})` : n)).join('; '),
  });
}

function trancheLinks(ids) {
  if (!ids || !ids.length) return t('app.none');
  const out = [];
  ids.forEach((id, i) => {
    if (i) out.push(', ');
    out.push(link(`/tranches/${id}`, t('tranches.name', { id }), { class: 'kern-link app-nowrap' }));
  });
  return h('span', {}, out);
}

/** The grants a select can offer: for city_admin GET /grants of programmes that fund devices. */
async function loadGrantOptions(isCity, report) {
  if (!isCity) return report.grants;
  const [grants, programmes] = await Promise.all([
    api.get('/grants', { limit: GRANTS_LIMIT }),
    api.get('/programmes', { limit: 100 }),
  ]);
  const devices = new Set((programmes.items || []).filter((p) => p.funds_devices !== false).map((p) => p.code));
  return (grants.items || []).filter((g) => devices.has(g.programme));
}

function filterForm(options, grantId) {
  const sorted = [...options].sort((a, b) => (a.programme === b.programme ? a.id - b.id : a.programme < b.programme ? -1 : 1));
  const opts = [['', t('funding.all_grants')], ...sorted.map((g) => [String(g.id), `${g.reference} · ${g.programme}${g.title ? ' · ' + g.title : ''}`])];
  if (grantId && !sorted.some((g) => String(g.id) === String(grantId))) opts.push([String(grantId), t('funding.grant_n', { id: grantId })]);
  const form = h('form', { class: 'app-filters no-print', method: 'get', action: '/funding', role: 'search', 'aria-label': t('funding.filter_label') },
    h('div', { class: 'app-filters__wide' }, selectField({ id: 'grant_id', label: t('funding.grant'), value: grantId || '', options: opts })),
    h('div', { class: 'app-filters__actions' }, button(t('funding.show'), { type: 'submit' })));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (form.elements.grant_id.value) p.set('grant_id', form.elements.grant_id.value);
    updateQuery(p);
  });
  return form;
}

function downloads(grantId) {
  return h('div', { class: 'app-actions no-print' },
    h('a', { class: 'kern-link', href: csvHref(grantId), download: '', id: 'funding-csv' }, t('funding.csv')),
    buttonLink(funding(grantId, { print: '1' }), t(grantId ? 'funding.print_view' : 'funding.print_view_all'), 'secondary'));
}

// ---- all grants ---------------------------------------------------------------------------------

/** A wide table's scroll box as a named, keyboard-reachable region (it may scroll sideways). */
function scrollable(wrap, name) {
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', name);
  wrap.tabIndex = 0;
  return wrap;
}

function programmesSection(report) {
  return section(t('funding.programmes'), scrollable(dataTable({
    caption: t('funding.programmes_caption'),
    captionHidden: true,
    columns: [
      { label: t('funding.programme'), header: true, render: (p) => `${p.name} (${p.code})` },
      {
        label: t('funding.grants_count'),
        numeric: true,
        render: (p) => h('span', {}, formatNumber(p.grants), p.grants_at_risk ? [h('br'), h('span', { class: 'app-muted' }, t('funding.grants_at_risk_n', { count: formatNumber(p.grants_at_risk) }))] : null),
      },
      { label: t('funding.amount'), numeric: true, render: (p) => formatMoney(p.amount_cents) },
      { label: t('funding.own_contribution'), numeric: true, render: (p) => formatMoney(p.own_contribution_cents) },
      { label: t('funding.spend'), numeric: true, render: (p) => formatMoney(p.spend_cents) },
      { label: t('funding.share'), numeric: true, render: (p) => formatShare(p.share_used_pct) },
      { label: t('funding.remaining'), numeric: true, render: (p) => formatMoney(p.remaining_cents) },
      {
        label: t('funding.caps_and_breaches'),
        render: (p) => h('span', {}, t('funding.caps_text', { unit: capText(p.max_unit_price_cents), school: capText(p.max_per_school_cents) }),
          h('br'), breachText(p.tranches_above_unit_cap.length, p.schools_above_school_cap.length)),
      },
    ],
    rows: report.programmes,
  }), t('funding.programmes_caption')));
}

function breachText(tranches, schools) {
  if (!tranches && !schools) return h('span', {}, t('funding.no_breaches'));
  return h('span', {}, badge(t('funding.cap_exceeded'), 'danger'),
    tranches ? [h('br'), t('funding.breach_tranches', { count: formatNumber(tranches) })] : null,
    schools ? [h('br'), t('funding.breach_schools', { count: formatNumber(schools) })] : null);
}

function grantsSection(report, programmes) {
  const grants = report.grants;
  const chart = referenceBarChart(grants.map((g) => ({
    label: g.reference,
    title: `${g.reference}: ${g.title}`,
    value: g.share_used_pct || 0,
    flagged: g.spend_cents > g.amount_cents,
    note: g.spend_cents > g.amount_cents ? t('funding.overspent') : null,
  })), {
    title: t('funding.grants_chart_title'),
    label: t('funding.grants_chart_label'),
    format: (v) => formatShare(v),
    reference: { value: 100, label: t('funding.grant_amount_ref') },
  });
  return section(t('funding.grants'),
    h('p', { class: 'kern-body app-muted' }, t('funding.grants_intro')),
    chart,
    scrollable(dataTable({
      caption: t('funding.grants_caption'),
      columns: [
        { label: t('funding.reference'), header: true, render: (g) => link(funding(g.id), g.reference) },
        { label: t('funding.programme'), render: (g) => h('abbr', { title: programmeText(g, programmes) }, g.programme) },
        { label: t('funding.amount'), numeric: true, render: (g) => formatMoney(g.amount_cents) },
        { label: t('funding.spend'), numeric: true, render: (g) => formatMoney(g.spend_cents) },
        { label: t('funding.share'), numeric: true, render: (g) => formatShare(g.share_used_pct) },
        { label: t('funding.remaining'), numeric: true, render: (g) => formatMoney(g.remaining_cents) },
        { label: t('funding.spend_by'), render: (g) => h('span', {}, formatDate(g.spend_by), h('br'), h('span', { class: 'app-muted' }, daysText(g.days_to_spend_by))) },
        { label: t('funding.earmark_end'), render: (g) => formatDate(g.earmark_end) },
        { label: t('funding.at_risk'), render: (g) => atRiskBadge(g) },
        { label: t('funding.breaches'), render: (g) => breachText(g.tranches_above_unit_cap.length, g.schools_above_school_cap.length) },
      ],
      rows: grants,
    }), t('funding.grants_caption')));
}

// ---- one grant ----------------------------------------------------------------------------------

function grantAlerts(g) {
  const out = [];
  if (g.at_risk) {
    out.push(alertBox(g.at_risk_reason === 'spend_by_passed' ? 'danger' : 'warning', t(`funding.at_risk_${g.at_risk_reason}`),
      riskText(g)));
  }
  if (g.schools_above_school_cap.length || g.tranches_above_unit_cap.length) {
    out.push(alertBox('danger', t('funding.breaches_title'),
      g.schools_above_school_cap.length ? schoolCapText(g) : null,
      g.tranches_above_unit_cap.length ? h('p', { class: 'kern-body' }, t('funding.breach_tranches_text', { count: formatNumber(g.devices_above_unit_cap), cap: capText(g.max_unit_price_cents) }), ' ', trancheLinks(g.tranches_above_unit_cap)) : null));
  }
  return out;
}

function factsList(g, programmes) {
  return descList([
    [t('funding.reference'), g.reference],
    [t('funding.grant_title'), g.title],
    [t('funding.programme'), programmeLabel(g, programmes)],
    [t('funding.period'), period(g)],
    [t('funding.spend_by'), `${formatDate(g.spend_by)} (${daysText(g.days_to_spend_by)})`],
    [t('funding.earmark_end'), formatDate(g.earmark_end)],
    [t('funding.unit_cap'), capText(g.max_unit_price_cents)],
    [t('funding.school_cap'), capText(g.max_per_school_cents)],
  ], t('funding.facts'));
}

function moneyTable(g) {
  const rows = [
    [t('funding.amount'), formatMoney(g.amount_cents)],
    [t('funding.own_contribution'), formatMoney(g.own_contribution_cents)],
    [t('funding.spend'), formatMoney(g.spend_cents)],
    [t('funding.share'), formatShare(g.share_used_pct)],
    [t('funding.remaining'), formatMoney(g.remaining_cents)],
  ];
  return dataTable({
    caption: t('funding.money_caption', { reference: g.reference }),
    columns: [
      { label: t('funding.figure'), header: true, render: (r) => r[0] },
      { label: t('funding.value'), numeric: true, render: (r) => r[1] },
    ],
    rows,
    className: 'app-money-table',
  });
}

function moneyChart(g) {
  const over = g.spend_cents > g.amount_cents;
  return referenceBarChart([
    { label: t('funding.spend'), value: g.spend_cents, flagged: over, note: over ? t('funding.overspent') : formatShare(g.share_used_pct) },
    { label: t('funding.remaining'), value: Math.max(0, g.remaining_cents), color: '#6e7597' },
  ], {
    title: t('funding.money_chart_title', { reference: g.reference }),
    label: t('funding.money_chart_label', { spend: formatMoney(g.spend_cents), amount: formatMoney(g.amount_cents) }),
    format: formatMoney,
    reference: { value: g.amount_cents, label: t('funding.amount') },
  });
}

function schoolsChart(g) {
  const cap = g.max_per_school_cents;
  const top = [...g.schools].sort((a, b) => b.spend_cents - a.spend_cents || (a.school_number < b.school_number ? -1 : 1))
    .slice(0, CHART_SCHOOLS);
  return referenceBarChart(top.map((s) => ({
    label: s.name || s.school_number,
    title: `${s.name || ''} (${s.school_number})`,
    value: s.spend_cents,
    flagged: s.above_school_cap,
    note: s.above_school_cap ? t('funding.cap_exceeded') : null,
  })), {
    title: t(top.length < g.schools.length ? 'funding.schools_chart_title_top' : 'funding.schools_chart_title', { reference: g.reference, count: top.length }),
    label: t('funding.schools_chart_label'),
    format: formatMoney,
    reference: cap ? { value: cap, label: t('funding.school_cap') } : null,
  });
}

function schoolsTable(g) {
  const total = {
    total: true, name: t('funding.total_grant'), tranches: [], expected: g.expected, delivered: g.delivered, enrolled: g.enrolled,
    spend_cents: g.spend_cents, share_used_pct: g.share_used_pct,
  };
  const cell = (row, fn) => (row.total ? h('strong', {}, fn(row)) : fn(row));
  return scrollable(dataTable({
    caption: t('funding.schools_caption', { reference: g.reference }),
    className: 'fnd-schools',
    columns: [
      {
        label: t('funding.school'),
        header: true,
        render: (s) => (s.total ? h('strong', {}, s.name) : h('span', {},
          link(`/schools/${encodeURIComponent(s.school_number)}`, s.name || s.school_number), h('br'),
          h('span', { class: 'app-muted fnd-number' }, t('funding.school_number_text', { n: s.school_number })))),
      },
      { label: t('funding.deliveries'), render: (s) => (s.total ? '' : trancheLinks(s.tranches)) },
      { label: t('funding.expected'), numeric: true, render: (s) => cell(s, (r) => formatNumber(r.expected)) },
      { label: t('funding.delivered'), numeric: true, render: (s) => cell(s, (r) => formatNumber(r.delivered)) },
      { label: t('funding.enrolled'), numeric: true, render: (s) => cell(s, (r) => formatNumber(r.enrolled)) },
      { label: t('funding.spend'), numeric: true, render: (s) => cell(s, (r) => formatMoney(r.spend_cents)) },
      { label: t('funding.share'), numeric: true, render: (s) => cell(s, (r) => formatShare(r.share_used_pct)) },
      { label: t('funding.school_cap_short'), render: (s) => (s.total ? '' : schoolCapCell(s)) },
      { label: t('funding.unit_cap_short'), render: (s) => (s.total ? '' : (s.tranches_above_unit_cap.length ? h('span', {}, badge(t('funding.cap_exceeded'), 'danger'), ' ', trancheLinks(s.tranches_above_unit_cap)) : t('app.none'))) },
    ],
    rows: [...g.schools, total],
  }), t('funding.schools_caption', { reference: g.reference }));
}

function statusSection(g) {
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, g[s] || 0]));
  const r = g.retired_by_reason || {};
  return section(t('funding.devices'),
    h('p', { class: 'kern-body' }, t('funding.devices_intro', { earmark: formatDate(g.earmark_end) })),
    statusBlock(byStatus, g.enrolled, {
      caption: t('funding.devices_caption', { reference: g.reference }),
      linkFor: (status) => `/devices?grant_id=${g.id}&status=${status}`,
    }),
    h('p', { class: 'kern-body' }, t('funding.retired_reasons', {
      lost: formatNumber(r.lost || 0), stolen: formatNumber(r.stolen || 0),
      damaged: formatNumber(r.damaged_beyond_repair || 0), unspecified: formatNumber(r.unspecified || 0),
    }), ' · ', t('funding.on_loan', { count: formatNumber(g.on_loan) })),
    h('p', { class: 'kern-body' }, link(`/devices?grant_id=${g.id}&unseen_days=30`, t('funding.unseen_link'))));
}

async function funnelSection(ctx, grantId) {
  const sec = section(t('funding.funnel'), loading());
  (async () => {
    let report;
    try {
      report = await api.get('/reports/rollout', { grant_id: grantId || null });
    } catch (err) {
      if (!ctx.isCurrent()) return;
      sec.replaceChildren(sec.querySelector('h2'), errorAlert(err));
      return;
    }
    if (!ctx.isCurrent()) return;
    sec.replaceChildren(sec.querySelector('h2'),
      h('p', { class: 'kern-body' }, t('funding.funnel_intro', { count: formatNumber((report.totals || {}).tranches || 0) })),
      rolloutFunnel(report.totals || {}, { caption: t('funding.funnel_caption'), chartLabel: t('funding.funnel_chart_label') }));
  })();
  return sec;
}

// ---- print view ---------------------------------------------------------------------------------

function fillLine(caption) {
  return h('div', { class: 'agr-fill agr-fill--tall' },
    h('span', { class: 'agr-fill__line' }, h('span', { class: 'visually-hidden' }, t('funding.fill_by_hand'))),
    h('span', { class: 'agr-fill__caption' }, caption));
}

function kv(label, value) {
  return h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, value));
}

function printDoc(g, programmes, report, printedOn) {
  const schoolRows = g.schools.map((s) => h('tr', { class: 'fnd-row' },
    h('th', { scope: 'row', class: 'fnd-school' }, s.name || s.school_number, h('span', { class: 'fnd-school__number' }, ` (${s.school_number})`)),
    h('td', {}, s.tranches.map((id) => t('tranches.name', { id })).join(', ')),
    h('td', { class: 'fnd-num' }, formatNumber(s.expected)),
    h('td', { class: 'fnd-num' }, formatNumber(s.delivered)),
    h('td', { class: 'fnd-num' }, formatNumber(s.enrolled)),
    h('td', { class: 'fnd-num' }, formatMoney(s.spend_cents)),
    h('td', { class: 'fnd-num' }, formatShare(s.share_used_pct)),
    h('td', {}, s.school_cap_cents === null || s.school_cap_cents === undefined ? t('app.none')
      : (s.above_school_cap ? h('strong', {}, t('funding.print_cap_exceeded')) : t('app.no')))));
  const totalRow = h('tr', { class: 'fnd-row fnd-row--total' },
    h('th', { scope: 'row' }, t('funding.total_grant')),
    h('td', {}, ''),
    h('td', { class: 'fnd-num' }, formatNumber(g.expected)),
    h('td', { class: 'fnd-num' }, formatNumber(g.delivered)),
    h('td', { class: 'fnd-num' }, formatNumber(g.enrolled)),
    h('td', { class: 'fnd-num' }, formatMoney(g.spend_cents)),
    h('td', { class: 'fnd-num' }, formatShare(g.share_used_pct)),
    h('td', {}, g.max_per_school_cents === null || g.max_per_school_cents === undefined ? t('app.none') : formatNumber(g.schools_above_school_cap.length)));

  const notes = [];
  if (g.schools_above_school_cap.length) notes.push(schoolCapText(g));
  if (g.tranches_above_unit_cap.length) notes.push(`${t('funding.breach_tranches_text', { count: formatNumber(g.devices_above_unit_cap), cap: capText(g.max_unit_price_cents) })} ${g.tranches_above_unit_cap.map((id) => t('tranches.name', { id })).join(', ')}`);
  if (g.at_risk) notes.push(riskText(g));
  if (report.scope === 'own_schools') notes.push(t('funding.scope_own'));

  return h('article', { class: 'fnd-doc', 'aria-label': t('funding.doc_label', { reference: g.reference }) },
    h('header', { class: 'fnd-head' },
      h('p', { class: 'fnd-kicker' }, t('funding.doc_kicker')),
      h('h2', { class: 'fnd-title' }, t('funding.doc_title', { reference: g.reference })),
      g.title ? h('p', { class: 'fnd-subtitle' }, g.title) : null),
    h('table', { class: 'fnd-facts' },
      h('caption', { class: 'visually-hidden' }, t('funding.facts')),
      h('tbody', {},
        report.organisation ? kv(t('funding.recipient'), report.organisation) : null,
        kv(t('funding.reference'), g.reference),
        kv(t('funding.programme'), programmeLabel(g, programmes)),
        kv(t('funding.period'), period(g)),
        kv(t('funding.earmark_end'), formatDate(g.earmark_end)),
        kv(t('funding.caps'), t('funding.caps_text', { unit: capText(g.max_unit_price_cents), school: capText(g.max_per_school_cents) })),
        kv(t('funding.as_of'), formatDateTime(report.generated_at)))),
    h('h3', { class: 'fnd-h' }, t('funding.totals')),
    h('table', { class: 'fnd-table fnd-totals' },
      h('caption', { class: 'visually-hidden' }, t('funding.totals')),
      h('tbody', {},
        kv(t('funding.amount'), formatMoney(g.amount_cents)),
        kv(t('funding.own_contribution'), formatMoney(g.own_contribution_cents)),
        kv(t('funding.spend_long'), formatMoney(g.spend_cents)),
        kv(t('funding.share'), formatShare(g.share_used_pct)),
        kv(t('funding.remaining'), formatMoney(g.remaining_cents)),
        kv(t('funding.devices_line'), t('funding.devices_line_text', {
          expected: formatNumber(g.expected), delivered: formatNumber(g.delivered), enrolled: formatNumber(g.enrolled),
        })),
        kv(t('funding.losses_line'), t('funding.losses_line_text', {
          lost: formatNumber(g.lost), stolen: formatNumber(g.stolen), retired: formatNumber(g.retired),
        })))),
    h('h3', { class: 'fnd-h' }, t('funding.per_school')),
    h('table', { class: 'fnd-table fnd-schools-print' },
      h('caption', { class: 'visually-hidden' }, t('funding.schools_caption', { reference: g.reference })),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('funding.school')),
        h('th', { scope: 'col' }, t('funding.deliveries')),
        h('th', { scope: 'col', class: 'fnd-num' }, t('funding.expected')),
        h('th', { scope: 'col', class: 'fnd-num' }, t('funding.delivered')),
        h('th', { scope: 'col', class: 'fnd-num' }, t('funding.enrolled')),
        h('th', { scope: 'col', class: 'fnd-num' }, t('funding.spend')),
        h('th', { scope: 'col', class: 'fnd-num' }, t('funding.share')),
        h('th', { scope: 'col' }, t('funding.print_cap_col')))),
      h('tbody', {}, schoolRows, totalRow)),
    g.schools.length ? null : h('p', { class: 'fnd-p' }, t('funding.no_schools')),
    notes.length ? h('section', { class: 'fnd-notes' },
      h('h3', { class: 'fnd-h' }, t('funding.notes')),
      h('ul', {}, notes.map((n) => h('li', {}, n)))) : null,
    // The signature and the date of printing stay together on one page.
    h('section', { class: 'fnd-sign' },
      h('h3', { class: 'fnd-h' }, t('funding.confirmation')),
      h('p', { class: 'fnd-p' }, t('funding.confirmation_text')),
      h('div', { class: 'fnd-sign__grid' },
        fillLine(t('funding.place_date')),
        fillLine(t('funding.signature'))),
      h('footer', { class: 'fnd-foot' }, t('funding.printed_on', { date: formatDate(printedOn), reference: g.reference }))));
}

async function renderPrint(main, ctx, report, programmes, grantId) {
  const printBtn = button(t('funding.print'), { variant: 'primary', onclick: () => window.print() });
  main.appendChild(h('div', { class: 'fnd-toolbar no-print' },
    pageTitle(t('funding.print_title'), grantId && report.grants[0] ? report.grants[0].reference : t('funding.all_grants')),
    h('div', { class: 'app-actions' },
      printBtn,
      buttonLink(funding(grantId), t('funding.back'), 'secondary'),
      h('a', { class: 'kern-link', href: csvHref(grantId), download: '' }, t('funding.csv'))),
    h('p', { class: 'kern-body app-muted' }, t('funding.print_hint'))));
  if (!report.grants.length) {
    main.appendChild(alertBox('info', t('funding.empty')));
    printBtn.disabled = true;
    return;
  }
  const printedOn = todayISO();
  main.appendChild(h('div', { class: 'fnd-docs' }, report.grants.map((g) => printDoc(g, programmes, report, printedOn))));
}

// ---- page ---------------------------------------------------------------------------------------

export async function render(main, ctx) {
  const raw = (ctx.query.get('grant_id') || '').trim();
  const grantId = /^[1-9]\d{0,17}$/.test(raw) ? raw : '';
  const print = ctx.query.get('print') === '1';
  const isCity = ctx.user.role === 'city_admin';
  ctx.setTitle(t('funding.title'));

  const wait = loading();
  main.appendChild(wait);
  let report;
  let options = [];
  try {
    report = await api.get('/reports/funding', { grant_id: grantId || null });
    if (!print) {
      try {
        options = await loadGrantOptions(isCity, report);
      } catch (_) {
        options = report.grants; // the select then offers what the report holds
      }
    }
  } catch (err) {
    if (!ctx.isCurrent()) return undefined;
    wait.remove();
    main.appendChild(pageTitle(t('funding.title')));
    if (err instanceof ApiProblem && err.status === 404) {
      main.appendChild(alertBox('warning', t('funding.grant_not_found', { id: grantId }), h('p', { class: 'kern-body' }, link('/funding', t('funding.all_grants_link')))));
    } else {
      main.appendChild(errorAlert(err));
    }
    return undefined;
  }
  if (!ctx.isCurrent()) return undefined;
  wait.remove();
  const programmes = new Map((report.programmes || []).map((p) => [p.code, p]));
  const grant = grantId ? report.grants.find((g) => String(g.id) === grantId) : null;
  if (grant) ctx.setTitle(`${t('funding.title')} ${grant.reference}`);

  if (print) {
    await renderPrint(main, ctx, report, programmes, grantId);
    return undefined;
  }

  main.appendChild(pageTitle(t('funding.title'), grant ? `${grant.reference} · ${grant.title}` : t('funding.intro')));
  if (raw && !grantId) main.appendChild(alertBox('warning', t('funding.bad_grant_id')));
  main.appendChild(filterForm(options, grantId));
  main.appendChild(downloads(grantId));
  if (report.scope === 'own_schools') main.appendChild(alertBox('info', t('funding.scope_own')));
  main.appendChild(h('p', { class: 'kern-body app-muted' }, t('funding.as_of_text', { date: formatDateTime(report.generated_at) })));

  if (!report.grants.length) {
    main.appendChild(alertBox('info', t('funding.empty')));
    return undefined;
  }

  if (!grant) {
    main.appendChild(programmesSection(report));
    main.appendChild(grantsSection(report, programmes));
    main.appendChild(await funnelSection(ctx, null));
    return undefined;
  }

  main.append(...grantAlerts(grant));
  main.appendChild(section(t('funding.grant_section'),
    h('div', { class: 'app-grid' },
      h('div', {}, factsList(grant, programmes)),
      h('div', {}, moneyTable(grant))),
    moneyChart(grant)));
  main.appendChild(section(t('funding.per_school'),
    h('p', { class: 'kern-body app-muted' }, t(grant.max_per_school_cents ? 'funding.schools_intro_cap' : 'funding.schools_intro', { cap: capText(grant.max_per_school_cents) })),
    grant.schools.length ? schoolsChart(grant) : null,
    grant.schools.length > CHART_SCHOOLS ? h('p', { class: 'kern-body app-muted' }, t('funding.chart_top_note', { count: formatNumber(CHART_SCHOOLS) })) : null,
    grant.schools.length ? schoolsTable(grant) : h('p', { class: 'kern-body' }, t('funding.no_schools'))));
  main.appendChild(await funnelSection(ctx, grantId));
  main.appendChild(statusSection(grant));
  return undefined;
}
