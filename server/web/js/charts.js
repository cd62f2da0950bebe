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
