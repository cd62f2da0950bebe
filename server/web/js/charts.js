// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Small inline-SVG charts drawn with createElementNS, always next to a table with the numbers.
import { h, svg } from './dom.js';
import { formatNumber, formatPercent } from './format.js';

export const STATUS_COLORS = {
  in_storage: '#006b8c',
  in_use: '#007155',
  in_repair: '#925400',
  lost: '#c31c13',
  stolen: '#8a1a4a',
  retired: '#4c5270',
};

/**
 * Horizontal bar chart. rows: [{label, value, color}]. The SVG is role="img" with a label
 * that points to the table next to it; the numbers are also printed at the bars.
 */
export function barChart(rows, { label, labelWidth = 170, width = 480, rowHeight = 34 } = {}) {
  const max = Math.max(1, ...rows.map((r) => Number(r.value) || 0));
  const barArea = width - labelWidth - 70;
  const height = rows.length * rowHeight + 8;
  const chart = svg('svg', {
    class: 'app-chart',
    viewBox: `0 0 ${width} ${height}`,
    width: String(width),
    height: String(height),
    role: 'img',
    'aria-label': label || null,
    focusable: 'false',
  });
  rows.forEach((r, i) => {
    const y = i * rowHeight + 4;
    const value = Number(r.value) || 0;
    const w = value > 0 ? Math.max(2, Math.round((value / max) * barArea)) : 0;
    chart.appendChild(svg('text', { x: String(labelWidth - 8), y: String(y + rowHeight / 2 + 5), 'text-anchor': 'end' }, r.label));
    chart.appendChild(svg('rect', {
      x: String(labelWidth), y: String(y + 5), width: String(w), height: String(rowHeight - 10),
      fill: r.color || '#1a3da5', rx: '2',
    }));
    chart.appendChild(svg('text', { x: String(labelWidth + w + 8), y: String(y + rowHeight / 2 + 5) }, formatNumber(value)));
  });
  return chart;
}

/** A simple progress bar (decorative) followed by its text; the text carries the meaning. */
export function progressBar(value, max, text) {
  const fraction = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  const fill = h('div', { class: 'app-progress__fill' });
  fill.style.width = `${Math.round(fraction * 100)}%`;
  return h('div', { class: 'app-progress' },
    h('div', { class: 'app-progress__bar', 'aria-hidden': 'true' }, fill),
    h('span', { class: 'app-progress__text' }, text ?? `${formatNumber(value)} / ${formatNumber(max)} (${formatPercent(fraction)})`));
}

let patternSeq = 0;

/**
 * Horizontal bars with their values written next to them and an optional reference line (a cap,
 * the grant's amount). rows: [{label, value, title?, flagged?, note?}]. A flagged bar is hatched
 * and its note is written after the value, so the chart reads without colour and on paper.
 * `format` turns a value into text (e.g. formatMoney); `title` becomes the SVG's <title> and,
 * with `label`, its accessible name (the table next to it holds the same figures).
 */
export function referenceBarChart(rows, {
  title, label, format = formatNumber, reference = null, labelWidth = 260, valueWidth = 250,
  width = 800, rowHeight = 34, maxLabelChars = 28,
} = {}) {
  const refValue = reference && Number(reference.value) > 0 ? Number(reference.value) : 0;
  const max = Math.max(1, refValue, ...rows.map((r) => Number(r.value) || 0));
  const barArea = width - labelWidth - valueWidth;
  const top = refValue ? 30 : 4;
  const height = top + rows.length * rowHeight + 8;
  const hatchId = `app-hatch-${++patternSeq}`;
  const chart = svg('svg', {
    class: 'app-chart app-chart--wide',
    viewBox: `0 0 ${width} ${height}`,
    width: String(width),
    height: String(height),
    role: 'img',
    'aria-label': label || title || null,
    focusable: 'false',
  });
  if (title) chart.appendChild(svg('title', {}, title));
  chart.appendChild(svg('defs', {},
    svg('pattern', { id: hatchId, patternUnits: 'userSpaceOnUse', width: '8', height: '8', patternTransform: 'rotate(45)' },
      svg('rect', { width: '8', height: '8', fill: '#ffffff' }),
      svg('rect', { width: '4', height: '8', fill: '#a0150e' }))));
  const xOf = (v) => labelWidth + Math.round((Math.max(0, v) / max) * barArea);
  // The reference line first: bars and their values are drawn over it.
  if (refValue) {
    const x = xOf(refValue);
    chart.appendChild(svg('line', {
      x1: String(x), x2: String(x), y1: '22', y2: String(height - 2),
      stroke: '#171a2b', 'stroke-width': '2', 'stroke-dasharray': '6 4',
    }));
    chart.appendChild(svg('text', {
      x: String(x), y: '16', 'text-anchor': x > labelWidth + barArea / 2 ? 'end' : 'start', class: 'app-chart__ref',
    }, `${reference.label}: ${format(refValue)}`));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const value = Number(r.value) || 0;
    const w = value > 0 ? Math.max(2, xOf(value) - labelWidth) : 0;
    const text = String(r.label ?? '');
    const short = text.length > maxLabelChars ? `${text.slice(0, maxLabelChars - 1).trimEnd()}…` : text;
    const g = svg('g', { class: r.flagged ? 'app-chart__row app-chart__row--flagged' : 'app-chart__row' },
      svg('title', {}, r.title || text),
      svg('text', { x: String(labelWidth - 8), y: String(y + rowHeight / 2 + 5), 'text-anchor': 'end' }, short),
      svg('rect', {
        x: String(labelWidth), y: String(y + 5), width: String(w), height: String(rowHeight - 10),
        fill: r.flagged ? `url(#${hatchId})` : (r.color || '#1a3da5'),
        stroke: r.flagged ? '#a0150e' : 'none', 'stroke-width': r.flagged ? '2' : '0',
      }),
      svg('text', { x: String(labelWidth + w + 8), y: String(y + rowHeight / 2 + 5), class: r.flagged ? 'app-chart__value app-chart__flag' : 'app-chart__value' },
        format(value) + (r.note ? ` – ${r.note}` : '')));
    chart.appendChild(g);
  });
  return chart;
}

let funnelSeq = 0;

/**
 * The rollout funnel as inline SVG: one centred bar per step, narrowing with the count, joined by
 * light bands; each step's name on the left, its count and share of the first step on the right,
 * so the picture reads without colour and on black-and-white paper (the bars have an outline).
 * steps: [{label, value}] in funnel order. opts: {title, description}. The SVG carries the title
 * (<title>, role="img"); the page puts the same numbers next to it as a table.
 */
export function funnelChart(steps, { title, description, width = 640, rowHeight = 46, labelWidth = 200, valueWidth = 130 } = {}) {
  const id = `funnel-${++funnelSeq}`;
  const base = Math.max(0, Number(steps[0] && steps[0].value) || 0);
  const max = Math.max(1, ...steps.map((s) => Number(s.value) || 0));
  const barArea = width - labelWidth - valueWidth;
  const centre = labelWidth + barArea / 2;
  const barHeight = rowHeight - 16;
  const height = steps.length * rowHeight + 4;
  const chart = svg('svg', {
    class: 'app-chart app-chart--funnel',
    viewBox: `0 0 ${width} ${height}`,
    width: String(width),
    height: String(height),
    role: 'img',
    'aria-labelledby': `${id}-title`,
    'aria-describedby': description ? `${id}-desc` : null,
    focusable: 'false',
  },
  svg('title', { id: `${id}-title` }, title || ''),
  description ? svg('desc', { id: `${id}-desc` }, description) : null);
  const shades = ['#1a3da5', '#2a4fb8', '#3a61c4', '#5577cf', '#7390da', '#90a8e3'];
  const widths = steps.map((s) => {
    const v = Math.max(0, Number(s.value) || 0);
    return v > 0 ? Math.max(4, Math.round((v / max) * barArea)) : 0;
  });
  steps.forEach((s, i) => {
    const y = i * rowHeight + 8;
    const w = widths[i];
    const value = Math.max(0, Number(s.value) || 0);
    if (i > 0) {
      // The band from the previous bar down to this one (decorative).
      const pw = widths[i - 1];
      const top = y - (rowHeight - barHeight);
      chart.appendChild(svg('polygon', {
        class: 'app-chart__band',
        points: `${centre - pw / 2},${top} ${centre + pw / 2},${top} ${centre + w / 2},${y} ${centre - w / 2},${y}`,
        fill: '#dfe3f1',
      }));
    }
    chart.appendChild(svg('text', { x: String(labelWidth - 12), y: String(y + barHeight / 2 + 6), 'text-anchor': 'end' }, s.label));
    if (w > 0) {
      chart.appendChild(svg('rect', {
        class: 'app-chart__bar',
        x: String(centre - w / 2), y: String(y), width: String(w), height: String(barHeight),
        fill: shades[Math.min(i, shades.length - 1)], stroke: '#171a2b', 'stroke-width': '1', rx: '2',
      }));
    } else {
      chart.appendChild(svg('line', {
        x1: String(centre), x2: String(centre), y1: String(y), y2: String(y + barHeight),
        stroke: '#171a2b', 'stroke-width': '2',
      }));
    }
    const share = base > 0 ? ` (${formatPercent(value / base)})` : '';
    chart.appendChild(svg('text', { x: String(labelWidth + barArea + 12), y: String(y + barHeight / 2 + 6), class: 'app-chart__value' },
      formatNumber(value) + share));
  });
  return chart;
}
