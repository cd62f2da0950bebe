// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Cursor paging: "Vorherige Seite" / "Nächste Seite" with a stack of cursors; never loads everything.
import { h, clear, announce } from './dom.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { errorAlert, loading } from './ui.js';

/**
 * pagedList({ path, query, limit, renderPage(items) → Node, emptyText, label })
 * Returns {element, reload()}. Loads one page at a time from `path` with `cursor`.
 */
export function pagedList({ path, query = {}, limit = 50, renderPage, emptyText, label, onPage }) {
  const body = h('div', { class: 'app-paged__body' });
  const status = h('p', { class: 'kern-body kern-body--small app-muted app-paged__status' });
  const prevBtn = h('button', { type: 'button', class: 'kern-btn kern-btn--secondary', onclick: () => go(-1) }, h('span', { class: 'kern-label' }, t('paging.previous')));
  const nextBtn = h('button', { type: 'button', class: 'kern-btn kern-btn--secondary', onclick: () => go(1) }, h('span', { class: 'kern-label' }, t('paging.next')));
  const nav = h('nav', { class: 'app-paged__nav', 'aria-label': label ? t('paging.label_for', { what: label }) : t('paging.label') }, prevBtn, status, nextBtn);
  const element = h('div', { class: 'app-paged' }, body, nav);
  prevBtn.disabled = true;
  nextBtn.disabled = true;
  nav.hidden = true;

  const stack = [null]; // cursors of the pages we have seen; stack[i] = cursor to load page i
  let index = 0;
  let nextCursor = null;
  let loadSeq = 0;
  let busy = false;

  async function load() {
    const seq = ++loadSeq;
    clear(body);
    body.appendChild(loading());
    busy = true;
    let data;
    try {
      data = await api.get(path, { ...query, limit, cursor: stack[index] });
    } catch (err) {
      if (seq !== loadSeq) return;
      busy = false;
      clear(body);
      body.appendChild(errorAlert(err));
      prevBtn.disabled = index === 0;
      return;
    }
    if (seq !== loadSeq) return;
    busy = false;
    clear(body);
    const items = data && Array.isArray(data.items) ? data.items : [];
    nextCursor = data ? data.next_cursor || null : null;
    if (!items.length && index === 0) {
      body.appendChild(h('p', { class: 'kern-body app-empty' }, emptyText || t('paging.empty')));
    } else {
      body.appendChild(renderPage(items));
    }
    prevBtn.disabled = index === 0;
    nextBtn.disabled = !nextCursor;
    nav.hidden = index === 0 && !nextCursor;
    status.textContent = items.length ? t('paging.status', { page: index + 1, count: items.length }) : '';
    if (onPage) onPage({ items, page: index + 1, hasNext: !!nextCursor });
  }

  async function go(dir) {
    if (busy) return;
    if (dir > 0 && nextCursor) {
      index += 1;
      stack[index] = nextCursor;
      stack.length = index + 1;
    } else if (dir < 0 && index > 0) {
      index -= 1;
    } else {
      return;
    }
    const pressed = dir > 0 ? nextBtn : prevBtn;
    await load();
    announce(t('paging.announce', { page: index + 1 }));
    // Keep the keyboard focus on a usable button (a disabled button loses it).
    if (pressed.disabled && (document.activeElement === pressed || document.activeElement === document.body)) {
      (dir > 0 ? prevBtn : nextBtn).focus();
    }
    element.scrollIntoView({ block: 'start' });
  }

  function reload() {
    stack.length = 1;
    index = 0;
    return load();
  }

  load();
  return { element, reload };
}
