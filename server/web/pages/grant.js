// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// One grant (Förderbescheid): its details and the programme's caps, the spend so far (figures of
// GET /reports/funding), an edit form, its deliveries (paged) and the way to its proof of use.
import { h, announce } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api, ApiProblem } from '../js/api.js';
import { formatDate, formatDateTime, formatMoney, formatNumber } from '../js/format.js';
import { showErrors, clearErrors } from '../js/forms.js';
import { pagedList } from '../js/table.js';
import { formatShare, trancheProgress } from '../js/summary.js';
import { progressBar } from '../js/charts.js';
import {
  pageTitle, descList, dataTable, section, link, buttonLink, alertBox, errorAlert, badge, button, disclosure, loading,
} from '../js/ui.js';
import {
  loadProgrammes, capsCell, spendByCell, loadGrantFigures, grantFields, readGrantForm, showGrantErrors,
} from './grants.js';
import { schoolNameCache } from '../js/school_picker.js';

function figuresBlock(grant, figures) {
  if (!figures) return [h('p', { class: 'kern-body' }, t('grant_page.no_figures'))];
  const pct = figures.share_used_pct;
  const parts = [
    h('div', { class: 'app-spend' },
      progressBar(figures.spend_cents, grant.amount_cents, t('grant_page.share_text', {
        share: formatShare(pct),
        amount: formatMoney(grant.amount_cents),
      })),
      figures.at_risk ? h('p', { class: 'kern-body' }, badge(t(`grants.at_risk_${figures.at_risk_reason || 'spend_by_near'}`), 'danger')) : null),
  ];
  parts.push(descList([
    [t('grant_page.spend'), formatMoney(figures.spend_cents)],
    [t('grant_page.remaining'), formatMoney(figures.remaining_cents)],
    [t('grant_page.devices'), t('grant_page.devices_text', { enrolled: formatNumber(figures.enrolled), expected: formatNumber(figures.expected), delivered: formatNumber(figures.delivered) })],
    [t('grant_page.unit_cap_breaches'), figures.tranches_above_unit_cap && figures.tranches_above_unit_cap.length
      ? h('span', {}, badge(t('grant_page.breach'), 'danger'), ' ',
        figures.tranches_above_unit_cap.map((id, i) => [i ? ', ' : '', link(`/tranches/${id}`, t('tranches.name', { id }))]))
      : t('grant_page.no_breach')],
    [t('grant_page.school_cap_breaches'), figures.schools_above_school_cap && figures.schools_above_school_cap.length
      ? h('span', {}, badge(t('grant_page.breach'), 'danger'), ' ',
        figures.schools_above_school_cap.map((n, i) => [i ? ', ' : '', link(`/schools/${encodeURIComponent(n)}`, n)]))
      : t('grant_page.no_breach')],
  ], t('grant_page.figures')));
  return parts;
}

export async function render(main, ctx) {
  const id = ctx.params.id;
  ctx.setTitle(t('grant_page.title_plain'));
  const title = pageTitle(t('grant_page.title_plain'));
  const flash = h('div', { class: 'app-flash' });
  const body = h('div', {}, loading());
  main.append(title, flash, body);
  if (ctx.user.role !== 'city_admin') {
    body.replaceChildren(alertBox('info', t('grants.forbidden')), h('p', { class: 'kern-body' }, link('/', t('app.home'))));
    return undefined;
  }
  if (!/^\d+$/.test(id)) {
    body.replaceChildren(alertBox('warning', t('errors.404')));
    return undefined;
  }
  const names = schoolNameCache();

  function showFlash(text, focus = true) {
    const a = alertBox('success', text);
    a.setAttribute('tabindex', '-1');
    flash.replaceChildren(a);
    if (focus) a.focus();
    announce(text);
  }

  async function load() {
    let grant;
    let programmes;
    let figures;
    try {
      [grant, programmes, figures] = await Promise.all([
        api.get(`/grants/${encodeURIComponent(id)}`), loadProgrammes(), loadGrantFigures(id)]);
    } catch (err) {
      if (!ctx.isCurrent()) return null;
      body.replaceChildren(err instanceof ApiProblem && err.status === 404 ? alertBox('warning', t('errors.404')) : errorAlert(err));
      return null;
    }
    if (!ctx.isCurrent()) return null;
    const programme = programmes.get(grant.programme);
    const heading = t('grant_page.title', { reference: grant.reference });
    title.querySelector('h1').textContent = heading;
    ctx.setTitle(heading);

    const actions = h('div', { class: 'app-actions no-print' },
      !programme || programme.funds_devices ? buttonLink(`/tranches?new=1&grant_id=${grant.id}`, t('grant_page.new_delivery'), 'primary') : null,
      link(`/funding?grant_id=${grant.id}`, t('grant_page.funding_link')));

    const details = section(t('grant_page.details'), descList([
      [t('grants.programme'), programme ? `${programme.name} (${programme.code})` : grant.programme],
      [t('grants.reference'), grant.reference],
      [t('grants.title_field'), grant.title],
      [t('grants.amount'), formatMoney(grant.amount_cents)],
      [t('grants.own_contribution'), formatMoney(grant.own_contribution_cents)],
      [t('grant_page.federal_share'), programme ? `${formatNumber(programme.federal_share_pct)} %` : null],
      [t('grants.approved_on'), formatDate(grant.approved_on)],
      [t('grants.spend_by'), spendByCell(grant.spend_by)],
      [t('grants.earmark_end'), formatDate(grant.earmark_end)],
      [t('grants.caps'), capsCell(programme)],
      [t('grant_page.updated_at'), formatDateTime(grant.updated_at)],
    ], t('grant_page.details')));

    const spend = section(t('grant_page.spend_title'), ...figuresBlock(grant, figures));

    const form = h('form', { class: 'app-form', id: 'grant-edit', novalidate: true },
      h('p', { class: 'kern-body' }, t('grant_page.programme_fixed', { programme: programme ? programme.name : grant.programme })),
      grantFields('grant-edit', grant),
      h('div', { class: 'app-actions' }, button(t('grant_page.edit_submit'), { type: 'submit' })));
    let busy = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (busy) return;
      clearErrors(form);
      const { body: changes, errors } = readGrantForm(form, grant);
      if (errors.length) { showErrors(form, errors); return; }
      if (!Object.keys(changes).length) { showFlash(t('grant_page.unchanged')); return; }
      busy = true;
      try {
        await api.patch(`/grants/${encodeURIComponent(grant.id)}`, changes);
      } catch (err) {
        busy = false;
        showGrantErrors(form, err);
        return;
      }
      busy = false;
      const shown = await load();
      if (shown) showFlash(t('grant_page.saved'));
    });
    const edit = h('div', { class: 'app-section' }, disclosure({ title: t('grant_page.edit'), id: 'grant-edit-panel' }, form));

    const deliveries = pagedList({
      path: '/tranches',
      query: { grant_id: grant.id },
      limit: 20,
      label: t('grant_page.deliveries'),
      emptyText: t('grant_page.no_deliveries'),
      renderPage: (items) => {
        const schoolCells = new Map();
        const table = dataTable({
          caption: t('grant_page.deliveries'),
          captionHidden: true,
          columns: [
            { label: t('city.delivery'), header: true, render: (tr) => link(`/tranches/${tr.id}`, t('tranches.name', { id: tr.id }), { class: 'kern-link app-nowrap' }) },
            {
              label: t('tranches.school'),
              render: (tr) => {
                const cell = h('span', {}, tr.school_number);
                schoolCells.set(tr.id, cell);
                return cell;
              },
            },
            { label: t('tranches.delivered_on'), render: (tr) => formatDate(tr.delivered_on) },
            { label: t('tranches.model'), render: (tr) => tr.model },
            {
              label: t('tranches.unit_price'), numeric: true,
              render: (tr) => {
                const cap = programme && programme.max_unit_price_cents;
                return h('span', {}, formatMoney(tr.unit_price_cents),
                  cap !== null && cap !== undefined && tr.unit_price_cents > cap ? [' ', badge(t('grant_page.above_cap'), 'danger')] : null);
              },
            },
            { label: t('tranches.expected'), numeric: true, render: (tr) => formatNumber(tr.expected_count) },
            { label: t('tranches.progress'), render: (tr) => trancheProgress(tr.progress || {}) },
          ],
          rows: items,
        });
        for (const tr of items) {
          names.get(tr.school_number).then((name) => {
            if (name && ctx.isCurrent()) schoolCells.get(tr.id).textContent = `${name} (${tr.school_number})`;
          });
        }
        return table;
      },
    });
    body.replaceChildren(actions, h('div', { class: 'app-grid' }, details, spend), edit,
      section(t('grant_page.deliveries'), deliveries.element));
    return grant;
  }

  const grant = await load();
  if (grant && ctx.query.get('created') === '1') {
    showFlash(t('grant_page.created', { reference: grant.reference }));
    window.history.replaceState({}, '', window.location.pathname);
  }
  return undefined;
}
