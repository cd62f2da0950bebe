// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Dictionaries: /assets/i18n/de.json and en.json. Keys are dotted paths ("devices.title").

const STORAGE_KEY = 'pakt.lang';
const SUPPORTED = ['de', 'en'];
let current = 'de';
let dict = {};

function storedLanguage() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (SUPPORTED.includes(v)) return v;
  } catch (_) { /* storage disabled */ }
  return 'de';
}

export async function loadLanguage() {
  current = storedLanguage();
  let res;
  try {
    res = await fetch(`/assets/i18n/${current}.json`, { credentials: 'same-origin' });
  } catch (_) {
    res = null;
  }
  if ((!res || !res.ok) && current !== 'de') {
    current = 'de';
    res = await fetch('/assets/i18n/de.json', { credentials: 'same-origin' }).catch(() => null);
  }
  dict = res && res.ok ? await res.json() : {};
  document.documentElement.lang = current;
  return current;
}

function lookup(key) {
  let node = dict;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) return undefined;
    node = node[part];
  }
  return node;
}

/** Returns true if the key exists in the current dictionary. */
export function has(key) {
  return typeof lookup(key) === 'string';
}

/** t('devices.count', {n: 3}) → text with {n} replaced. Missing key → the key itself. */
export function t(key, params) {
  const value = lookup(key);
  if (typeof value !== 'string') {
    console.warn(`i18n: missing key "${key}" (${current})`);
    return key;
  }
  if (!params) return value;
  return value.replace(/\{(\w+)\}/g, (m, name) =>
    (Object.prototype.hasOwnProperty.call(params, name) && params[name] !== null && params[name] !== undefined)
      ? String(params[name]) : m);
}

export function language() {
  return current;
}

/** Stores the language and reloads the page. */
export function setLanguage(lang) {
  if (!SUPPORTED.includes(lang)) return;
  try { localStorage.setItem(STORAGE_KEY, lang); } catch (_) { /* ignore */ }
  window.location.reload();
}
