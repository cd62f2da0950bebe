// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Scanning a delivery (/tranches/{id}/scan): one autofocused field, every scan answered at once.
// Scans go through an ordered queue that is mirrored in sessionStorage; a scan leaves the queue
// only when the server has answered it, so a dropped connection loses nothing. The count shown
// is always the latest server answer's progress, never a client-side counter.
import { h, svg, clear, announce } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api, ApiProblem, NetworkError, problemMessage } from '../js/api.js';
import { formatDate, formatNumber } from '../js/format.js';
import { pageTitle, errorAlert, alertBox, loading, descList, link } from '../js/ui.js';

const KNOWN = ['enrolled', 'already_enrolled', 'not_on_manifest', 'other_school', 'other_tranche',
  'ambiguous', 'invalid', 'tranche_full'];

// kind → colour family; each kind also has its own icon shape and word.
const KIND = {
  enrolled: 'ok',
  already_enrolled: 'info',
  not_on_manifest: 'bad',
  other_school: 'bad',
  other_tranche: 'bad',
  ambiguous: 'warn',
  invalid: 'warn',
  tranche_full: 'warn',
  error: 'bad',
};

const MAX_DELAY = 15000;
const MAX_LIST = 200;

// Per user and delivery: scans waiting after a logout are not sent under the next user's name.
let storageUser = '';

function storageKey(id) {
  return `pakt.scanQueue.${storageUser}.${id}`;
}

function loadQueue(id) {
  try {
    const raw = sessionStorage.getItem(storageKey(id));
    const list = raw ? JSON.parse(raw) : [];
    return Array.isArray(list) ? list.filter((q) => q && typeof q.code === 'string' && q.key) : [];
  } catch (_) {
    return [];
  }
}

function saveQueue(id, queue) {
  try {
    if (queue.length) sessionStorage.setItem(storageKey(id), JSON.stringify(queue.map(({ key, code, at, exact }) => ({ key, code, at, exact }))));
    else sessionStorage.removeItem(storageKey(id));
  } catch (_) { /* storage full or disabled: the in-page queue still works */ }
}

function newKey() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A small icon whose shape differs per kind (not colour alone). */
function kindIcon(kind) {
  const common = { viewBox: '0 0 24 24', width: '100%', height: '100%', 'aria-hidden': 'true', focusable: 'false', class: 'scan-icon__svg' };
  const stroke = { fill: 'none', stroke: 'currentColor', 'stroke-width': '2.6', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' };
  if (kind === 'ok') {
    return svg('svg', common, svg('circle', { cx: '12', cy: '12', r: '10.5', fill: 'none', stroke: 'currentColor', 'stroke-width': '2' }),
      svg('path', { d: 'M7 12.5l3.2 3.2L17 9', ...stroke }));
  }
  if (kind === 'info') {
    return svg('svg', common, svg('circle', { cx: '12', cy: '12', r: '10.5', fill: 'none', stroke: 'currentColor', 'stroke-width': '2' }),
      svg('path', { d: 'M12 11v6', ...stroke }), svg('circle', { cx: '12', cy: '7.3', r: '1.5', fill: 'currentColor' }));
  }
  if (kind === 'bad') {
    return svg('svg', common, svg('rect', { x: '1.5', y: '1.5', width: '21', height: '21', rx: '3', fill: 'none', stroke: 'currentColor', 'stroke-width': '2' }),
      svg('path', { d: 'M7.5 7.5l9 9M16.5 7.5l-9 9', ...stroke }));
  }
  if (kind === 'warn') {
    return svg('svg', common, svg('path', { d: 'M12 2L22.5 21H1.5Z', fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linejoin': 'round' }),
      svg('path', { d: 'M12 9v5.5', ...stroke }), svg('circle', { cx: '12', cy: '17.6', r: '1.4', fill: 'currentColor' }));
  }
  // pending: a clock
  return svg('svg', common, svg('circle', { cx: '12', cy: '12', r: '10.5', fill: 'none', stroke: 'currentColor', 'stroke-width': '2' }),
    svg('path', { d: 'M12 6.5V12l3.5 2.5', ...stroke }));
}

let audioCtx = null;
/** A short beep (one high tone = fine, two low tones = look at the screen). Never required. */
function beep(kind) {
  try {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    // Browsers allow sound only after the person has interacted with the page (e.g. not for scans restored on reload).
    if (navigator.userActivation && !navigator.userActivation.hasBeenActive) return;
    if (!audioCtx) audioCtx = new AC();
    const tones = kind === 'ok' || kind === 'info' ? [[kind === 'ok' ? 1320 : 990, 0]] : [[330, 0], [330, 0.2]];
    for (const [freq, at] of tones) {
      const osc = audioCtx.createOscillator();
      const gain = audioCtx.createGain();
      osc.frequency.value = freq;
      osc.type = 'square';
      gain.gain.value = 0.04;
      osc.connect(gain).connect(audioCtx.destination);
      const start = audioCtx.currentTime + at;
      osc.start(start);
      osc.stop(start + 0.12);
    }
  } catch (_) { /* no sound available: the screen says it all */ }
}

/**
 * A camera scanner for browsers with the BarcodeDetector API (Chrome on Android, ChromeOS, macOS).
 * Elsewhere (e.g. Safari on iPadOS) nothing is shown: the text field takes the system's text scanning.
 * onCode(rawValue) is called once per code (the same code again only after 3 s).
 */
function cameraScanner(onCode) {
  const supported = typeof window.BarcodeDetector === 'function' && navigator.mediaDevices
    && typeof navigator.mediaDevices.getUserMedia === 'function';
  const element = h('div', { class: 'scan-camera', hidden: !supported });
  let stream = null;
  let timer = null;
  let lastCode = null;
  let lastAt = 0;
  const video = h('video', { class: 'scan-camera__video', muted: true, playsinline: true, hidden: true, 'aria-hidden': 'true' });
  video.muted = true;
  const status = h('p', { class: 'kern-body kern-body--small scan-camera__status' });
  const btn = h('button', { type: 'button', class: 'kern-btn kern-btn--secondary', 'aria-pressed': 'false' },
    h('span', { class: 'kern-label' }, t('scan.camera_start')));
  element.append(btn, status, video);

  function stop() {
    clearInterval(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((tr) => tr.stop());
    stream = null;
    video.hidden = true;
    btn.setAttribute('aria-pressed', 'false');
    btn.firstChild.textContent = t('scan.camera_start');
  }

  async function start() {
    let detector;
    try {
      detector = new window.BarcodeDetector({ formats: ['code_128', 'qr_code', 'data_matrix', 'code_39'] });
    } catch (_) {
      try { detector = new window.BarcodeDetector(); } catch (err) { status.textContent = t('scan.camera_failed'); return; }
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (_) {
      status.textContent = t('scan.camera_denied');
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play().catch(() => {});
    btn.setAttribute('aria-pressed', 'true');
    btn.firstChild.textContent = t('scan.camera_stop');
    status.textContent = t('scan.camera_on');
    let busy = false;
    timer = setInterval(async () => {
      if (busy || !stream || video.readyState < 2) return;
      busy = true;
      try {
        const codes = await detector.detect(video);
        const raw = codes && codes[0] && codes[0].rawValue ? String(codes[0].rawValue).trim() : '';
        const now = Date.now();
        if (raw && (raw !== lastCode || now - lastAt > 3000)) {
          lastCode = raw;
          lastAt = now;
          onCode(raw);
        }
      } catch (_) { /* next frame */ } finally { busy = false; }
    }, 250);
  }

  btn.addEventListener('click', () => { if (stream) { stop(); status.textContent = ''; } else start(); });
  return { element, stop };
}

function statusKey(status) {
  return KNOWN.includes(status) ? status : 'unknown';
}

export async function render(main, ctx) {
  const id = ctx.params.id;
  storageUser = ctx.user && ctx.user.username ? ctx.user.username : '';
  ctx.setTitle(t('scan.title'));

  const head = pageTitle(t('scan.title'));
  main.appendChild(head);
  const loadingEl = loading();
  main.appendChild(loadingEl);

  const current = () => !ctx.isCurrent || ctx.isCurrent();
  let tranche;
  try {
    tranche = await api.get(`/tranches/${encodeURIComponent(id)}`);
  } catch (err) {
    if (!current()) return undefined;
    loadingEl.remove();
    main.appendChild(errorAlert(err));
    return undefined;
  }
  let schoolName = null;
  try {
    const school = await api.get(`/schools/${encodeURIComponent(tranche.school_number)}`);
    schoolName = school && school.name ? school.name : null;
  } catch (_) { /* the number is enough */ }
  if (!current()) return undefined;
  loadingEl.remove();
  let queue = []; // scans waiting for an answer, in order (filled from sessionStorage below)

  const schoolText = schoolName ? `${schoolName} (${tranche.school_number})` : String(tranche.school_number);
  const progress0 = tranche.progress || {};
  const expected0 = progress0.expected ?? tranche.expected_count;

  // ---- the delivery -------------------------------------------------------------------------
  const backLink = h('p', { class: 'kern-body scan-back' },
    link(`/tranches/${encodeURIComponent(id)}`, t('scan.back_to_tranche')));
  const facts = descList([
    [t('scan.school'), schoolText],
    [t('scan.model'), tranche.model || ''],
    [t('scan.delivery'), [tranche.supplier, tranche.delivery_note, formatDate(tranche.delivered_on)].filter(Boolean).join(' · ')],
    [t('scan.expected'), formatNumber(expected0)],
  ], t('scan.delivery_label'));
  facts.classList.add('kern-description-list--col');
  main.appendChild(h('section', { class: 'scan-delivery', 'aria-label': t('scan.delivery_label') }, facts, backLink));

  // ---- progress (always from the server) -------------------------------------------------------
  const countText = h('p', { class: 'scan-count', id: 'scan-count' });
  const bar = h('progress', { class: 'scan-bar', max: '1', value: '0', 'aria-labelledby': 'scan-count' });
  const progressBox = h('div', { class: 'scan-progress' }, countText, bar);
  function showProgress(p) {
    if (!p) return;
    const enrolled = Number(p.enrolled ?? 0);
    const expected = Number(p.expected ?? expected0 ?? 0);
    countText.textContent = t('scan.count', { enrolled: formatNumber(enrolled), expected: formatNumber(expected) });
    bar.max = expected > 0 ? expected : 1;
    bar.value = Math.min(enrolled, bar.max);
  }
  showProgress({ enrolled: progress0.enrolled ?? 0, expected: expected0 });
  main.appendChild(progressBox);

  // ---- missing (finish) ---------------------------------------------------------------------
  const missingBox = h('section', { class: 'scan-missing', 'aria-labelledby': 'scan-missing-title', hidden: true });
  async function showMissing(btn) {
    missingBox.hidden = false;
    clear(missingBox);
    missingBox.appendChild(h('h2', { class: 'kern-heading-medium', id: 'scan-missing-title', tabindex: '-1' }, t('scan.missing_title')));
    missingBox.appendChild(loading());
    if (btn) btn.disabled = true;
    let rec;
    try {
      rec = await api.get(`/tranches/${encodeURIComponent(id)}/reconciliation`);
    } catch (err) {
      missingBox.lastChild.remove();
      missingBox.appendChild(errorAlert(err));
      if (btn) btn.disabled = false;
      return;
    }
    if (btn) btn.disabled = false;
    missingBox.lastChild.remove();
    const missing = rec && Array.isArray(rec.missing) ? rec.missing : [];
    const waiting = queue.length;
    if (waiting) {
      missingBox.appendChild(alertBox('warning', t('scan.missing_queue_warning', { count: formatNumber(waiting) })));
    }
    if (!missing.length) {
      const noManifest = tranche.progress && Number(tranche.progress.in_manifest) === 0;
      missingBox.appendChild(alertBox(noManifest ? 'info' : 'success',
        noManifest ? t('scan.missing_no_manifest') : t('scan.missing_none')));
      announce(noManifest ? t('scan.missing_no_manifest') : t('scan.missing_none'));
    } else {
      const countLine = t('scan.missing_count', { count: formatNumber(missing.length) });
      missingBox.appendChild(h('p', { class: 'kern-body kern-body--large scan-missing__count' }, countLine));
      missingBox.appendChild(h('ul', { class: 'scan-missing__list', 'aria-label': t('scan.missing_list_label') },
        // Not enrolled, so without a device page: plain serials.
        missing.map((s) => h('li', { class: 'scan-missing__item app-mono' }, s))));
      announce(countLine);
    }
    const unexpected = rec && Array.isArray(rec.unexpected) ? rec.unexpected : [];
    if (unexpected.length) {
      missingBox.appendChild(h('p', { class: 'kern-body' }, t('scan.unexpected_count', { count: formatNumber(unexpected.length) })));
      missingBox.appendChild(h('ul', { class: 'scan-missing__list', 'aria-label': t('scan.unexpected_list_label') },
        unexpected.map((s) => h('li', { class: 'scan-missing__item' }, h('a', { class: 'kern-link', href: `/devices/${encodeURIComponent(s)}` }, s)))));
    }
    missingBox.appendChild(h('p', { class: 'kern-body' },
      link(`/tranches/${encodeURIComponent(id)}/labels`, t('scan.print_labels'))));
    missingBox.querySelector('h2').focus();
  }

  // ---- read-only (headteacher) -------------------------------------------------------------
  if (!ctx.canWrite) {
    main.appendChild(alertBox('info', t('scan.readonly_title'), t('scan.readonly_text')));
    const btn = h('button', { type: 'button', class: 'kern-btn kern-btn--secondary', onclick: () => showMissing(btn) },
      h('span', { class: 'kern-label' }, t('scan.show_missing')));
    main.appendChild(h('div', { class: 'scan-actions' }, btn));
    main.appendChild(missingBox);
    return undefined;
  }

  // ---- the scan field ---------------------------------------------------------------------
  const input = h('input', {
    class: 'kern-form-input__input scan-input',
    id: 'scan-code',
    name: 'code',
    type: 'text',
    autocomplete: 'off',
    autofocus: true,
    autocapitalize: 'characters',
    autocorrect: 'off',
    spellcheck: 'false',
    inputmode: 'text',
    enterkeyhint: 'send',
    maxlength: '300',
    'aria-describedby': 'scan-code-hint',
  });
  const soundBox = h('input', { class: 'kern-form-check__checkbox', type: 'checkbox', id: 'scan-sound', name: 'sound', checked: true });
  const form = h('form', { class: 'scan-form', id: 'scan-form', novalidate: true, 'aria-label': t('scan.form_label') },
    h('div', { class: 'kern-form-input' },
      h('label', { class: 'kern-label kern-label--large', for: 'scan-code' }, t('scan.field_label')),
      h('div', { class: 'kern-hint', id: 'scan-code-hint' }, t('scan.field_hint')),
      h('div', { class: 'scan-form__row' },
        input,
        h('button', { type: 'submit', class: 'kern-btn kern-btn--primary scan-submit' }, h('span', { class: 'kern-label' }, t('scan.submit'))))),
    h('div', { class: 'kern-form-check scan-sound' },
      soundBox,
      h('label', { class: 'kern-label', for: 'scan-sound' }, t('scan.sound'))));

  // ---- the big answer ---------------------------------------------------------------------
  const resultBox = h('div', { class: 'scan-result scan-result--idle', id: 'scan-result' },
    h('p', { class: 'scan-result__word' }, t('scan.ready')));

  // ---- offline banner ----------------------------------------------------------------------
  const bannerText = h('span', { class: 'kern-title' });
  const bannerDetail = h('p', { class: 'kern-body' });
  const retryBtn = h('button', { type: 'button', class: 'kern-btn kern-btn--secondary kern-btn--x-small', onclick: () => retryNow() },
    h('span', { class: 'kern-label' }, t('scan.retry_now')));
  const banner = h('div', { class: 'kern-alert kern-alert--warning scan-banner', hidden: true },
    h('div', { class: 'kern-alert__header' },
      h('span', { class: 'kern-icon kern-icon--warning', 'aria-hidden': 'true' }), bannerText),
    h('div', { class: 'kern-alert__body' }, bannerDetail, h('div', {}, retryBtn)));

  // ---- the list of scans ------------------------------------------------------------------
  const list = h('ol', { class: 'scan-list', 'aria-labelledby': 'scan-list-title', reversed: true });
  const listSection = h('section', { class: 'scan-history', 'aria-labelledby': 'scan-list-title' },
    h('h2', { class: 'kern-heading-small', id: 'scan-list-title' }, t('scan.list_title')),
    h('p', { class: 'kern-body app-muted scan-list__empty' }, t('scan.list_empty')),
    list);

  const finishBtn = h('button', { type: 'button', class: 'kern-btn kern-btn--secondary', onclick: () => showMissing(finishBtn) },
    h('span', { class: 'kern-label' }, t('scan.finish')));

  // ---- camera (only where the browser can read barcodes itself: BarcodeDetector) -------------------
  const camera = cameraScanner((code) => enqueue(code));

  main.appendChild(banner);
  main.appendChild(h('div', { class: 'scan-main' }, h('div', {}, form, camera.element), resultBox));
  main.appendChild(h('div', { class: 'scan-actions' }, finishBtn));
  main.appendChild(missingBox);
  main.appendChild(listSection);

  // ---- state -----------------------------------------------------------------------------
  queue = loadQueue(id); // [{key, code, at}] in order; a scan leaves only on an answer
  const rows = new Map(); // key → {li, code}
  let busy = false;
  let delay = 1000;
  let timer = null;
  let failing = false; // the last attempt failed (network/5xx)
  let stopped = false;
  let sessionLost = false;

  function updateEmpty() {
    listSection.querySelector('.scan-list__empty').hidden = list.childElementCount > 0;
  }

  function rowFor(entry) {
    let row = rows.get(entry.key);
    if (row) return row;
    const icon = h('span', { class: 'scan-item__icon', 'aria-hidden': 'true' });
    const word = h('span', { class: 'scan-item__word' });
    const code = h('span', { class: 'scan-item__code' }, entry.code);
    const serial = h('span', { class: 'scan-item__serial' });
    const li = h('li', { class: 'scan-item scan-item--pending' }, icon, h('span', { class: 'scan-item__text' }, code, serial), word);
    row = { li, icon, word, serial };
    rows.set(entry.key, row);
    list.insertBefore(li, list.firstChild);
    while (list.childElementCount > MAX_LIST) {
      const last = list.lastElementChild;
      for (const [k, r] of rows) if (r.li === last) rows.delete(k);
      last.remove();
    }
    updateEmpty();
    return row;
  }

  function setRow(entry, state, status, serial) {
    const row = rowFor(entry);
    const kind = state === 'done' ? (KIND[status] || 'bad') : state === 'error' ? 'bad' : 'pending';
    row.li.className = `scan-item scan-item--${state === 'done' || state === 'error' ? kind : state}`;
    clear(row.icon).appendChild(kindIcon(kind));
    if (state === 'sending') row.word.textContent = t('scan.state_sending');
    else if (state === 'waiting') row.word.textContent = t('scan.state_waiting');
    else if (state === 'done') row.word.textContent = t(`scan.result.${statusKey(status)}.word`);
    else row.word.textContent = status; // already a text
    row.serial.textContent = serial && serial !== entry.code ? ` → ${serial}` : '';
  }

  function showResult(kind, word, detail, code, serial) {
    clear(resultBox);
    resultBox.className = `scan-result scan-result--${kind}`;
    resultBox.appendChild(h('span', { class: 'scan-result__icon' }, kindIcon(kind)));
    resultBox.appendChild(h('div', { class: 'scan-result__text' },
      h('p', { class: 'scan-result__word' }, word),
      h('p', { class: 'scan-result__code' }, serial || code),
      detail ? h('p', { class: 'scan-result__detail' }, detail) : null));
  }

  function updateBanner() {
    const n = queue.length;
    const offline = navigator.onLine === false;
    if ((failing || offline || sessionLost) && (n > 0 || offline)) {
      banner.hidden = false;
      if (sessionLost) {
        bannerText.textContent = t('scan.banner_session', { count: formatNumber(n) });
        bannerDetail.textContent = t('scan.banner_session_detail');
      } else {
        bannerText.textContent = n === 1 ? t('scan.banner_one') : n > 0 ? t('scan.banner_many', { count: formatNumber(n) }) : t('scan.banner_offline');
        bannerDetail.textContent = t('scan.banner_detail');
      }
      retryBtn.hidden = n === 0;
    } else {
      banner.hidden = true;
    }
  }

  function schedule() {
    clearTimeout(timer);
    if (stopped || !queue.length) return;
    timer = setTimeout(() => { timer = null; process(); }, delay);
    delay = Math.min(delay * 2, MAX_DELAY);
  }

  function retryNow() {
    clearTimeout(timer);
    timer = null;
    delay = 1000;
    sessionLost = false;
    process();
    input.focus();
  }

  function isTransient(err) {
    if (err instanceof NetworkError) return true;
    if (err instanceof ApiProblem) return err.status >= 500 || err.status === 429 || err.status === 408;
    return false;
  }

  async function process() {
    if (busy || stopped) return;
    busy = true;
    try {
      while (queue.length && !stopped) {
        const entry = queue[0];
        setRow(entry, failing ? 'waiting' : 'sending');
        let res;
        try {
          res = await api.post(`/tranches/${encodeURIComponent(id)}/scans`,
            entry.exact ? { code: entry.code, exact: true } : { code: entry.code });
        } catch (err) {
          if (stopped) return;
          if (isTransient(err)) {
            if (!failing) announce(t('scan.waiting_announce'));
            failing = true;
            for (const q of queue) setRow(q, 'waiting');
            showResult('pending', t('scan.waiting_big'), t('scan.waiting_detail'), queue[queue.length - 1].code, null);
            if (err instanceof ApiProblem && err.retryAfter) delay = Math.max(delay, err.retryAfter * 1000);
            updateBanner();
            schedule();
            return;
          }
          if (err instanceof ApiProblem && err.status === 401) {
            // Session expired: keep the queue (sessionStorage), api.js goes to the login page.
            sessionLost = true;
            for (const q of queue) setRow(q, 'waiting');
            updateBanner();
            return;
          }
          // A definite answer that is not a scan result (403, 404, 422 …): the scan leaves the queue.
          queue.shift();
          saveQueue(id, queue);
          const text = problemMessage(err);
          setRow(entry, 'error', text);
          showResult('bad', t('scan.result.error.word'), text, entry.code, null);
          if (soundBox.checked) beep('bad');
          announce(`${t('scan.result.error.word')}. ${text}`);
          continue;
        }
        if (stopped) return;
        // An answer: the scan is done, whatever it says.
        queue.shift();
        saveQueue(id, queue);
        if (failing) {
          failing = false;
          announce(t('scan.back_online'));
        }
        delay = 1000;
        const status = res && res.status;
        const key = statusKey(status);
        const serial = res && res.serial_number ? res.serial_number : null;
        setRow(entry, 'done', status, serial);
        if (res && res.progress) showProgress(res.progress);
        const word = t(`scan.result.${key}.word`);
        const detail = t(`scan.result.${key}.detail`);
        showResult(KIND[status] || 'bad', word, detail, entry.code, serial);
        if (status === 'ambiguous' && res && Array.isArray(res.candidates) && res.candidates.length) {
          // The server never guesses between two devices; the person chooses, from the box.
          resultBox.querySelector('.scan-result__text').appendChild(h('div', { class: 'scan-choices' },
            h('p', { class: 'scan-result__detail' }, t('scan.choose_hint')),
            res.candidates.map((c) => h('button', {
              type: 'button',
              class: 'kern-btn kern-btn--secondary',
              onclick: () => { enqueue(c, { exact: true }); input.focus(); },
            }, h('span', { class: 'kern-label' }, t('scan.choose', { serial: c }))))));
        }
        if (soundBox.checked) beep(KIND[status] || 'bad');
        const count = res && res.progress ? ` ${countText.textContent}.` : '';
        announce(`${word}: ${serial || entry.code}.${count}`);
        updateBanner();
      }
    } finally {
      busy = false;
      updateBanner();
    }
  }

  function submit(ev) {
    ev.preventDefault();
    const code = input.value.trim();
    input.value = '';
    input.focus();
    if (!code) return;
    enqueue(code);
  }

  function enqueue(code, { exact = false } = {}) {
    const entry = { key: newKey(), code, at: new Date().toISOString() };
    if (exact) entry.exact = true;
    queue.push(entry);
    saveQueue(id, queue);
    setRow(entry, failing || navigator.onLine === false ? 'waiting' : 'sending');
    if (!failing) {
      showResult('pending', t('scan.state_sending'), null, code, null);
    } else {
      showResult('pending', t('scan.waiting_big'), t('scan.waiting_detail'), code, null);
      announce(t('scan.waiting_announce_code', { code }));
    }
    updateBanner();
    if (!failing) {
      process();
    } else if (!busy) {
      // A new scan is a good moment to try again (in order: the oldest waiting scan goes first).
      clearTimeout(timer);
      timer = null;
      process();
    }
  }

  form.addEventListener('submit', submit);

  // A USB scanner types wherever the focus is. After a click elsewhere on this page (a button,
  // the sound switch) its characters and its Enter still belong in the scan field, never to a
  // button that Enter would press.
  function onKeydown(ev) {
    if (ev.target === input || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    const tag = ev.target && ev.target.tagName;
    if (tag === 'INPUT' && ev.target.type !== 'checkbox' && ev.target.type !== 'radio') return;
    if (tag === 'TEXTAREA' || tag === 'SELECT' || (ev.target && ev.target.isContentEditable)) return;
    if (ev.key.length === 1 && ev.key !== ' ') {
      ev.preventDefault();
      input.value += ev.key;
      input.focus();
    } else if (ev.key === 'Enter' && input.value.trim()) {
      ev.preventDefault();
      form.requestSubmit();
    }
  }
  document.addEventListener('keydown', onKeydown, true);

  // Scans still waiting for the network would stay behind in this tab: ask before leaving.
  function onBeforeUnload(ev) {
    if (!queue.length) return;
    ev.preventDefault();
    ev.returnValue = '';
  }
  window.addEventListener('beforeunload', onBeforeUnload);

  function onOnline() {
    updateBanner();
    retryNow();
  }
  function onOffline() {
    updateBanner();
  }
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);

  // Scans restored after a reload are sent first, in their order.
  if (queue.length) {
    for (const q of queue) setRow(q, 'waiting');
    announce(t('scan.restored', { count: formatNumber(queue.length) }));
    process();
  }
  updateBanner();
  input.focus();

  return () => {
    stopped = true;
    camera.stop();
    clearTimeout(timer);
    window.removeEventListener('online', onOnline);
    window.removeEventListener('offline', onOffline);
    window.removeEventListener('beforeunload', onBeforeUnload);
    document.removeEventListener('keydown', onKeydown, true);
    saveQueue(id, queue);
  };
}
