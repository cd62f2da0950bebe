// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Schools at /schools and /schools/{n} (issue 10, "Schools"): the search by a name fragment (as you
// type) and by a school number prefix (on submit) finds exactly the schools the rule says, the
// query lives in the address and survives a reload, the list and a school's sections page through
// the API, and axe finds nothing serious on either page.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkin, enrollAgent } from './support/agents.mjs';
import { eventually, loginCookie, mainText, screenshot, seriousViolations, settled, visit, withPage } from './support/browser.mjs';
import { schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const kUnknownSerial = 'ZZSCHOOLUNK1';
const kAgentHost = 'schools-test-agent';
const d = {};
const s = suite('schools', async () => {
    d.schools = await s.admin.all('/api/v1/schools');
    const agent = await enrollAgent(s.server, s.admin, schools.viktoria, kAgentHost);
    await checkin(s.server, agent, [kUnknownSerial]);
});

// The search rule, computed here from the whole list: a school number prefix, or a substring of
// name, district or address, case-insensitive.
function expectedMatches(q) {
    const needle = q.toLowerCase();
    return d.schools.filter((x) => x.school_number.startsWith(q) ||
        [x.name, x.district, x.address].some((v) => (v ?? '').toLowerCase().includes(needle)))
        .map((x) => x.school_number).sort();
}

function searchField(page) {
    return page.getByRole('searchbox', { name: 'Schule suchen' });
}

function resultsTable(page) {
    return page.locator('#schools-results table');
}

/** The school numbers in the results table (column 2), in page order. */
async function shownNumbers(page) {
    const table = resultsTable(page);
    if (await table.count() === 0) return [];
    return table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.children[1].textContent.trim()));
}

async function numbersBecome(page, expected) {
    await eventually(async () => assert.deepEqual(await shownNumbers(page), expected));
}

test('Schools_SearchByNameFragmentAsYouType_FindsTheRightSchools_AndSurvivesReload', async () => {
    await withPage(s.browser, s.server, 'search name', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, '/schools', 'list');
        const expected = expectedMatches('viktoria');
        assert.ok(expected.includes(schools.viktoria), 'the rule finds the Viktoria-Gymnasium');
        assert.ok(expected.length < 50, 'one page of results');

        // Typed, not submitted: the list follows after a short pause.
        await searchField(page).pressSequentially('viktoria');
        await numbersBecome(page, expected);
        await page.waitForURL((url) => url.searchParams.get('q') === 'viktoria');
        await eventually(async () => assert.match(await page.locator('#live').innerText(), /Schulen? gefunden/));
        await screenshot(page, s.server, 'search-name');

        await page.reload();
        await settled(page);
        assert.equal(await searchField(page).inputValue(), 'viktoria');
        await numbersBecome(page, expected);
        assert.deepEqual(page.problems, []);
    });
});

test('Schools_SearchByNumberPrefixOnSubmit_FindsTheRightSchools', async () => {
    await withPage(s.browser, s.server, 'search number', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, '/schools', 'list-before-number');
        const expected = expectedMatches('1647');
        assert.ok(expected.length >= 1 && expected.every((n) => n.startsWith('1647')), `${expected}`);

        await searchField(page).fill('1647');
        await searchField(page).press('Enter');
        await numbersBecome(page, expected);
        assert.equal(new URL(page.url()).searchParams.get('q'), '1647');

        // Nothing matches: the page says so.
        await searchField(page).fill('zzzz-keine-schule');
        await searchField(page).press('Enter');
        await eventually(async () => assert.match(await mainText(page), /Keine Schule passt zu „zzzz-keine-schule“/));
        await screenshot(page, s.server, 'search-none');
        assert.deepEqual(page.problems, []);
    });
});

test('Schools_ListPagesThroughTheApi', async () => {
    const all = d.schools.map((x) => x.school_number);
    assert.ok(all.length > 100, 'enough schools for three pages');
    await withPage(s.browser, s.server, 'paging', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, '/schools', 'paging-1');
        await numbersBecome(page, all.slice(0, 50));
        await page.getByRole('button', { name: 'Nächste Seite' }).click();
        await numbersBecome(page, all.slice(50, 100));
        assert.match(await mainText(page), /Seite 2 · 50 Einträge/);
        await page.getByRole('button', { name: 'Vorherige Seite' }).click();
        await numbersBecome(page, all.slice(0, 50));
        assert.deepEqual(page.problems, []);
    });
});

test('School_PageShowsItsSections_AndTheDevicesPage', async () => {
    const n = schools.viktoria;
    const devices1 = await s.admin.get(`/api/v1/devices?school_number=${n}&limit=10`);
    const devices2 = await s.admin.get(`/api/v1/devices?school_number=${n}&limit=10&cursor=${encodeURIComponent(devices1.next_cursor)}`);
    const tranches = await s.admin.get(`/api/v1/tranches?school_number=${n}&limit=10`);
    const loans = await s.admin.get(`/api/v1/loans?school_number=${n}&state=current&limit=10`);
    await withPage(s.browser, s.server, 'school page', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        const h1 = await visit(page, s.server, `/schools/${n}`, 'school');
        assert.match(await h1.innerText(), /^Viktoria-Gymnasium.*\(164720\)$/);
        for (const title of ['Auf einen Blick', 'Geräte nach Status', 'Lieferungen', 'Geräte', 'Aktuelle Ausleihen',
            'Standort-Agenten', 'Unbekannte Geräte im Schulnetz']) {
            await page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor({ state: 'visible' });
        }
        const section = (id) => page.locator(`#${id}`);
        const serials = (id) => section(id).locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.children[0].textContent.trim()));

        // Each section: its first page from the API and a link to the full list.
        await eventually(async () => assert.deepEqual(await serials('school-devices'), devices1.items.map((x) => x.serial_number)));
        await eventually(async () => assert.equal(await section('school-deliveries').locator('tbody tr').count(), tranches.items.length));
        await eventually(async () => assert.deepEqual(await serials('school-loans'), loans.items.map((x) => x.serial_number)));
        await eventually(async () => assert.match(await section('school-agents').innerText(), new RegExp(kAgentHost)));
        await eventually(async () => assert.match(await section('school-unknown').innerText(), new RegExp(kUnknownSerial)));
        for (const [id, href] of [['school-devices', `/devices?school_number=${n}`], ['school-deliveries', `/tranches?school_number=${n}`],
            ['school-loans', `/loans?school_number=${n}`], ['school-agents', `/agents?school_number=${n}`]]) {
            assert.equal(await section(id).locator(`a[href="${href}"]`).count(), 1, `${id} links to ${href}`);
        }
        await screenshot(page, s.server, 'school-sections');

        // The devices section pages on its own.
        await section('school-devices').getByRole('button', { name: 'Nächste Seite' }).click();
        await eventually(async () => assert.deepEqual(await serials('school-devices'), devices2.items.map((x) => x.serial_number)));
        await eventually(async () => assert.match(await page.locator('#live').innerText(), /Seite 2 geladen/));
        assert.deepEqual(page.problems, []);
    });
});

const kPages = [
    ['list', users.admin, '/schools'],
    ['search', users.admin, '/schools?q=gymnasium'],
    ['school', users.admin, `/schools/${schools.viktoria}`],
    ['school-headteacher', users.leitung, `/schools/${schools.viktoria}`],
];
for (const [name, user, urlPath] of kPages) {
    test(`Schools_Accessibility_${name}_HasNoSeriousOrCriticalViolation`, async () => {
        await withPage(s.browser, s.server, `a11y ${name}`, async ({ context, page }) => {
            await loginCookie(context, user);
            await visit(page, s.server, urlPath, `a11y-${name}`);
            const violations = await seriousViolations(page);
            assert.deepEqual(violations, [], `axe on ${urlPath}:\n  ${violations.join('\n  ')}`);
            assert.deepEqual(page.problems, []);
        });
    });
}
