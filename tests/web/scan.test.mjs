// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// A scanning session at /tranches/{id}/scan as the school's IT helper: new, repeated,
// S-prefixed, label-URL and foreign-school scans, a dropped connection in between, each checked
// afterwards through the API (issue 9, "Scanning"; "Browser tests").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { eventually, loginCookie, mainText, screenshot, visit, withPage } from './support/browser.mjs';
import { schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const d = {};
const s = suite('scan', async () => {
    const tranches = await s.admin.tranchesBySchool();
    // The 250 iPads for the Viktoria-Gymnasium, with their manifest, 90 % enrolled.
    d.tranche = tranches[schools.viktoria].find((t) => t.expected_count === 250);
    d.foreignTranche = tranches[schools.antonius][0];
    d.missing = (await s.admin.get(`/api/v1/tranches/${d.tranche.id}/reconciliation`)).missing;
    d.foreignMissing = (await s.admin.get(`/api/v1/tranches/${d.foreignTranche.id}/reconciliation`)).missing;
    assert.ok(d.missing.length >= 8, `tranche ${d.tranche.id} has missing serials`);
    assert.ok(d.foreignMissing.length >= 1);
});

function scanField(page) {
    return page.getByRole('textbox', { name: /scannen/i });
}

// A scan as a USB scanner sends it: the characters, then Enter.
async function scan(page, code) {
    const field = scanField(page);
    await field.pressSequentially(code);
    await field.press('Enter');
}

// The page's answer to the scan that shows `text` (a serial or code): the list entry or table row
// holding it, once its text matches `expected`.
async function answer(page, text, expected) {
    const entry = page.getByRole('listitem').or(page.getByRole('row')).filter({ hasText: text }).first();
    return eventually(async () => {
        const t = (await entry.innerText()).replace(/\s+/g, ' ');
        assert.match(t, expected, `answer to ${text}`);
        return t;
    });
}

// The running count "N von M erfasst" as the page shows it.
async function shownCount(page) {
    const m = (await mainText(page)).match(/(\d[\d.]*) von (\d[\d.]*) erfasst/);
    assert.ok(m, 'the page shows "N von M erfasst"');
    return { enrolled: Number(m[1].replace(/\./g, '')), expected: Number(m[2].replace(/\./g, '')) };
}

async function countBecomes(page, n) {
    await eventually(async () => assert.equal((await shownCount(page)).enrolled, n));
}

async function apiEnrolled() {
    return (await s.admin.get(`/api/v1/tranches/${d.tranche.id}`)).progress.enrolled;
}

test('Scan_SessionCountsEachDeviceOnceAcrossRepeatsForeignScansAndAnOutage', async () => {
    const [fresh, prefixed, viaUrl, offline1, offline2] = d.missing;
    const foreign = d.foreignMissing[0];
    const start = await apiEnrolled();
    await withPage(s.browser, s.server, 'scan session', async ({ context, page }) => {
        await loginCookie(context, users.it);
        await visit(page, s.server, `/tranches/${d.tranche.id}/scan`, 'scan-start');
        const field = scanField(page);
        assert.equal(await field.evaluate((el) => el === document.activeElement), true,
            'the scan field has the focus');
        assert.deepEqual(await shownCount(page), { enrolled: start, expected: 250 });

        await scan(page, fresh);
        await answer(page, fresh, /Erfasst/);
        await countBecomes(page, start + 1);

        await scan(page, fresh);
        await eventually(async () => {
            const entries = page.getByRole('listitem').or(page.getByRole('row')).filter({ hasText: fresh });
            const texts = await entries.allInnerTexts();
            assert.ok(texts.some((t) => /Bereits erfasst/i.test(t)), `repeat of ${fresh}: ${texts}`);
        });
        await countBecomes(page, start + 1);

        // Apple's box label: Code 128 with the data identifier S.
        await scan(page, `S${prefixed}`);
        await answer(page, prefixed, /Erfasst/);
        await countBecomes(page, start + 2);

        // A Pakt QR label's URL.
        await scan(page, `${s.server.url}/d/${viaUrl}`);
        await answer(page, viaUrl, /Erfasst/);
        await countBecomes(page, start + 3);

        await scan(page, foreign);
        await answer(page, foreign, /anderen Schule/);
        await countBecomes(page, start + 3);

        await scan(page, 'DMPNOTONLIST');
        await answer(page, 'DMPNOTONLIST', /nicht auf (der|dieser) Lieferliste/i);
        await screenshot(page, s.server, 'scan-answers');

        // The network drops: scans wait in the page, and nothing counts yet.
        await context.setOffline(true);
        await scan(page, offline1);
        await scan(page, offline2);
        await answer(page, offline1, /wartet|warten|ausstehend|nicht gesendet|offline|Verbindung/i);
        await answer(page, offline2, /wartet|warten|ausstehend|nicht gesendet|offline|Verbindung/i);
        await eventually(async () => assert.match(await mainText(page), /2 Scans warten auf die Verbindung/));
        assert.equal((await shownCount(page)).enrolled, start + 3);
        await screenshot(page, s.server, 'scan-offline');

        await context.setOffline(false);
        await answer(page, offline1, /Erfasst/);
        await answer(page, offline2, /Erfasst/);
        await countBecomes(page, start + 5);
        await screenshot(page, s.server, 'scan-back-online');
        assert.equal((await shownCount(page)).enrolled, await apiEnrolled(), 'shown count = API count');
    });

    // Through the API: each scanned serial enrolled in this tranche, exactly once.
    assert.equal(await apiEnrolled(), start + 5);
    const missingNow = (await s.admin.get(`/api/v1/tranches/${d.tranche.id}/reconciliation`)).missing;
    for (const serial of [fresh, prefixed, viaUrl, offline1, offline2]) {
        const device = await s.admin.device(serial);
        assert.ok(device, `${serial} is enrolled`);
        assert.equal(device.serial_number, serial);
        assert.equal(device.tranche_id, d.tranche.id);
        assert.equal(device.school_number, schools.viktoria);
        const events = await s.admin.all(`/api/v1/devices/${serial}/events`);
        assert.equal(events.filter((e) => e.kind === 'enrolled').length, 1, `${serial} enrolled once`);
        assert.ok(!missingNow.includes(serial));
    }
    assert.equal(await s.admin.device(`S${prefixed}`), null, 'no device "S<serial>"');
    // The other school's device is untouched: still not enrolled, still missing there.
    assert.equal(await s.admin.device(foreign), null, `${foreign} was enrolled`);
    const foreignMissing = (await s.admin.get(`/api/v1/tranches/${d.foreignTranche.id}/reconciliation`)).missing;
    assert.ok(foreignMissing.includes(foreign));
    assert.equal(await s.admin.device('DMPNOTONLIST'), null);
});

test('Scan_FinishedSessionListsWhatIsStillMissing', async () => {
    const missing = (await s.admin.get(`/api/v1/tranches/${d.tranche.id}/reconciliation`)).missing;
    await withPage(s.browser, s.server, 'scan finished', async ({ context, page }) => {
        await loginCookie(context, users.it);
        await visit(page, s.server, `/tranches/${d.tranche.id}/scan`, 'scan-start');
        await page.getByRole('button', { name: /beenden|abschließen|fertig/i }).click();
        await eventually(async () => {
            const text = await mainText(page);
            for (const serial of missing) assert.match(text, new RegExp(serial), `${serial} shown as missing`);
        });
        await screenshot(page, s.server, 'scan-finished');
    });
});
