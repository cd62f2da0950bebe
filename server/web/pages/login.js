// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Login: real labels, password-manager friendly, one answer for unknown user and wrong password.
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api, ApiProblem, problemMessage } from '../js/api.js';
import { navigate, safeNext } from '../js/router.js';
import { setUser } from '../js/session.js';
import { showErrors, clearErrors } from '../js/forms.js';
import { pageTitle, inputField, button } from '../js/ui.js';

export async function render(main, ctx) {
  ctx.setTitle(t('login.title'));
  const next = safeNext(ctx.query.get('next'));

  const submit = button(t('login.submit'), { type: 'submit', variant: 'primary' });
  const form = h('form', { class: 'app-form app-login', id: 'login-form', method: 'post', action: '/login', novalidate: true },
    inputField({ id: 'username', label: t('login.username'), autocomplete: 'username', required: true,
      attrs: { autocapitalize: 'none', spellcheck: 'false' } }),
    inputField({ id: 'password', label: t('login.password'), type: 'password', autocomplete: 'current-password', required: true }),
    h('div', { class: 'app-actions' }, submit));

  main.appendChild(h('div', { class: 'app-login-wrap' },
    h('p', { class: 'kern-preline app-muted' }, t('login.product')),
    pageTitle(t('login.title')),
    h('p', { class: 'kern-body' }, t('login.intro')),
    form));

  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    clearErrors(form);
    const username = form.elements.username.value.trim();
    const password = form.elements.password.value;
    const missing = [];
    if (!username) missing.push({ field: 'username', message: t('login.missing_username') });
    if (!password) missing.push({ field: 'password', message: t('login.missing_password') });
    if (missing.length) {
      showErrors(form, missing);
      return;
    }
    busy = true;
    submit.disabled = true;
    submit.querySelector('.kern-label').textContent = t('login.submitting');
    try {
      const res = await api.post('/session', { username, password, cookie: true });
      let user = res && res.user;
      if (!user) user = await api.get('/me');
      setUser(user);
      navigate(next, { replace: true });
    } catch (err) {
      let message;
      if (err instanceof ApiProblem && err.status === 401) {
        message = t('login.invalid');
      } else if (err instanceof ApiProblem && err.status === 429) {
        // paktd makes a guessing address wait delays that grow from seconds to minutes.
        if (!err.retryAfter) message = t('login.locked_short');
        else if (err.retryAfter < 60) message = t('login.locked_seconds', { seconds: err.retryAfter });
        else message = t('login.locked', { minutes: Math.ceil(err.retryAfter / 60) });
      } else {
        message = problemMessage(err);
      }
      showErrors(form, message);
      form.elements.password.value = '';
    } finally {
      busy = false;
      submit.disabled = false;
      submit.querySelector('.kern-label').textContent = t('login.submit');
    }
  });

  if (!ctx.isCurrent()) return undefined;
  form.elements.username.focus();
  return undefined;
}
