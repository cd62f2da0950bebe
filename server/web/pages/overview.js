// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Overview: for the school roles their school(s) at a glance; for city_admin all schools: risks,
// devices by status, rollout, silent site agents, the vendor connections and grants.
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api } from '../js/api.js';
import { formatDate, formatDateTime, formatMoney, formatNumber } from '../js/format.js';
import {
  atRiskBadge, daysText, grantShareBar, rolloutFunnel, schoolSummary, statusBlock, trancheProgress,
} from '../js/summary.js';
import { pageTitle, alertBox, badge, section, dataTable, errorAlert, loading, link, STATUSES } from '../js/ui.js';
import { connectorsSection } from '../js/connectors.js';

export async function render(main, ctx) {
  if (ctx.user.role === 'city_admin') return renderCity(main, ctx);
  ctx.setTitle(t('overview.title'));
  main.appendChild(pageTitle(t('overview.title'), t(`roles.${ctx.user.role}`) + ' · ' + (ctx.user.display_name || ctx.user.username)));
  const schools = ctx.user.schools || [];
  if (!schools.length) {
    main.appendChild(alertBox('info', t('overview.no_schools')));
    return undefined;
  }
  for (const n of schools) {
    main.appendChild(schoolSummary(n, { headingLevel: 2, isCurrent: ctx.isCurrent }));
  }
  return undefined;
}

const ROLLOUT_TOP = 10;
const AGENTS_LIMIT = 10;
const GRANTS_TOP = 20;
const LIST_SHOWN = 5; // schools or deliveries named in one risk item

// Municipal IT: what needs doing first (risks), then devices, rollout, site agents, the vendor
// connections and grants. Every block is one request (reports are aggregates; lists are paged);
// each item links on.
async function renderCity(main, ctx) {
  ctx.setTitle(t('city.title'));
  main.appendChild(pageTitle(t('city.title'), t('city_overview.intro')));

  const riskSec = section(t('city_overview.risks'), loading());
  riskSec.id = 'risks';
  const statusSec = section(t('city.totals'), loading());
  const rolloutSec = section(t('city.rollout'), loading());
  const agentsSec = section(t('city_overview.silent_agents'), loading());
  const grantsSec = section(t('city.grants'), loading());
  // Loads and updates itself (its "sync now" polls until the run has finished).
  const connectorsSec = connectorsSection({ isCurrent: ctx.isCurrent });
  main.append(riskSec, statusSec, rolloutSec, agentsSec, connectorsSec, grantsSec);

  const fundingP = api.get('/reports/funding').then((r) => ({ report: r }), (error) => ({ error }));
  const earmarkP = api.get('/reports/earmark').then((r) => ({ report: r }), (error) => ({ error }));

  // 1. Risks: caps exceeded, money unspent near or after spend_by, funded devices lost, stolen or
  //    unseen inside the earmarking period.
  (async () => {
    const [funding, earmark] = await Promise.all([fundingP, earmarkP]);
    if (!ctx.isCurrent()) return;
    if (funding.error) {
      replaceBody(riskSec, errorAlert(funding.error));
      return;
    }
    const items = riskItems(funding.report, earmark.report);
    const nodes = [];
    if (!items.length) nodes.push(alertBox('success', t('city_overview.no_risks')));
    else {
      nodes.push(h('p', { class: 'kern-body' }, t('city_overview.risks_count', { count: formatNumber(items.length) })));
      nodes.push(h('ul', { class: 'app-risks' }, items.map(riskItem)));
    }
    if (earmark.error) nodes.push(h('p', { class: 'kern-body app-muted' }, t('city_overview.earmark_unavailable')));
    replaceBody(riskSec, ...nodes);
  })();

  // 2. Devices by status over all schools: the funding report's programmes cover every device
  //    (each belongs to a delivery paid from a grant), so one request instead of every school.
  (async () => {
    const { report, error } = await fundingP;
    if (!ctx.isCurrent()) return;
    if (error) {
      replaceBody(statusSec, errorAlert(error));
      return;
    }
    const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    let total = 0;
    for (const p of report.programmes || []) {
      total += p.enrolled || 0;
      for (const s of STATUSES) byStatus[s] += p[s] || 0;
    }
    replaceBody(statusSec,
      h('p', { class: 'kern-body kern-body--large' }, t('city_overview.devices_total', { count: formatNumber(total) })),
      statusBlock(byStatus, total, {
        caption: t('city.totals_caption'),
        linkFor: (status) => `/devices?status=${status}`,
      }),
      h('p', { class: 'kern-body' }, link('/schools', t('city_overview.schools_link'))));
  })();

  // 3. Rollout: the funnel over all deliveries, and the deliveries with the most devices still open.
  (async () => {
    let report;
    try {
      report = await api.get('/reports/rollout', { top: ROLLOUT_TOP });
    } catch (err) {
      if (!ctx.isCurrent()) return;
      replaceBody(rolloutSec, errorAlert(err));
      return;
    }
    if (!ctx.isCurrent()) return;
    const items = (report && report.items) || [];
    if (!items.length) {
      replaceBody(rolloutSec, h('p', { class: 'kern-body' }, t('city.no_rollout')));
      return;
    }
    const open = (r) => Math.max(0, (r.expected || 0) - (r.enrolled || 0));
    // The server sends only the ROLLOUT_TOP deliveries furthest behind; the totals cover all.
    const top = items;
    const tot = report.totals || {};
    replaceBody(rolloutSec,
      h('p', { class: 'kern-body' }, t('city_overview.rollout_summary', {
        tranches: formatNumber(tot.tranches ?? items.length), enrolled: formatNumber(tot.enrolled || 0), expected: formatNumber(tot.expected || 0),
      })),
      rolloutFunnel(tot, { caption: t('city_overview.funnel_caption'), chartLabel: t('city_overview.funnel_chart_label') }),
      h('h3', { class: 'kern-heading-small' }, t('city_overview.open_deliveries', { count: formatNumber(top.length) })),
      dataTable({
        caption: t('city_overview.open_deliveries_caption', { count: formatNumber(top.length) }),
        captionHidden: true,
        className: 'app-rollout-table',
        columns: [
          { label: t('city.delivery'), header: true, render: (r) => link(`/tranches/${r.tranche_id}`, t('tranches.name_long', { id: r.tranche_id, model: r.model, date: formatDate(r.delivered_on) })) },
          { label: t('city.school'), render: (r) => link(`/schools/${encodeURIComponent(r.school_number)}`, `${r.school_name || ''} (${r.school_number})`) },
          { label: t('tranches.progress'), render: (r) => trancheProgress(r) },
          { label: t('progress.in_manifest'), numeric: true, render: (r) => formatNumber(r.in_manifest) },
          { label: t('progress.managed'), numeric: true, render: (r) => formatNumber(r.managed) },
          { label: t('progress.seen_last_7_days'), numeric: true, render: (r) => formatNumber(r.seen_last_7_days) },
          { label: t('city_overview.open'), numeric: true, render: (r) => formatNumber(open(r)) },
        ],
        rows: top,
      }),
      h('p', { class: 'kern-body' }, link('/tranches', t('city_overview.all_deliveries', { count: formatNumber(tot.tranches ?? items.length) }))));
  })();

  // 4. Site agents that have gone silent (first page).
  (async () => {
    let page;
    try {
      page = await api.get('/agents', { state: 'silent', limit: AGENTS_LIMIT });
    } catch (err) {
      if (!ctx.isCurrent()) return;
      replaceBody(agentsSec, errorAlert(err));
      return;
    }
    // Only agents the server calls silent (an older server ignores the filter and sends no state).
    const agents = ((page && page.items) || []).filter((a) => a.state === 'silent');
    const names = new Map();
    await Promise.all([...new Set(agents.filter((a) => !a.school_name).map((a) => a.school_number))].map(async (n) => {
      try { names.set(n, (await api.get(`/schools/${encodeURIComponent(n)}`)).name); } catch (_) { /* the number is enough */ }
    }));
    if (!ctx.isCurrent()) return;
    if (!agents.length) {
      replaceBody(agentsSec, h('p', { class: 'kern-body' }, t('city_overview.no_silent_agents')),
        h('p', { class: 'kern-body' }, link('/agents', t('city_overview.all_agents'))));
      return;
    }
    replaceBody(agentsSec,
      h('p', { class: 'kern-body' }, t('city_overview.silent_intro')),
      dataTable({
        caption: t('city_overview.silent_caption'),
        captionHidden: true,
        columns: [
          {
            label: t('city.school'),
            header: true,
            render: (a) => link(`/agents?school_number=${encodeURIComponent(a.school_number)}`,
              `${a.school_name || names.get(a.school_number) || ''} (${a.school_number})`.trim()),
          },
          { label: t('overview.agent_host'), render: (a) => h('span', { class: 'app-mono' }, a.hostname) },
          { label: t('overview.agent_version'), render: (a) => a.agent_version || t('app.none') },
          { label: t('overview.agent_last_checkin'), render: (a) => (a.last_checkin_at ? formatDateTime(a.last_checkin_at) : t('overview.agent_never')) },
        ],
        rows: agents,
      }),
      h('p', { class: 'kern-body' }, link('/agents?state=silent', page.next_cursor ? t('city_overview.more_silent') : t('city_overview.all_silent'))));
  })();

  // 5. Grants with the share spent and their deadlines.
  (async () => {
    const { report, error } = await fundingP;
    if (!ctx.isCurrent()) return;
    if (error) {
      replaceBody(grantsSec, errorAlert(error));
      return;
    }
    const grants = report.grants || [];
    if (!grants.length) {
      replaceBody(grantsSec, h('p', { class: 'kern-body' }, t('city.no_grants')), h('p', { class: 'kern-body' }, link('/grants', t('nav.grants'))));
      return;
    }
    const shown = grants.slice(0, GRANTS_TOP);
    replaceBody(grantsSec,
      dataTable({
        caption: t('city_overview.grants_caption'),
        captionHidden: true,
        className: 'app-grants-table',
        columns: [
          { label: t('city.grant_reference'), header: true, render: (g) => link(`/funding?grant_id=${g.id}`, g.reference) },
          { label: t('city.grant_programme'), render: (g) => g.programme },
          { label: t('city_overview.spent'), render: (g) => grantShareBar(g) },
          { label: t('city.grant_spend_by'), render: (g) => h('span', {}, formatDate(g.spend_by), h('br'), h('span', { class: 'app-muted' }, daysText(g.days_to_spend_by))) },
          { label: t('city_overview.earmark_end'), render: (g) => formatDate(g.earmark_end) },
          { label: t('city_overview.state'), render: (g) => atRiskBadge(g) },
        ],
        rows: shown,
      }),
      h('p', { class: 'kern-body' },
        link('/funding', grants.length > shown.length ? t('city_overview.more_grants', { count: formatNumber(grants.length) }) : t('city_overview.funding_link')),
        ' · ', link('/grants', t('city_overview.grants_link'))));
  })();

  return undefined;
}

/** The risks as items {kind, severity, text, links: [[href, text], ...]}, most urgent first. */
function riskItems(funding, earmark) {
  const out = [];
  for (const g of funding.grants || []) {
    const fundingLink = [`/funding?grant_id=${g.id}`, t('city_overview.to_funding', { reference: g.reference })];
    if (g.at_risk) {
      out.push({
        severity: g.at_risk_reason === 'spend_by_passed' ? 'danger' : 'warning',
        kind: t(`funding.at_risk_${g.at_risk_reason}`),
        text: t(`city_overview.risk_${g.at_risk_reason}`, {
          reference: g.reference, remaining: formatMoney(g.remaining_cents), date: formatDate(g.spend_by),
          when: daysText(g.days_to_spend_by),
        }),
        links: [fundingLink],
      });
    }
    if (g.schools_above_school_cap.length) {
      const names = new Map(g.schools.map((s) => [s.school_number, s.name]));
      const list = g.schools_above_school_cap.slice(0, LIST_SHOWN).map((n) => `${names.get(n) || ''} (${n})`.trim());
      out.push({
        severity: 'danger',
        kind: t('city_overview.kind_school_cap'),
        text: t('city_overview.risk_school_cap', {
          reference: g.reference, count: formatNumber(g.schools_above_school_cap.length), cap: formatMoney(g.max_per_school_cents),
          schools: list.join('; ') + (g.schools_above_school_cap.length > list.length ? ' …' : ''),
        }),
        links: [fundingLink],
      });
    }
    if (g.tranches_above_unit_cap.length) {
      out.push({
        severity: 'danger',
        kind: t('city_overview.kind_unit_cap'),
        text: t('city_overview.risk_unit_cap', {
          reference: g.reference, count: formatNumber(g.tranches_above_unit_cap.length), devices: formatNumber(g.devices_above_unit_cap),
          cap: formatMoney(g.max_unit_price_cents),
        }),
        links: [...g.tranches_above_unit_cap.slice(0, LIST_SHOWN).map((id) => [`/tranches/${id}`, t('tranches.name', { id })]), fundingLink],
      });
    }
  }
  for (const e of (earmark && earmark.items) || []) {
    const base = { reference: e.reference, date: formatDate(e.earmark_end) };
    if (e.lost) {
      out.push({
        severity: 'danger', kind: t('city_overview.kind_lost'),
        text: t('city_overview.risk_lost', { ...base, count: formatNumber(e.lost) }),
        links: [[`/devices?grant_id=${e.grant_id}&status=lost`, t('city_overview.show_lost', { reference: e.reference })]],
      });
    }
    if (e.stolen) {
      out.push({
        severity: 'danger', kind: t('city_overview.kind_stolen'),
        text: t('city_overview.risk_stolen', { ...base, count: formatNumber(e.stolen) }),
        links: [[`/devices?grant_id=${e.grant_id}&status=stolen`, t('city_overview.show_stolen', { reference: e.reference })]],
      });
    }
    if (e.unseen_30_days) {
      out.push({
        severity: 'warning', kind: t('city_overview.kind_unseen'),
        text: t('city_overview.risk_unseen', { ...base, count: formatNumber(e.unseen_30_days), enrolled: formatNumber(e.enrolled) }),
        links: [[`/devices?grant_id=${e.grant_id}&unseen_days=30`, t('city_overview.show_unseen', { reference: e.reference })]],
      });
    }
  }
  const rank = { danger: 0, warning: 1 };
  return out.map((item, i) => ({ ...item, i })).sort((a, b) => rank[a.severity] - rank[b.severity] || a.i - b.i);
}

function riskItem(item) {
  return h('li', { class: `app-risk app-risk--${item.severity}` },
    badge(item.kind, item.severity),
    h('p', { class: 'kern-body app-risk__text' }, item.text),
    h('p', { class: 'kern-body app-risk__links' }, item.links.map(([href, text], i) => [i ? ' · ' : null, link(href, text)])));
}

function replaceBody(sec, ...nodes) {
  const heading = sec.querySelector('h2');
  sec.replaceChildren(heading, ...nodes.filter(Boolean));
}
