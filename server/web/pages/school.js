// One school's summary (the same blocks as the school overview).
import { t } from '../js/i18n.js';
import { api, ApiProblem } from '../js/api.js';
import { schoolSummary } from '../js/summary.js';
import { pageTitle, descList, alertBox, errorAlert } from '../js/ui.js';

export async function render(main, ctx) {
  const n = ctx.params.school_number;
  ctx.setTitle(t('school.title', { number: n }));
  const title = pageTitle(t('school.title', { number: n }));
  main.appendChild(title);
  let school;
  try {
    school = await api.get(`/schools/${encodeURIComponent(n)}`);
  } catch (err) {
    if (!ctx.isCurrent()) return undefined;
    main.appendChild(err instanceof ApiProblem && err.status === 404 ? alertBox('warning', t('errors.404')) : errorAlert(err));
    return undefined;
  }
  if (!ctx.isCurrent()) return undefined;
  const heading = `${school.name} (${school.school_number})`;
  title.querySelector('h1').textContent = heading;
  ctx.setTitle(heading);
  main.appendChild(descList([
    [t('school.type'), school.school_type],
    [t('school.district'), school.district],
    [t('school.address'), school.address],
  ]));
  main.appendChild(schoolSummary(school.school_number, { headingLevel: 0, isCurrent: ctx.isCurrent }));
  return undefined;
}
