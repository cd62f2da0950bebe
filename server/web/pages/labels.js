// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Asset-tag labels (/tranches/{id}/labels, ?serial=S for one device): a QR code that encodes
// https://<server>/d/<serial> (SVG from the server), the asset tag large, the serial and the school.
// Laid out for an A4 sheet of 3 × 8 labels of 70 × 37 mm (print.css, in mm).
import { h, clear, announce } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api } from '../js/api.js';
import { formatNumber } from '../js/format.js';
import { pageTitle, errorAlert, loading, alertBox, link } from '../js/ui.js';

const PER_SHEET = 24;
const PAGE_LIMIT = 500;
const MAX_DEVICES = 5000;

function labelCell(device, schoolText) {
  const serial = device.serial_number;
  return h('div', { class: 'lbl' },
    h('img', {
      class: 'lbl__qr',
      src: `/api/v1/devices/${encodeURIComponent(serial)}/qr.svg`,
      alt: t('labels.qr_alt', { serial }),
      width: '100',
      height: '100',
      decoding: 'async',
    }),
    h('div', { class: 'lbl__text' },
      h('p', { class: 'lbl__tag' + (device.asset_tag ? '' : ' lbl__tag--none') }, device.asset_tag || t('labels.no_asset_tag')),
      h('p', { class: 'lbl__serial' }, h('span', { class: 'lbl__key' }, t('labels.serial_short')), ' ', serial),
      h('p', { class: 'lbl__school' }, schoolText)));
}

function emptyCell() {
  return h('div', { class: 'lbl lbl--empty', 'aria-hidden': 'true' });
}

export async function render(main, ctx) {
  const id = ctx.params.id;
  const onlySerial = (ctx.query.get('serial') || '').trim();
  ctx.setTitle(t('labels.title'));
  const title = pageTitle(t('labels.title'), onlySerial ? t('labels.subtitle_one', { serial: onlySerial }) : null);
  title.classList.add('no-print');
  main.appendChild(title);
  const wait = loading();
  main.appendChild(wait);

  let tranche = null;
  let devices = [];
  try {
    tranche = await api.get(`/tranches/${encodeURIComponent(id)}`);
    if (onlySerial) {
      const d = await api.get(`/devices/${encodeURIComponent(onlySerial)}`);
      devices = [d];
    } else {
      let cursor = null;
      do {
        // eslint-disable-next-line no-await-in-loop
        const page = await api.get('/devices', { tranche_id: id, limit: PAGE_LIMIT, cursor });
        const items = page && Array.isArray(page.items) ? page.items : [];
        devices.push(...items);
        cursor = page ? page.next_cursor || null : null;
        wait.textContent = t('labels.loading_count', { count: formatNumber(devices.length) });
        if (ctx.isCurrent && !ctx.isCurrent()) return undefined;
      } while (cursor && devices.length < MAX_DEVICES);
    }
  } catch (err) {
    if (ctx.isCurrent && !ctx.isCurrent()) return undefined;
    wait.remove();
    main.appendChild(errorAlert(err));
    return undefined;
  }
  if (ctx.isCurrent && !ctx.isCurrent()) return undefined;

  let schoolName = null;
  const schoolNumber = (devices[0] && devices[0].school_number) || (tranche && tranche.school_number);
  if (schoolNumber) {
    try {
      const s = await api.get(`/schools/${encodeURIComponent(schoolNumber)}`);
      schoolName = s && s.name ? s.name : null;
    } catch (_) { /* the number is enough */ }
  }
  if (ctx.isCurrent && !ctx.isCurrent()) return undefined;
  wait.remove();
  const schoolText = schoolName || (schoolNumber ? t('labels.school_number', { n: schoolNumber }) : '');

  // ---- screen-only controls ------------------------------------------------------------------
  const printBtn = h('button', { type: 'button', class: 'kern-btn kern-btn--primary' }, h('span', { class: 'kern-label' }, t('labels.print')));
  printBtn.addEventListener('click', () => window.print());
  const startInput = h('input', {
    class: 'kern-form-input__input kern-form-input__input--width-4', id: 'labels-start', name: 'start', type: 'number',
    min: '1', max: String(PER_SHEET), value: '1', inputmode: 'numeric', 'aria-describedby': 'labels-start-hint',
  });
  const sheetsBox = h('div', { class: 'lbl-sheets', role: 'region', 'aria-label': t('labels.sheets_label') });
  const countLine = h('p', { class: 'kern-body' });
  const qrStatus = h('p', { class: 'kern-body app-muted lbl-qr-status' });

  const controls = h('div', { class: 'lbl-controls no-print' },
    h('p', { class: 'kern-body' },
      link(`/tranches/${encodeURIComponent(id)}`, t('labels.back_to_tranche')),
      onlySerial ? [' · ', link(`/devices/${encodeURIComponent(onlySerial)}`, t('labels.back_to_device'))] : null,
      onlySerial ? [' · ', link(`/tranches/${encodeURIComponent(id)}/labels`, t('labels.all_of_tranche'))] : null),
    countLine,
    alertBox('info', t('labels.hint_title'),
      t('labels.hint_size'),
      t('labels.hint_sheet')),
    h('div', { class: 'kern-form-input lbl-start' },
      h('label', { class: 'kern-label', for: 'labels-start' }, t('labels.start_label')),
      h('div', { class: 'kern-hint', id: 'labels-start-hint' }, t('labels.start_hint')),
      startInput),
    h('div', { class: 'app-actions' }, printBtn, qrStatus));

  // Print only once every QR image has arrived (a missing image would print as an empty square).
  function watchImages() {
    const imgs = Array.from(sheetsBox.querySelectorAll('img.lbl__qr'));
    const total = imgs.length;
    let done = 0;
    let failed = 0;
    const update = () => {
      if (done < total) {
        printBtn.disabled = true;
        qrStatus.textContent = t('labels.qr_loading', { done: formatNumber(done), total: formatNumber(total) });
      } else {
        printBtn.disabled = false;
        qrStatus.textContent = failed ? t('labels.qr_failed', { count: formatNumber(failed) }) : '';
      }
    };
    for (const img of imgs) {
      if (img.complete) { done += 1; if (!img.naturalWidth) failed += 1; continue; }
      const finish = (ok) => { done += 1; if (!ok) failed += 1; update(); };
      img.addEventListener('load', () => finish(true), { once: true });
      img.addEventListener('error', () => finish(false), { once: true });
    }
    update();
  }

  function layout() {
    let start = parseInt(startInput.value, 10);
    if (!Number.isFinite(start) || start < 1) start = 1;
    if (start > PER_SHEET) start = PER_SHEET;
    const cells = [];
    for (let i = 1; i < start; i += 1) cells.push(emptyCell());
    for (const d of devices) cells.push(labelCell(d, schoolText));
    clear(sheetsBox);
    const sheets = Math.ceil(cells.length / PER_SHEET) || 0;
    for (let s = 0; s < sheets; s += 1) {
      const part = cells.slice(s * PER_SHEET, (s + 1) * PER_SHEET);
      while (part.length < PER_SHEET) part.push(emptyCell());
      sheetsBox.appendChild(h('section', { class: 'lbl-sheet', 'aria-label': t('labels.sheet_n', { n: s + 1, total: sheets }) }, part));
    }
    countLine.textContent = t('labels.count', { count: formatNumber(devices.length), sheets: formatNumber(sheets) });
    return sheets;
  }

  startInput.addEventListener('change', () => {
    const sheets = layout();
    watchImages();
    announce(t('labels.relayout', { sheets: formatNumber(sheets) }));
  });

  main.appendChild(controls);
  if (!devices.length) {
    main.appendChild(alertBox('info', t('labels.empty')));
    printBtn.disabled = true;
    return undefined;
  }
  if (devices.length >= MAX_DEVICES) main.appendChild(alertBox('warning', t('labels.truncated', { count: formatNumber(MAX_DEVICES) })));
  layout();
  main.appendChild(sheetsBox);
  watchImages();
  return undefined;
}
