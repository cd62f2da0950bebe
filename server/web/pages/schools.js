// Schools (city_admin): a paged list with their device counts; each links to /schools/{n}.
import { h } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { formatNumber } from '../js/format.js';
import { pagedList } from '../js/table.js';
import { pageTitle, dataTable, link, alertBox } from '../js/ui.js';

export async function render(main, ctx) {
  ctx.setTitle(t('school.list_title'));
  main.appendChild(pageTitle(t('school.list_title')));
  if (ctx.user.role !== 'city_admin' && (ctx.user.schools || []).length === 0) {
    main.appendChild(alertBox('info', t('overview.no_schools')));
    return undefined;
  }
  main.appendChild(h('p', { class: 'kern-body app-muted' }, t('school.search_hint')));
  const count = (s, status) => formatNumber(((s.device_counts || {}).by_status || {})[status] || 0);
  const list = pagedList({
    path: '/schools',
    limit: 50,
    label: t('school.list_caption'),
    emptyText: t('school.empty'),
    renderPage: (items) => dataTable({
      caption: t('school.list_caption'),
      captionHidden: true,
      columns: [
        { label: t('school.name'), header: true, render: (s) => link(`/schools/${encodeURIComponent(s.school_number)}`, s.name) },
        { label: t('school.number'), render: (s) => s.school_number },
        { label: t('school.type'), render: (s) => s.school_type || t('app.none') },
        { label: t('school.devices_total'), numeric: true, render: (s) => formatNumber((s.device_counts || {}).total || 0) },
        { label: t('status.in_storage'), numeric: true, render: (s) => count(s, 'in_storage') },
        { label: t('status.in_use'), numeric: true, render: (s) => count(s, 'in_use') },
        { label: t('status.in_repair'), numeric: true, render: (s) => count(s, 'in_repair') },
      ],
      rows: items,
    }),
  });
  main.appendChild(list.element);
  return undefined;
}
