// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Deliveries (tranches) of the caller's schools, paged, with their rollout progress; for municipal
// IT a form to book a new delivery for a school (found by number or by a search) and a grant. The
// delivery fields are shared with the delivery page (pages/tranche.js).
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api } from '../js/api.js';
import { formatDate, formatMoney, formatNumber, parseMoney, centsToInput } from '../js/format.js';
import { showErrors, clearErrors } from '../js/forms.js';
import { pagedList } from '../js/table.js';
import { navigate, updateQuery } from '../js/router.js';
import {
  pageTitle, dataTable, link, selectField, inputField, button, disclosure, alertBox,
} from '../js/ui.js';
import { trancheProgress } from '../js/summary.js';
import { SCHOOL_NUMBER, schoolNameCache, schoolPicker } from '../js/school_picker.js';

/**
 * The fields of a delivery (create and edit). values: a tranche or {}. frozenUntil: the date
 * after which unit price and count are part of the proof of use (edit form; shown read-only).
 */
export function deliveryFields(prefix, values = {}, { frozenSince = null } = {}) {
  const frozen = !!frozenSince;
  const priceHint = frozen ? t('delivery_edit.frozen_hint', { date: formatDate(frozenSince) }) : t('grants.money_hint');
  const countHint = frozen ? t('delivery_edit.frozen_hint', { date: formatDate(frozenSince) }) : t('delivery_new.expected_hint');
  const price = inputField({
    id: `${prefix}-unit_price`, name: 'unit_price_cents', label: t('delivery_new.unit_price'), hint: priceHint,
    value: centsToInput(values.unit_price_cents),
    attrs: { inputmode: 'decimal', autocomplete: 'off', readOnly: frozen, class: 'kern-form-input__input app-input-money' },
  });
  const cap = h('p', { class: 'kern-hint app-cap-hint', id: `${prefix}-cap`, 'aria-live': 'polite' });
  price.appendChild(cap);
  price.querySelector('input').setAttribute('aria-describedby', `${prefix}-unit_price-hint ${prefix}-cap`);
  return {
    cap,
    fields: [
      inputField({ id: `${prefix}-delivered_on`, name: 'delivered_on', type: 'date', label: t('tranches.delivered_on'), value: values.delivered_on || '' }),
      inputField({ id: `${prefix}-model`, name: 'model', label: t('tranches.model'), hint: t('delivery_new.model_hint'), value: values.model || '', optional: true, attrs: { maxlength: '100', autocomplete: 'off' } }),
      price,
      inputField({
        id: `${prefix}-expected_count`, name: 'expected_count', type: 'number', label: t('delivery_new.expected_count'), hint: countHint,
        value: values.expected_count === undefined ? '' : String(values.expected_count),
        attrs: { min: '1', max: '100000', step: '1', inputmode: 'numeric', readOnly: frozen, class: 'kern-form-input__input app-input-short' },
      }),
      inputField({ id: `${prefix}-supplier`, name: 'supplier', label: t('tranches.supplier'), value: values.supplier || '', optional: true, attrs: { maxlength: '200', autocomplete: 'off' } }),
      inputField({ id: `${prefix}-order_number`, name: 'order_number', label: t('tranches.order_number'), value: values.order_number || '', optional: true, attrs: { maxlength: '100', autocomplete: 'off', spellcheck: 'false' } }),
      inputField({ id: `${prefix}-delivery_note`, name: 'delivery_note', label: t('tranches.delivery_note'), value: values.delivery_note || '', optional: true, attrs: { maxlength: '100', autocomplete: 'off', spellcheck: 'false' } }),
    ],
  };
}

/** Reads the delivery fields: {body, errors}; with `original` only what changed. */
export function readDeliveryForm(form, original = null) {
  const el = form.elements;
  const text = (name) => String(el[name] ? el[name].value : '').trim();
  const errors = [];
  const body = {};
  for (const k of ['supplier', 'order_number', 'delivery_note', 'model']) body[k] = text(k);
  body.delivered_on = text('delivered_on');
  if (!body.delivered_on) errors.push({ field: 'delivered_on', message: t('forms.required', { field: t('tranches.delivered_on') }) });
  const price = text('unit_price_cents');
  body.unit_price_cents = parseMoney(price);
  if (!price) errors.push({ field: 'unit_price_cents', message: t('forms.required', { field: t('delivery_new.unit_price') }) });
  else if (body.unit_price_cents === null) errors.push({ field: 'unit_price_cents', message: t('grants.money_invalid', { field: t('delivery_new.unit_price') }) });
  const count = text('expected_count');
  body.expected_count = /^\d+$/.test(count) ? Number(count) : null;
  if (!count) errors.push({ field: 'expected_count', message: t('forms.required', { field: t('delivery_new.expected_count') }) });
  else if (!body.expected_count || body.expected_count < 1) errors.push({ field: 'expected_count', message: t('delivery_new.expected_invalid') });
  if (original) {
    for (const k of Object.keys(body)) {
      if (body[k] === original[k] || (body[k] === '' && (original[k] === null || original[k] === undefined))) delete body[k];
    }
  }
  return { body, errors };
}

function capText(programme) {
  if (!programme || programme.max_unit_price_cents === null || programme.max_unit_price_cents === undefined) return '';
  return t('delivery_new.cap_hint', { amount: formatMoney(programme.max_unit_price_cents), programme: programme.code });
}

const CREATE_ERRORS = {
  school_number: { name: 'school_number', message: (e) => (/no such/.test(e.message || '') ? t('school_picker.unknown_plain') : null) },
  grant_id: { name: 'grant_id', message: (e) => (/funds no devices/.test(e.message || '') ? t('delivery_new.grant_no_devices') : (/no such/.test(e.message || '') ? t('delivery_new.grant_unknown') : null)) },
};

async function createForm(ctx, names, open) {
  let grants = [];
  let programmes = new Map();
  try {
    const [g, p] = await Promise.all([api.get('/grants', { limit: 500 }), api.get('/programmes')]);
    grants = (g && g.items) || [];
    programmes = new Map(((p && p.items) || []).map((x) => [x.code, x]));
  } catch (err) {
    return alertBox('danger', t('delivery_new.grants_failed'));
  }
  const usable = grants.filter((g) => !programmes.has(g.programme) || programmes.get(g.programme).funds_devices);
  const preset = ctx.query.get('grant_id') || '';
  const picker = schoolPicker({ prefix: 'new', names, legend: t('tranches.school') });
  const grant = selectField({
    id: 'new-grant_id', name: 'grant_id', label: t('tranche.grant'), hint: t('delivery_new.grant_hint'), value: preset,
    options: [['', t('grants.choose')], ...usable.map((g) => [String(g.id), `${g.reference}${g.title ? ' – ' + g.title : ''} (${g.programme})`])],
  });
  const delivery = deliveryFields('new');
  const form = h('form', { class: 'app-form', id: 'delivery-create', novalidate: true },
    picker.element, grant, ...delivery.fields,
    h('div', { class: 'app-actions' }, button(t('delivery_new.submit'), { type: 'submit' })));
  const grantSelect = form.elements.grant_id;
  const showCap = () => {
    const g = usable.find((x) => String(x.id) === grantSelect.value);
    delivery.cap.textContent = g ? capText(programmes.get(g.programme)) : '';
  };
  grantSelect.addEventListener('change', showCap);
  showCap();
  if (!usable.length) form.prepend(alertBox('warning', t('delivery_new.no_grants'), h('p', { class: 'kern-body' }, link('/grants?new=1', t('delivery_new.create_grant')))));

  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    clearErrors(form);
    const { body, errors: fieldErrors } = readDeliveryForm(form);
    const school = picker.input.value.trim();
    const errors = [];
    if (!school) errors.push({ field: 'school_number', message: t('school_picker.required') });
    else if (!SCHOOL_NUMBER.test(school)) errors.push({ field: 'school_number', message: t('school_picker.invalid') });
    if (!grantSelect.value) errors.push({ field: 'grant_id', message: t('forms.required', { field: t('tranche.grant') }) });
    errors.push(...fieldErrors);
    if (errors.length) { showErrors(form, errors); return; }
    body.school_number = school;
    body.grant_id = Number(grantSelect.value);
    busy = true;
    let created;
    try {
      created = await api.post('/tranches', body);
    } catch (err) {
      busy = false;
      showErrors(form, err, CREATE_ERRORS);
      return;
    }
    busy = false;
    navigate(`/tranches/${created.id}?done=created`);
  });
  return disclosure({ title: t('delivery_new.title'), open, id: 'delivery-create-panel' }, form);
}

export async function render(main, ctx) {
  ctx.setTitle(t('tranches.title'));
  main.appendChild(pageTitle(t('tranches.title')));
  const isCity = ctx.user.role === 'city_admin';
  const own = ctx.user.schools || [];
  const schoolNumber = ctx.query.get('school_number') || '';
  const grantId = /^\d+$/.test(ctx.query.get('grant_id') || '') ? ctx.query.get('grant_id') : '';
  const names = schoolNameCache();
  const multi = isCity || own.length > 1;

  if (isCity) {
    const panel = await createForm(ctx, names, ctx.query.get('new') === '1');
    if (!ctx.isCurrent()) return undefined;
    main.appendChild(panel);
  }

  if (multi) {
    let schoolFilter;
    if (isCity) {
      schoolFilter = schoolPicker({ prefix: 'filter', value: schoolNumber, names, legend: t('tranches.school'), required: false }).element;
      schoolFilter.classList.add('app-filters__wide');
    } else {
      const ownNames = await Promise.all(own.map((n) => names.get(n)));
      if (!ctx.isCurrent()) return undefined;
      schoolFilter = selectField({ id: 'school_number', label: t('tranches.school'), value: schoolNumber,
        options: [['', t('tranches.all_schools')], ...own.map((n, i) => [n, ownNames[i] ? `${ownNames[i]} (${n})` : n])] });
    }
    const form = h('form', { class: 'app-filters', method: 'get', action: '/tranches', role: 'search', 'aria-label': t('delivery_new.filter_label') },
      schoolFilter,
      grantId ? h('input', { type: 'hidden', name: 'grant_id', value: grantId }) : null,
      h('div', { class: 'app-filters__actions' }, button(t('tranches.filter'), { type: 'submit' }),
        schoolNumber || grantId ? link('/tranches', t('delivery_new.filter_reset')) : null));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      const n = form.elements.school_number.value.trim();
      if (n) p.set('school_number', n);
      if (grantId) p.set('grant_id', grantId);
      updateQuery(p);
    });
    main.appendChild(form);
    if (grantId) main.appendChild(h('p', { class: 'kern-body' }, t('delivery_new.filtered_by_grant', { id: grantId }), ' ', link(`/grants/${grantId}`, t('delivery_new.to_grant'))));
  }

  const list = pagedList({
    path: '/tranches',
    query: { school_number: schoolNumber, grant_id: grantId },
    limit: 50,
    label: t('tranches.caption'),
    emptyText: t('tranches.empty'),
    renderPage: (items) => {
      const schoolCells = new Map();
      const table = dataTable({
        caption: t('tranches.caption'),
        captionHidden: true,
        columns: [
          { label: t('city.delivery'), header: true, render: (tr) => link(`/tranches/${tr.id}`, t('tranches.name', { id: tr.id }), { class: 'kern-link app-nowrap' }) },
          multi ? {
            label: t('tranches.school'),
            render: (tr) => {
              const cell = h('span', {}, tr.school_number);
              schoolCells.set(tr.id, cell);
              return cell;
            },
          } : null,
          isCity ? { label: t('tranche.grant'), render: (tr) => link(`/grants/${tr.grant_id}`, tr.grant_reference || String(tr.grant_id), { class: 'kern-link app-nowrap' }) } : null,
          { label: t('tranches.delivered_on'), render: (tr) => formatDate(tr.delivered_on) },
          { label: t('tranches.model'), render: (tr) => tr.model },
          { label: t('tranches.expected'), numeric: true, render: (tr) => formatNumber(tr.expected_count) },
          { label: t('tranches.progress'), render: (tr) => trancheProgress(tr.progress || {}) },
        ].filter(Boolean),
        rows: items,
      });
      if (multi) {
        for (const tr of items) {
          names.get(tr.school_number).then((name) => {
            if (name && ctx.isCurrent()) schoolCells.get(tr.id).textContent = `${name} (${tr.school_number})`;
          });
        }
      }
      return table;
    },
  });
  main.appendChild(list.element);
  return undefined;
}
