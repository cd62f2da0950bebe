// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Dates, times, money and numbers via Intl in the current language.
import { language } from './i18n.js';

function locale() {
  return language() === 'en' ? 'en-GB' : 'de-DE';
}

const TZ = 'Europe/Berlin';

/** "2027-07-31" → "31.07.2027" (de) / "31/07/2027" (en). Empty for null. */
export function formatDate(value) {
  if (!value) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
  let d;
  if (m) {
    d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], 12));
    return new Intl.DateTimeFormat(locale(), { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }).format(d);
  }
  d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale(), { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: TZ }).format(d);
}

/** RFC 3339 → "31.07.2027, 14:05" in Europe/Berlin. */
export function formatDateTime(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale(), {
    day: '2-digit', month: '2-digit', year: 'numeric',
    hour: '2-digit', minute: '2-digit', timeZone: TZ,
  }).format(d);
}

/** Integer cents → "1.234,56 €". */
export function formatMoney(cents) {
  if (cents === null || cents === undefined || cents === '') return '';
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: 'EUR' }).format(Number(cents) / 100);
}

/** 74388 → "74.388". */
export function formatNumber(n) {
  if (n === null || n === undefined || n === '') return '';
  return new Intl.NumberFormat(locale()).format(Number(n));
}

/** 0.4567 → "46 %" */
export function formatPercent(fraction) {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return '';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(fraction);
}

/** Today's date in Europe/Berlin as "YYYY-MM-DD". */
export function todayISO() {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  return parts; // en-CA formats as YYYY-MM-DD
}

/**
 * What a person typed as an amount of euros → integer cents, or null when it is not an amount.
 * German: "1.234,56", "1234,5", "1234"; English: "1,234.56"; a trailing "€" and spaces are ignored.
 * Never through floating point.
 */
export function parseMoney(text) {
  const s = String(text ?? '').replace(/[\s\u00a0€]|EUR/gi, '');
  if (!s) return null;
  const de = language() !== 'en';
  const decimal = de ? ',' : '.';
  const group = de ? '.' : ',';
  const halves = s.split(decimal);
  if (halves.length > 2) return null;
  let [intPart, frac = ''] = halves;
  if (intPart.includes(group)) {
    const groups = intPart.split(group);
    if (/^\d{1,3}$/.test(groups[0]) && groups.slice(1).every((g) => /^\d{3}$/.test(g))) {
      intPart = groups.join(''); // "1.234.567"
    } else if (halves.length === 1 && groups.length === 2) {
      [intPart, frac] = groups; // "12.5" typed from habit: the decimal point
    } else {
      return null;
    }
  }
  if (!/^\d{1,12}$/.test(intPart) || !/^\d{0,2}$/.test(frac)) return null;
  return Number(intPart) * 100 + Number((frac + '00').slice(0, 2));
}

/** Integer cents → what an amount field shows for editing: "1234,56" (de) / "1234.56" (en). */
export function centsToInput(cents) {
  if (cents === null || cents === undefined || cents === '') return '';
  const n = Number(cents);
  const euros = Math.trunc(n / 100);
  const rest = String(Math.abs(n % 100)).padStart(2, '0');
  return `${euros}${language() === 'en' ? '.' : ','}${rest}`;
}
