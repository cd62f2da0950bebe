// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Audit log (/audit; municipal IT only): filters in the address (bookmarkable), newest first,
// paged through the API; each entry links to its object's page where there is one. The chain
// check (GET /audit/verify) reads every entry, so it runs when asked (a button), not on every
// visit: the log holds every agent check-in and grows by millions of entries a year.
import { h, announce } from '../js/dom.js';
import { t, has, language } from '../js/i18n.js';
import { api } from '../js/api.js';
import { formatDateTime, formatNumber } from '../js/format.js';
import { showErrors, clearErrors } from '../js/forms.js';
import { pagedList } from '../js/table.js';
import { pageTitle, dataTable, link, inputField, button, alertBox, errorAlert, loading } from '../js/ui.js';

const PAGE_SIZE = 50;
const FILTERS = ['actor', 'action', 'object_type', 'object_id', 'from', 'to'];

// The actions Pakt records, by what they are about (for the action filter; any other action in
// the address is offered too).
const ACTION_GROUPS = [
  ['device', ['device.enroll', 'device.update', 'device.status', 'device.unenroll']],
  ['loan', ['loan.create', 'loan.return', 'loan.read']],
  ['tranche', ['tranche.create', 'tranche.update', 'tranche.manifest']],
  ['grant', ['grant.create', 'grant.update']],
  ['programme', ['programme.create']],
  ['school', ['school.create', 'school.update', 'school.import']],
  ['agent', ['agent.enroll', 'agent.checkin', 'agent.revoke']],
  ['agent_secret', ['agent_secret.create', 'agent_secret.revoke']],
  ['user', ['user.create', 'user.update', 'user.password', 'user.password_reset']],
  ['session', ['session.create', 'session.delete']],
  ['token', ['token.create', 'token.delete', 'token.revoke']],
  ['system', ['schema.migrate', 'database.restore', 'demo.seed']],
];
const OBJECT_TYPES = ['device', 'tranche', 'grant', 'school', 'user', 'loan', 'agent', 'agent_secret', 'api_token', 'programme'];

// Pages an object has: type → path.
const OBJECT_PAGES = {
  device: (id) => `/devices/${encodeURIComponent(id)}`,
  tranche: (id) => `/tranches/${encodeURIComponent(id)}`,
  grant: (id) => `/grants/${encodeURIComponent(id)}`,
  school: (id) => `/schools/${encodeURIComponent(id)}`,
  user: (id) => `/users/${encodeURIComponent(id)}`,
  loan: (id) => `/loans/${encodeURIComponent(id)}/agreement`,
};

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function filtersFrom(query) {
  const f = {};
  for (const k of FILTERS) f[k] = (query.get(k) || '').trim();
  return f;
}

function toQuery(f) {
  const p = new URLSearchParams();
  for (const k of FILTERS) if (f[k]) p.set(k, f[k]);
  return p;
}

function key(action) {
  return `audit.actions.${String(action).replace(/\./g, '_')}`;
}

export function actionLabel(action) {
  return has(key(action)) ? t(key(action)) : action;
}

function typeLabel(type) {
  return has(`audit.types.${type}`) ? t(`audit.types.${type}`) : type;
}

function objectCell(e) {
  if (!e.object_type && !e.object_id) return t('app.none');
  const text = e.object_id ? `${typeLabel(e.object_type)} ${e.object_id}` : typeLabel(e.object_type);
  const page = e.object_id ? OBJECT_PAGES[e.object_type] : null;
  return page ? link(page(e.object_id), text, { class: 'kern-link app-nowrap' }) : h('span', { class: 'app-nowrap' }, text);
}

function detailValue(v) {
  if (v === null || v === undefined) return t('app.none');
  if (typeof v === 'boolean') return v ? t('app.yes') : t('app.no');
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  if (typeof v === 'object') {
    if ('from' in v && 'to' in v && Object.keys(v).length === 2) return `${detailValue(v.from)} → ${detailValue(v.to)}`;
    return JSON.stringify(v);
  }
  return String(v);
}

const COMPACT_MAX = 160;

/** The detail as "key: value · key: value", shortened; the whole of it behind "show all". */
function detailCell(detail) {
  let d = detail;
  if (typeof d === 'string') {
    try { d = JSON.parse(d); } catch (_) { /* plain text */ }
  }
  if (d === null || d === undefined || d === '' || (typeof d === 'object' && !Array.isArray(d) && !Object.keys(d).length)) {
    return t('app.none');
  }
  const compact = typeof d === 'object' && !Array.isArray(d)
    ? Object.entries(d).map(([k, v]) => `${k}: ${detailValue(v)}`).join(' · ')
    : detailValue(d);
  if (compact.length <= COMPACT_MAX) return h('span', { class: 'audit-detail' }, compact);
  return h('div', { class: 'audit-detail' },
    h('span', {}, compact.slice(0, COMPACT_MAX).trimEnd(), ' …'),
    h('details', { class: 'audit-detail__all' },
      h('summary', {}, t('audit.detail_all')),
      h('pre', { class: 'app-mono audit-detail__json' }, JSON.stringify(d, null, 2))));
}

function actionSelect(value) {
  const known = new Set(ACTION_GROUPS.flatMap(([, list]) => list));
  const option = (v, text) => h('option', { value: v, selected: v === value }, text);
  const groups = ACTION_GROUPS.map(([group, list]) => h('optgroup', { label: t(`audit.groups.${group}`) },
    // A value ending in "." asks the API for every action of that kind.
    group !== 'system' && list.length > 1 ? option(`${group}.`, t('audit.group_all', { group: t(`audit.groups.${group}`) })) : null,
    list.map((a) => option(a, actionLabel(a)))));
  const extra = value && !known.has(value) && !ACTION_GROUPS.some(([g]) => `${g}.` === value) ? option(value, actionLabel(value)) : null;
  return h('div', { class: 'kern-form-input' },
    h('label', { class: 'kern-label', for: 'audit-action' }, t('audit.action')),
    h('div', { class: 'kern-form-input__select-wrapper' },
      h('select', { class: 'kern-form-input__select', id: 'audit-action', name: 'action' },
        option('', t('audit.any_action')), extra, groups)));
}

function typeSelect(value) {
  const options = [['', t('audit.any_type')], ...OBJECT_TYPES.map((tp) => [tp, typeLabel(tp)])];
  if (value && !OBJECT_TYPES.includes(value)) options.push([value, value]);
  return h('div', { class: 'kern-form-input' },
    h('label', { class: 'kern-label', for: 'audit-object-type' }, t('audit.object_type')),
    h('div', { class: 'kern-form-input__select-wrapper' },
      h('select', { class: 'kern-form-input__select', id: 'audit-object-type', name: 'object_type' },
        options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)))));
}

export async function render(main, ctx) {
  ctx.setTitle(t('audit.title'));
  main.appendChild(pageTitle(t('audit.title'), t('audit.intro')));
  if (ctx.user.role !== 'city_admin') {
    main.append(alertBox('info', t('audit.forbidden')), h('p', { class: 'kern-body' }, link('/', t('audit.home'))));
    return undefined;
  }

  main.appendChild(verifySection());

  const f = filtersFrom(ctx.query);
  const form = h('form', { class: 'app-filters', id: 'audit-filters', method: 'get', action: '/audit', role: 'search', 'aria-label': t('audit.filters'), novalidate: true },
    inputField({ id: 'audit-actor', name: 'actor', label: t('audit.actor'), hint: t('audit.actor_hint'), value: f.actor,
      attrs: { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' } }),
    actionSelect(f.action),
    typeSelect(f.object_type),
    inputField({ id: 'audit-object-id', name: 'object_id', label: t('audit.object_id'), hint: t('audit.object_id_hint'), value: f.object_id,
      attrs: { autocomplete: 'off', spellcheck: 'false' } }),
    inputField({ id: 'audit-from', name: 'from', type: 'date', label: t('audit.from'), value: DATE_RE.test(f.from) ? f.from : '' }),
    inputField({ id: 'audit-to', name: 'to', type: 'date', label: t('audit.to'), value: DATE_RE.test(f.to) ? f.to : '' }),
    h('div', { class: 'app-filters__actions' },
      button(t('audit.apply'), { type: 'submit', variant: 'primary' }),
      link('/audit', t('audit.reset'))));
  main.appendChild(form);

  const results = h('section', { class: 'app-section', 'aria-labelledby': 'audit-list-title' },
    h('h2', { class: 'kern-heading-medium', id: 'audit-list-title' }, t('audit.list_title')));
  const listBox = h('div', {});
  results.appendChild(listBox);
  main.appendChild(results);

  const columns = [
    { label: t('audit.col_id'), numeric: true, render: (e) => formatNumber(e.id) },
    { label: t('audit.col_at'), render: (e) => h('time', { datetime: e.at, class: 'app-nowrap' }, formatDateTime(e.at)) },
    { label: t('audit.col_actor'), render: (e) => e.actor },
    {
      label: t('audit.col_action'),
      header: true,
      render: (e) => h('span', { class: 'audit-action' },
        h('span', {}, actionLabel(e.action)),
        actionLabel(e.action) !== e.action ? h('span', { class: 'app-mono app-muted audit-action__code' }, e.action) : null),
    },
    { label: t('audit.col_object'), render: objectCell },
    { label: t('audit.col_school'), render: (e) => (e.school_number ? link(`/schools/${encodeURIComponent(e.school_number)}`, e.school_number) : t('app.none')) },
    { label: t('audit.col_detail'), render: (e) => detailCell(e.detail) },
  ];

  let announceNext = false;
  function showList(cur) {
    const query = {};
    for (const k of FILTERS) if (cur[k]) query[k] = cur[k];
    const filtered = Object.keys(query).length > 0;
    const list = pagedList({
      path: '/audit',
      query,
      limit: PAGE_SIZE,
      label: t('audit.caption'),
      emptyText: filtered ? t('audit.empty_filtered') : t('audit.empty'),
      onPage: ({ items, hasNext }) => {
        if (!announceNext) return;
        announceNext = false;
        if (!items.length) announce(filtered ? t('audit.empty_filtered') : t('audit.empty'));
        else announce(t(hasNext ? 'audit.results_more' : 'audit.results', { count: items.length }));
      },
      renderPage: (items) => dataTable({ caption: t('audit.caption'), captionHidden: true, columns, rows: items, className: 'audit-table' }),
    });
    listBox.replaceChildren(list.element);
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    const cur = {};
    for (const k of FILTERS) cur[k] = String(fd.get(k) || '').trim();
    const errs = [];
    // The API names an object by its kind and identifier together.
    if (cur.object_id && !cur.object_type) errs.push({ field: 'object_type', message: t('audit.err_type_needed') });
    if (cur.from && cur.to && cur.from > cur.to) errs.push({ field: 'to', message: t('audit.err_range') });
    if (errs.length) {
      showErrors(form, errs);
      return;
    }
    const qs = toQuery(cur).toString();
    window.history.pushState({}, '', '/audit' + (qs ? '?' + qs : ''));
    announceNext = true;
    showList(cur);
  });

  showList(f);
  return undefined;
}

function verifyReason(reason) {
  const text = String(reason || '');
  let own = null;
  if (/missing/i.test(text)) own = t('audit.reason_missing');
  else if (/prev_hash/i.test(text)) own = t('audit.reason_link');
  else if (/hash/i.test(text)) own = t('audit.reason_content');
  if (!own) return text;
  return language() === 'en' ? `${own} (${text})` : own;
}

function verifySection() {
  const resultBox = h('div', { class: 'audit-verify__result', id: 'audit-verify-result' },
    h('p', { class: 'kern-body app-muted' }, t('audit.verify_not_yet')));
  const btn = button(t('audit.verify_run'), { variant: 'secondary', onclick: run });
  let busy = false;

  async function run() {
    if (busy) return;
    busy = true;
    btn.disabled = true;
    resultBox.replaceChildren(loading());
    let res;
    try {
      res = await api.get('/audit/verify');
    } catch (err) {
      resultBox.replaceChildren(errorAlert(err));
      return;
    } finally {
      busy = false;
      btn.disabled = false;
      btn.querySelector('.kern-label').textContent = t('audit.verify_again');
    }
    const checked = t('audit.verify_checked_at', { time: formatDateTime(new Date().toISOString()) });
    let box;
    let text;
    if (res.intact) {
      text = res.entries
        ? t('audit.verify_intact', { last: formatNumber(res.last_id), count: formatNumber(res.entries) })
        : t('audit.verify_empty');
      box = alertBox('success', text, checked);
    } else {
      const broken = res.first_broken || {};
      text = t('audit.verify_broken', { id: formatNumber(broken.id) });
      box = alertBox('danger', text,
        t('audit.verify_reason', { reason: verifyReason(broken.reason) }),
        t('audit.verify_broken_help'),
        checked);
    }
    resultBox.replaceChildren(box);
    announce(text);
  }

  return h('section', { class: 'app-section audit-verify', 'aria-labelledby': 'audit-verify-title' },
    h('h2', { class: 'kern-heading-medium', id: 'audit-verify-title' }, t('audit.verify_title')),
    h('p', { class: 'kern-body' }, t('audit.verify_intro')),
    resultBox,
    h('div', { class: 'app-actions' }, btn));
}
