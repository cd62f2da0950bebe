// Municipal IT's pages come in a later issue; until then a plain "coming soon" page.
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { pageTitle, link, alertBox } from '../js/ui.js';

export async function render(main, ctx) {
  const section = (ctx.route && ctx.route.section) || 'schools';
  const title = t(`soon.title_${section}`);
  ctx.setTitle(title);
  main.append(pageTitle(title));
  if (ctx.user.role !== 'city_admin') {
    main.append(alertBox('info', t('soon.forbidden')));
  } else {
    main.append(alertBox('info', t('soon.text')));
  }
  main.append(h('p', { class: 'kern-body' }, link('/', t('soon.home'))));
}
