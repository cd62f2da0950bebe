// One delivery: data, rollout funnel (numbers + bars), reconciliation, links to scanning and labels.
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api, ApiProblem } from '../js/api.js';
import { formatDate, formatMoney, formatNumber } from '../js/format.js';
import { barChart } from '../js/charts.js';
import { pageTitle, descList, dataTable, section, link, buttonLink, errorAlert, alertBox, loading } from '../js/ui.js';

const STEPS = ['expected', 'in_manifest', 'enrolled', 'managed', 'seen_last_7_days', 'loaned', 'missing'];
const STEP_COLORS = {
  expected: '#4c5270', in_manifest: '#006b8c', enrolled: '#1a3da5', managed: '#007155',
  seen_last_7_days: '#007155', loaned: '#925400', missing: '#c31c13',
};
const LIST_MAX = 200;

function serialList(serials, { linked }) {
  const shown = serials.slice(0, LIST_MAX);
  return [
    h('ul', { class: 'app-serials' }, shown.map((s) => h('li', { class: 'app-mono' },
      linked ? link(`/devices/${encodeURIComponent(s)}`, s) : s))),
    serials.length > shown.length ? h('p', { class: 'kern-body app-muted' }, t('tranche.more_items', { count: formatNumber(serials.length - shown.length) })) : null,
  ];
}

export async function render(main, ctx) {
  const id = ctx.params.id;
  ctx.setTitle(t('tranche.title', { id }));
  main.appendChild(pageTitle(t('tranche.title', { id })));
  const body = h('div', {}, loading());
  main.appendChild(body);

  let tr;
  try {
    tr = await api.get(`/tranches/${encodeURIComponent(id)}`);
  } catch (err) {
    if (!ctx.isCurrent()) return undefined;
    body.replaceChildren(err instanceof ApiProblem && err.status === 404 ? alertBox('warning', t('errors.404')) : errorAlert(err));
    return undefined;
  }
  if (!ctx.isCurrent()) return undefined;
  const p = tr.progress || {};
  let school = null;
  try { school = await api.get(`/schools/${encodeURIComponent(tr.school_number)}`); } catch (_) { /* name is optional */ }
  if (!ctx.isCurrent()) return undefined;
  ctx.setTitle(t('tranche.title', { id }) + ' · ' + tr.model);

  const actions = h('div', { class: 'app-actions' },
    ctx.canWrite ? buttonLink(`/tranches/${tr.id}/scan`, t('tranche.scan'), 'primary') : null,
    buttonLink(`/tranches/${tr.id}/labels`, t('tranche.labels'), 'secondary'),
    link(`/devices?tranche_id=${tr.id}&school_number=${encodeURIComponent(tr.school_number)}`, t('tranche.devices')));

  const data = section(t('tranche.data'), descList([
    [t('tranches.school'), school ? `${school.name} (${tr.school_number})` : tr.school_number],
    [t('tranches.delivered_on'), formatDate(tr.delivered_on)],
    [t('tranches.model'), tr.model],
    [t('tranches.expected'), formatNumber(tr.expected_count)],
    [t('tranches.unit_price'), formatMoney(tr.unit_price_cents)],
    [t('tranches.supplier'), tr.supplier],
    [t('tranches.order_number'), tr.order_number],
    [t('tranches.delivery_note'), tr.delivery_note],
    [t('tranche.grant'), ctx.user.role === 'city_admin'
      ? link(`/grants/${tr.grant_id}`, tr.grant_reference || String(tr.grant_id))
      : [tr.grant_reference || String(tr.grant_id), tr.programme].filter(Boolean).join(' · ')],
  ]));

  const rows = STEPS.map((s) => ({ step: s, value: p[s] || 0 }));
  const funnel = section(t('tranche.funnel'),
    h('p', { class: 'kern-body kern-body--large' }, t('progress.summary', { enrolled: formatNumber(p.enrolled || 0), expected: formatNumber(p.expected || tr.expected_count || 0) })),
    h('div', { class: 'app-grid' },
      h('div', {}, barChart(rows.map((r) => ({ label: t(`progress.${r.step}`), value: r.value, color: STEP_COLORS[r.step] })),
        { label: t('tranche.funnel_chart_label') })),
      h('div', {}, dataTable({
        caption: t('tranche.funnel_caption'),
        columns: [
          { label: t('tranche.step'), header: true, render: (r) => t(`progress.${r.step}`) },
          { label: t('tranche.count'), numeric: true, render: (r) => formatNumber(r.value) },
        ],
        rows,
      }))));

  const recon = section(t('tranche.reconciliation'), loading());
  body.replaceChildren(actions, h('div', { class: 'app-grid' }, data), funnel, recon);

  let rec;
  try {
    rec = await api.get(`/tranches/${encodeURIComponent(id)}/reconciliation`);
  } catch (err) {
    if (!ctx.isCurrent()) return undefined;
    recon.replaceChildren(recon.querySelector('h2'), errorAlert(err));
    return undefined;
  }
  if (!ctx.isCurrent()) return undefined;
  const missing = rec.missing || [];
  const unexpected = rec.unexpected || [];
  const notSeen = rec.not_seen || [];
  const block = (title, list, emptyText, linked) => h('div', {},
    h('h3', { class: 'kern-heading-small' }, title, ' ', h('span', { class: 'app-muted' }, `(${t('tranche.count_items', { count: formatNumber(list.length) })})`)),
    list.length ? serialList(list, { linked }) : h('p', { class: 'kern-body' }, emptyText));
  recon.replaceChildren(...[recon.querySelector('h2'),
    !p.in_manifest ? h('p', { class: 'kern-body app-muted' }, t('tranche.no_manifest')) : null,
    block(t('tranche.missing'), missing, t('tranche.none_missing'), false),
    block(t('tranche.unexpected'), unexpected, t('tranche.none_unexpected'), true),
    block(t('tranche.not_seen'), notSeen, t('tranche.none_not_seen'), true)].filter(Boolean));
  return undefined;
}
