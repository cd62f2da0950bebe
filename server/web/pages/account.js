// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Own account: password change, language, own API tokens.
import { h, announce } from '../js/dom.js';
import { t, language, setLanguage } from '../js/i18n.js';
import { api } from '../js/api.js';
import { safeNext } from '../js/router.js';
import { setUser } from '../js/session.js';
import { formatDate, formatDateTime, todayISO } from '../js/format.js';
import { showErrors, clearErrors } from '../js/forms.js';
import {
  pageTitle, descList, section, alertBox, errorAlert, dataTable, inputField, selectField, button, loading,
} from '../js/ui.js';

export async function render(main, ctx) {
  ctx.setTitle(t('account.title'));
  const u = ctx.user;
  // A one-time password (new user, or reset by municipal IT): nothing but the password change
  // until the user chose their own (the server refuses everything else meanwhile).
  if (u.must_change_password) return renderForced(main, ctx);
  const tokens = tokensSection(ctx);
  main.append(
    pageTitle(t('account.title')),
    profileSection(u),
    passwordSection(() => { tokens.reload(); }),
    languageSection(),
    tokens);
  return undefined;
}

function profileSection(u) {
  return section(t('account.profile'), descList([
    [t('account.username'), u.username],
    [t('account.display_name'), u.display_name],
    [t('account.role'), t(`roles.${u.role}`)],
    u.role !== 'city_admin' ? [t('account.schools'), (u.schools || []).join(', ')] : null,
  ]));
}

function renderForced(main, ctx) {
  const u = ctx.user;
  const next = safeNext(ctx.query.get('next'));
  const notice = alertBox('warning', t('account.must_change_title'), t('account.must_change_text'));
  main.append(
    pageTitle(t('account.title')),
    notice,
    passwordSection(async (flash) => {
      // The flag is gone now: read the user again so the navigation shows every page.
      let fresh;
      try {
        fresh = await api.get('/me');
      } catch (_) {
        fresh = { ...u, must_change_password: false };
      }
      setUser({ ...fresh, must_change_password: false });
      notice.remove();
      const a = alertBox('success', t('account.password_changed_first'),
        h('p', { class: 'kern-body' }, h('a', { class: 'kern-btn kern-btn--primary app-btn-link', href: next },
          h('span', { class: 'kern-label' }, t('account.continue')))));
      a.setAttribute('tabindex', '-1');
      flash.replaceChildren(a);
      a.focus();
      announce(t('account.password_changed_first'));
      return true;
    }, { forced: true }),
    profileSection(u));
  announce(t('account.must_change_title'));
  if (ctx.isCurrent()) main.querySelector('#current_password').focus();
  return undefined;
}

// onChanged: the password change deleted the API tokens; the list below must show that.
// onChanged(flash) may return true when it showed its own message.
function passwordSection(onChanged, { forced = false } = {}) {
  const flash = h('div', {});
  const form = h('form', { class: 'app-form', id: 'password-form', novalidate: true },
    inputField({ id: 'current_password', label: t('account.current_password'), hint: forced ? t('account.current_is_otp') : null,
      type: 'password', autocomplete: 'current-password', required: true }),
    inputField({ id: 'new_password', label: t('account.new_password'), hint: t('account.new_password_hint'), type: 'password', autocomplete: 'new-password', required: true }),
    inputField({ id: 'confirm_password', label: t('account.confirm_password'), type: 'password', autocomplete: 'new-password', required: true }),
    h('div', { class: 'app-actions' }, button(t('account.password_submit'), { type: 'submit' })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    flash.replaceChildren();
    const cur = form.elements.current_password.value;
    const next = form.elements.new_password.value;
    const confirm = form.elements.confirm_password.value;
    const errs = [];
    if (!cur) errs.push({ field: 'current_password', message: t('forms.required', { field: t('account.current_password') }) });
    if (!next) errs.push({ field: 'new_password', message: t('forms.required', { field: t('account.new_password') }) });
    else if (next !== confirm) errs.push({ field: 'confirm_password', message: t('account.password_mismatch') });
    if (errs.length) {
      showErrors(form, errs);
      return;
    }
    try {
      await api.post('/me/password', { current_password: cur, new_password: next });
    } catch (err) {
      showErrors(form, err, {
        current_password: { message: t('account.current_wrong') },
        new_password: { message: (e) => t('account.new_invalid') + (e.message && language() === 'en' ? ` (${e.message})` : '') },
      });
      return;
    }
    form.reset();
    if (await onChanged(flash)) {
      // The first own password: the form's work is done, only the way on remains.
      form.hidden = true;
      intro.hidden = true;
      return;
    }
    const a = alertBox('success', t('account.password_changed'));
    a.setAttribute('tabindex', '-1');
    flash.replaceChildren(a);
    a.focus();
  });
  const intro = h('p', { class: 'kern-body' }, t(forced ? 'account.password_intro_forced' : 'account.password_intro'));
  return section(t('account.password'), intro, flash, form);
}

function languageSection() {
  const form = h('form', { class: 'app-form', id: 'language-form' },
    selectField({ id: 'language', label: t('account.language_label'), hint: t('account.language_hint'), value: language(),
      options: [['de', t('account.lang_de')], ['en', t('account.lang_en')]] }),
    h('div', { class: 'app-actions' }, button(t('account.language_submit'), { type: 'submit', variant: 'secondary' })));
  // The option texts name each language in itself.
  form.querySelector('option[value="de"]').setAttribute('lang', 'de');
  form.querySelector('option[value="en"]').setAttribute('lang', 'en');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    setLanguage(form.elements.language.value);
  });
  return section(t('account.language'), form);
}

/** The columns of an API token table (own tokens here, a user's on /users/{id}). */
export function tokenColumns(onRevoke) {
  return [
    { label: t('account.token_name'), header: true, render: (tk) => tk.name },
    { label: t('account.token_created'), render: (tk) => formatDateTime(tk.created_at) },
    { label: t('account.token_expires'), render: (tk) => (tk.expires_on ? formatDate(tk.expires_on) : t('account.token_never_expires')) },
    { label: t('account.token_last_used'), render: (tk) => (tk.last_used_at ? formatDateTime(tk.last_used_at) : t('users.token_never_used')) },
    {
      label: t('account.token_actions'),
      render: (tk) => button(t('account.token_revoke'), {
        variant: 'secondary',
        'aria-label': t('account.token_revoke_named', { name: tk.name }),
        onclick: () => onRevoke(tk),
      }),
    },
  ];
}

function tokensSection(ctx) {
  const listBox = h('div', {}, loading());
  const created = h('div', {});

  async function loadTokens() {
    let page;
    try {
      page = await api.get('/tokens', { limit: 100 });
    } catch (err) {
      if (ctx.isCurrent()) listBox.replaceChildren(errorAlert(err));
      return;
    }
    if (!ctx.isCurrent()) return;
    const items = (page && page.items) || [];
    if (!items.length) {
      listBox.replaceChildren(h('p', { class: 'kern-body' }, t('account.no_tokens')));
      return;
    }
    listBox.replaceChildren(dataTable({
      caption: t('account.tokens_caption'),
      columns: tokenColumns(revoke),
      rows: items,
    }));
  }

  async function revoke(tk) {
    // eslint-disable-next-line no-alert
    if (!window.confirm(t('account.token_revoke_confirm', { name: tk.name }))) return;
    try {
      await api.del(`/tokens/${encodeURIComponent(tk.id)}`);
    } catch (err) {
      created.replaceChildren(errorAlert(err));
      return;
    }
    const a = alertBox('success', t('account.token_revoked', { name: tk.name }));
    created.replaceChildren(a);
    announce(t('account.token_revoked', { name: tk.name }));
    await loadTokens();
  }

  const form = h('form', { class: 'app-form', id: 'token-form', novalidate: true },
    inputField({ id: 'token_name', label: t('account.token_name'), hint: t('account.token_name_hint'), required: true, attrs: { maxlength: '100', autocomplete: 'off' } }),
    inputField({ id: 'token_expires', label: t('account.token_expires'), hint: t('account.token_expires_hint'), type: 'date', optional: true, attrs: { min: todayISO() } }),
    h('div', { class: 'app-actions' }, button(t('account.token_create'), { type: 'submit', variant: 'secondary' })));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const name = form.elements.token_name.value.trim();
    const expires = form.elements.token_expires.value;
    if (!name) {
      showErrors(form, [{ field: 'token_name', message: t('account.token_missing_name') }]);
      return;
    }
    let res;
    try {
      res = await api.post('/tokens', expires ? { name, expires_on: expires } : { name });
    } catch (err) {
      showErrors(form, err, { name: 'token_name', expires_on: 'token_expires' });
      return;
    }
    form.reset();
    created.replaceChildren(tokenShownOnce(res));
    created.querySelector('.kern-alert').focus();
    await loadTokens();
  });

  loadTokens();
  const el = section(t('account.tokens'),
    h('p', { class: 'kern-body' }, t('account.tokens_intro')),
    created, listBox,
    h('h3', { class: 'kern-heading-small' }, t('account.token_create')),
    form);
  el.reload = () => { created.replaceChildren(); return loadTokens(); };
  return el;
}

function tokenShownOnce(res) {
  const code = h('code', { id: 'new-token', class: 'app-mono' }, res.token);
  const copyBtn = button(t('account.token_copy'), {
    variant: 'primary',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(res.token);
        announce(t('app.copied'));
        copyBtn.querySelector('.kern-label').textContent = t('app.copied');
      } catch (_) {
        const sel = window.getSelection();
        const range = document.createRange();
        range.selectNodeContents(code);
        sel.removeAllRanges();
        sel.addRange(range);
        announce(t('app.copy_failed'));
      }
    },
  });
  const a = alertBox('success', t('account.token_new_title'),
    h('p', { class: 'kern-body' }, t('account.token_new_text')),
    h('div', { class: 'app-token' },
      h('span', { class: 'visually-hidden' }, t('account.token_value'), ': '), code, copyBtn));
  a.setAttribute('tabindex', '-1');
  return a;
}
