// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The addresses of UI.md → page modules. History API navigation.

const ROUTES = [
  ['/login', 'login'],
  ['/', 'overview'],
  ['/devices', 'devices'],
  ['/devices/:serial', 'device'],
  ['/tranches', 'tranches'],
  ['/tranches/:id', 'tranche'],
  ['/tranches/:id/scan', 'scan'],
  ['/tranches/:id/labels', 'labels'],
  ['/loans', 'loans'],
  ['/loans/:id/agreement', 'agreement'],
  ['/schools', 'schools'],
  ['/schools/:school_number', 'school'],
  ['/grants', 'grants'],
  ['/grants/:id', 'grant'],
  ['/funding', 'funding'],
  ['/agents', 'agents'],
  ['/users', 'users'],
  ['/users/:id', 'users'],
  ['/audit', 'audit'],
  ['/account', 'account'],
];

const compiled = ROUTES.map(([pattern, page, extra]) => {
  const names = [];
  const re = new RegExp('^' + pattern.replace(/\/:([a-z_]+)/g, (m, name) => {
    names.push(name);
    return '/([^/]+)';
  }) + '/?$');
  return { pattern, page, extra: extra || {}, re, names };
});

/** Finds the page for a path: {page, params, extra} or the not-found page. */
export function match(pathname) {
  const short = /^\/d\/([^/]+)\/?$/.exec(pathname);
  if (short) return { redirect: '/devices/' + short[1] };
  for (const r of compiled) {
    const m = r.re.exec(pathname);
    if (!m) continue;
    const params = {};
    let ok = true;
    r.names.forEach((name, i) => {
      try { params[name] = decodeURIComponent(m[i + 1]); } catch (_) { ok = false; }
    });
    if (!ok) break;
    return { page: r.page, params, extra: r.extra, pattern: r.pattern };
  }
  return { page: 'notfound', params: {}, extra: {}, pattern: null };
}

let renderHook = null;

/** app.js installs the function that renders the current location. */
export function setRenderer(fn) {
  renderHook = fn;
}

function render(opts) {
  if (renderHook) return renderHook(opts);
  return undefined;
}

/** Goes to a same-origin path (with query) and renders it. */
export function navigate(path, { replace = false } = {}) {
  const url = new URL(path, window.location.origin);
  if (url.origin !== window.location.origin) {
    window.location.assign(path);
    return undefined;
  }
  const target = url.pathname + url.search + url.hash;
  if (replace) window.history.replaceState({}, '', target);
  else window.history.pushState({}, '', target);
  return render({ navigation: true });
}

/** Replaces the query string of the current address without adding a history entry twice. */
export function updateQuery(params, { replace = false } = {}) {
  const qs = params.toString();
  const target = window.location.pathname + (qs ? '?' + qs : '');
  return navigate(target, { replace });
}

function onClick(event) {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest && event.target.closest('a');
  if (!a || !a.hasAttribute('href')) return;
  if (a.target && a.target !== '_self') return;
  if (a.hasAttribute('download')) return;
  const href = a.getAttribute('href');
  if (href.startsWith('#')) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin) return;
  // API links (CSV downloads etc.) and static assets are real requests.
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
  event.preventDefault();
  if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) {
    window.location.hash = url.hash;
    return;
  }
  navigate(url.pathname + url.search + url.hash);
}

/** Starts listening for link clicks and back/forward. */
export function startRouter() {
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', () => render({ navigation: true, popstate: true }));
}

/** Only same-origin paths: "/x" but not "//host" or "/\host"; never back to /login. */
export function safeNext(next) {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f]/.test(next)) return '/';
  if (next === '/login' || next.startsWith('/login?') || next.startsWith('/login/')) return '/';
  return next;
}
