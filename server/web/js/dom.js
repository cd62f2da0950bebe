// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Small DOM helpers. Never build HTML from strings: every text goes in as a text node.

const SVG_NS = 'http://www.w3.org/2000/svg';

function applyAttrs(el, attrs, isSvg) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class' || key === 'className') {
      if (isSvg) el.setAttribute('class', value);
      else el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'for') {
      el.htmlFor = value;
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) {
        if (v !== null && v !== undefined) el.dataset[k] = v;
      }
    } else if (key === 'style' && typeof value === 'object') {
      Object.assign(el.style, value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (!isSvg && (key === 'value' || key === 'checked' || key === 'selected'
      || key === 'disabled' || key === 'hidden' || key === 'required' || key === 'multiple'
      || key === 'readOnly' || key === 'textContent')) {
      el[key] = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

function appendChildren(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) {
      appendChildren(el, child);
    } else if (child instanceof Node) {
      el.appendChild(child);
    } else {
      el.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Creates an HTML element: h('a', {href: '/x', class: 'kern-link'}, 'text', otherNode, [more]). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs, false);
  appendChildren(el, children);
  return el;
}

/** Creates an SVG element (createElementNS); attributes are set with setAttribute. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs, true);
  appendChildren(el, children);
  return el;
}

/** Removes all children of an element. */
export function clear(el) {
  while (el && el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let announceTimer = null;
/** Announces a text to screen readers through the #live region. */
export function announce(text) {
  const live = document.getElementById('live');
  if (!live) return;
  // Clear first so that the same text twice is announced twice.
  live.textContent = '';
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { live.textContent = text; }, 50);
}
