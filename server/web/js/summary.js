// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// One school at a glance (school overview and /schools/{n}).
import { h } from './dom.js';
import { t, language } from './i18n.js';
import { api } from './api.js';
import { formatDate, formatDateTime, formatMoney, formatNumber, formatPercent } from './format.js';
import { barChart, funnelChart, progressBar, STATUS_COLORS } from './charts.js';
import { STATUSES, badge, dataTable, errorAlert, loading, link, statusBadge } from './ui.js';

export function statusRows(byStatus) {
  return STATUSES.map((s) => ({ status: s, value: (byStatus && byStatus[s]) || 0 }));
}

/** Chart + table for counts by status. */
export function statusBlock(byStatus, total, { caption, linkFor } = {}) {
  const rows = statusRows(byStatus);
  const chart = barChart(rows.map((r) => ({ label: t(`status.${r.status}`), value: r.value, color: STATUS_COLORS[r.status] })),
    { label: t('overview.chart_label') });
  const table = dataTable({
    caption,
    columns: [
      { label: t('overview.status'), header: true, render: (r) => statusBadge(r.status) },
      { label: t('overview.count'), numeric: true, render: (r) => (linkFor && r.value ? link(linkFor(r.status), formatNumber(r.value)) : formatNumber(r.value)) },
    ],
    rows,
    footer: h('tfoot', { class: 'kern-table__footer' },
      h('tr', { class: 'kern-table__row' },
        h('th', { scope: 'row', class: 'kern-table__header' }, t('overview.total')),
        h('td', { class: 'kern-table__cell kern-table__cell--numeric' }, formatNumber(total ?? rows.reduce((a, r) => a + r.value, 0))))),
  });
  return h('div', { class: 'app-grid' }, h('div', {}, chart), h('div', {}, table));
}

function figure(value, label, href, linkText, kind) {
  return h('li', { class: `app-figure${kind ? ' app-figure--' + kind : ''}` },
    h('span', { class: 'app-figure__value' }, formatNumber(value)),
    h('span', { class: 'app-figure__label' }, label),
    href && linkText ? h('a', { class: 'kern-link', href }, linkText) : null);
}

export function trancheProgress(p) {
  const expected = p.expected || 0;
  const enrolled = p.enrolled || 0;
  const fraction = expected > 0 ? enrolled / expected : 0;
  return progressBar(enrolled, expected, t('progress.bar_label', {
    enrolled: formatNumber(enrolled), expected: formatNumber(expected), percent: formatPercent(fraction),
  }));
}

export function trancheName(tr) {
  return t('tranches.name_long', { id: tr.id, model: tr.model, date: formatDate(tr.delivered_on) });
}

function agentsTable(agents, name) {
  if (!agents || !agents.length) return h('p', { class: 'kern-body' }, t('overview.no_agents'));
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  return dataTable({
    caption: t('overview.agents_caption', { name }),
    captionHidden: true,
    columns: [
      { label: t('overview.agent_host'), header: true, render: (a) => h('span', { class: 'app-mono' }, a.hostname) },
      { label: t('overview.agent_version'), render: (a) => a.agent_version },
      {
        label: t('overview.agent_last_checkin'),
        render: (a) => {
          if (!a.last_checkin_at) return t('overview.agent_never');
          const stale = new Date(a.last_checkin_at).getTime() < dayAgo;
          return h('span', {}, formatDateTime(a.last_checkin_at),
            stale ? h('span', {}, ' ', h('span', { class: 'kern-badge kern-badge--small kern-badge--warning app-badge' }, h('span', { class: 'kern-label' }, t('overview.agent_stale')))) : null);
        },
      },
    ],
    rows: agents,
  });
}

/**
 * Renders the summary of one school into a <section>. headingLevel 2 (several schools on one page)
 * or the school name is already the h1 (then pass headingLevel 0 to skip the school heading).
 * `parts` picks the blocks: figures, status, deliveries, agents (default: all).
 */
export function schoolSummary(schoolNumber, { headingLevel = 2, isCurrent = () => true, parts: only = ['figures', 'status', 'deliveries', 'agents'] } = {}) {
  const sub = headingLevel === 0 ? 'h2' : 'h3';
  const el = h('section', { class: 'app-section app-school-summary', 'aria-busy': 'true' });
  const heading = headingLevel === 0 ? null : h(`h${headingLevel}`, { class: 'kern-heading-large' }, schoolNumber);
  if (heading) el.appendChild(heading);
  const body = h('div', {}, loading());
  el.appendChild(body);

  (async () => {
    let summary;
    let tranches = [];
    let tranchesMore = false;
    let trancheErr = null;
    try {
      [summary, tranches] = await Promise.all([
        api.get(`/schools/${encodeURIComponent(schoolNumber)}/summary`),
        !only.includes('deliveries') ? [] : api.get('/tranches', { school_number: schoolNumber, limit: 50 }).then((r) => {
          tranchesMore = !!r.next_cursor;
          return r.items || [];
        }).catch((err) => { trancheErr = err; return []; }),
      ]);
    } catch (err) {
      if (!isCurrent()) return;
      body.replaceChildren(errorAlert(err));
      el.removeAttribute('aria-busy');
      return;
    }
    if (!isCurrent()) return;
    const name = summary.name || schoolNumber;
    if (heading) heading.textContent = t('overview.school_heading', { name, number: summary.school_number });
    const n = encodeURIComponent(summary.school_number);
    const counts = summary.device_counts || { total: 0, by_status: {} };

    const parts = [];
    if (only.includes('figures')) parts.push(h('div', { class: 'app-subsection' },
      h(sub, { class: 'kern-heading-medium' }, t('overview.key_figures')),
      h('ul', { class: 'app-figures' },
        figure(counts.total, t('overview.total'), `/devices?school_number=${n}`, t('overview.all_devices')),
        figure(summary.on_loan, t('overview.on_loan'), `/loans?school_number=${n}`, t('overview.show_on_loan')),
        figure(summary.overdue, t('overview.overdue'), `/loans?state=overdue&school_number=${n}`, t('overview.show_overdue'), summary.overdue > 0 ? 'danger' : null),
        figure(summary.not_seen_14_days, t('overview.not_seen'), `/devices?stale=true&school_number=${n}`, t('overview.show_not_seen'), summary.not_seen_14_days > 0 ? 'warning' : null))));

    if (only.includes('status')) parts.push(h('div', { class: 'app-subsection' },
      h(sub, { class: 'kern-heading-medium' }, t('overview.devices_by_status')),
      statusBlock(counts.by_status, counts.total, {
        caption: t('overview.devices_caption', { name }),
        linkFor: (status) => `/devices?school_number=${n}&status=${status}`,
      }),
      h('p', { class: 'kern-body' },
        h('a', { class: 'kern-link', href: api.url('/reports/inventory', { school_number: summary.school_number, format: 'csv', dialect: 'excel-de' }), download: '' },
          t('overview.csv')))));

    const trancheBlock = [h(sub, { class: 'kern-heading-medium' }, t('overview.deliveries'))];
    if (trancheErr) trancheBlock.push(errorAlert(trancheErr));
    else if (!tranches.length) trancheBlock.push(h('p', { class: 'kern-body' }, t('overview.no_deliveries')));
    else {
      trancheBlock.push(dataTable({
        caption: t('overview.deliveries_caption', { name }),
        captionHidden: true,
        columns: [
          { label: t('city.delivery'), header: true, render: (tr) => link(`/tranches/${tr.id}`, trancheName(tr)) },
          { label: t('tranches.expected'), numeric: true, render: (tr) => formatNumber(tr.expected_count) },
          { label: t('tranches.progress'), render: (tr) => trancheProgress(tr.progress || {}) },
          { label: t('progress.missing'), numeric: true, render: (tr) => formatNumber((tr.progress || {}).missing || 0) },
        ],
        rows: tranches,
      }));
      if (tranchesMore) trancheBlock.push(h('p', {}, link(`/tranches?school_number=${n}`, t('nav.tranches'))));
    }
    if (only.includes('deliveries')) parts.push(h('div', { class: 'app-subsection' }, trancheBlock));

    if (only.includes('agents')) parts.push(h('div', { class: 'app-subsection' },
      h(sub, { class: 'kern-heading-medium' }, t('overview.agents')),
      agentsTable(summary.agents, name)));

    body.replaceChildren(...parts);
    el.removeAttribute('aria-busy');
  })();

  return el;
}


// ---- funding figures (the overview for municipal IT and /funding) --------------------------------

/** The API's share in percent with two decimals (5.07) → "5,07 %"; a dash for null. */
export function formatShare(pct) {
  if (pct === null || pct === undefined || Number.isNaN(Number(pct))) return t('app.none');
  return new Intl.NumberFormat(language() === 'en' ? 'en-GB' : 'de-DE', {
    style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2,
  }).format(Number(pct) / 100);
}

/** A grant's spend as a bar with its text ("121.624,00 € von 2.400.000,00 € (5,07 %)"). */
export function grantShareBar(g) {
  return progressBar(g.spend_cents || 0, g.amount_cents || 0, t('city_overview.share_text', {
    spend: formatMoney(g.spend_cents || 0), amount: formatMoney(g.amount_cents || 0), share: formatShare(g.share_used_pct),
  }));
}

/** "noch 123 Tage" / "seit 699 Tagen abgelaufen" / "heute" for days_to_spend_by. */
export function daysText(days) {
  if (days === null || days === undefined) return '';
  if (days === 0) return t('funding.days_today');
  if (days === 1) return t('funding.days_left_one');
  if (days === -1) return t('funding.days_passed_one');
  if (days > 0) return t('funding.days_left', { days: formatNumber(days) });
  return t('funding.days_passed', { days: formatNumber(-days) });
}

/** A badge saying whether a grant is at risk and why (text, not colour alone). */
export function atRiskBadge(g) {
  if (!g.at_risk) return badge(t('funding.not_at_risk'), 'success');
  return badge(t(`funding.at_risk_${g.at_risk_reason || 'spend_by_near'}`), g.at_risk_reason === 'spend_by_passed' ? 'danger' : 'warning');
}

const FUNNEL_STEPS = ['expected', 'in_manifest', 'enrolled', 'managed', 'seen_last_7_days'];

/** The rollout funnel (expected → on the delivery list → enrolled → managed → seen in 7 days) as chart and table. */
export function rolloutFunnel(totals, { caption, chartLabel }) {
  const rows = FUNNEL_STEPS.map((s) => ({ step: s, value: (totals && totals[s]) || 0 }));
  const expected = rows[0].value;
  const share = (v) => (expected > 0 ? formatPercent(v / expected) : t('app.none'));
  const chart = funnelChart(rows.map((r) => ({ label: t(`progress.${r.step}`), value: r.value })),
    { title: caption, description: chartLabel });
  const table = dataTable({
    caption,
    columns: [
      { label: t('tranche.step'), header: true, render: (r) => t(`progress.${r.step}`) },
      { label: t('tranche.count'), numeric: true, render: (r) => formatNumber(r.value) },
      { label: t('city_overview.of_expected'), numeric: true, render: (r) => share(r.value) },
    ],
    rows,
  });
  return h('div', { class: 'app-grid' }, h('div', {}, chart), h('div', {}, table));
}
