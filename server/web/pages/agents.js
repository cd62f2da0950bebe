// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Site agents (/agents?school_number=): per school the enroll secrets (created here, shown once with
// the exact `pakt-agent enroll` command line), the agents with their state, and the devices they saw
// that are enrolled nowhere. Municipal IT picks the school by search; school roles see their own.
// Headteachers see everything but change nothing (the server enforces it; the page hides the forms).
import { h, announce } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api, ApiProblem } from '../js/api.js';
import { formatDateTime, formatNumber } from '../js/format.js';
import { pagedList } from '../js/table.js';
import { navigate } from '../js/router.js';
import {
  pageTitle, alertBox, errorAlert, badge, dataTable, link, button, inputField, selectField, copyButton, loading,
} from '../js/ui.js';
import { sourceName } from '../js/connectors.js';

const AGENT_STATES = ['on_time', 'late', 'silent'];
const STATE_KIND = { on_time: 'success', late: 'warning', silent: 'danger' };
const SECRET_LIFETIMES = [24, 72, 168, 720]; // hours; 72 is the server's default
const SEARCH_DELAY_MS = 300;
const PAGE_SIZE = 25;

/** The agent's state in words (with a colour, never by colour alone). */
export function agentStateBadge(agent) {
  if (agent.revoked) return badge(t('agents.state.revoked'), 'neutral');
  if (!AGENT_STATES.includes(agent.state)) return t('app.none');
  return badge(t(`agents.state.${agent.state}`), STATE_KIND[agent.state]);
}

/**
 * Table columns for agents. opts: {showSchool, onRevoke(agent) | null}: a revoke button per agent
 * that is not revoked yet when onRevoke is given.
 */
export function agentColumns({ showSchool = false, onRevoke = null } = {}) {
  const cols = [
    { label: t('agents.col.hostname'), header: true, render: (a) => h('span', { class: 'app-mono' }, a.hostname) },
  ];
  if (showSchool) {
    cols.push({ label: t('agents.col.school'), render: (a) => link(`/agents?school_number=${encodeURIComponent(a.school_number)}`, a.school_number) });
  }
  cols.push(
    { label: t('agents.col.version'), render: (a) => a.agent_version || t('app.none') },
    { label: t('agents.col.enrolled_at'), render: (a) => formatDateTime(a.enrolled_at) || t('app.none') },
    { label: t('agents.col.last_checkin'), render: (a) => (a.last_checkin_at ? formatDateTime(a.last_checkin_at) : t('agents.never')) },
    { label: t('agents.col.state'), render: (a) => agentStateBadge(a) },
  );
  if (onRevoke) {
    cols.push({
      label: t('agents.col.action'),
      render: (a) => (a.revoked ? t('app.none') : button(t('agents.revoke'), {
        variant: 'secondary',
        'aria-label': t('agents.revoke_named', { host: a.hostname, id: a.agent_id }),
        onclick: () => onRevoke(a),
      })),
    });
  }
  return cols;
}

/** Table columns for the unknown devices a school's agents saw. */
export function unknownColumns() {
  return [
    { label: t('agents.unknown.serial'), header: true, render: (u) => h('span', { class: 'app-mono' }, u.serial_number) },
    { label: t('agents.unknown.first_seen'), render: (u) => formatDateTime(u.first_seen_at) },
    { label: t('agents.unknown.last_seen'), render: (u) => formatDateTime(u.last_seen_at) },
    { label: t('agents.unknown.times_seen'), numeric: true, render: (u) => formatNumber(u.times_seen) },
    { label: t('agents.unknown.ip'), render: (u) => (u.ip_address ? h('span', { class: 'app-mono' }, u.ip_address) : t('app.none')) },
    { label: t('agents.unknown.os'), render: (u) => u.os_version || t('app.none') },
    // A site agent saw it in the school network, or an MDM connector listed it for the school.
    {
      label: t('agents.unknown.agent'),
      render: (u) => (!u.source || u.source === 'agent' ? t('agents.unknown.agent_id', { id: u.agent_id })
        : t('agents.unknown.mdm_source', { source: sourceName(u.source) })),
    },
  ];
}

function schoolLabel(s) {
  return s.name ? `${s.name} (${s.school_number})` : s.school_number;
}

/** Municipal IT: a search for the school (number prefix, name, district or address). */
function schoolPicker(current) {
  const results = h('div', { class: 'agents-picker__results', id: 'agents-school-results' });
  const form = h('form', { class: 'app-filters agents-picker', role: 'search', 'aria-label': t('agents.picker_label'), novalidate: true },
    h('div', { class: 'app-filters__wide' },
      inputField({
        id: 'agents-school-q', name: 'q', type: 'search', label: t('agents.picker_search'), hint: t('agents.picker_hint'),
        attrs: { autocomplete: 'off', spellcheck: 'false', 'aria-controls': 'agents-school-results' },
      })),
    h('div', { class: 'app-filters__actions' }, button(t('agents.picker_submit'), { type: 'submit', variant: 'secondary' })));
  const input = form.querySelector('input');
  let seq = 0;
  let timer = null;

  async function search(announceResult) {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { results.replaceChildren(); return; }
    results.replaceChildren(loading());
    let page;
    try {
      page = await api.get('/schools', { q, limit: 10 });
    } catch (err) {
      if (mine === seq) results.replaceChildren(errorAlert(err));
      return;
    }
    if (mine !== seq) return;
    const items = page.items || [];
    if (!items.length) {
      results.replaceChildren(h('p', { class: 'kern-body app-empty' }, t('agents.picker_none', { q })));
    } else {
      results.replaceChildren(...[
        h('ul', { class: 'kern-list agents-picker__list', 'aria-label': t('agents.picker_results') },
          items.map((s) => h('li', {},
            link(`/agents?school_number=${encodeURIComponent(s.school_number)}`, schoolLabel(s),
              s.school_number === current ? { 'aria-current': 'true' } : {})))),
        page.next_cursor ? h('p', { class: 'kern-body kern-body--small app-muted' }, t('agents.picker_more')) : null,
      ].filter(Boolean));
    }
    if (announceResult) announce(items.length ? t('agents.picker_found', { count: items.length }) : t('agents.picker_none', { q }));
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(true), SEARCH_DELAY_MS);
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    search(true);
  });
  const el = h('div', { class: 'app-section agents-picker-wrap' }, form, results);
  el.cleanup = () => clearTimeout(timer);
  return el;
}

/** School roles with several schools: choose one of them. */
function ownSchoolChoice(own, names, current) {
  const form = h('form', { class: 'app-filters', 'aria-label': t('agents.own_label') },
    selectField({
      id: 'agents-school', name: 'school_number', label: t('agents.own_school'), value: current,
      options: [['', t('agents.own_choose')], ...own.map((n) => [n, names.get(n) ? `${names.get(n)} (${n})` : n])],
    }),
    h('div', { class: 'app-filters__actions' }, button(t('agents.own_submit'), { type: 'submit', variant: 'secondary' })));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const n = form.elements.school_number.value;
    navigate(n ? `/agents?school_number=${encodeURIComponent(n)}` : '/agents');
  });
  return form;
}

/** Municipal IT without a school chosen: every agent, filterable by state (?state=). */
function allAgents(ctx, onRevoke) {
  const state = AGENT_STATES.includes(ctx.query.get('state')) ? ctx.query.get('state') : '';
  const form = h('form', { class: 'app-filters', 'aria-label': t('agents.all_filter') },
    selectField({
      id: 'agents-state', name: 'state', label: t('agents.col.state'), value: state,
      options: [['', t('agents.state.any')], ...AGENT_STATES.map((s) => [s, t(`agents.state.${s}`)])],
    }),
    h('div', { class: 'app-filters__actions' }, button(t('agents.own_submit'), { type: 'submit', variant: 'secondary' })));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const s = form.elements.state.value;
    navigate(s ? `/agents?state=${encodeURIComponent(s)}` : '/agents');
  });
  const holder = {};
  holder.list = pagedList({
    path: '/agents',
    query: { state },
    limit: 50,
    label: t('agents.all_title'),
    emptyText: state ? t('agents.all_empty_state') : t('agents.all_empty'),
    renderPage: (items) => dataTable({
      caption: t('agents.all_title'), captionHidden: true, rows: items,
      columns: agentColumns({ showSchool: true, onRevoke: onRevoke ? (a) => onRevoke(a, holder.list) : null }),
    }),
  });
  return h('section', { class: 'app-section', 'aria-labelledby': 'agents-all-h' },
    h('h2', { class: 'kern-heading-medium', id: 'agents-all-h' }, t('agents.all_title')),
    h('p', { class: 'kern-body' }, t('agents.all_intro')),
    form, holder.list.element);
}

function secretState(s) {
  if (s.revoked) return badge(t('agents.secret_state.revoked'), 'neutral');
  if (new Date(s.expires_at).getTime() <= Date.now()) return badge(t('agents.secret_state.expired'), 'neutral');
  return badge(t('agents.secret_state.valid'), 'success');
}

/** The answer of POST agent-secrets, shown this one time. */
function secretShownOnce(res) {
  const command = res.enroll_command || '';
  const secretCode = h('code', { id: 'agents-new-secret', class: 'app-mono' }, res.secret);
  const commandCode = command ? h('code', { id: 'agents-enroll-command', class: 'app-mono' }, command) : null;
  const a = alertBox('success', t('agents.secret_created'),
    h('p', { class: 'kern-body agents-once' }, h('strong', {}, t('agents.secret_once'))),
    h('p', { class: 'kern-body' }, t('agents.secret_expires', { at: formatDateTime(res.expires_at) })),
    command
      ? h('div', { class: 'agents-shown' },
        h('h3', { class: 'kern-heading-small', id: 'agents-command-h' }, t('agents.command_title')),
        h('p', { class: 'kern-body' }, t('agents.command_text')),
        h('pre', { class: 'agents-command' }, commandCode),
        h('p', { class: 'kern-body kern-body--small app-muted' },
          res.certificate_sha256 ? t('agents.command_pin') : t('agents.command_no_pin')),
        h('div', { class: 'app-actions' },
          copyButton(() => command, t('agents.copy_command'), commandCode, { variant: 'primary' })))
      : h('p', { class: 'kern-body' }, t('agents.command_missing')),
    h('div', { class: 'agents-shown' },
      h('h3', { class: 'kern-heading-small' }, t('agents.secret_title')),
      h('div', { class: 'app-token' },
        h('span', { class: 'visually-hidden' }, t('agents.secret_title'), ': '), secretCode,
        copyButton(() => res.secret, t('agents.copy_secret'), secretCode))));
  a.setAttribute('tabindex', '-1');
  a.id = 'agents-secret-created';
  return a;
}

export async function render(main, ctx) {
  ctx.setTitle(t('agents.title'));
  const title = pageTitle(t('agents.title'));
  main.appendChild(title);
  const isCity = ctx.user.role === 'city_admin';
  const own = ctx.user.schools || [];
  let n = (ctx.query.get('school_number') || '').trim();
  if (!n && !isCity && own.length === 1) [n] = own;
  main.appendChild(h('p', { class: 'kern-body kern-body--large app-muted' }, t('agents.intro')));

  if (!isCity && !own.length) {
    main.appendChild(alertBox('info', t('overview.no_schools')));
    return undefined;
  }

  // Messages of revocations: a visible alert here, the same text in the live region.
  const notice = h('div', { class: 'agents-notice' });
  function tell(kind, text, ...more) {
    const a = alertBox(kind, text, ...more);
    a.setAttribute('tabindex', '-1');
    notice.replaceChildren(a);
    announce(text);
    a.focus();
  }

  async function revokeAgent(agent, list) {
    // eslint-disable-next-line no-alert
    if (!window.confirm(t('agents.revoke_confirm', { host: agent.hostname, id: agent.agent_id }))) return;
    try {
      await api.del(`/agents/${encodeURIComponent(agent.agent_id)}`);
    } catch (err) {
      notice.replaceChildren(errorAlert(err));
      return;
    }
    await list.reload();
    tell('success', t('agents.revoked', { host: agent.hostname, id: agent.agent_id }));
  }

  let cleanup = null;
  if (isCity) {
    const picker = schoolPicker(n);
    cleanup = picker.cleanup;
    main.appendChild(picker);
  } else if (own.length > 1) {
    let names = new Map();
    try {
      const page = await api.get('/schools', { limit: 100 });
      names = new Map((page.items || []).map((s) => [s.school_number, s.name]));
    } catch (_) { /* the numbers alone will do */ }
    if (!ctx.isCurrent()) return undefined;
    main.appendChild(ownSchoolChoice(own, names, n));
  }
  main.appendChild(notice);

  if (!n) {
    if (isCity) main.appendChild(allAgents(ctx, revokeAgent));
    else main.appendChild(h('p', { class: 'kern-body' }, t('agents.choose_school')));
    return cleanup;
  }

  let school;
  try {
    school = await api.get(`/schools/${encodeURIComponent(n)}`);
  } catch (err) {
    if (!ctx.isCurrent()) return cleanup;
    main.appendChild(err instanceof ApiProblem && (err.status === 404 || err.status === 400)
      ? alertBox('warning', t('agents.school_not_found', { number: n })) : errorAlert(err));
    return cleanup;
  }
  if (!ctx.isCurrent()) return cleanup;
  const name = schoolLabel(school);
  const heading = t('agents.title_school', { school: name });
  title.querySelector('h1').textContent = heading;
  ctx.setTitle(heading);
  const enc = encodeURIComponent(school.school_number);
  main.appendChild(h('ul', { class: 'app-inline-list' },
    h('li', {}, link(`/schools/${enc}`, t('agents.to_school', { school: name }))),
    isCity ? h('li', {}, link('/agents', t('agents.all_title'))) : null));

  // ---- enroll secret ------------------------------------------------------------------------
  const secretsBox = h('div', { class: 'agents-secrets' });
  async function loadSecrets() {
    secretsBox.replaceChildren(loading());
    let page;
    try {
      page = await api.get(`/schools/${enc}/agent-secrets`);
    } catch (err) {
      secretsBox.replaceChildren(errorAlert(err));
      return;
    }
    const items = (page.items || []).slice().reverse(); // newest first
    if (!items.length) {
      secretsBox.replaceChildren(h('p', { class: 'kern-body app-empty' }, t('agents.secrets_empty')));
      return;
    }
    const cols = [
      { label: t('agents.secret_col.id'), header: true, render: (s) => t('agents.secret_name', { id: s.id }) },
      { label: t('agents.secret_col.created'), render: (s) => formatDateTime(s.created_at) },
      { label: t('agents.secret_col.by'), render: (s) => s.created_by || t('app.none') },
      { label: t('agents.secret_col.expires'), render: (s) => formatDateTime(s.expires_at) },
      { label: t('agents.col.state'), render: (s) => secretState(s) },
    ];
    if (ctx.canWrite) {
      cols.push({
        label: t('agents.col.action'),
        render: (s) => (s.revoked || new Date(s.expires_at).getTime() <= Date.now() ? t('app.none') : button(t('agents.revoke'), {
          variant: 'secondary',
          'aria-label': t('agents.secret_revoke_named', { id: s.id }),
          onclick: () => revokeSecret(s),
        })),
      });
    }
    secretsBox.replaceChildren(dataTable({ caption: t('agents.secrets_caption', { school: name }), captionHidden: true, columns: cols, rows: items }));
  }

  async function revokeSecret(s) {
    // eslint-disable-next-line no-alert
    if (!window.confirm(t('agents.secret_revoke_confirm', { id: s.id }))) return;
    try {
      await api.del(`/schools/${enc}/agent-secrets/${encodeURIComponent(s.id)}`);
    } catch (err) {
      notice.replaceChildren(errorAlert(err));
      return;
    }
    await loadSecrets();
    tell('success', t('agents.secret_revoked', { id: s.id }));
  }

  const enrollSection = h('section', { class: 'app-section', 'aria-labelledby': 'agents-enroll-h' },
    h('h2', { class: 'kern-heading-medium', id: 'agents-enroll-h' }, t('agents.enroll_title')));
  if (ctx.canWrite) {
    const created = h('div', { class: 'agents-created' });
    const form = h('form', { class: 'app-form agents-secret-form', id: 'agents-secret-form', novalidate: true },
      selectField({
        id: 'agents-lifetime', name: 'expires_in_hours', label: t('agents.lifetime'), hint: t('agents.lifetime_hint'), value: '72',
        options: SECRET_LIFETIMES.map((hours) => [String(hours), t(`agents.lifetime_${hours}`)]),
      }),
      h('div', { class: 'app-actions' }, button(t('agents.create_secret'), { type: 'submit', variant: 'primary' })));
    let busy = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (busy) return;
      busy = true;
      created.replaceChildren();
      let res;
      try {
        res = await api.post(`/schools/${enc}/agent-secrets`, { expires_in_hours: Number(form.elements.expires_in_hours.value) });
      } catch (err) {
        busy = false;
        created.replaceChildren(errorAlert(err));
        announce(t('agents.secret_failed'));
        return;
      }
      busy = false;
      if (!ctx.isCurrent()) return;
      const shown = secretShownOnce(res);
      created.replaceChildren(shown);
      shown.focus();
      announce(t('agents.secret_created_announce'));
      loadSecrets();
    });
    enrollSection.append(h('p', { class: 'kern-body' }, t('agents.enroll_text')), form, created);
  } else {
    enrollSection.append(h('p', { class: 'kern-body' }, t('agents.readonly')));
  }
  enrollSection.append(
    h('h3', { class: 'kern-heading-small', id: 'agents-secrets-h' }, t('agents.secrets_title')),
    h('p', { class: 'kern-body kern-body--small app-muted' }, t('agents.secrets_text')),
    secretsBox);
  main.appendChild(enrollSection);
  loadSecrets();

  // ---- agents -------------------------------------------------------------------------------
  const holder = {};
  holder.list = pagedList({
    path: '/agents',
    query: { school_number: school.school_number },
    limit: PAGE_SIZE,
    label: t('agents.list_title'),
    emptyText: t('agents.list_empty'),
    renderPage: (items) => dataTable({
      caption: t('agents.list_caption', { school: name }), captionHidden: true, rows: items,
      columns: agentColumns({ onRevoke: ctx.canWrite ? (a) => revokeAgent(a, holder.list) : null }),
    }),
  });
  main.appendChild(h('section', { class: 'app-section', id: 'agents', 'aria-labelledby': 'agents-list-h' },
    h('h2', { class: 'kern-heading-medium', id: 'agents-list-h' }, t('agents.list_title')),
    h('p', { class: 'kern-body' }, t('agents.states_explained')),
    holder.list.element));

  // ---- unknown devices ----------------------------------------------------------------------
  const unknown = pagedList({
    path: `/schools/${enc}/unknown-devices`,
    limit: PAGE_SIZE,
    label: t('agents.unknown.title'),
    emptyText: t('agents.unknown.empty'),
    renderPage: (items) => dataTable({ caption: t('agents.unknown.caption', { school: name }), captionHidden: true, columns: unknownColumns(), rows: items }),
  });
  main.appendChild(h('section', { class: 'app-section', id: 'unknown', 'aria-labelledby': 'agents-unknown-h' },
    h('h2', { class: 'kern-heading-medium', id: 'agents-unknown-h' }, t('agents.unknown.title')),
    h('p', { class: 'kern-body' }, t('agents.unknown.text')),
    unknown.element));
  return cleanup;
}
