// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Device detail: data, last agent report, the MDMs' and Apple School Manager's view, current loan,
// history; status change and edits for writers.
import { h, announce } from '../js/dom.js';
import { t, has } from '../js/i18n.js';
import { api, ApiProblem } from '../js/api.js';
import { formatDate, formatDateTime, formatNumber, todayISO } from '../js/format.js';
import { pagedList } from '../js/table.js';
import { navigate } from '../js/router.js';
import { showErrors, clearErrors } from '../js/forms.js';
import {
  pageTitle, descList, statusBadge, badge, link, buttonLink, dataTable, section, alertBox, errorAlert,
  loading, inputField, textareaField, selectField, button,
} from '../js/ui.js';
import { sourceName } from '../js/connectors.js';

const RETIRED_REASONS = ['lost', 'stolen', 'damaged_beyond_repair'];

function yesNo(v) {
  if (v === null || v === undefined) return t('app.unknown');
  return v ? t('app.yes') : t('app.no');
}

function storage(mb) {
  if (mb === null || mb === undefined) return null;
  if (mb >= 1024) return t('device.gb', { value: formatNumber(Math.round((mb / 1024) * 10) / 10) });
  return t('device.mb', { value: formatNumber(mb) });
}

function eventKind(kind) {
  return has(`events.${kind}`) ? t(`events.${kind}`) : kind;
}

function detailValue(k, v) {
  if (typeof v === 'boolean') return null; // shown as a flag by its label
  if (k === 'borrower_kind' && has(`borrower_kind.${v}`)) return t(`borrower_kind.${v}`);
  if ((k === 'condition' || k === 'return_condition') && has(`event_detail.condition_${v}`)) return t(`event_detail.condition_${v}`);
  if (k === 'retired_reason' && has(`retired_reason.${v}`)) return t(`retired_reason.${v}`);
  if ((k === 'from' || k === 'to' || k === 'status') && has(`status.${v}`)) return t(`status.${v}`);
  if (k === 'source') return sourceName(v);
  if (/_on$/.test(k) && /^\d{4}-\d{2}-\d{2}$/.test(String(v))) return formatDate(v);
  if (/_at$/.test(k)) return formatDateTime(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// A connector's events name it as "connector:asm"; people read the service's name.
function eventActor(actor) {
  const m = /^connector:(.+)$/.exec(actor || '');
  if (m) return t('device.actor_connector', { source: sourceName(m[1]) });
  return actor || t('app.none');
}

function eventDetail(ev) {
  const d = ev.detail;
  if (!d || typeof d !== 'object') return d ? String(d) : '';
  const parts = [];
  if (d.from && d.to) parts.push(`${detailValue('from', d.from)} → ${detailValue('to', d.to)}`);
  for (const [k, v] of Object.entries(d)) {
    if (k === 'from' || k === 'to' || v === null || v === undefined || v === '' || v === false) continue;
    const label = has(`event_detail.${k}`) ? t(`event_detail.${k}`) : k;
    if (v === true) { parts.push(label); continue; }
    parts.push(`${label}: ${detailValue(k, v)}`);
  }
  return parts.join(' · ');
}

// Why the server refused to undo an enrollment: its reasons are English, the known ones in the
// user's language, anything else as sent.
function unenrollReason(e) {
  const field = e.field || '';
  const text = `${field} ${e.message || ''}`;
  if (field === 'spend_by' || (!field && /spend_by|proof of use|implementation period/i.test(text))) return t('unenroll.refused_spend_by');
  if (field === 'loans' || (!field && /lent|loan/i.test(text))) return t('unenroll.refused_loan');
  if (field === 'status' || (!field && /in storage|in_storage/i.test(text))) return t('unenroll.refused_status');
  return t('unenroll.refused_other', { reason: e.message || '' });
}

export async function render(main, ctx) {
  const serial = String(ctx.params.serial || '').toUpperCase();
  ctx.setTitle(t('device.title', { serial }));
  const title = pageTitle(t('device.title', { serial }));
  const flash = h('div', { class: 'app-flash' });
  const body = h('div', {}, loading());
  main.append(title, flash, body);

  const schoolNames = new Map();

  async function load() {
    let device;
    try {
      device = await api.get(`/devices/${encodeURIComponent(serial)}`);
    } catch (err) {
      if (!ctx.isCurrent()) return;
      if (err instanceof ApiProblem && err.status === 404) body.replaceChildren(alertBox('warning', t('device.not_found')));
      else body.replaceChildren(errorAlert(err));
      return;
    }
    if (!ctx.isCurrent()) return;
    if (!schoolNames.has(device.school_number)) {
      try {
        const school = await api.get(`/schools/${encodeURIComponent(device.school_number)}`);
        schoolNames.set(device.school_number, school.name);
      } catch (_) { /* the number alone will do */ }
      if (!ctx.isCurrent()) return;
    }
    body.replaceChildren(...build(device));
  }

  function showFlash(text) {
    const a = alertBox('success', text);
    a.setAttribute('tabindex', '-1');
    flash.replaceChildren(a);
    a.focus();
    announce(text);
  }

  function showFlashError(text) {
    const a = alertBox('danger', text);
    a.setAttribute('tabindex', '-1');
    flash.replaceChildren(a);
    a.focus();
  }

  function build(d) {
    const parts = [];

    // Status and actions.
    const actions = [buttonLink(`/tranches/${d.tranche_id}/labels?serial=${encodeURIComponent(d.serial_number)}`, t('device.label'), 'secondary')];
    const lendable = ['in_storage', 'in_use'].includes(d.status) && !d.current_loan;
    if (ctx.canWrite && lendable) actions.unshift(buttonLink(`/loans?serial=${encodeURIComponent(d.serial_number)}`, t('device.lend'), 'primary'));
    parts.push(h('div', { class: 'app-actions' }, h('span', {}, t('device.status'), ': ', statusBadge(d.status)), ...actions));
    if (!ctx.canWrite) parts.push(h('p', { class: 'kern-body app-muted' }, t('device.read_only')));

    parts.push(h('div', { class: 'app-grid' },
      section(t('device.data'), descList([
        [t('device.serial'), h('span', { class: 'app-mono' }, d.serial_number)],
        [t('device.asset_tag'), d.asset_tag],
        [t('device.model'), d.model],
        [t('device.school'), schoolNames.has(d.school_number) ? `${schoolNames.get(d.school_number)} (${d.school_number})` : d.school_number],
        [t('device.delivery'), link(`/tranches/${d.tranche_id}`, t('tranches.name', { id: d.tranche_id }))],
        [t('device.status'), h('span', {}, statusBadge(d.status),
          d.retired_reason ? ` (${has(`retired_reason.${d.retired_reason}`) ? t(`retired_reason.${d.retired_reason}`) : d.retired_reason})` : null)],
        [t('device.location'), d.location],
        [t('device.note'), d.note],
        [t('device.enrolled_at'), formatDateTime(d.enrolled_at)],
        [t('device.enrolled_by'), d.enrolled_by],
        [t('device.updated_at'), formatDateTime(d.updated_at)],
      ])),
      section(t('device.report'), d.last_report ? descList([
        [t('device.seen_at'), formatDateTime(d.last_report.seen_at)],
        [t('device.os_version'), d.last_report.os_version],
        [t('device.battery'), d.last_report.battery_pct === null || d.last_report.battery_pct === undefined ? null : t('device.percent', { value: formatNumber(d.last_report.battery_pct) })],
        [t('device.storage_free'), storage(d.last_report.storage_free_mb)],
        [t('device.managed'), yesNo(d.last_report.managed)],
      ]) : h('p', { class: 'kern-body' }, t('device.no_report'))),
      section(t('device.loan'), ...loanBlock(d.current_loan)),
      Array.isArray(d.mdm) ? section(t('device.mdm'), ...mdmBlock(d)) : null,
      d.apple_school_manager !== undefined ? section(t('device.asm'), asmBlock(d.apple_school_manager)) : null));

    if (ctx.canWrite) {
      parts.push(statusForm(d));
      parts.push(editForm(d));
    }

    const history = pagedList({
      path: `/devices/${encodeURIComponent(d.serial_number)}/events`,
      limit: 20,
      label: t('device.history'),
      emptyText: t('device.no_events'),
      renderPage: (items) => dataTable({
        caption: t('device.history_caption'),
        captionHidden: true,
        columns: [
          { label: t('device.event_at'), header: true, render: (e) => formatDateTime(e.at) },
          { label: t('device.event_kind'), render: (e) => eventKind(e.kind) },
          { label: t('device.event_actor'), render: (e) => eventActor(e.actor) },
          { label: t('device.event_detail'), render: (e) => eventDetail(e) },
        ],
        rows: items,
      }),
    });
    parts.push(section(t('device.history'), history.element));
    if (ctx.canWrite) parts.push(unenrollSection(d));
    return parts;
  }

  // Undo a mistaken enrollment (school IT of the device's school, municipal IT): a required
  // reason, a confirmation step, the server's refusal reasons at the form; afterwards the
  // delivery page says what happened.
  function unenrollSection(d) {
    const title = t('unenroll.title');
    if (d.status !== 'in_storage' || d.current_loan) {
      return section(title, h('p', { class: 'kern-body' }, t('unenroll.not_possible', { status: t(`status.${d.status}`) })));
    }
    const confirmBox = h('div', { class: 'app-confirm', id: 'unenroll-confirm' });
    const form = h('form', { class: 'app-form', id: 'unenroll-form', novalidate: true },
      h('p', { class: 'kern-body' }, t('unenroll.intro')),
      textareaField({ id: 'unenroll-reason', name: 'reason', label: t('unenroll.reason'), hint: t('unenroll.reason_hint'), attrs: { maxlength: '500' } }),
      confirmBox,
      h('div', { class: 'app-actions', id: 'unenroll-actions' }, button(t('unenroll.submit'), { type: 'submit', variant: 'secondary' })));
    const reasonInput = form.elements.reason;
    const firstActions = form.querySelector('#unenroll-actions');
    let busy = false;

    function cancel() {
      confirmBox.replaceChildren();
      firstActions.hidden = false;
      reasonInput.readOnly = false;
      reasonInput.focus();
    }

    async function confirm() {
      if (busy) return;
      busy = true;
      const reason = reasonInput.value.trim();
      let result;
      try {
        result = await api.post(`/devices/${encodeURIComponent(d.serial_number)}/unenroll`, { reason });
      } catch (err) {
        busy = false;
        confirmBox.replaceChildren();
        firstActions.hidden = false;
        reasonInput.readOnly = false;
        showUnenrollError(form, err);
        return;
      }
      busy = false;
      const trancheId = (result && result.tranche_id) || d.tranche_id;
      navigate(`/tranches/${encodeURIComponent(trancheId)}?done=unenrolled&serial=${encodeURIComponent(d.serial_number)}`);
    }

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (busy) return;
      clearErrors(form);
      const reason = reasonInput.value.trim();
      if (!reason) {
        showErrors(form, [{ field: 'reason', message: t('unenroll.reason_required') }]);
        return;
      }
      // Second step: say exactly what will happen, then ask once more.
      firstActions.hidden = true;
      reasonInput.readOnly = true;
      const yes = button(t('unenroll.confirm'), { variant: 'primary', onclick: confirm });
      const box = h('div', { class: 'kern-alert kern-alert--warning app-alert', role: 'group', 'aria-labelledby': 'unenroll-confirm-title', tabindex: '-1' },
        h('div', { class: 'kern-alert__header' },
          h('span', { class: 'kern-icon kern-icon--warning', 'aria-hidden': 'true' }),
          h('span', { class: 'kern-title', id: 'unenroll-confirm-title' }, t('unenroll.confirm_title', { serial: d.serial_number }))),
        h('div', { class: 'kern-alert__body' },
          h('p', { class: 'kern-body' }, t('unenroll.confirm_text', { serial: d.serial_number, delivery: t('tranches.name', { id: d.tranche_id }) })),
          h('div', { class: 'app-actions' }, yes, button(t('unenroll.cancel'), { variant: 'secondary', onclick: cancel }))));
      confirmBox.replaceChildren(box);
      box.focus();
      announce(t('unenroll.confirm_title', { serial: d.serial_number }));
    });
    return section(title, form);
  }

  function showUnenrollError(form, err) {
    if (err instanceof ApiProblem && err.status === 409) {
      const reasons = (err.errors && err.errors.length ? err.errors : [{ field: null, message: err.detail }])
        .map((e) => ({ field: null, message: unenrollReason(e) }));
      showErrors(form, reasons);
      return;
    }
    if (err instanceof ApiProblem && err.status === 404) {
      load();
      showFlashError(t('unenroll.gone'));
      return;
    }
    showErrors(form, err, { reason: { name: 'reason', message: t('unenroll.reason_invalid') } });
  }

  // What each MDM connector last reported (Jamf School, Relution): one list per MDM.
  function mdmBlock(d) {
    if (!d.mdm.length) return [h('p', { class: 'kern-body' }, t('device.mdm_none'))];
    return d.mdm.map((m) => {
      const name = sourceName(m.source);
      const otherSchool = m.school_number && m.school_number !== d.school_number;
      return h('div', { class: 'app-mdm' },
        h('h3', { class: 'kern-heading-small' }, name),
        descList([
          [t('device.mdm_managed'), yesNo(m.managed)],
          [t('device.os_version'), m.os_version],
          [t('device.battery'), m.battery_pct === null || m.battery_pct === undefined ? null : t('device.percent', { value: formatNumber(m.battery_pct) })],
          [t('device.mdm_asset_tag'), m.asset_tag],
          [t('device.mdm_last_checkin'), formatDateTime(m.last_checkin_at)],
          [t('device.mdm_school'), m.school_number ? h('span', {}, schoolNames.has(m.school_number) ? `${schoolNames.get(m.school_number)} (${m.school_number})` : m.school_number,
            otherSchool ? [' ', badge(t('device.mdm_other_school'), 'warning')] : null) : null],
        ], t('device.mdm_label', { source: name })));
    });
  }

  function asmBlock(a) {
    if (!a) return h('p', { class: 'kern-body' }, t('device.asm_none'));
    return descList([
      [t('device.asm_order'), a.order_number ? h('span', { class: 'app-mono' }, a.order_number) : null],
      [t('device.asm_status'), has(`asm_status.${a.status}`) ? t(`asm_status.${a.status}`) : a.status],
      [t('device.asm_added'), formatDateTime(a.added_to_org_at)],
      [t('device.asm_released'), a.released_from_org_at
        ? h('span', {}, badge(t('device.asm_released_badge'), 'warning'), ' ', formatDateTime(a.released_from_org_at))
        : t('device.asm_not_released')],
    ], t('device.asm_label'));
  }

  function loanBlock(loan) {
    if (!loan) return [h('p', { class: 'kern-body' }, t('device.no_loan'))];
    const overdue = loan.due_on && loan.due_on < todayISO();
    return [
      descList([
        [t('device.borrower_ref'), h('span', { class: 'app-mono' }, loan.borrower_ref)],
        [t('device.borrower_kind'), has(`borrower_kind.${loan.borrower_kind}`) ? t(`borrower_kind.${loan.borrower_kind}`) : loan.borrower_kind],
        [t('device.agreement_ref'), loan.agreement_ref],
        [t('device.started_at'), formatDateTime(loan.started_at)],
        [t('device.due_on'), loan.due_on ? h('span', {}, formatDate(loan.due_on), overdue ? [' ', badge(t('device.overdue'), 'danger')] : null) : null],
      ]),
      h('p', { class: 'kern-body' }, link(`/loans/${encodeURIComponent(loan.id)}/agreement`, t('device.agreement_link'))),
    ];
  }

  function statusForm(d) {
    const allowed = Array.isArray(d.allowed_status_changes) ? d.allowed_status_changes : [];
    if (!allowed.length) {
      return section(t('device.change_status'), h('p', { class: 'kern-body' }, t('device.no_transitions')));
    }
    const reasonBlock = h('div', { class: 'app-retire', hidden: true },
      selectField({ id: 'retired_reason', label: t('device.retired_reason'), hint: t('device.retired_reason_hint'),
        options: [['', t('device.choose')], ...RETIRED_REASONS.map((r) => [r, t(`retired_reason.${r}`)])] }),
      textareaField({ id: 'retired_note', label: t('device.retired_note'), value: '' }));
    const form = h('form', { class: 'app-form', id: 'status-form', novalidate: true },
      selectField({ id: 'new_status', label: t('device.new_status'),
        options: [['', t('device.choose')], ...allowed.map((s) => [s, t(`status.${s}`)])] }),
      reasonBlock,
      h('div', { class: 'app-actions' }, button(t('device.status_submit'), { type: 'submit', variant: 'primary' })));
    form.elements.new_status.addEventListener('change', () => {
      reasonBlock.hidden = form.elements.new_status.value !== 'retired';
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const status = form.elements.new_status.value;
      if (!status) {
        showErrors(form, [{ field: 'new_status', message: t('forms.required', { field: t('device.new_status') }) }]);
        return;
      }
      const body = { status };
      if (status === 'retired') {
        if (form.elements.retired_reason.value) body.retired_reason = form.elements.retired_reason.value;
        const note = form.elements.retired_note.value.trim();
        if (note) body.note = note;
      }
      try {
        await api.patch(`/devices/${encodeURIComponent(d.serial_number)}`, body);
      } catch (err) {
        if (err instanceof ApiProblem && err.status === 409 && !err.errors.length) {
          await load();
          showFlashError(t('device.status_conflict'));
          return;
        }
        showErrors(form, err, {
          status: 'new_status',
          retired_reason: { name: 'retired_reason', message: t('device.retired_reason_required') },
          note: { name: 'retired_note', message: t('device.retired_note_required') },
        });
        return;
      }
      await load();
      showFlash(t('device.status_changed', { status: t(`status.${status}`) }));
    });
    return section(t('device.change_status'), form);
  }

  function editForm(d) {
    const form = h('form', { class: 'app-form', id: 'edit-form', novalidate: true },
      inputField({ id: 'location', label: t('device.location'), value: d.location || '', optional: true, attrs: { maxlength: '200' } }),
      textareaField({ id: 'note', label: t('device.note'), value: d.note || '', optional: true, attrs: { maxlength: '2000' } }),
      inputField({ id: 'asset_tag', label: t('device.asset_tag'), value: d.asset_tag || '', optional: true, attrs: { maxlength: '64', spellcheck: 'false' } }),
      h('div', { class: 'app-actions' }, button(t('device.edit_submit'), { type: 'submit', variant: 'primary' })));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const body = {};
      for (const k of ['location', 'note', 'asset_tag']) {
        const v = form.elements[k].value.trim();
        if (v !== (d[k] || '')) body[k] = v;
      }
      if (!Object.keys(body).length) {
        showFlash(t('device.edited'));
        return;
      }
      try {
        await api.patch(`/devices/${encodeURIComponent(d.serial_number)}`, body);
      } catch (err) {
        showErrors(form, err);
        return;
      }
      await load();
      showFlash(t('device.edited'));
    });
    return section(t('device.edit'), form);
  }

  await load();
  return undefined;
}
