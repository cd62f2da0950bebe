// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The vendor connections (Apple School Manager, Jamf School, Relution) on municipal IT's
// overview: state, last run with its counts and conflicts, last success, next scheduled run, and
// "sync now", which polls the state until the run has finished and says the result in the live
// region.
import { h, announce } from './dom.js';
import { t, has, language } from './i18n.js';
import { api } from './api.js';
import { formatDateTime, formatNumber } from './format.js';
import { alertBox, badge, button, descList, disclosure, errorAlert, link } from './ui.js';

// The counts a run reports, in the order shown; the rest (more_conflicts) feed other lines.
const COUNTS = {
  asm: ['devices', 'orders', 'matched_orders', 'unmatched_devices', 'tranches_filled', 'manifest_added', 'already_present', 'released', 'newly_released'],
  mdm: ['devices', 'enrolled', 'managed', 'unknown_sightings', 'unmapped', 'other_school', 'events', 'removed'],
};
// Shown only when not zero: rare, and a zero says nothing.
const COUNTS_IF_ANY = ['newly_released', 'events', 'removed', 'invalid_serials'];
const CONFLICTS_SHOWN = 3;
const STATE_KIND = { not_configured: 'neutral', idle: 'success', queued: 'info', running: 'info' };
// Polling after "sync now": 0.5 s, growing to 3 s between requests, at most this many requests
// (about four minutes); then the page says the run is still going.
const POLL_MAX = 80;
const POLL_FIRST_MS = 500;
const POLL_CAP_MS = 3000;

// The vendor refused paktd's credentials (sources.cpp words it so for each API).
const REFUSED = /was refused \(HTTP 40[13]\)|refused the client assertion/;

const busy = (c) => c.state === 'queued' || c.state === 'running';

/** "Jamf School" for a data source of the API ("agent", "jamf_school", "relution", "asm"). */
export function sourceName(source) {
  return has(`connectors.source.${source}`) ? t(`connectors.source.${source}`) : String(source || '');
}

// The server's conflict messages are English; the known ones in German, the rest as sent.
const CONFLICT_MESSAGES = [
  [/^'(.*)' is in the manifest of tranche (\d+); Apple lists it under order (.*) of tranche (\d+)$/,
    (m) => t('connectors.msg.other_manifest', { serial: m[1], other: m[2], order: m[3], id: m[4] })],
  [/^'(.*)' is enrolled in tranche (\d+); Apple lists it under order (.*) of tranche (\d+)$/,
    (m) => t('connectors.msg.other_tranche', { serial: m[1], other: m[2], order: m[3], id: m[4] })],
  [/^order (.*) is the order number of tranches (.*): Apple does not say/,
    (m) => t('connectors.msg.ambiguous_order', { order: m[1], ids: m[2] })],
  [/^Apple lists (\d+) devices for tranche (\d+), which expects (\d+); none of the (\d+) new ones was added/,
    (m) => t('connectors.msg.too_many', { count: formatNumber(Number(m[1])), id: m[2], expected: formatNumber(Number(m[3])), fresh: formatNumber(Number(m[4])) })],
  [/^Apple lists '(.*)', which is not a serial number Pakt accepts$/, (m) => t('connectors.msg.invalid_asm', { serial: m[1] })],
  [/^the MDM lists '(.*)', which is not a serial number Pakt accepts$/, (m) => t('connectors.msg.invalid_mdm', { serial: m[1] })],
  [/^the MDM files '(.*)' under school (.*); Pakt has it enrolled at school (.*)$/,
    (m) => t('connectors.msg.other_school', { serial: m[1], mdm: m[2], pakt: m[3] })],
  [/^MDM location '(.*?)'(?: \((.*)\))? maps to no school/,
    (m) => (m[2] ? t('connectors.msg.unmapped_named', { location: m[1], name: m[2] }) : t('connectors.msg.unmapped', { location: m[1] }))],
];

function conflictText(message) {
  const text = String(message || '');
  if (language() === 'en') return text;
  for (const [re, fn] of CONFLICT_MESSAGES) {
    const m = re.exec(text);
    if (m) return fn(m);
  }
  return text;
}

// The message names the serial; the delivery it concerns links on (a serial may be enrolled
// nowhere, so it has no page to link to).
function conflictItem(c) {
  return h('li', { class: 'app-connector__conflict' },
    conflictText(c.message),
    c.tranche_id ? [' ', link(`/tranches/${encodeURIComponent(c.tranche_id)}`, t('connectors.conflict_delivery', { id: c.tranche_id }))] : null);
}

function conflictsBlock(run, title) {
  const list = Array.isArray(run.conflicts) ? run.conflicts : [];
  const more = (run.counts && run.counts.more_conflicts) || 0;
  if (!list.length) return null;
  const total = list.length + more;
  const shown = list.slice(0, CONFLICTS_SHOWN);
  const first = h('ul', { class: 'app-connector__conflict-list', 'aria-label': t('connectors.conflicts_first', { title, count: formatNumber(shown.length) }) }, shown.map(conflictItem));
  let all = null;
  if (list.length > shown.length || more) {
    all = disclosure({ title: t('connectors.show_all_conflicts', { count: formatNumber(total) }), className: 'app-connector__all' },
      h('ul', { class: 'app-connector__conflict-list', 'aria-label': t('connectors.conflicts_all', { title }) }, list.map(conflictItem)),
      more ? h('p', { class: 'kern-body app-muted' }, t('connectors.more_conflicts', { count: formatNumber(more) })) : null);
    // Opened, the whole list takes the place of its first items (not both, one after the other).
    all.addEventListener('toggle', () => { first.hidden = all.open; });
  }
  return h('div', { class: 'app-connector__conflicts' },
    h('h4', { class: 'kern-heading-small' }, t('connectors.conflicts_heading', { count: formatNumber(total) })),
    first, all);
}

function countsList(c, run) {
  const counts = run.counts || {};
  const kind = c.name === 'asm' ? 'asm' : 'mdm';
  const keys = [...COUNTS[kind], 'invalid_serials'];
  const conflicts = (Array.isArray(run.conflicts) ? run.conflicts.length : 0) + (counts.more_conflicts || 0);
  const pairs = keys
    .filter((k) => counts[k] !== undefined && !(COUNTS_IF_ANY.includes(k) && !counts[k]))
    .map((k) => [t(`connectors.count.${kind}.${k}`), formatNumber(counts[k])]);
  pairs.push([t('connectors.count.conflicts'), formatNumber(conflicts)]);
  return descList(pairs, t('connectors.counts_label', { title: c.title }));
}

function lastRunText(run) {
  const parts = [formatDateTime(run.finished_at || run.started_at)];
  if (run.trigger === 'manual') parts.push(run.requested_by ? t('connectors.manual_by', { user: run.requested_by }) : t('connectors.manual'));
  else parts.push(t('connectors.scheduled'));
  return parts.join(', ');
}

function outcomeBadge(run) {
  return badge(t(`connectors.outcome.${run.outcome}`), run.outcome === 'ok' ? 'success' : 'danger');
}

function stateBadge(c) {
  return badge(has(`connectors.state.${c.state}`) ? t(`connectors.state.${c.state}`) : c.state, STATE_KIND[c.state] || 'neutral');
}

/**
 * One connector's card: the <article> stays, its body is rebuilt on every update, and the
 * "sync now" button is the same element throughout, so the keyboard focus stays on it while the
 * run goes on (it is aria-disabled then, not disabled, which would drop the focus).
 */
function connectorCard(c, onSync) {
  const headingId = `connector-${c.name}-title`;
  const heading = h('h3', { class: 'kern-heading-small app-connector__title', id: headingId }, c.title);
  const statusBox = h('div', {});
  const resultBox = h('div', { class: 'app-connector__result' });
  const message = h('div', { class: 'app-connector__message' });
  const syncBtn = button(t('connectors.sync_now'), {
    variant: 'primary',
    'aria-label': t('connectors.sync_now_named', { title: c.title }),
    onclick: () => { if (syncBtn.getAttribute('aria-disabled') !== 'true') onSync(c.name); },
  });
  const actions = h('div', { class: 'app-actions app-connector__actions' }, syncBtn);
  const root = h('article', { class: 'app-connector', 'aria-labelledby': headingId, id: `connector-${c.name}` }, heading,
    h('div', { class: 'app-connector__grid' }, h('div', { class: 'app-connector__state' }, statusBox, message, actions), resultBox));

  function update(next) {
    c = next;
    root.classList.toggle('app-connector--off', !c.configured);
    const run = c.last_run;
    const rows = [[t('connectors.state_label'), stateBadge(c)]];
    if (c.configured) {
      rows.push([t('connectors.last_run'), run ? h('span', {}, outcomeBadge(run), ' ', lastRunText(run)) : t('connectors.never_run')]);
      rows.push([t('connectors.last_success'), c.last_success_at ? formatDateTime(c.last_success_at) : t('connectors.never_success')]);
      rows.push([t('connectors.next_run'), c.next_run_at ? formatDateTime(c.next_run_at) : t('connectors.on_request_only')]);
    }
    statusBox.replaceChildren(...[descList(rows, t('connectors.status_label', { title: c.title })),
      c.configured ? null : h('p', { class: 'kern-body app-connector__hint' }, t('connectors.not_configured_hint', { name: c.name }))].filter(Boolean));
    const result = [];
    if (c.configured && run && run.outcome === 'failed') {
      const refused = REFUSED.test(run.error || '');
      result.push(h('h4', { class: 'kern-heading-small' }, t('connectors.result')), h('div', { class: 'app-connector__error' },
        h('p', { class: 'kern-body' }, t('connectors.failed_note')),
        refused ? h('p', { class: 'kern-body' }, t('connectors.refused_hint')) : null,
        h('p', { class: 'kern-body' }, h('span', { class: 'app-connector__error-label' }, t('connectors.error'), ': '),
          h('span', { class: 'app-connector__error-text' }, run.error || t('app.unknown')))));
    } else if (c.configured && run) {
      result.push(h('h4', { class: 'kern-heading-small' }, t('connectors.result')), countsList(c, run), conflictsBlock(run, c.title));
      if (run.calls !== undefined) result.push(h('p', { class: 'kern-body kern-body--small app-muted' }, t('connectors.calls', { calls: formatNumber(run.calls), retries: formatNumber(run.retries || 0) })));
    }
    resultBox.replaceChildren(...result.filter(Boolean));
    resultBox.hidden = !result.length;
    actions.hidden = !c.configured;
    const running = busy(c);
    syncBtn.setAttribute('aria-disabled', running ? 'true' : 'false');
    syncBtn.classList.toggle('app-btn--busy', running);
    syncBtn.querySelector('.kern-label').textContent = running ? t('connectors.sync_running') : t('connectors.sync_now');
    syncBtn.setAttribute('aria-label', t(running ? 'connectors.sync_running_named' : 'connectors.sync_now_named', { title: c.title }));
  }

  function say(node) {
    message.replaceChildren(...[node].filter(Boolean));
  }

  update(c);
  return { root, update, say, get status() { return c; } };
}

const delay = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * The section "Anbindungen" for the municipal overview: a <section> filled once GET /connectors
 * answers. `isCurrent()` is false once the user has left the page (polling stops then).
 */
export function connectorsSection({ isCurrent = () => true } = {}) {
  const heading = h('h2', { class: 'kern-heading-medium', id: 'connectors-title' }, t('connectors.title'));
  const body = h('div', {}, h('p', { class: 'kern-body app-loading', role: 'status' }, t('app.loading')));
  const sec = h('section', { class: 'app-section', id: 'connectors', 'aria-labelledby': 'connectors-title' }, heading, body);
  const cards = new Map();
  const watching = new Set();
  const requesting = new Set(); // a second press while the first request is on its way does nothing

  function apply(list) {
    for (const c of list) {
      const card = cards.get(c.name);
      if (card) card.update(c);
    }
  }

  async function refresh() {
    const answer = await api.get('/connectors');
    if (!isCurrent()) return null;
    const list = (answer && answer.connectors) || [];
    apply(list);
    return list;
  }

  // Polls until the connector is neither queued nor running; then says how the run ended.
  async function watch(name) {
    if (watching.has(name)) return;
    watching.add(name);
    const card = cards.get(name);
    const title = card.status.title;
    try {
      let wait = POLL_FIRST_MS;
      for (let i = 0; i < POLL_MAX; i += 1) {
        await delay(wait);
        wait = Math.min(POLL_CAP_MS, Math.round(wait * 1.5));
        if (!isCurrent()) return;
        let list;
        try {
          list = await refresh();
        } catch (err) {
          if (!isCurrent()) return;
          card.say(errorAlert(err));
          continue; // the network may be back at the next try
        }
        if (!list) return;
        const c = list.find((x) => x.name === name);
        if (!c || busy(c)) continue;
        const run = c.last_run;
        const ok = run && run.outcome === 'ok';
        const text = ok ? t('connectors.done_ok', { title }) : t('connectors.done_failed', { title, error: (run && run.error) || t('app.unknown') });
        card.say(null);
        announce(text);
        return;
      }
      card.say(alertBox('info', t('connectors.still_running', { title })));
      announce(t('connectors.still_running', { title }));
    } finally {
      watching.delete(name);
    }
  }

  async function sync(name) {
    if (requesting.has(name)) return;
    const card = cards.get(name);
    const title = card.status.title;
    card.say(null);
    let status;
    requesting.add(name);
    try {
      status = await api.post(`/connectors/${encodeURIComponent(name)}/sync`);
    } catch (err) {
      if (!isCurrent()) return;
      card.say(errorAlert(err));
      return;
    } finally {
      requesting.delete(name);
    }
    if (!isCurrent()) return;
    if (status && status.name === name) card.update(status);
    else card.update({ ...card.status, state: 'queued' });
    announce(t('connectors.requested', { title }));
    await watch(name);
  }

  (async () => {
    let list;
    try {
      const answer = await api.get('/connectors');
      list = (answer && answer.connectors) || [];
    } catch (err) {
      if (!isCurrent()) return;
      body.replaceChildren(errorAlert(err));
      return;
    }
    if (!isCurrent()) return;
    for (const c of list) cards.set(c.name, connectorCard(c, sync));
    body.replaceChildren(
      h('p', { class: 'kern-body' }, t('connectors.intro')),
      h('div', { class: 'app-connectors' }, [...cards.values()].map((card) => card.root)));
    // A run already under way (scheduled, or asked for elsewhere): follow it too.
    for (const c of list) if (busy(c)) watch(c.name);
  })();

  return sec;
}
