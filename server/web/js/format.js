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
