// Overview: for the school roles their school(s) at a glance; for city_admin all schools.
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api } from '../js/api.js';
import { formatDate, formatMoney, formatNumber } from '../js/format.js';
import { schoolSummary, statusBlock, trancheProgress } from '../js/summary.js';
import { pageTitle, alertBox, section, dataTable, errorAlert, loading, link, STATUSES } from '../js/ui.js';

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

const MAX_SCHOOL_PAGES = 40; // 40 × 500 = 20,000 schools: far beyond any municipality

async function renderCity(main, ctx) {
  ctx.setTitle(t('city.title'));
  main.appendChild(pageTitle(t('city.title'), t('city.intro')));

  const totalsSec = section(t('city.totals'), loading());
  const rolloutSec = section(t('city.rollout'), loading());
  const grantsSec = section(t('city.grants'), loading());
  main.append(totalsSec, rolloutSec, grantsSec);

  // 1. Totals over all schools (sum of the pages of GET /schools).
  (async () => {
    const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    let total = 0;
    let schoolCount = 0;
    let cursor = null;
    let pages = 0;
    try {
      do {
        const page = await api.get('/schools', { limit: 500, cursor });
        for (const s of page.items || []) {
          schoolCount += 1;
          const c = s.device_counts || {};
          total += c.total || 0;
          for (const st of STATUSES) byStatus[st] += (c.by_status && c.by_status[st]) || 0;
        }
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor && pages < MAX_SCHOOL_PAGES);
    } catch (err) {
      if (!ctx.isCurrent()) return;
      replaceBody(totalsSec, errorAlert(err));
      return;
    }
    if (!ctx.isCurrent()) return;
    replaceBody(totalsSec,
      h('p', { class: 'kern-body kern-body--large' }, t('city.schools_count', { count: formatNumber(schoolCount) }), ' · ',
        t('overview.total'), ': ', formatNumber(total)),
      cursor ? h('p', { class: 'kern-body app-muted' }, t('city.schools_partial', { count: formatNumber(schoolCount) })) : null,
      statusBlock(byStatus, total, {
        caption: t('city.totals_caption'),
        linkFor: (status) => `/devices?status=${status}`,
      }));
  })();

  // 2. Rollout per delivery (first 50 rows).
  (async () => {
    let report;
    try {
      report = await api.get('/reports/rollout');
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
    const rows = items.slice(0, 50);
    const tot = report.totals;
    replaceBody(rolloutSec,
      tot ? h('p', { class: 'kern-body' }, t('progress.summary', { enrolled: formatNumber(tot.enrolled), expected: formatNumber(tot.expected) }),
        ' · ', t('progress.missing'), ': ', formatNumber(tot.missing),
        ' · ', t('progress.loaned'), ': ', formatNumber(tot.loaned)) : null,
      dataTable({
        caption: t('city.rollout_caption', { count: rows.length }),
        captionHidden: true,
        columns: [
          { label: t('city.delivery'), header: true, render: (r) => link(`/tranches/${r.tranche_id}`, t('tranches.name_long', { id: r.tranche_id, model: r.model, date: formatDate(r.delivered_on) })) },
          { label: t('city.school'), render: (r) => link(`/schools/${encodeURIComponent(r.school_number)}`, `${r.school_name} (${r.school_number})`) },
          { label: t('tranches.progress'), render: (r) => trancheProgress(r) },
          { label: t('progress.seen_last_7_days'), numeric: true, render: (r) => formatNumber(r.seen_last_7_days) },
          { label: t('progress.loaned'), numeric: true, render: (r) => formatNumber(r.loaned) },
          { label: t('progress.missing'), numeric: true, render: (r) => formatNumber(r.missing) },
        ],
        rows,
      }),
      items.length > rows.length ? h('p', { class: 'kern-body app-muted' }, t('city.rollout_more', { count: rows.length })) : null);
  })();

  // 3. A short list of grants.
  (async () => {
    let page;
    try {
      page = await api.get('/grants', { limit: 10 });
    } catch (err) {
      if (!ctx.isCurrent()) return;
      replaceBody(grantsSec, errorAlert(err));
      return;
    }
    if (!ctx.isCurrent()) return;
    const items = (page && page.items) || [];
    if (!items.length) {
      replaceBody(grantsSec, h('p', { class: 'kern-body' }, t('city.no_grants')));
      return;
    }
    replaceBody(grantsSec,
      dataTable({
        caption: t('city.grants_caption'),
        captionHidden: true,
        columns: [
          { label: t('city.grant_reference'), header: true, render: (g) => g.reference },
          { label: t('city.grant_title'), render: (g) => g.title },
          { label: t('city.grant_programme'), render: (g) => g.programme },
          { label: t('city.grant_amount'), numeric: true, render: (g) => formatMoney(g.amount_cents) },
          { label: t('city.grant_spend_by'), render: (g) => formatDate(g.spend_by) },
        ],
        rows: items,
      }),
      page.next_cursor ? h('p', {}, link('/grants', t('nav.grants'))) : null);
  })();

  return undefined;
}

function replaceBody(sec, ...nodes) {
  const heading = sec.querySelector('h2');
  sec.replaceChildren(heading, ...nodes.filter(Boolean));
}
