// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Grants (Förderbescheide), municipal IT only: a paged list with programme, amount, spend, the
// deadlines and the programme's caps next to each grant; a form to book a new grant. The grant
// form's fields are shared with the grant page's edit form (pages/grant.js).
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api, ApiProblem } from '../js/api.js';
import { formatDate, formatMoney, formatNumber, parseMoney, centsToInput, todayISO } from '../js/format.js';
import { showErrors, clearErrors } from '../js/forms.js';
import { pagedList } from '../js/table.js';
import { navigate, updateQuery } from '../js/router.js';
import { progressBar } from '../js/charts.js';
import { formatShare } from '../js/summary.js';
import {
  pageTitle, dataTable, link, alertBox, badge, button, inputField, selectField, disclosure, loading,
} from '../js/ui.js';

/** Programmes by code (GET /programmes answers all of them in one page). */
export async function loadProgrammes() {
  const data = await api.get('/programmes');
  return new Map(((data && data.items) || []).map((p) => [p.code, p]));
}

export function programmeName(programmes, code) {
  const p = programmes.get(code);
  return p ? `${p.name} (${p.code})` : code;
}

/** The programme's caps as a list of lines ("höchstens 500,00 € je Gerät", …). */
export function capsLines(p) {
  if (!p) return [];
  const lines = [];
  if (p.max_unit_price_cents !== null && p.max_unit_price_cents !== undefined) lines.push(t('grants.cap_unit', { amount: formatMoney(p.max_unit_price_cents) }));
  if (p.max_per_school_cents !== null && p.max_per_school_cents !== undefined) lines.push(t('grants.cap_school', { amount: formatMoney(p.max_per_school_cents) }));
  if (!p.funds_devices) lines.push(t('grants.no_devices'));
  if (!lines.length) lines.push(t('grants.no_caps'));
  return lines;
}

export function capsCell(p) {
  return h('ul', { class: 'app-plain-list' }, capsLines(p).map((line) => h('li', {}, line)));
}

/** The end of the earmarking period: 31 December of the fifth calendar year after spend_by. */
export function earmarkEndFor(spendBy) {
  const m = /^(\d{4})-\d{2}-\d{2}$/.exec(String(spendBy || ''));
  return m ? `${Number(m[1]) + 5}-12-31` : '';
}

/** spend_by with a badge once it has passed (a badge: text, not colour alone). */
export function spendByCell(spendBy) {
  const passed = spendBy && spendBy < todayISO();
  return h('span', {}, formatDate(spendBy), passed ? [' ', badge(t('grants.spend_by_passed'), 'warning')] : null);
}

/** Spend against the amount, from a grant of GET /reports/funding (null: the programme funds no devices). */
export function spendCell(report, grant) {
  if (!report) return h('span', { class: 'app-muted' }, t('grants.no_spend'));
  const pct = report.share_used_pct;
  const text = t('grants.spend_text', {
    spend: formatMoney(report.spend_cents),
    share: formatShare(pct),
  });
  return h('div', { class: 'app-stack' },
    progressBar(report.spend_cents, grant.amount_cents, text),
    report.at_risk ? h('span', {}, badge(t(`grants.at_risk_${report.at_risk_reason || 'spend_by_near'}`), 'danger')) : null);
}

/** The grant's figures of the proof of use, or null where there are none (no devices). */
export async function loadGrantFigures(id) {
  try {
    const data = await api.get('/reports/funding', { grant_id: id });
    return (data && data.grants && data.grants[0]) || null;
  } catch (err) {
    if (err instanceof ApiProblem && err.status === 404) return null;
    throw err;
  }
}

/**
 * The fields of a grant (create and edit). values: a grant or {}; with `programmes` given, a
 * programme choice comes first (the programme of an existing grant cannot change).
 */
export function grantFields(prefix, values = {}, { programmes = null } = {}) {
  const fields = [];
  if (programmes) {
    fields.push(selectField({
      id: `${prefix}-programme`, name: 'programme', label: t('grants.programme'), value: values.programme || '',
      options: [['', t('grants.choose')], ...[...programmes.values()].map((p) => [p.code, `${p.name} (${p.code})`])],
    }));
  }
  const earmark = h('p', { class: 'kern-hint app-earmark-hint', id: `${prefix}-earmark`, 'aria-live': 'polite' });
  fields.push(
    inputField({ id: `${prefix}-reference`, name: 'reference', label: t('grants.reference'), hint: t('grants.reference_hint'), value: values.reference || '', attrs: { maxlength: '64', autocomplete: 'off', spellcheck: 'false' } }),
    inputField({ id: `${prefix}-title`, name: 'title', label: t('grants.title_field'), value: values.title || '', optional: true, attrs: { maxlength: '300', autocomplete: 'off' } }),
    inputField({ id: `${prefix}-amount`, name: 'amount_cents', label: t('grants.amount'), hint: t('grants.money_hint'), value: centsToInput(values.amount_cents), attrs: { inputmode: 'decimal', autocomplete: 'off', class: 'kern-form-input__input app-input-money' } }),
    inputField({ id: `${prefix}-own`, name: 'own_contribution_cents', label: t('grants.own_contribution'), hint: t('grants.money_hint'), value: centsToInput(values.own_contribution_cents), optional: true, attrs: { inputmode: 'decimal', autocomplete: 'off', class: 'kern-form-input__input app-input-money' } }),
    inputField({ id: `${prefix}-approved_on`, name: 'approved_on', type: 'date', label: t('grants.approved_on'), value: values.approved_on || '' }),
    inputField({ id: `${prefix}-spend_by`, name: 'spend_by', type: 'date', label: t('grants.spend_by'), hint: t('grants.spend_by_hint'), value: values.spend_by || '' }));
  const spendField = fields[fields.length - 1];
  spendField.appendChild(earmark);
  const spendInput = spendField.querySelector('input');
  spendInput.setAttribute('aria-describedby', `${prefix}-spend_by-hint ${prefix}-earmark`);
  const showEarmark = () => {
    const end = earmarkEndFor(spendInput.value);
    earmark.textContent = end ? t('grants.earmark_preview', { date: formatDate(end) }) : '';
  };
  spendInput.addEventListener('change', showEarmark);
  spendInput.addEventListener('input', showEarmark);
  showEarmark();
  return fields;
}

/**
 * Reads a grant form: {body, errors}. With `original` only changed fields go into the body.
 * Own messages in the current language; the server checks everything again.
 */
export function readGrantForm(form, original = null) {
  const el = form.elements;
  const errors = [];
  const body = {};
  const text = (name) => String(el[name] ? el[name].value : '').trim();
  if (el.programme) {
    if (!text('programme')) errors.push({ field: 'programme', message: t('forms.required', { field: t('grants.programme') }) });
    else body.programme = text('programme');
  }
  if (!text('reference')) errors.push({ field: 'reference', message: t('forms.required', { field: t('grants.reference') }) });
  body.reference = text('reference');
  body.title = text('title');
  const amount = parseMoney(text('amount_cents'));
  if (!text('amount_cents')) errors.push({ field: 'amount_cents', message: t('forms.required', { field: t('grants.amount') }) });
  else if (amount === null) errors.push({ field: 'amount_cents', message: t('grants.money_invalid', { field: t('grants.amount') }) });
  body.amount_cents = amount;
  if (text('own_contribution_cents')) {
    const own = parseMoney(text('own_contribution_cents'));
    if (own === null) errors.push({ field: 'own_contribution_cents', message: t('grants.money_invalid', { field: t('grants.own_contribution') }) });
    body.own_contribution_cents = own;
  } else {
    body.own_contribution_cents = 0;
  }
  if (!text('approved_on')) errors.push({ field: 'approved_on', message: t('forms.required', { field: t('grants.approved_on') }) });
  body.approved_on = text('approved_on');
  if (!text('spend_by')) errors.push({ field: 'spend_by', message: t('forms.required', { field: t('grants.spend_by') }) });
  else if (text('approved_on') && text('spend_by') < text('approved_on')) errors.push({ field: 'spend_by', message: t('grants.spend_by_before_approval') });
  body.spend_by = text('spend_by');
  if (original) {
    for (const k of Object.keys(body)) {
      if (body[k] === original[k] || (body[k] === '' && (original[k] === null || original[k] === undefined))) delete body[k];
    }
  }
  return { body, errors };
}

// The server's field names are the form's names; a few of its reasons in the user's language
// (null: showErrors' generic "please check …" text).
const GRANT_ERRORS = {
  spend_by: { name: 'spend_by', message: (e) => (/approved_on/.test(e.message || '') ? t('grants.spend_by_before_approval') : null) },
  reference: { name: 'reference', message: (e) => (/exists|duplicate|taken|already/i.test(e.message || '') ? t('grants.reference_taken') : null) },
};

/** Shows an API error on a grant form (a 409 without fields is a duplicate reference). */
export function showGrantErrors(form, err) {
  if (err instanceof ApiProblem && err.status === 409 && !err.errors.length) {
    showErrors(form, [{ field: 'reference', message: t('grants.reference_taken') }]);
    return;
  }
  showErrors(form, err, GRANT_ERRORS);
}

function createForm(programmes, open) {
  const form = h('form', { class: 'app-form', id: 'grant-create', novalidate: true },
    grantFields('new-grant', {}, { programmes }),
    h('div', { class: 'app-actions' }, button(t('grants.create_submit'), { type: 'submit' })));
  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    clearErrors(form);
    const { body, errors } = readGrantForm(form);
    if (errors.length) { showErrors(form, errors); return; }
    busy = true;
    let created;
    try {
      created = await api.post('/grants', body);
    } catch (err) {
      busy = false;
      showGrantErrors(form, err);
      return;
    }
    busy = false;
    navigate(`/grants/${created.id}?created=1`);
  });
  return disclosure({ title: t('grants.create'), open, id: 'grant-create-panel' }, form);
}

export async function render(main, ctx) {
  ctx.setTitle(t('grants.title'));
  main.appendChild(pageTitle(t('grants.title'), t('grants.intro')));
  if (ctx.user.role !== 'city_admin') {
    main.append(alertBox('info', t('grants.forbidden')), h('p', { class: 'kern-body' }, link('/', t('app.home'))));
    return undefined;
  }
  const body = h('div', {}, loading());
  main.appendChild(body);
  let programmes;
  try {
    programmes = await loadProgrammes();
  } catch (err) {
    if (!ctx.isCurrent()) return undefined;
    body.replaceChildren(alertBox('danger', t('errors.unexpected')));
    return undefined;
  }
  if (!ctx.isCurrent()) return undefined;
  const programme = ctx.query.get('programme') || '';

  const filter = h('form', { class: 'app-filters', method: 'get', action: '/grants', role: 'search', 'aria-label': t('grants.filter_label') },
    selectField({ id: 'programme-filter', name: 'programme', label: t('grants.programme'), value: programme,
      options: [['', t('grants.all_programmes')], ...[...programmes.values()].map((p) => [p.code, `${p.name} (${p.code})`])] }),
    h('div', { class: 'app-filters__actions' }, button(t('grants.filter'), { type: 'submit' })));
  filter.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (filter.elements.programme.value) p.set('programme', filter.elements.programme.value);
    updateQuery(p);
  });

  const list = pagedList({
    path: '/grants',
    query: { programme },
    limit: 20,
    label: t('grants.caption'),
    emptyText: programme ? t('grants.empty_filtered') : t('grants.empty'),
    renderPage: (items) => {
      const spendCells = new Map(items.map((g) => [g.id, h('div', {}, h('span', { class: 'app-muted' }, t('app.loading')))]));
      // The spend of the grants on this page only: one small report per grant, never all grants.
      Promise.all(items.map(async (g) => {
        let cell;
        try {
          cell = spendCell(await loadGrantFigures(g.id), g);
        } catch (_) {
          cell = h('span', { class: 'app-muted' }, t('grants.spend_unavailable'));
        }
        if (ctx.isCurrent()) spendCells.get(g.id).replaceChildren(cell);
      }));
      return dataTable({
        caption: t('grants.caption'),
        captionHidden: true,
        className: 'app-grants-table',
        columns: [
          {
            label: t('grants.reference'), header: true,
            render: (g) => h('span', { class: 'app-stack' }, link(`/grants/${g.id}`, g.reference),
              g.title ? h('span', { class: 'kern-body--small app-muted' }, g.title) : null),
          },
          { label: t('grants.programme'), render: (g) => programmeName(programmes, g.programme) },
          {
            label: t('grants.amount'), numeric: true,
            render: (g) => h('span', { class: 'app-stack' }, formatMoney(g.amount_cents),
              g.own_contribution_cents ? h('span', { class: 'kern-body--small app-muted' }, t('grants.own_short', { amount: formatMoney(g.own_contribution_cents) })) : null),
          },
          { label: t('grants.spent'), render: (g) => spendCells.get(g.id) },
          { label: t('grants.spend_by_short'), render: (g) => spendByCell(g.spend_by) },
          { label: t('grants.earmark_end'), render: (g) => formatDate(g.earmark_end) },
          { label: t('grants.caps'), render: (g) => capsCell(programmes.get(g.programme)) },
        ],
        rows: items,
      });
    },
  });

  body.replaceChildren(createForm(programmes, ctx.query.get('new') === '1'), filter, list.element);
  return undefined;
}
