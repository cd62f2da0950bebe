// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Every page of part 1 checked with axe-core (@axe-core/playwright): no serious or critical
// violation, no uncaught script error or CSP violation; a screenshot of each (issue 9,
// "Accessibility"; "Browser tests").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loginCookie, seriousViolations, visit, withPage } from './support/browser.mjs';
import { schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const d = {};
const s = suite('a11y', async () => {
    const tranches = await s.admin.tranchesBySchool();
    d.tranche = tranches[schools.viktoria].find((t) => t.expected_count === 30);
    d.device = (await s.admin.get(`/api/v1/devices?tranche_id=${d.tranche.id}&on_loan=true&limit=1`)).items[0];
    d.loan = (await s.admin.get(`/api/v1/loans?school_number=${schools.viktoria}&limit=1`)).items[0];
});

// [name, user or null, path()]: paths are functions, as the ids come from before().
const kPages = [
    ['login', null, () => '/login'],
    ['overview-city-admin', users.admin, () => '/'],
    ['overview-school-it', users.it, () => '/'],
    ['overview-headteacher', users.leitung, () => '/'],
    ['devices', users.it, () => '/devices'],
    ['devices-filtered', users.it, () => `/devices?status=in_storage&tranche_id=${d.tranche.id}`],
    ['device', users.it, () => `/devices/${d.device.serial_number}`],
    ['device-headteacher', users.leitung, () => `/devices/${d.device.serial_number}`],
    ['deliveries', users.it, () => '/tranches'],
    ['delivery', users.it, () => `/tranches/${d.tranche.id}`],
    ['scan', users.it, () => `/tranches/${d.tranche.id}/scan`],
    ['loans', users.it, () => '/loans'],
    ['loans-headteacher', users.leitung, () => '/loans'],
    ['agreement', users.it, () => `/loans/${d.loan.id}/agreement`],
    ['labels', users.it, () => `/tranches/${d.tranche.id}/labels`],
    ['account', users.it, () => '/account'],
    ['not-found', users.it, () => '/no-such-page'],
];

for (const [name, user, path] of kPages) {
    test(`Accessibility_${name}_HasNoSeriousOrCriticalViolation`, async () => {
        await withPage(s.browser, s.server, name, async ({ context, page }) => {
            if (user) await loginCookie(context, user);
            await visit(page, s.server, path(), `page-${name}`);
            assert.equal(await page.locator('html').getAttribute('lang'), 'de');
            assert.ok((await page.title()).length > 0, 'the page has a title');
            // The page itself, not the generic error it shows when its script fails.
            assert.equal(await page.getByRole('alert').filter({ hasText: /schiefgelaufen|Fehler gemeldet|Keine Verbindung/ }).count(), 0,
                `${path()} shows an error instead of the page`);
            const violations = await seriousViolations(page);
            assert.deepEqual(violations, [], `axe on ${path()}:\n  ${violations.join('\n  ')}`);
            assert.deepEqual(page.problems, [], `script errors on ${path()}`);
        });
    });
}
