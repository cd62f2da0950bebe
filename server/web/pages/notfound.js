// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { pageTitle, link } from '../js/ui.js';

export async function render(main, ctx) {
  ctx.setTitle(t('notfound.title'));
  main.append(
    pageTitle(t('notfound.title')),
    h('p', { class: 'kern-body' }, t('notfound.text')),
    h('p', { class: 'kern-body' }, link('/', t('notfound.home'))));
}
