// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// One delivery: its details (editable by municipal IT), the supplier's delivery list (upload by
// file picker or drag and drop; every bad line shown on a 422), the rollout funnel as a chart and
// a table, the reconciliation, and the ways to scanning and the label sheet.
import { h, announce } from '../js/dom.js';
import { t, has, language } from '../js/i18n.js';
import { api, ApiProblem } from '../js/api.js';
import { formatDate, formatMoney, formatNumber, formatPercent, todayISO } from '../js/format.js';
import { showErrors, clearErrors } from '../js/forms.js';
import { funnelChart } from '../js/charts.js';
import {
  pageTitle, descList, dataTable, section, link, buttonLink, button, errorAlert, alertBox, loading, disclosure,
} from '../js/ui.js';
import { deliveryFields, readDeliveryForm } from './tranches.js';
import { spendByCell } from './grants.js';

const FUNNEL = ['expected', 'in_manifest', 'enrolled', 'managed', 'seen_last_7_days'];
const LIST_MAX = 200;
const MAX_FILE_BYTES = 8 * 1024 * 1024;

function serialList(serials, { linked }) {
  const shown = serials.slice(0, LIST_MAX);
  return [
    h('ul', { class: 'app-serials' }, shown.map((s) => h('li', { class: 'app-mono' },
      (typeof linked === 'function' ? linked(s) : linked) ? link(`/devices/${encodeURIComponent(s)}`, s) : s))),
    serials.length > shown.length ? h('p', { class: 'kern-body app-muted' }, t('tranche.more_items', { count: formatNumber(serials.length - shown.length) })) : null,
  ];
}

// The server's reasons for a bad line are English; the known ones in German, the rest as sent.
const LINE_MESSAGES = [
  [/^'(.*)' is not a serial number/, (m) => t('manifest.msg.not_serial', { serial: m[1] })],
  [/^'(.*)' is listed twice \(first on line (\d+)\)/, (m) => t('manifest.msg.twice', { serial: m[1], line: m[2] })],
  [/^'(.*)' is in the manifest of tranche (\d+)/, (m) => t('manifest.msg.other_manifest', { serial: m[1], id: m[2] })],
  [/^'(.*)' is enrolled in tranche (\d+)/, (m) => t('manifest.msg.other_tranche', { serial: m[1], id: m[2] })],
  [/^is empty$/, () => t('manifest.msg.empty')],
  [/^the manifest would list (\d+) devices; the tranche expects (\d+)/, (m) => t('manifest.msg.too_many', { count: formatNumber(Number(m[1])), expected: formatNumber(Number(m[2])) })],
  [/^has (\d+) fields, the header has (\d+)/, (m) => t('manifest.msg.fields', { count: m[1], header: m[2] })],
  [/^the column appears twice/, () => t('manifest.msg.column_twice')],
  [/^the header has no serial number column/, () => t('manifest.msg.no_serial_column')],
  [/^the manifest is empty/, () => t('manifest.msg.no_header')],
  [/^must be 15 digits/, () => t('manifest.msg.imei')],
];

function lineMessage(e) {
  const text = String(e.message || '');
  if (language() === 'en') return text;
  for (const [re, fn] of LINE_MESSAGES) {
    const m = re.exec(text);
    if (m) return fn(m);
  }
  return text;
}

function lineField(field) {
  if (!field) return t('manifest.field_row');
  return has(`manifest.field.${field}`) ? t(`manifest.field.${field}`) : field;
}

/** The file as text: UTF-8, or Windows-1252 (Excel's "CSV" on German Windows) when it is not. */
async function readCsv(file) {
  const buf = await file.arrayBuffer();
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), converted: false };
  } catch (_) {
    return { text: new TextDecoder('windows-1252').decode(buf), converted: true };
  }
}

function dataRows(text) {
  const lines = text.split(/\r\n|\n|\r/).filter((l) => l.trim() !== '');
  return Math.max(0, lines.length - 1);
}

export async function render(main, ctx) {
  const id = ctx.params.id;
  ctx.setTitle(t('tranche.title', { id }));
  main.appendChild(pageTitle(t('tranche.title', { id })));
  const flash = h('div', { class: 'app-flash' });
  const body = h('div', {}, loading());
  main.append(flash, body);
  const isCity = ctx.user.role === 'city_admin';

  let tr;
  try {
    tr = await api.get(`/tranches/${encodeURIComponent(id)}`);
  } catch (err) {
    if (!ctx.isCurrent()) return undefined;
    body.replaceChildren(err instanceof ApiProblem && (err.status === 404 || err.status === 400) ? alertBox('warning', t('errors.404')) : errorAlert(err));
    return undefined;
  }
  if (!ctx.isCurrent()) return undefined;
  const [school, grant] = await Promise.all([
    api.get(`/schools/${encodeURIComponent(tr.school_number)}`).catch(() => null),
    isCity ? api.get(`/grants/${encodeURIComponent(tr.grant_id)}`).catch(() => null) : null,
  ]);
  if (!ctx.isCurrent()) return undefined;
  ctx.setTitle(t('tranche.title', { id }) + ' · ' + tr.model);

  function showFlash(kind, text, ...more) {
    const a = alertBox(kind, text, ...more);
    a.setAttribute('tabindex', '-1');
    flash.replaceChildren(a);
    a.focus();
    announce(text);
  }

  // ---- details ------------------------------------------------------------------------------
  const dataBox = h('div', {});
  function renderData() {
    dataBox.replaceChildren(section(t('tranche.data'), descList([
      [t('tranches.school'), school ? link(`/schools/${encodeURIComponent(tr.school_number)}`, `${school.name} (${tr.school_number})`) : tr.school_number],
      [t('tranches.delivered_on'), formatDate(tr.delivered_on)],
      [t('tranches.model'), tr.model],
      [t('tranches.expected'), formatNumber(tr.expected_count)],
      [t('tranches.unit_price'), formatMoney(tr.unit_price_cents)],
      [t('tranches.supplier'), tr.supplier],
      [t('tranches.order_number'), tr.order_number],
      [t('tranches.delivery_note'), tr.delivery_note],
      [t('tranche.grant'), isCity
        ? link(`/grants/${tr.grant_id}`, [tr.grant_reference || String(tr.grant_id), tr.programme].filter(Boolean).join(' · '))
        : [tr.grant_reference || String(tr.grant_id), tr.programme].filter(Boolean).join(' · ')],
      grant ? [t('grants.spend_by'), spendByCell(grant.spend_by)] : null,
    ])));
  }

  // ---- funnel -------------------------------------------------------------------------------
  const funnelBox = h('div', {});
  function renderFunnel() {
    const p = tr.progress || {};
    const expected = p.expected || tr.expected_count || 0;
    const rows = FUNNEL.map((s) => ({ step: s, value: s === 'expected' ? expected : (p[s] || 0) }));
    const title = t('delivery_funnel.title', { id: tr.id });
    const chart = funnelChart(rows.map((r) => ({ label: t(`progress.${r.step}`), value: r.value })), {
      title,
      description: t('delivery_funnel.description'),
    });
    const share = (v) => (expected > 0 ? formatPercent(v / expected) : t('app.none'));
    funnelBox.replaceChildren(section(t('tranche.funnel'),
      h('p', { class: 'kern-body kern-body--large' }, t('progress.summary', { enrolled: formatNumber(p.enrolled || 0), expected: formatNumber(expected) })),
      h('div', { class: 'app-grid app-funnel' },
        h('figure', { class: 'app-chart-figure' },
          h('figcaption', { class: 'kern-title app-chart-figure__caption', 'aria-hidden': 'true' }, title),
          chart),
        h('div', {},
          dataTable({
            caption: t('delivery_funnel.table_caption', { id: tr.id }),
            columns: [
              { label: t('tranche.step'), header: true, render: (r) => t(`delivery_funnel.step_${r.step}`) },
              { label: t('tranche.count'), numeric: true, render: (r) => formatNumber(r.value) },
              { label: t('delivery_funnel.share'), numeric: true, render: (r) => share(r.value) },
            ],
            rows,
          }),
          descList([
            [t('delivery_funnel.loaned'), formatNumber(p.loaned || 0)],
            [t('delivery_funnel.missing'), formatNumber(p.missing || 0)],
          ], t('delivery_funnel.more'))))));
  }

  // ---- reconciliation -----------------------------------------------------------------------
  const reconBox = h('div', {});
  async function renderRecon() {
    const recon = section(t('tranche.reconciliation'), loading());
    reconBox.replaceChildren(recon);
    let rec;
    try {
      rec = await api.get(`/tranches/${encodeURIComponent(id)}/reconciliation`);
    } catch (err) {
      if (!ctx.isCurrent()) return;
      recon.replaceChildren(recon.querySelector('h2'), errorAlert(err));
      return;
    }
    if (!ctx.isCurrent()) return;
    const p = tr.progress || {};
    const missing = rec.missing || [];
    const block = (title, list, emptyText, linked, extra) => h('div', {},
      h('h3', { class: 'kern-heading-small' }, title, ' ', h('span', { class: 'app-muted' }, `(${t('tranche.count_items', { count: formatNumber(list.length) })})`)),
      list.length ? [extra, serialList(list, { linked })] : h('p', { class: 'kern-body' }, emptyText));
    recon.replaceChildren(...[recon.querySelector('h2'),
      !p.in_manifest ? h('p', { class: 'kern-body app-muted' }, t('tranche.no_manifest')) : null,
      p.in_manifest ? block(t('tranche.missing'), missing, t('tranche.none_missing'), false,
        h('p', { class: 'kern-body' }, t('delivery.missing_hint'), ' ',
          ctx.canWrite ? link(`/tranches/${tr.id}/scan`, t('delivery.scan_missing')) : null)) : null,
      block(t('tranche.unexpected'), rec.unexpected || [], t('tranche.none_unexpected'), true),
      block(t('tranche.not_seen'), rec.not_seen || [], t('tranche.none_not_seen'), true),
      // Only an enrolled device has a page: those on the delivery list but missing have none.
      Array.isArray(rec.released) ? block(t('tranche.released'), rec.released, t('tranche.none_released'), (serial) => !missing.includes(serial),
        h('p', { class: 'kern-body' }, t('tranche.released_hint'))) : null].filter(Boolean));
  }

  async function refresh() {
    try {
      tr = await api.get(`/tranches/${encodeURIComponent(id)}`);
    } catch (_) { return; }
    if (!ctx.isCurrent()) return;
    renderData();
    renderFunnel();
    await renderRecon();
  }

  // ---- edit (municipal IT) --------------------------------------------------------------------
  function editForm() {
    const frozenSince = grant && grant.spend_by < todayISO() ? grant.spend_by : null;
    const fields = deliveryFields('edit', tr, { frozenSince });
    const form = h('form', { class: 'app-form', id: 'delivery-edit', novalidate: true },
      h('p', { class: 'kern-body' }, t('delivery_edit.intro')),
      ...fields.fields,
      h('div', { class: 'app-actions' }, button(t('delivery_edit.submit'), { type: 'submit' })));
    let busy = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (busy) return;
      clearErrors(form);
      const { body: changes, errors } = readDeliveryForm(form, tr);
      if (errors.length) { showErrors(form, errors); return; }
      if (!Object.keys(changes).length) { showFlash('info', t('delivery_edit.unchanged')); return; }
      busy = true;
      let updated;
      try {
        updated = await api.patch(`/tranches/${encodeURIComponent(id)}`, changes);
      } catch (err) {
        busy = false;
        showEditError(form, err, changes);
        return;
      }
      busy = false;
      tr = updated && updated.id ? updated : tr;
      await refresh();
      showFlash('success', t('delivery_edit.saved'));
    });
    return h('div', { class: 'app-section' }, disclosure({ title: t('delivery_edit.title'), id: 'delivery-edit-panel' }, form));
  }

  function showEditError(form, err, changes) {
    if (err instanceof ApiProblem && err.status === 409) {
      const frozen = /proof-of-use-frozen$/.test(err.type || '');
      // The date the server names (the grant may have changed since this page was loaded).
      const said = [...(err.errors || []).map((e) => e.message), err.detail].join(' ').match(/\d{4}-\d{2}-\d{2}/);
      const date = said ? formatDate(said[0]) : (grant ? formatDate(grant.spend_by) : '');
      const named = new Set((err.errors || []).map((e) => e.field));
      const items = [];
      for (const field of ['unit_price_cents', 'expected_count']) {
        if (!(field in changes) && !named.has(field)) continue;
        if (frozen) items.push({ field, message: date ? t('delivery_edit.frozen', { date }) : t('delivery_edit.frozen_nodate') });
        else if (field === 'expected_count') items.push({ field, message: t('delivery_edit.below_enrolled', { enrolled: formatNumber((tr.progress || {}).enrolled || 0) }) });
      }
      if (!items.length) items.push({ field: null, message: frozen ? t('delivery_edit.frozen_nodate') : t('errors.409') });
      showErrors(form, items);
      return;
    }
    showErrors(form, err);
  }

  // ---- delivery list upload -------------------------------------------------------------------
  function manifestSection() {
    const result = h('div', { class: 'app-manifest__result', id: 'manifest-result' });
    const fileInput = h('input', {
      type: 'file', id: 'manifest-file', class: 'visually-hidden', tabindex: '-1',
      accept: '.csv,text/csv,text/plain', 'aria-describedby': 'manifest-format',
    });
    const chosen = h('p', { class: 'kern-body app-manifest__chosen', id: 'manifest-chosen', 'aria-live': 'polite' }, t('manifest.none_chosen'));
    let file = null;
    let busy = false;

    function choose(f) {
      if (!f) return;
      file = f;
      result.replaceChildren();
      chosen.textContent = t('manifest.chosen', { name: f.name, size: formatNumber(Math.max(1, Math.round(f.size / 1024))) });
      uploadBtn.focus();
    }

    const zone = h('div', {
      class: 'app-dropzone', id: 'manifest-drop', role: 'button', tabindex: '0',
      'aria-describedby': 'manifest-format manifest-chosen',
      onclick: () => fileInput.click(),
      onkeydown: (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); fileInput.click(); }
      },
    },
    h('span', { class: 'kern-icon kern-icon--drive-folder-upload app-dropzone__icon', 'aria-hidden': 'true' }),
    h('span', { class: 'app-dropzone__title' }, t('manifest.drop_title')),
    h('span', { class: 'app-dropzone__text' }, t('manifest.drop_text')));
    zone.addEventListener('dragenter', (ev) => { ev.preventDefault(); zone.classList.add('app-dropzone--over'); });
    zone.addEventListener('dragover', (ev) => { ev.preventDefault(); if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy'; zone.classList.add('app-dropzone--over'); });
    zone.addEventListener('dragleave', (ev) => {
      if (!zone.contains(ev.relatedTarget)) zone.classList.remove('app-dropzone--over');
    });
    zone.addEventListener('drop', (ev) => {
      ev.preventDefault();
      zone.classList.remove('app-dropzone--over');
      const f = ev.dataTransfer && ev.dataTransfer.files && ev.dataTransfer.files[0];
      if (f) choose(f);
    });
    fileInput.addEventListener('change', () => choose(fileInput.files && fileInput.files[0]));

    const uploadBtn = button(t('manifest.upload'), { variant: 'primary', id: 'manifest-upload', onclick: upload });

    async function upload() {
      if (busy) return;
      if (!file) {
        result.replaceChildren(alertBox('warning', t('manifest.choose_first')));
        zone.focus();
        return;
      }
      if (file.size > MAX_FILE_BYTES) {
        showResult(alertBox('danger', t('manifest.too_big', { size: formatNumber(Math.round(MAX_FILE_BYTES / 1024 / 1024)) })));
        return;
      }
      busy = true;
      uploadBtn.setAttribute('aria-disabled', 'true');
      result.replaceChildren(h('p', { class: 'kern-body', role: 'status' }, t('manifest.uploading', { name: file.name })));
      let stored;
      let note = null;
      try {
        const { text, converted } = await readCsv(file);
        if (converted) note = t('manifest.converted');
        stored = await api.put(`/tranches/${encodeURIComponent(id)}/manifest`, text, 'text/csv; charset=utf-8');
      } catch (err) {
        busy = false;
        uploadBtn.removeAttribute('aria-disabled');
        if (err instanceof ApiProblem && err.status === 422) showBadLines(err, note);
        else showResult(errorAlert(err));
        return;
      }
      busy = false;
      uploadBtn.removeAttribute('aria-disabled');
      const message = t('manifest.stored', {
        rows: formatNumber(stored.rows), added: formatNumber(stored.added), present: formatNumber(stored.already_present),
      });
      showResult(alertBox('success', t('manifest.stored_title'), message, note));
      announce(`${t('manifest.stored_title')} ${message}`);
      file = null;
      fileInput.value = '';
      chosen.textContent = t('manifest.none_chosen');
      await refresh();
    }

    function showResult(...nodes) {
      result.replaceChildren(...nodes);
      const first = result.firstChild;
      if (first) {
        first.setAttribute('tabindex', '-1');
        first.focus();
      }
    }

    function showBadLines(err, note) {
      const lines = err.errors || [];
      const count = new Set(lines.map((e) => e.line ?? `-${e.field}`)).size;
      const title = t('manifest.rejected_title');
      const summary = lines.length ? t('manifest.rejected', { count: formatNumber(count) }) : t('manifest.rejected_no_lines');
      const box = alertBox('danger', title, summary, t('manifest.nothing_stored'), note);
      const table = lines.length ? dataTable({
        caption: t('manifest.bad_lines_caption', { count: formatNumber(lines.length) }),
        className: 'app-bad-lines',
        columns: [
          { label: t('manifest.line'), header: true, numeric: true, render: (e) => (e.line ? formatNumber(e.line) : t('app.none')) },
          { label: t('manifest.field_col'), render: (e) => lineField(e.field) },
          { label: t('manifest.message'), render: (e) => lineMessage(e) },
        ],
        rows: lines,
      }) : (err.detail ? h('p', { class: 'kern-body' }, t('errors.server_said', { detail: err.detail })) : null);
      showResult(box, table);
      announce(`${title}. ${summary} ${t('manifest.nothing_stored')}`);
    }

    return section(t('manifest.title'),
      h('p', { class: 'kern-body', id: 'manifest-format' }, t('manifest.format')),
      h('label', { class: 'visually-hidden', for: 'manifest-file' }, t('manifest.file_label')),
      fileInput,
      zone,
      chosen,
      h('div', { class: 'app-actions' }, uploadBtn),
      result);
  }

  // ---- page ---------------------------------------------------------------------------------
  const actions = h('div', { class: 'app-actions no-print' },
    ctx.canWrite ? buttonLink(`/tranches/${tr.id}/scan`, t('tranche.scan'), 'primary') : null,
    buttonLink(`/tranches/${tr.id}/labels`, t('tranche.labels'), 'secondary'),
    link(`/devices?tranche_id=${tr.id}&school_number=${encodeURIComponent(tr.school_number)}`, t('tranche.devices')));
  renderData();
  renderFunnel();
  body.replaceChildren(actions, dataBox,
    isCity ? editForm() : null,
    ctx.canWrite ? h('div', { id: 'manifest' }, manifestSection()) : null,
    funnelBox, reconBox);

  const done = ctx.query.get('done');
  if (done === 'created') {
    showFlash('success', t('delivery.created', { id: tr.id }), h('p', { class: 'kern-body' }, link('#manifest', t('delivery.to_manifest'))));
  } else if (done === 'unenrolled') {
    const serial = ctx.query.get('serial') || '';
    showFlash('success', t('delivery.unenrolled', { serial }), t('delivery.unenrolled_next'));
  }
  if (done) window.history.replaceState({}, '', window.location.pathname);
  await renderRecon();
  return undefined;
}
