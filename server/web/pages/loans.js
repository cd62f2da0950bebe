// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Loans (/loans): hand out and take back devices, lists of current / overdue / returned loans.
// Borrower references are pseudonyms: the page says so next to the field, the server refuses names.
import { h, clear, announce } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api, ApiProblem, NetworkError } from '../js/api.js';
import { formatDate, todayISO } from '../js/format.js';
import { showErrors, clearErrors } from '../js/forms.js';
import { pagedList } from '../js/table.js';
import { navigate } from '../js/router.js';
import { pageTitle, alertBox, badge, dataTable, link, inputField, textareaField } from '../js/ui.js';

const STATES = ['current', 'overdue', 'returned'];
const ACCESSORIES = ['case', 'cable', 'charger', 'pencil', 'keyboard'];

/** The next 31 July (end of the NRW school year, which runs 1 August – 31 July). */
export function endOfSchoolYear(today = todayISO()) {
  const [y, m, d] = today.split('-').map(Number);
  const year = (m < 7 || (m === 7 && d < 31)) ? y : y + 1;
  return `${year}-07-31`;
}

/**
 * What a scanner or a person typed → candidate serial numbers, best first.
 * Label URL (…/d/SERIAL) → the last path segment; an `S` in front (Apple's box barcode) is tried
 * second, without the S, by resolveDevice.
 */
export function parseDeviceCode(raw) {
  let code = String(raw || '').trim();
  if (!code) return '';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(code) || code.includes('/')) {
    let path = code;
    try { path = new URL(code, window.location.origin).pathname; } catch (_) { /* keep as is */ }
    // Only a Pakt label (/d/SERIAL) or a device page address names a device.
    const parts = path.split('/').filter(Boolean);
    code = parts.length === 2 && (parts[0] === 'd' || parts[0] === 'devices') ? parts[1] : '';
    try { code = decodeURIComponent(code); } catch (_) { /* keep */ }
  }
  return code.replace(/\s+/g, '').toUpperCase();
}

/** Finds the device for a scanned code: {device} or throws ApiProblem/NetworkError. */
export async function resolveDevice(raw) {
  const code = parseDeviceCode(raw);
  if (!code) throw new ApiProblem({ status: 404 });
  if (code.length < 2 || !code.startsWith('S')) return api.get(`/devices/${encodeURIComponent(code)}`);
  // "S" + X is the serial "SX" or Apple's box label of X: never guess when both are devices.
  const [literal, stripped] = await Promise.allSettled([
    api.get(`/devices/${encodeURIComponent(code)}`),
    api.get(`/devices/${encodeURIComponent(code.slice(1))}`),
  ]);
  const found = [literal, stripped].filter((r) => r.status === 'fulfilled').map((r) => r.value);
  if (found.length === 2) {
    throw new ApiProblem({ status: 409, type: 'ambiguous', detail: `${found[0].serial_number} / ${found[1].serial_number}` });
  }
  if (found.length === 1) return found[0];
  const failure = [literal, stripped].find((r) => !(r.reason instanceof ApiProblem && r.reason.status === 404));
  throw failure ? failure.reason : literal.reason;
}

function radioGroup({ legend, name, idPrefix, options, value, hint }) {
  const hintId = hint ? `${idPrefix}-hint` : null;
  return h('fieldset', { class: 'kern-fieldset loan-radios', 'aria-describedby': hintId },
    h('legend', { class: 'kern-label' }, legend),
    hint ? h('div', { class: 'kern-hint', id: hintId }, hint) : null,
    h('div', { class: 'kern-fieldset__body kern-fieldset__body--horizontal' },
      options.map(([v, text]) => {
        const input = h('input', { class: 'kern-form-check__radio', type: 'radio', id: `${idPrefix}-${v}`, name, value: v });
        if (v === value) input.setAttribute('checked', ''); // the default, also after form.reset()
        return h('div', { class: 'kern-form-check' }, input, h('label', { class: 'kern-label', for: `${idPrefix}-${v}` }, text));
      })));
}

function checkbox(id, name, value, text) {
  return h('div', { class: 'kern-form-check' },
    h('input', { class: 'kern-form-check__checkbox', type: 'checkbox', id, name, value }),
    h('label', { class: 'kern-label', for: id }, text));
}

function submitButton(text) {
  return h('button', { type: 'submit', class: 'kern-btn kern-btn--primary' }, h('span', { class: 'kern-label' }, text));
}

function deviceSummary(device) {
  const parts = [device.model, device.asset_tag ? t('loans.asset_tag_short', { tag: device.asset_tag }) : null,
    t(`status.${device.status}`)].filter(Boolean);
  return parts.join(' · ');
}

/** A message for a device lookup that failed (for the field). */
function lookupMessage(err) {
  if (err instanceof ApiProblem && err.type === 'ambiguous') return t('loans.device_ambiguous', { serials: err.detail });
  if (err instanceof ApiProblem && (err.status === 404 || err.status === 403)) return t('loans.device_not_found');
  if (err instanceof NetworkError) return t('errors.network');
  return t('loans.device_lookup_failed');
}

export async function render(main, ctx) {
  ctx.setTitle(t('loans.title'));
  const query = ctx.query;
  const state = STATES.includes(query.get('state')) ? query.get('state') : 'current';
  const prefill = query.get('serial') ? parseDeviceCode(query.get('serial')) : '';
  const schools = (ctx.user && Array.isArray(ctx.user.schools)) ? ctx.user.schools : [];
  const schoolFilter = query.get('school_number') || '';

  main.appendChild(pageTitle(t('loans.title')));
  let listApi = null;
  let prefillDevice = null;

  // ---- hand out / take back ---------------------------------------------------------------
  if (ctx.canWrite) {
    const lendResult = h('div', { class: 'loan-result', id: 'lend-result' });
    const returnResult = h('div', { class: 'loan-result', id: 'return-result' });

    // Device lookup shown under the device field after a scan (Enter) and when the form is sent.
    function deviceField(prefix, onFound) {
      const info = h('p', { class: 'kern-body loan-device-info', id: `${prefix}-device-info`, 'aria-live': 'polite' });
      const field = inputField({
        id: `${prefix}-device`, name: 'device', label: t(`loans.device_label_${prefix}`), hint: t('loans.device_hint'),
        attrs: { autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', enterkeyhint: 'next', 'aria-describedby': `${prefix}-device-hint ${prefix}-device-info` },
      });
      field.appendChild(info);
      const input = field.querySelector('input');
      let last = null;
      let found = null;
      async function lookup() {
        const code = input.value.trim();
        if (!code) { info.textContent = ''; found = null; last = null; return null; }
        if (code === last && found) return found;
        last = code;
        info.textContent = t('loans.device_searching');
        try {
          const device = await resolveDevice(code);
          if (input.value.trim() !== code) return null;
          found = device;
          info.textContent = t('loans.device_found', { serial: device.serial_number, summary: deviceSummary(device) });
          if (onFound) onFound(device, info);
          return device;
        } catch (err) {
          if (input.value.trim() !== code) return null;
          found = null;
          info.textContent = lookupMessage(err);
          return null;
        }
      }
      input.addEventListener('keydown', (ev) => {
        // A USB scanner ends with Enter: look the device up and go on to the next field
        // instead of sending the half-filled form.
        if (ev.key === 'Enter') {
          ev.preventDefault();
          lookup().then((device) => {
            if (!device) return;
            const form = input.form;
            const fields = Array.from(form.elements).filter((el) => !el.disabled && el.type !== 'hidden' && el.tabIndex >= 0);
            const next = fields[fields.indexOf(input) + 1];
            if (next) next.focus();
          });
        }
      });
      // No lookup on blur: the text under the field would move the submit button while it is being clicked.
      input.addEventListener('input', () => { found = null; info.textContent = ''; });
      return { field, input, info, lookup, reset() { input.value = ''; info.textContent = ''; found = null; last = null; } };
    }

    // --- lend form ---
    const lendDevice = deviceField('lend', (device, info) => {
      if (device.current_loan) info.textContent += ' ' + t('loans.device_on_loan_already');
    });
    const accessories = h('fieldset', { class: 'kern-fieldset loan-accessories' },
      h('legend', { class: 'kern-label' }, t('loans.accessories_legend'), ' ', h('span', { class: 'kern-label__optional' }, t('forms.optional'))),
      h('div', { class: 'kern-fieldset__body kern-fieldset__body--horizontal' },
        ACCESSORIES.map((a) => checkbox(`lend-acc-${a}`, 'accessory', a, t(`loans.accessory.${a}`)))),
      inputField({ id: 'lend-acc-other', name: 'accessories_other', label: t('loans.accessories_other'), optional: true, attrs: { maxlength: '300', autocomplete: 'off' } }));

    const lendForm = h('form', { class: 'app-form loan-form', id: 'lend-form', novalidate: true, 'aria-labelledby': 'lend-title' },
      lendDevice.field,
      inputField({
        id: 'lend-borrower-ref', name: 'borrower_ref', label: t('loans.borrower_ref'), hint: t('loans.borrower_ref_hint'),
        attrs: { autocomplete: 'off', spellcheck: 'false', maxlength: '32' },
      }),
      radioGroup({
        legend: t('loans.borrower_kind'), name: 'borrower_kind', idPrefix: 'lend-kind', value: 'student',
        options: [['student', t('loans.kind.student')], ['teacher', t('loans.kind.teacher')]],
      }),
      inputField({
        id: 'lend-agreement-ref', name: 'agreement_ref', label: t('loans.agreement_ref'), hint: t('loans.agreement_ref_hint'),
        attrs: { autocomplete: 'off', spellcheck: 'false', maxlength: '64' },
      }),
      inputField({
        id: 'lend-due-on', name: 'due_on', type: 'date', label: t('loans.due_on'), hint: t('loans.due_on_hint'),
        value: endOfSchoolYear(), attrs: { min: todayISO() },
      }),
      accessories,
      textareaField({ id: 'lend-damage', name: 'pre_existing_damage', label: t('loans.pre_existing_damage'), hint: t('loans.pre_existing_damage_hint'), optional: true, attrs: { maxlength: '500' } }),
      h('div', { class: 'app-actions' }, submitButton(t('loans.lend_submit'))));

    let lendBusy = false;
    lendForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (lendBusy) return;
      clearErrors(lendForm);
      clear(lendResult);
      const fd = new FormData(lendForm);
      const borrowerRef = String(fd.get('borrower_ref') || '').trim();
      const agreementRef = String(fd.get('agreement_ref') || '').trim();
      const dueOn = String(fd.get('due_on') || '').trim();
      const own = [];
      if (!lendDevice.input.value.trim()) own.push({ field: 'device', message: t('loans.err_device_required') });
      if (!borrowerRef) own.push({ field: 'borrower_ref', message: t('loans.err_borrower_ref_required') });
      if (!agreementRef) own.push({ field: 'agreement_ref', message: t('loans.err_agreement_ref_required') });
      if (dueOn && dueOn < todayISO()) own.push({ field: 'due_on', message: t('loans.err_due_on_past') });
      if (own.length) { showErrors(lendForm, own); return; }

      lendBusy = true;
      try {
        let device;
        try {
          device = await lendDevice.lookup();
          if (!device) device = await resolveDevice(lendDevice.input.value);
        } catch (err) {
          showErrors(lendForm, [{ field: 'device', message: lookupMessage(err) }]);
          return;
        }
        const acc = fd.getAll('accessory').map((a) => t(`loans.accessory.${a}`));
        const other = String(fd.get('accessories_other') || '').trim();
        if (other) acc.push(other);
        const body = {
          borrower_ref: borrowerRef,
          borrower_kind: String(fd.get('borrower_kind') || 'student'),
          agreement_ref: agreementRef,
        };
        if (dueOn) body.due_on = dueOn;
        if (acc.length) body.accessories = acc.join(', ');
        const damage = String(fd.get('pre_existing_damage') || '').trim();
        if (damage) body.pre_existing_damage = damage;

        let loan;
        try {
          loan = await api.post(`/devices/${encodeURIComponent(device.serial_number)}/loans`, body);
        } catch (err) {
          showLendError(err);
          return;
        }
        const agreementHref = `/loans/${encodeURIComponent(loan.id)}/agreement`;
        const msg = t('loans.lend_done', {
          serial: loan.serial_number || device.serial_number,
          ref: loan.borrower_ref,
          due: formatDate(loan.due_on) || t('loans.no_due'),
        });
        const box = alertBox('success', msg,
          h('p', { class: 'kern-body' }, t('loans.lend_done_print')),
          h('p', { class: 'kern-body' }, h('a', { class: 'kern-btn kern-btn--primary app-btn-link', href: agreementHref }, h('span', { class: 'kern-label' }, t('loans.print_agreement')))));
        box.setAttribute('tabindex', '-1');
        lendResult.appendChild(box);
        lendForm.reset();
        lendDevice.reset();
        lendForm.elements.namedItem('due_on').value = endOfSchoolYear();
        box.focus();
        announce(msg);
        if (listApi) listApi.reload();
      } finally {
        lendBusy = false;
      }
    });

    function showLendError(err) {
      if (err instanceof ApiProblem && err.status === 409) {
        showErrors(lendForm, [{ field: 'device', message: t('loans.err_conflict') }]);
        return;
      }
      if (err instanceof ApiProblem && err.status === 404) {
        showErrors(lendForm, [{ field: 'device', message: t('loans.device_not_found') }]);
        return;
      }
      showErrors(lendForm, err, {
        borrower_ref: {
          message: (e) => {
            const text = String(e.message || '');
            if (/characters long|too long|at most/i.test(text)) return t('loans.err_borrower_ref_length');
            if (/name|pseudonym|person/i.test(text)) return t('loans.err_borrower_ref_name');
            return t('loans.err_borrower_ref');
          },
        },
        borrower_kind: { message: t('loans.err_borrower_kind') },
        agreement_ref: { message: t('loans.err_agreement_ref') },
        due_on: { message: t('loans.err_due_on') },
        accessories: { name: 'accessories_other', message: t('loans.err_accessories') },
        pre_existing_damage: { message: t('loans.err_damage') },
        serial_number: { name: 'device', message: t('loans.err_conflict') },
      });
    }

    // --- return form ---
    const returnDevice = deviceField('return', (device, info) => {
      const loan = device.current_loan;
      if (loan) {
        info.textContent += ' ' + t('loans.device_loan_info', {
          ref: loan.borrower_ref, since: formatDate(loan.started_at), due: formatDate(loan.due_on) || t('loans.no_due'),
        });
      } else {
        info.textContent += ' ' + t('loans.device_not_on_loan');
      }
    });
    const returnForm = h('form', { class: 'app-form loan-form', id: 'return-form', novalidate: true, 'aria-labelledby': 'return-title' },
      returnDevice.field,
      radioGroup({
        legend: t('loans.condition'), name: 'condition', idPrefix: 'return-condition', value: 'ok',
        options: [['ok', t('loans.condition_ok')], ['damaged', t('loans.condition_damaged')]],
      }),
      textareaField({ id: 'return-note', name: 'note', label: t('loans.return_note'), hint: t('loans.return_note_hint'), optional: true, attrs: { maxlength: '500' } }),
      h('div', { class: 'app-actions' }, submitButton(t('loans.return_submit'))));

    let returnBusy = false;
    returnForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (returnBusy) return;
      clearErrors(returnForm);
      clear(returnResult);
      const fd = new FormData(returnForm);
      const condition = String(fd.get('condition') || 'ok');
      const note = String(fd.get('note') || '').trim();
      const own = [];
      if (!returnDevice.input.value.trim()) own.push({ field: 'device', message: t('loans.err_device_required') });
      if (condition === 'damaged' && !note) own.push({ field: 'note', message: t('loans.err_note_required') });
      if (own.length) { showErrors(returnForm, own); return; }
      returnBusy = true;
      try {
        let device;
        try {
          device = await returnDevice.lookup();
          if (!device) device = await resolveDevice(returnDevice.input.value);
        } catch (err) {
          showErrors(returnForm, [{ field: 'device', message: lookupMessage(err) }]);
          return;
        }
        const body = { condition };
        if (note) body.note = note;
        let loan;
        try {
          loan = await api.post(`/devices/${encodeURIComponent(device.serial_number)}/loans/current/return`, body);
        } catch (err) {
          if (err instanceof ApiProblem && err.status === 409) {
            showErrors(returnForm, [{ field: 'device', message: t('loans.err_not_on_loan') }]);
          } else {
            showErrors(returnForm, err, { note: { message: t('loans.err_note') }, condition: { message: t('loans.err_condition') } });
          }
          return;
        }
        const msg = t(condition === 'damaged' ? 'loans.return_done_damaged' : 'loans.return_done', {
          serial: (loan && loan.serial_number) || device.serial_number,
        });
        const box = alertBox(condition === 'damaged' ? 'warning' : 'success', msg,
          condition === 'damaged' ? h('p', { class: 'kern-body' }, t('loans.return_done_damaged_hint'),
            ' ', link(`/devices/${encodeURIComponent(device.serial_number)}`, t('loans.to_device'))) : null);
        box.setAttribute('tabindex', '-1');
        returnResult.appendChild(box);
        returnForm.reset();
        returnDevice.reset();
        box.focus();
        announce(msg);
        if (listApi) listApi.reload();
      } finally {
        returnBusy = false;
      }
    });

    main.appendChild(h('div', { class: 'loan-forms' },
      h('section', { class: 'loan-panel', 'aria-labelledby': 'lend-title' },
        h('h2', { class: 'kern-heading-medium', id: 'lend-title' }, t('loans.lend_title')),
        lendResult, lendForm),
      h('section', { class: 'loan-panel', 'aria-labelledby': 'return-title' },
        h('h2', { class: 'kern-heading-medium', id: 'return-title' }, t('loans.return_title')),
        returnResult, returnForm)));

    // ?serial=… (from the device page): fill the right form.
    if (prefill) {
      lendDevice.input.value = prefill;
      returnDevice.input.value = prefill;
      prefillDevice = (async () => {
        const device = await lendDevice.lookup();
        if (device && device.current_loan) {
          lendDevice.reset();
          await returnDevice.lookup();
          returnDevice.input.closest('section').scrollIntoView({ block: 'start' });
          returnForm.querySelector('input[name="condition"]').focus();
        } else {
          returnDevice.reset();
          if (device) lendForm.elements.namedItem('borrower_ref').focus();
          else lendDevice.input.focus();
        }
      })().catch(() => {});
    }
  } else {
    main.appendChild(h('p', { class: 'kern-body app-muted' }, t('loans.readonly')));
  }

  // ---- the lists ----------------------------------------------------------------------------
  const listSection = h('section', { class: 'app-section loan-list', 'aria-labelledby': 'loan-list-title' },
    h('h2', { class: 'kern-heading-medium', id: 'loan-list-title' }, t('loans.list_title')));

  const tabs = h('nav', { class: 'loan-tabs', 'aria-label': t('loans.tabs_label') },
    h('ul', { class: 'loan-tabs__list' },
      STATES.map((s) => {
        const q = new URLSearchParams();
        q.set('state', s);
        if (schoolFilter) q.set('school_number', schoolFilter);
        return h('li', { class: 'loan-tabs__item' },
          h('a', { class: `loan-tabs__link${s === state ? ' loan-tabs__link--current' : ''}`, href: `/loans?${q}`, 'aria-current': s === state ? 'page' : null }, t(`loans.state.${s}`)));
      })));
  listSection.appendChild(tabs);

  // School filter: a choice for school IT with several schools, a number field for municipal IT.
  if ((ctx.user && ctx.user.role === 'city_admin') || schools.length > 1) {
    const filterForm = h('form', { class: 'app-filters loan-filter', role: 'search', 'aria-label': t('loans.filter_label') },
      h('input', { type: 'hidden', name: 'state', value: state }),
      schools.length > 1 && ctx.user.role !== 'city_admin'
        ? h('div', { class: 'kern-form-input' },
          h('label', { class: 'kern-label', for: 'loan-school' }, t('loans.school_filter')),
          h('div', { class: 'kern-form-input__select-wrapper' },
            h('select', { class: 'kern-form-input__select', id: 'loan-school', name: 'school_number' },
              h('option', { value: '' }, t('loans.all_schools')),
              schools.map((s) => h('option', { value: s, selected: s === schoolFilter }, s)))))
        : inputField({ id: 'loan-school', name: 'school_number', label: t('loans.school_filter'), hint: t('loans.school_filter_hint'), value: schoolFilter, optional: true, attrs: { inputmode: 'numeric', autocomplete: 'off' } }),
      h('div', { class: 'app-filters__actions' },
        h('button', { type: 'submit', class: 'kern-btn kern-btn--secondary' }, h('span', { class: 'kern-label' }, t('loans.filter_apply')))));
    filterForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const q = new URLSearchParams();
      q.set('state', state);
      const n = String(new FormData(filterForm).get('school_number') || '').trim();
      if (n) q.set('school_number', n);
      navigate(`/loans?${q}`);
    });
    listSection.appendChild(filterForm);
  }

  const today = todayISO();
  const columns = [
    { label: t('loans.col.serial'), header: true, render: (l) => h('a', { class: 'kern-link app-mono', href: `/devices/${encodeURIComponent(l.serial_number)}` }, l.serial_number) },
    { label: t('loans.col.asset_tag'), render: (l) => l.asset_tag || t('app.none') },
    ...((ctx.user && ctx.user.role === 'city_admin') || schools.length > 1
      ? [{ label: t('loans.col.school'), render: (l) => h('a', { class: 'kern-link', href: `/schools/${encodeURIComponent(l.school_number)}` }, l.school_number) }] : []),
    { label: t('loans.col.borrower_ref'), render: (l) => l.borrower_ref },
    { label: t('loans.col.kind'), render: (l) => t(`loans.kind.${l.borrower_kind}`) },
    { label: t('loans.col.agreement_ref'), render: (l) => l.agreement_ref || t('app.none') },
    { label: t('loans.col.since'), render: (l) => formatDate(l.started_at) },
  ];
  if (state === 'returned') {
    columns.push({ label: t('loans.col.returned_at'), render: (l) => formatDate(l.returned_at) });
    columns.push({
      label: t('loans.col.condition'),
      render: (l) => (l.return_condition === 'damaged'
        ? h('span', {}, badge(t('loans.condition_damaged'), 'warning'), l.return_note ? h('span', { class: 'loan-note' }, ' ', l.return_note) : null)
        : l.return_condition === 'ok' ? t('loans.condition_ok') : t('app.none')),
    });
  } else {
    columns.push({
      label: t('loans.col.due_on'),
      render: (l) => {
        if (!l.due_on) return t('loans.no_due');
        const overdue = !l.returned_at && l.due_on < today;
        if (!overdue) return formatDate(l.due_on);
        return h('span', { class: 'loan-overdue' }, formatDate(l.due_on), ' ', badge(t('loans.overdue'), 'danger'));
      },
    });
  }
  columns.push({
    label: t('loans.col.agreement'),
    render: (l) => h('a', { class: 'kern-link', href: `/loans/${encodeURIComponent(l.id)}/agreement`, 'aria-label': t('loans.agreement_link_label', { serial: l.serial_number }) }, t('loans.agreement_link')),
  });

  const listQuery = { state };
  if (schoolFilter) listQuery.school_number = schoolFilter;
  listApi = pagedList({
    path: '/loans',
    query: listQuery,
    limit: 50,
    label: t(`loans.state.${state}`),
    emptyText: t(`loans.empty.${state}`),
    renderPage: (items) => dataTable({ caption: t(`loans.caption.${state}`), columns, rows: items, className: 'loan-table' }),
  });
  listSection.appendChild(listApi.element);
  main.appendChild(listSection);

  if (prefillDevice) await prefillDevice;
  // After a tab or filter change the page is rendered anew: keep focus and view on the tabs
  // (after the router's own scroll-to-top and heading focus, hence the timeout).
  let focusTimer = null;
  if (!prefill && ctx.canWrite && (query.has('state') || query.has('school_number'))) {
    focusTimer = setTimeout(() => {
      const current = tabs.querySelector('[aria-current="page"]');
      if (current && document.body.contains(current)) current.focus();
    }, 0);
  }
  return () => clearTimeout(focusTimer);
}
