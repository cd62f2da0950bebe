// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The only global state: the logged-in user (from GET /api/v1/me).
let user = null;
const listeners = new Set();

export function getUser() {
  return user;
}

export function setUser(u) {
  user = u || null;
  for (const fn of listeners) fn(user);
}

export function onUserChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** city_admin and school_it may write; headteachers never. */
export function canWrite(u = user) {
  return !!u && (u.role === 'city_admin' || u.role === 'school_it');
}
