// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Printable loan agreement (/loans/{id}/agreement): an A4 "Leihvertrag über ein mobiles Endgerät".
// Names, addresses and signatures are EMPTY lines to fill in by hand: names go on paper, never into Pakt.
import { h, clear } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { api } from '../js/api.js';
import { formatDate, formatMoney, formatDateTime } from '../js/format.js';
import { errorAlert, loading, alertBox, link } from '../js/ui.js';

/** An empty line to fill in by hand, with its caption under it. */
function fillLine(caption, { tall = false } = {}) {
  return h('div', { class: `agr-fill${tall ? ' agr-fill--tall' : ''}` },
    h('span', { class: 'agr-fill__line' }, h('span', { class: 'visually-hidden' }, t('agreement.fill_by_hand'))),
    h('span', { class: 'agr-fill__caption' }, caption));
}

function box(checked, text) {
  return h('span', { class: 'agr-box' },
    h('span', { class: 'agr-box__mark', 'aria-hidden': 'true' }, checked ? '☒' : '☐'),
    ' ', text, h('span', { class: 'visually-hidden' }, checked ? ` (${t('agreement.checked')})` : ` (${t('agreement.not_checked')})`));
}

function clause(n, title, ...paras) {
  return h('section', { class: 'agr-clause' },
    h('h2', { class: 'agr-clause__title' }, t('agreement.clause_title', { n, title })),
    paras.map((p) => (typeof p === 'string' ? h('p', { class: 'agr-p' }, p) : p)));
}

function row(label, value, { mono = false } = {}) {
  return h('tr', {},
    h('th', { scope: 'row', class: 'agr-table__key' }, label),
    h('td', { class: `agr-table__value${mono ? ' agr-mono' : ''}` }, (value === null || value === undefined || value === '') ? t('agreement.none') : value));
}

export async function render(main, ctx) {
  const id = ctx.params.id;
  ctx.setTitle(t('agreement.title'));
  const wait = loading();
  main.appendChild(wait);
  let loan;
  try {
    loan = await api.get(`/loans/${encodeURIComponent(id)}`);
  } catch (err) {
    if (ctx.isCurrent && !ctx.isCurrent()) return undefined;
    wait.remove();
    main.appendChild(h('h1', { class: 'kern-heading-x-large' }, t('agreement.title')));
    main.appendChild(errorAlert(err));
    main.appendChild(h('p', { class: 'kern-body' }, link('/loans', t('agreement.back'))));
    return undefined;
  }
  if (ctx.isCurrent && !ctx.isCurrent()) return undefined;
  wait.remove();
  ctx.setTitle(`${t('agreement.title')} ${loan.agreement_ref || ''}`.trim());

  const student = loan.borrower_kind !== 'teacher';

  // ---- screen-only toolbar ------------------------------------------------------------------
  const printBtn = h('button', { type: 'button', class: 'kern-btn kern-btn--primary' },
    h('span', { class: 'kern-label' }, t('agreement.print')));
  printBtn.addEventListener('click', () => window.print());
  const toolbar = h('div', { class: 'agr-toolbar no-print' },
    h('div', { class: 'app-actions' },
      printBtn,
      h('a', { class: 'kern-btn kern-btn--secondary app-btn-link', href: '/loans' }, h('span', { class: 'kern-label' }, t('agreement.back'))),
      h('a', { class: 'kern-link', href: `/devices/${encodeURIComponent(loan.serial_number)}` }, t('agreement.to_device'))),
    h('p', { class: 'kern-body app-muted' }, t('agreement.print_hint')),
    loan.returned_at ? alertBox('info', t('agreement.returned', { date: formatDate(loan.returned_at) })) : null);

  // ---- the document -------------------------------------------------------------------------
  const lender = loan.lender || t('agreement.lender_fallback');
  const schoolLine = [loan.school_name, loan.school_address].filter(Boolean).join(', ');
  const accessories = loan.accessories && String(loan.accessories).trim() ? loan.accessories : t('agreement.no_accessories');
  const damage = loan.pre_existing_damage && String(loan.pre_existing_damage).trim() ? loan.pre_existing_damage : t('agreement.no_damage');
  const period = loan.due_on
    ? t('agreement.period_text', { start: formatDate(loan.started_at), end: formatDate(loan.due_on) })
    : t('agreement.period_text_open', { start: formatDate(loan.started_at) });

  const doc = h('article', { class: 'agr-doc', 'aria-labelledby': 'agr-title' },
    h('header', { class: 'agr-head' },
      h('p', { class: 'agr-head__org' }, lender, loan.school_name ? ` · ${loan.school_name}` : ''),
      h('h1', { class: 'agr-title', id: 'agr-title', tabindex: '-1' }, t('agreement.title')),
      h('table', { class: 'agr-refs' },
        h('caption', { class: 'visually-hidden' }, t('agreement.refs_caption')),
        h('tbody', {},
          row(t('agreement.agreement_ref'), loan.agreement_ref, { mono: true }),
          row(t('agreement.borrower_ref'), loan.borrower_ref, { mono: true })))),

    h('section', { class: 'agr-parties' },
      h('h2', { class: 'agr-clause__title' }, t('agreement.between')),
      h('div', { class: 'agr-party' },
        h('p', { class: 'agr-party__role' }, t('agreement.lender_role')),
        h('p', { class: 'agr-p' }, h('strong', {}, lender), ' ', t('agreement.lender_as')),
        h('p', { class: 'agr-p' }, t('agreement.represented_by'), ' ', h('strong', {}, schoolLine || t('agreement.none')))),
      h('p', { class: 'agr-and' }, t('agreement.and')),
      h('div', { class: 'agr-party' },
        h('p', { class: 'agr-party__role' }, t('agreement.borrower_role')),
        h('p', { class: 'agr-p agr-kind' }, box(student, t('agreement.kind_student')), '   ', box(!student, t('agreement.kind_teacher'))),
        fillLine(t('agreement.fill_name')),
        fillLine(t('agreement.fill_address')),
        student ? fillLine(t('agreement.fill_class')) : null),
      student ? h('div', { class: 'agr-party' },
        h('p', { class: 'agr-party__role' }, t('agreement.guardian_role')),
        fillLine(t('agreement.fill_guardian_name')),
        fillLine(t('agreement.fill_guardian_address'))) : null),

    clause(1, t('agreement.c1_title'),
      t('agreement.c1_text'),
      h('table', { class: 'agr-table' },
        h('caption', { class: 'visually-hidden' }, t('agreement.device_caption')),
        h('tbody', {},
          row(t('agreement.device_type'), loan.model),
          row(t('agreement.serial'), loan.serial_number, { mono: true }),
          row(t('agreement.asset_tag'), loan.asset_tag, { mono: true }),
          row(t('agreement.accessories'), accessories),
          row(t('agreement.value'), loan.unit_price_cents !== null && loan.unit_price_cents !== undefined ? formatMoney(loan.unit_price_cents) : null),
          row(t('agreement.damage'), damage)))),
    clause(2, t('agreement.c2_title'), period, t('agreement.c2_text')),
    clause(3, t('agreement.c3_title'), t('agreement.c3_text')),
    clause(4, t('agreement.c4_title'), t('agreement.c4_text')),
    clause(5, t('agreement.c5_title'), t('agreement.c5_text')),
    clause(6, t('agreement.c6_title'), t('agreement.c6_text')),
    clause(7, t('agreement.c7_title'), t('agreement.c7_text')),
    clause(8, t('agreement.c8_title'), t('agreement.c8_text')),

    h('section', { class: 'agr-sign' },
      h('h2', { class: 'visually-hidden' }, t('agreement.signatures')),
      fillLine(t('agreement.place_date')),
      h('div', { class: `agr-sign__grid${student ? '' : ' agr-sign__grid--two'}` },
        fillLine(t('agreement.sign_school'), { tall: true }),
        fillLine(t('agreement.sign_borrower'), { tall: true }),
        student ? fillLine(t('agreement.sign_guardian'), { tall: true }) : null)),

    h('footer', { class: 'agr-foot' },
      t('agreement.footer', { ref: loan.agreement_ref || '', printed: formatDateTime(new Date().toISOString()) })));

  clear(main);
  main.appendChild(toolbar);
  main.appendChild(doc);
  return undefined;
}
