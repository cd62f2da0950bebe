// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Boot: language, current user, navigation per role, routing.
import { h, clear, announce } from './dom.js';
import { loadLanguage, t } from './i18n.js';
import { api, ApiProblem, problemMessage, onPasswordChangeRequired } from './api.js';
import { match, setRenderer, startRouter, navigate, safeNext } from './router.js';
import { getUser, setUser, onUserChange, canWrite } from './session.js';
import { errorAlert } from './ui.js';

const SCHOOL_NAV = [
  ['/', 'nav.overview'],
  ['/devices', 'nav.devices'],
  ['/tranches', 'nav.tranches'],
  ['/loans', 'nav.loans'],
  ['/agents', 'nav.agents'],
];
const CITY_NAV = [
  ['/', 'nav.overview'],
  ['/schools', 'nav.schools'],
  ['/devices', 'nav.devices'],
  ['/tranches', 'nav.tranches'],
  ['/loans', 'nav.loans'],
  ['/grants', 'nav.grants'],
  ['/funding', 'nav.funding'],
  ['/agents', 'nav.agents'],
  ['/users', 'nav.users'],
  ['/audit', 'nav.audit'],
];

let cleanup = null;
let renderSeq = 0;

function navItems(user) {
  // With a one-time password there is nothing but the own account until it is changed.
  if (user.must_change_password) return [['/account', 'nav.account']];
  const items = user.role === 'city_admin' ? CITY_NAV : SCHOOL_NAV;
  return [...items, ['/account', 'nav.account']];
}

function isCurrentNav(href, pathname) {
  if (href === '/') return pathname === '/';
  if (href === '/schools' && pathname.startsWith('/schools')) return true;
  return pathname === href || pathname.startsWith(href + '/');
}

function buildNav(user) {
  const nav = document.getElementById('app-nav');
  clear(nav);
  if (!user) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  nav.setAttribute('aria-label', t('nav.label'));
  const list = h('ul', { class: 'app-nav__list kern-container' },
    navItems(user).map(([href, key]) =>
      h('li', { class: 'app-nav__item' }, h('a', { class: 'app-nav__link', href }, t(key)))));
  nav.appendChild(list);
  markCurrentNav();
}

function markCurrentNav() {
  const pathname = window.location.pathname;
  for (const a of document.querySelectorAll('#app-nav a')) {
    if (isCurrentNav(a.getAttribute('href'), pathname)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function logout() {
  try {
    await api.del('/session');
  } catch (err) {
    // Gone already (401) is logged out; without an answer the session may still be open, and on
    // a shared staff-room computer the person must know that.
    if (!(err instanceof ApiProblem && err.status === 401)) {
      const main = document.getElementById('main');
      if (main) main.prepend(errorAlert(err));
      announce(problemMessage(err));
      return;
    }
  }
  setUser(null);
  navigate('/login');
  announce(t('app.logged_out'));
}

function buildHeader(user) {
  const box = document.getElementById('app-user');
  clear(box);
  if (!user) return;
  box.appendChild(h('span', { class: 'app-header__name' },
    user.display_name || user.username,
    h('span', { class: 'app-header__role' }, ' · ', t(`roles.${user.role}`))));
  box.appendChild(h('button', { type: 'button', class: 'kern-btn kern-btn--secondary kern-btn--x-small app-header__logout', onclick: logout },
    h('span', { class: 'kern-label' }, t('app.logout'))));
}

function staticTexts() {
  const skip = document.getElementById('skip-link');
  if (skip) skip.textContent = t('app.skip_to_content');
  document.title = 'Pakt';
}

function focusHeading(main) {
  const active = document.activeElement;
  if (active && active !== document.body && main.contains(active)) return; // the page focused something itself
  const h1 = main.querySelector('h1');
  const target = h1 || main;
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: false });
}

/** /account, remembering `next` (not the login, the overview or the account page itself). */
function accountPathFor(next) {
  const target = safeNext(next);
  if (target === '/' || target === '/account' || target.startsWith('/account?')) return '/account';
  return '/account?next=' + encodeURIComponent(target);
}

async function renderCurrent({ navigation = false } = {}) {
  const seq = ++renderSeq;
  const main = document.getElementById('main');
  const pathname = window.location.pathname;
  const route = match(pathname);
  if (route.redirect) {
    window.history.replaceState({}, '', route.redirect + window.location.search);
    return renderCurrent({ navigation });
  }

  if (typeof cleanup === 'function') {
    try { cleanup(); } catch (err) { console.error(err); }
  }
  cleanup = null;

  let user = getUser();
  // On /login we do not ask /me: a 401 there would only be noise in the console.
  if (!user && route.page !== 'login') {
    try {
      user = await api.get('/me');
      setUser(user);
    } catch (err) {
      if (seq !== renderSeq) return undefined;
      if (!(err instanceof ApiProblem && err.status === 401)) {
        if (route.page !== 'login') {
          clear(main);
          main.appendChild(errorAlert(err));
          return undefined;
        }
      } else if (route.page !== 'login') {
        return undefined; // api.js is taking us to /login
      }
      user = null;
    }
  }
  if (seq !== renderSeq) return undefined;

  // A one-time password: the account page (password form) and nowhere else until it is changed;
  // where the person wanted to go is kept for afterwards.
  if (user && user.must_change_password && route.page !== 'account' && route.page !== 'login') {
    window.history.replaceState({}, '', accountPathFor(window.location.pathname + window.location.search));
    return renderCurrent({ navigation });
  }

  if (route.page === 'login' && user) {
    const next = safeNext(new URLSearchParams(window.location.search).get('next'));
    window.history.replaceState({}, '', next);
    return renderCurrent({ navigation });
  }

  markCurrentNav();
  clear(main);
  const ctx = {
    user,
    params: route.params,
    query: new URLSearchParams(window.location.search),
    route: route.extra,
    setTitle(text) { document.title = text ? `${text} – Pakt` : 'Pakt'; },
    canWrite: canWrite(user),
    isCurrent: () => seq === renderSeq,
  };
  ctx.setTitle('');
  // Busy while the page renders its first state (assistive technology waits; so do the browser
  // tests): a page's heading may change once its object is read.
  main.setAttribute('aria-busy', 'true');
  try {
    const mod = await import(`../pages/${route.page}.js`);
    if (seq !== renderSeq) return undefined;
    const result = await mod.render(main, ctx);
    if (seq !== renderSeq) {
      if (typeof result === 'function') result();
      return undefined;
    }
    cleanup = typeof result === 'function' ? result : null;
  } catch (err) {
    if (seq !== renderSeq) return undefined;
    console.error(err);
    if (!main.querySelector('h1')) main.appendChild(h('h1', { class: 'kern-heading-x-large' }, t('errors.page_title')));
    main.appendChild(errorAlert(err));
  } finally {
    if (seq === renderSeq) main.removeAttribute('aria-busy');
  }
  if (navigation) {
    window.scrollTo(0, 0);
    focusHeading(main);
  }
  return undefined;
}

async function boot() {
  await loadLanguage();
  staticTexts();
  onUserChange((user) => { buildHeader(user); buildNav(user); });
  setRenderer(renderCurrent);
  // The server refuses everything but the password change (403 password-change-required): the
  // session's user has a one-time password, perhaps set while this page was open.
  onPasswordChangeRequired(() => {
    const u = getUser();
    const known = !!(u && u.must_change_password);
    if (u && !known) setUser({ ...u, must_change_password: true });
    if (window.location.pathname !== '/account' || !known) {
      navigate(accountPathFor(window.location.pathname + window.location.search), { replace: true });
    }
  });
  startRouter();
  await renderCurrent({ navigation: false });
}

boot().catch((err) => {
  console.error(err);
  const main = document.getElementById('main');
  clear(main);
  main.appendChild(h('p', {}, problemMessage(err)));
});
