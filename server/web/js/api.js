// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// fetch wrapper for /api/v1: JSON in and out, session cookie, problem+json → ApiProblem.
import { t } from './i18n.js';

const BASE = '/api/v1';

export class ApiProblem extends Error {
  constructor({ status, title, detail, errors, type, retryAfter }) {
    super(detail || title || `HTTP ${status}`);
    this.name = 'ApiProblem';
    this.status = status;
    this.type = type || 'about:blank';
    this.title = title || '';
    this.detail = detail || '';
    this.errors = Array.isArray(errors) ? errors : [];
    this.retryAfter = retryAfter ?? null;
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super('network error');
    this.name = 'NetworkError';
    this.cause = cause;
  }
}

function buildUrl(path, query) {
  const url = path.startsWith('/api/') ? path : BASE + (path.startsWith('/') ? path : '/' + path);
  if (!query) return url;
  const params = new URLSearchParams();
  const entries = query instanceof URLSearchParams ? query.entries() : Object.entries(query);
  for (const [k, v] of entries) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    params.append(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

function isLoginCall(method, url) {
  return method === 'POST' && /\/api\/v1\/session$/.test(url);
}

// app.js takes a user with a one-time password to /account (the server refuses everything else).
let passwordChangeHook = null;
export function onPasswordChangeRequired(fn) {
  passwordChangeHook = fn;
}

/** The server's 403 for a session that must change its password first. */
export function isPasswordChangeRequired(problem) {
  return problem instanceof ApiProblem && problem.status === 403 && /password-change-required$/.test(problem.type);
}

function redirectToLogin() {
  if (window.location.pathname === '/login') return;
  const next = window.location.pathname + window.location.search;
  window.location.assign('/login?next=' + encodeURIComponent(next));
}

async function request(method, path, { query, body, contentType } = {}) {
  const url = buildUrl(path, query);
  const headers = { Accept: 'application/json' };
  let payload;
  if (body !== undefined && body !== null) {
    if (contentType && contentType !== 'application/json') {
      headers['Content-Type'] = contentType;
      payload = body;
    } else {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (err) {
    throw new NetworkError(err);
  }
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  let data = null;
  if (type.includes('json')) {
    try { data = await res.json(); } catch (_) { data = null; }
  } else {
    try { data = await res.text(); } catch (_) { data = null; }
  }
  if (res.ok) return data;

  const ra = res.headers.get('Retry-After');
  const problem = new ApiProblem({
    status: res.status,
    type: data && data.type,
    title: data && typeof data === 'object' ? data.title : res.statusText,
    detail: data && typeof data === 'object' ? data.detail : '',
    errors: data && typeof data === 'object' ? data.errors : [],
    retryAfter: ra !== null && ra !== '' && !Number.isNaN(Number(ra)) ? Number(ra) : null,
  });
  if (res.status === 401 && !isLoginCall(method, url)) {
    redirectToLogin();
  }
  if (isPasswordChangeRequired(problem) && passwordChangeHook) passwordChangeHook(problem);
  throw problem;
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, body) => request('POST', path, { body: body ?? {} }),
  put: (path, body, contentType) => request('PUT', path, { body, contentType }),
  patch: (path, body) => request('PATCH', path, { body }),
  del: (path) => request('DELETE', path),
  url: buildUrl,
};

/** A text for the user (current language) for an ApiProblem, NetworkError or other error. */
export function problemMessage(problem) {
  if (problem instanceof NetworkError) return t('errors.network');
  if (!(problem instanceof ApiProblem)) return t('errors.unexpected');
  const s = problem.status;
  if (isPasswordChangeRequired(problem)) return t('account.must_change_error');
  if (s === 429) {
    const minutes = problem.retryAfter ? Math.max(1, Math.ceil(problem.retryAfter / 60)) : null;
    return minutes ? t('errors.429_minutes', { minutes }) : t('errors.429');
  }
  if ([400, 401, 403, 404, 409, 413, 415, 422].includes(s)) return t(`errors.${s}`);
  if (s >= 500) return t('errors.5xx');
  return t('errors.unexpected');
}
