// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Users (/users and /users/{id}; municipal IT only): the paged list, creating a user (the server
// makes a one-time password, shown once), and per user: role, schools and name, disable and
// re-enable, a new one-time password, the user's API tokens.
import { h, clear, announce } from '../js/dom.js';
import { t, language } from '../js/i18n.js';
import { api, ApiProblem } from '../js/api.js';
import { formatDate, formatDateTime } from '../js/format.js';
import { showErrors, clearErrors } from '../js/forms.js';
import { pagedList } from '../js/table.js';
import { tokenColumns } from './account.js';
import {
  pageTitle, descList, section, alertBox, errorAlert, dataTable, inputField, selectField, button, link,
  badge, loading, copyButton,
} from '../js/ui.js';

const ROLES = ['school_it', 'headteacher', 'city_admin'];
const SCHOOL_ROLES = new Set(['school_it', 'headteacher']);
const USERNAME_RE = /^[A-Za-z0-9._@-]{3,64}$/;
const SEARCH_LIMIT = 10;
// School names are looked up one by one for the chosen schools; beyond this many only numbers show.
const NAME_LOOKUPS = 30;

export async function render(main, ctx) {
  if (ctx.user.role !== 'city_admin') {
    ctx.setTitle(t('users.title'));
    main.append(pageTitle(t('users.title')), alertBox('info', t('users.forbidden')),
      h('p', { class: 'kern-body' }, link('/', t('users.home'))));
    return undefined;
  }
  if (ctx.params.id !== undefined) return renderDetail(main, ctx);
  return renderList(main, ctx);
}

// ---- shared pieces --------------------------------------------------------------------------

function userPath(u) {
  return `/users/${encodeURIComponent(u.id)}`;
}

function statusBadges(u) {
  return h('span', { class: 'users-badges' },
    u.disabled ? badge(t('users.state_disabled'), 'danger') : badge(t('users.state_active'), 'success'),
    u.must_change_password ? badge(t('users.state_must_change'), 'warning') : null);
}

function schoolsText(numbers) {
  const list = numbers || [];
  if (!list.length) return t('app.none');
  if (list.length <= 3) return list.join(', ');
  return t('users.schools_more', { first: list.slice(0, 3).join(', '), count: list.length - 3 });
}

function schoolLabel(s) {
  return `${s.name} (${s.school_number})`;
}

/** The one-time password, shown once, with a copy button. */
function oneTimePasswordBox(title, username, password) {
  const code = h('code', { class: 'app-mono users-otp', id: 'one-time-password' }, password);
  const box = alertBox('success', title,
    h('p', { class: 'kern-body' }, t('users.otp_once', { username })),
    h('div', { class: 'app-token' },
      h('span', { class: 'visually-hidden' }, t('users.otp_label'), ': '), code,
      copyButton(() => password, t('users.otp_copy'), code, { variant: 'primary' })),
    h('p', { class: 'kern-body' }, t('users.otp_must_change')));
  box.setAttribute('tabindex', '-1');
  box.classList.add('users-otp-box');
  return box;
}

/**
 * The schools of a user: the chosen ones with "remove", a search (GET /schools?q=) with "add".
 * Returns {element, input (the search field, where errors about schools are shown), get(), set()}.
 */
function schoolPicker(prefix, initial = []) {
  const chosen = new Map(); // school_number → name or null
  const searchId = `${prefix}-school-search`;
  const chosenList = h('ul', { class: 'users-schools__chosen', id: `${prefix}-schools-chosen` });
  const results = h('div', { class: 'users-schools__results' });
  const input = h('input', {
    class: 'kern-form-input__input', id: searchId, name: `${prefix}_school_search`, type: 'search',
    autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${prefix}-schools-hint`,
  });
  const searchBtn = button(t('users.school_search_submit'), { variant: 'secondary', onclick: () => search() });
  let searchSeq = 0;

  function renderChosen() {
    clear(chosenList);
    if (!chosen.size) {
      chosenList.appendChild(h('li', { class: 'users-schools__none' }, t('users.schools_none')));
      return;
    }
    for (const [n, name] of chosen) {
      const text = name ? `${name} (${n})` : n;
      chosenList.appendChild(h('li', { class: 'users-schools__item' },
        h('span', {}, text),
        button(t('users.school_remove'), {
          variant: 'tertiary',
          class: 'kern-btn kern-btn--tertiary kern-btn--x-small',
          'aria-label': t('users.school_remove_named', { school: text }),
          onclick: () => {
            chosen.delete(n);
            renderChosen();
            markResults();
            announce(t('users.school_removed', { school: text }));
            input.focus();
          },
        })));
    }
  }

  function markResults() {
    for (const btn of results.querySelectorAll('button[data-school]')) {
      const on = chosen.has(btn.dataset.school);
      btn.disabled = on;
      btn.querySelector('.kern-label').textContent = on ? t('users.school_chosen') : t('users.school_add');
    }
  }

  async function search() {
    const q = input.value.trim();
    const seq = ++searchSeq;
    if (!q) {
      results.replaceChildren(h('p', { class: 'kern-body app-muted' }, t('users.school_search_empty_query')));
      return;
    }
    results.replaceChildren(loading());
    let page;
    try {
      page = await api.get('/schools', { q, limit: SEARCH_LIMIT });
    } catch (err) {
      if (seq === searchSeq) results.replaceChildren(errorAlert(err));
      return;
    }
    if (seq !== searchSeq) return;
    const items = (page && page.items) || [];
    if (!items.length) {
      results.replaceChildren(h('p', { class: 'kern-body' }, t('users.school_search_none', { q })));
      announce(t('users.school_search_none', { q }));
      return;
    }
    const list = h('ul', { class: 'users-schools__found', 'aria-label': t('users.school_search_results') },
      items.map((s) => h('li', { class: 'users-schools__item' },
        h('span', {}, schoolLabel(s), s.district ? h('span', { class: 'app-muted' }, ` · ${s.district}`) : null),
        button(t('users.school_add'), {
          variant: 'secondary',
          class: 'kern-btn kern-btn--secondary kern-btn--x-small',
          'aria-label': t('users.school_add_named', { school: schoolLabel(s) }),
          dataset: { school: s.school_number },
          onclick: () => {
            chosen.set(s.school_number, s.name);
            renderChosen();
            markResults();
            announce(t('users.school_added', { school: schoolLabel(s) }));
            input.focus();
          },
        }))));
    results.replaceChildren(list);
    if (page.next_cursor) results.appendChild(h('p', { class: 'kern-body kern-body--small app-muted' }, t('users.school_search_more', { count: SEARCH_LIMIT })));
    markResults();
    announce(page.next_cursor ? t('users.school_search_found_more', { count: items.length }) : t('users.school_search_found', { count: items.length }));
  }

  // Enter in the search field searches instead of sending the whole form.
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      search();
    }
  });

  async function set(numbers) {
    chosen.clear();
    for (const n of numbers || []) chosen.set(n, null);
    renderChosen();
    const lookups = (numbers || []).slice(0, NAME_LOOKUPS).map(async (n) => {
      try {
        const s = await api.get(`/schools/${encodeURIComponent(n)}`);
        if (chosen.has(n)) chosen.set(n, s.name);
      } catch (_) { /* the number alone then */ }
    });
    await Promise.all(lookups);
    renderChosen();
  }

  const element = h('fieldset', { class: 'kern-fieldset users-schools', id: `${prefix}-schools`, 'aria-describedby': `${prefix}-schools-hint` },
    h('legend', { class: 'kern-label' }, t('users.schools')),
    h('div', { class: 'kern-hint', id: `${prefix}-schools-hint` }, t('users.schools_hint')),
    h('p', { class: 'kern-body users-schools__heading', id: `${prefix}-schools-chosen-label` }, t('users.schools_chosen')),
    chosenList,
    h('div', { class: 'kern-form-input users-schools__search' },
      h('label', { class: 'kern-label', for: searchId }, t('users.school_search')),
      h('div', { class: 'users-schools__search-row' }, input, searchBtn)),
    results);
  chosenList.setAttribute('aria-labelledby', `${prefix}-schools-chosen-label`);
  renderChosen();
  if (initial.length) set(initial);
  return { element, input, get: () => [...chosen.keys()], set };
}

function roleSelect(id, value, withPlaceholder) {
  const options = ROLES.map((r) => [r, t(`roles.${r}`)]);
  if (withPlaceholder) options.unshift(['', t('users.role_choose')]);
  return selectField({ id, name: 'role', label: t('users.role'), hint: t('users.role_hint'), value, options });
}

/** Server field names → this form's inputs and own texts (the server's are English). */
function fieldMap(form, picker) {
  return {
    username: { name: 'username', message: t('users.err_username') },
    display_name: { name: 'display_name', message: t('users.err_display_name') },
    role: { name: 'role', message: t('users.err_role') },
    schools: { name: picker.input.id, message: (e) => t('users.err_schools') + (e.message && language() === 'en' ? ` (${e.message})` : '') },
  };
}

function checkForm(form, picker, { requireUsername }) {
  const errs = [];
  const username = requireUsername ? form.elements.username.value.trim() : null;
  const role = form.elements.role.value;
  if (requireUsername) {
    if (!username) errs.push({ field: 'username', message: t('forms.required', { field: t('users.username') }) });
    else if (!USERNAME_RE.test(username)) errs.push({ field: 'username', message: t('users.err_username') });
  }
  if (!role) errs.push({ field: 'role', message: t('users.err_role') });
  if (SCHOOL_ROLES.has(role) && !picker.get().length) errs.push({ field: picker.input.id, message: t('users.err_schools_missing') });
  return errs;
}

// ---- the list (/users) ----------------------------------------------------------------------

async function renderList(main, ctx) {
  ctx.setTitle(t('users.title'));
  main.appendChild(pageTitle(t('users.title'), t('users.intro')));

  const list = pagedList({
    path: '/users',
    limit: 50,
    label: t('users.caption'),
    emptyText: t('users.empty'),
    renderPage: (items) => dataTable({
      caption: t('users.caption'),
      captionHidden: true,
      columns: [
        { label: t('users.username'), header: true, render: (u) => link(userPath(u), u.username) },
        { label: t('users.display_name'), render: (u) => u.display_name || t('app.none') },
        { label: t('users.role'), render: (u) => t(`roles.${u.role}`) },
        { label: t('users.schools'), render: (u) => schoolsText(u.schools) },
        { label: t('users.state'), render: (u) => statusBadges(u) },
        { label: t('users.created'), render: (u) => formatDate(u.created_at) },
      ],
      rows: items,
      className: 'users-table',
    }),
  });
  main.appendChild(section(t('users.list_title'), list.element));
  main.appendChild(createSection(() => list.reload()));
  return undefined;
}

function createSection(onCreated) {
  const result = h('div', { class: 'users-result', id: 'user-create-result' });
  const picker = schoolPicker('create');
  const role = roleSelect('create-role', '', true);
  const form = h('form', { class: 'app-form', id: 'user-create-form', novalidate: true },
    inputField({ id: 'create-username', name: 'username', label: t('users.username'), hint: t('users.username_hint'), required: true,
      attrs: { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '64' } }),
    inputField({ id: 'create-display-name', name: 'display_name', label: t('users.display_name'), hint: t('users.display_name_hint'), optional: true,
      attrs: { autocomplete: 'off', maxlength: '200' } }),
    role,
    picker.element,
    h('p', { class: 'kern-body' }, t('users.create_password_note')),
    h('div', { class: 'app-actions' }, button(t('users.create_submit'), { type: 'submit' })));
  const roleEl = form.elements.role;
  const syncRole = () => { picker.element.hidden = !SCHOOL_ROLES.has(roleEl.value); };
  roleEl.addEventListener('change', syncRole);
  syncRole();

  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    clearErrors(form);
    const errs = checkForm(form, picker, { requireUsername: true });
    if (errs.length) {
      showErrors(form, errs);
      return;
    }
    const username = form.elements.username.value.trim();
    const body = {
      username,
      display_name: form.elements.display_name.value.trim() || username,
      role: roleEl.value,
      schools: SCHOOL_ROLES.has(roleEl.value) ? picker.get() : [],
    };
    busy = true;
    let created;
    try {
      // Without a password the server makes a one-time password and answers it once.
      created = await api.post('/users', body);
    } catch (err) {
      busy = false;
      if (err instanceof ApiProblem && err.status === 409) {
        showErrors(form, [{ field: 'username', message: t('users.err_username_taken') }]);
      } else {
        showErrors(form, err, fieldMap(form, picker));
      }
      return;
    }
    busy = false;
    const title = t('users.created_title', { username: created.username });
    const box = created.one_time_password
      ? oneTimePasswordBox(title, created.username, created.one_time_password)
      : alertBox('success', title);
    box.setAttribute('tabindex', '-1');
    const body2 = box.querySelector('.kern-alert__body') || box;
    body2.appendChild(h('p', { class: 'kern-body' }, link(userPath(created), t('users.to_user', { username: created.username }))));
    result.replaceChildren(box);
    form.reset();
    picker.set([]);
    syncRole();
    box.focus();
    announce(title);
    onCreated();
  });

  return section(t('users.create_title'), h('p', { class: 'kern-body' }, t('users.create_intro')), result, form);
}

// ---- one user (/users/{id}) -----------------------------------------------------------------

async function renderDetail(main, ctx) {
  const id = ctx.params.id;
  ctx.setTitle(t('users.user_title', { username: id }));
  const title = pageTitle(t('users.user_title', { username: id }));
  const flash = h('div', { class: 'users-flash' });
  const body = h('div', {}, loading());
  main.append(title, h('p', { class: 'kern-body' }, link('/users', t('users.back'))), flash, body);

  let user;
  try {
    user = await api.get(`/users/${encodeURIComponent(id)}`);
  } catch (err) {
    if (!ctx.isCurrent()) return undefined;
    body.replaceChildren(err instanceof ApiProblem && (err.status === 404 || err.status === 400)
      ? alertBox('warning', t('users.not_found')) : errorAlert(err));
    return undefined;
  }
  if (!ctx.isCurrent()) return undefined;
  const self = user.id === ctx.user.id;

  const summaryBox = h('div', {});
  function showSummary() {
    const heading = user.display_name && user.display_name !== user.username
      ? `${user.display_name} (${user.username})` : user.username;
    title.querySelector('h1').textContent = t('users.user_title', { username: heading });
    ctx.setTitle(t('users.user_title', { username: heading }));
    summaryBox.replaceChildren(descList([
      [t('users.username'), h('span', { class: 'app-mono' }, user.username)],
      [t('users.display_name'), user.display_name],
      [t('users.role'), t(`roles.${user.role}`)],
      SCHOOL_ROLES.has(user.role) ? [t('users.schools'), (user.schools || []).length
        ? h('span', {}, (user.schools || []).flatMap((n, i) => [i ? ', ' : null, link(`/schools/${encodeURIComponent(n)}`, n)]))
        : null] : null,
      [t('users.state'), statusBadges(user)],
      [t('users.password_state'), user.must_change_password ? t('users.password_must_change') : t('users.password_own')],
      [t('users.created'), formatDateTime(user.created_at)],
      [t('users.updated'), formatDateTime(user.updated_at)],
    ], t('users.summary_label')));
  }
  showSummary();

  // Shows a result at the top of the page and moves the focus there.
  function tell(box, text) {
    box.setAttribute('tabindex', '-1');
    flash.replaceChildren(box);
    box.focus();
    if (text) announce(text);
  }

  const tokens = tokensSection(user, ctx);
  const access = accessSection();
  const otp = otpSection();
  body.replaceChildren(summaryBox, editSection(), access.element, otp.element, tokens.element);

  function updated(fresh) {
    user = fresh;
    showSummary();
    access.refresh();
  }

  // --- role, schools, name ---
  function editSection() {
    const picker = schoolPicker('edit');
    const form = h('form', { class: 'app-form', id: 'user-edit-form', novalidate: true },
      inputField({ id: 'edit-display-name', name: 'display_name', label: t('users.display_name'), value: user.display_name || '',
        attrs: { autocomplete: 'off', maxlength: '200' } }),
      roleSelect('edit-role', user.role, false),
      picker.element,
      h('div', { class: 'app-actions' }, button(t('users.edit_submit'), { type: 'submit' })));
    const roleEl = form.elements.role;
    const syncRole = () => { picker.element.hidden = !SCHOOL_ROLES.has(roleEl.value); };
    roleEl.addEventListener('change', syncRole);
    syncRole();
    picker.set(user.schools || []);

    let busy = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (busy) return;
      clearErrors(form);
      const errs = checkForm(form, picker, { requireUsername: false });
      if (errs.length) {
        showErrors(form, errs);
        return;
      }
      const patch = {};
      const name = form.elements.display_name.value.trim();
      if (name && name !== user.display_name) patch.display_name = name;
      if (roleEl.value !== user.role) patch.role = roleEl.value;
      const schools = SCHOOL_ROLES.has(roleEl.value) ? picker.get() : [];
      const before = [...(user.schools || [])].sort().join(',');
      if (schools.slice().sort().join(',') !== before) patch.schools = schools;
      if (!Object.keys(patch).length) {
        tell(alertBox('info', t('users.no_changes')), t('users.no_changes'));
        return;
      }
      busy = true;
      let fresh;
      try {
        fresh = await api.patch(`/users/${encodeURIComponent(user.id)}`, patch);
      } catch (err) {
        busy = false;
        if (err instanceof ApiProblem && err.status === 409) showErrors(form, [{ field: 'role', message: t('users.err_last_admin') }]);
        else showErrors(form, err, fieldMap(form, picker));
        return;
      }
      busy = false;
      updated(fresh);
      tell(alertBox('success', t('users.saved', { username: fresh.username })), t('users.saved', { username: fresh.username }));
    });
    return section(t('users.edit_title'), h('p', { class: 'kern-body' }, t('users.edit_intro')), form);
  }

  // --- disable / re-enable ---
  function accessSection() {
    const content = h('div', {});
    const element = section(t('users.access_title'), content);
    function refresh() {
      if (self) {
        content.replaceChildren(h('p', { class: 'kern-body' }, t('users.access_self')));
        return;
      }
      const text = user.disabled ? t('users.access_disabled_text') : t('users.access_active_text');
      const btn = user.disabled
        ? button(t('users.enable'), { variant: 'primary', onclick: () => setDisabled(false) })
        : button(t('users.disable'), { variant: 'secondary', onclick: () => setDisabled(true) });
      content.replaceChildren(h('p', { class: 'kern-body' }, text), h('div', { class: 'app-actions' }, btn));
    }
    async function setDisabled(disabled) {
      // eslint-disable-next-line no-alert
      if (disabled && !window.confirm(t('users.disable_confirm', { username: user.username }))) return;
      let fresh;
      try {
        fresh = await api.patch(`/users/${encodeURIComponent(user.id)}`, { disabled });
      } catch (err) {
        tell(errorAlert(err));
        return;
      }
      updated(fresh);
      if (disabled) tokens.reload(); // disabling deleted them
      const msg = t(disabled ? 'users.disabled_done' : 'users.enabled_done', { username: fresh.username });
      tell(alertBox('success', msg), msg);
    }
    refresh();
    return { element, refresh };
  }

  // --- a new one-time password ---
  function otpSection() {
    const content = h('div', {});
    if (self) {
      content.appendChild(h('p', { class: 'kern-body' }, t('users.otp_self'), ' ', link('/account', t('users.to_account'))));
    } else {
      content.append(
        h('p', { class: 'kern-body' }, t('users.otp_intro')),
        h('div', { class: 'app-actions' }, button(t('users.otp_submit'), { variant: 'secondary', onclick: reset })));
    }
    async function reset() {
      // eslint-disable-next-line no-alert
      if (!window.confirm(t('users.otp_confirm', { username: user.username }))) return;
      let res;
      try {
        res = await api.post(`/users/${encodeURIComponent(user.id)}/one-time-password`, {});
      } catch (err) {
        tell(errorAlert(err));
        return;
      }
      if (res.user) updated(res.user);
      else updated({ ...user, must_change_password: true });
      const title2 = t('users.otp_new_title', { username: user.username });
      tell(oneTimePasswordBox(title2, user.username, res.one_time_password), title2);
      tokens.reload();
    }
    return { element: section(t('users.otp_title'), content) };
  }

  return undefined;
}

function tokensSection(user, ctx) {
  const flash = h('div', {});
  let list = null;
  const box = h('div', {});

  function load() {
    list = pagedList({
      path: `/users/${encodeURIComponent(user.id)}/tokens`,
      limit: 50,
      label: t('users.tokens_caption', { username: user.username }),
      emptyText: t('users.tokens_none'),
      renderPage: (items) => dataTable({
        caption: t('users.tokens_caption', { username: user.username }),
        captionHidden: true,
        columns: tokenColumns(revoke),
        rows: items,
      }),
    });
    box.replaceChildren(list.element);
  }

  async function revoke(tk) {
    // eslint-disable-next-line no-alert
    if (!window.confirm(t('users.token_revoke_confirm', { name: tk.name, username: user.username }))) return;
    try {
      await api.del(`/users/${encodeURIComponent(user.id)}/tokens/${encodeURIComponent(tk.id)}`);
    } catch (err) {
      if (!ctx.isCurrent()) return;
      if (err instanceof ApiProblem && err.status === 404) {
        // Gone already (revoked elsewhere, or deleted with a disabled account): show the list as it is.
        flash.replaceChildren(alertBox('info', t('users.token_gone', { name: tk.name })));
        list.reload();
      } else {
        flash.replaceChildren(errorAlert(err));
      }
      return;
    }
    if (!ctx.isCurrent()) return;
    const msg = t('account.token_revoked', { name: tk.name });
    const a = alertBox('success', msg);
    a.setAttribute('tabindex', '-1');
    flash.replaceChildren(a);
    a.focus();
    announce(msg);
    list.reload();
  }

  load();
  return {
    element: section(t('users.tokens_title'), h('p', { class: 'kern-body' }, t('users.tokens_intro')), flash, box),
    reload: () => { if (list) list.reload(); },
  };
}
