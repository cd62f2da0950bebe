// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Audit log (issue 10, "Audit log"): after a change made in the browser the page shows its entry
// (actor, readable action, a link to the object); filters narrow the list and live in the
// address; the chain check shows "intact", and after an entry is altered in the database file
// behind paktd's back, the first broken entry.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

import {
    loginCookie, mainText, screenshot, seriousViolations, settled, visit, withPage,
} from './support/browser.mjs';
import { schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const s = suite('audit');
const d = {};

const kSqlite = process.env.PAKT_SQLITE3 ?? 'sqlite3';

/** Runs one SQL statement on paktd's database file with the sqlite3 command-line shell. */
function sqlite(sql) {
    const db = path.join(s.server.dataDir, 'pakt.db');
    return new Promise((resolve, reject) => {
        execFile(kSqlite, ['-bail', db, sql], (error, stdout, stderr) => {
            if (error?.code === 'ENOENT') {
                reject(new Error(`${kSqlite} is missing: this test alters the audit log with the sqlite3 ` +
                    'command-line shell (Debian package sqlite3; ./tools/setup installs it)'));
            } else if (error) {
                reject(new Error(`sqlite3 ${sql}: ${error.message}\n${stderr}`));
            } else {
                resolve(stdout);
            }
        });
    });
}

const number = (n) => new Intl.NumberFormat('de-DE').format(n);

/** The rows of the audit table on the page, once it is there. */
async function rows(page) {
    const table = page.locator('table.audit-table');
    await table.waitFor();
    return table.locator('tbody tr');
}

async function assertNoViolations(page, what) {
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], `axe on ${what}:\n${violations.join('\n')}`);
    assert.deepEqual(page.problems, [], `script errors or CSP violations on ${what}`);
}

test('Audit_ShowsTheEntryOfAChangeMadeInTheBrowser', async () => {
    await withPage(s.browser, s.server, 'audit entry', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        // The change: a user created on the users page.
        await visit(page, s.server, '/users', 'audit-users');
        await page.getByLabel('Benutzername').fill('audit-helfer');
        await page.getByLabel('Rolle').selectOption('headteacher');
        await page.getByLabel('Schule suchen').fill(schools.antonius);
        await page.getByLabel('Schule suchen').press('Enter');
        await page.getByRole('button', { name: new RegExp(`\\(${schools.antonius}\\) hinzufügen`) }).click();
        await page.getByRole('button', { name: 'Benutzer anlegen' }).click();
        await page.locator('#one-time-password').waitFor();
        d.user = (await s.admin.all('/api/v1/users')).find((u) => u.username === 'audit-helfer');
        assert.ok(d.user, 'the user was created');

        await visit(page, s.server, '/audit', 'audit-page');
        // The entry of that change, on the first page (newest first).
        const all = await rows(page);
        const first = all.filter({ has: page.getByRole('link', { name: `Benutzer ${d.user.id}`, exact: true }) })
            .filter({ hasText: 'user.create' });
        assert.equal(await first.count(), 1, `the entry of user ${d.user.id}; the newest is: ${await all.first().innerText()}`);
        const text = (await first.innerText()).replace(/\s+/g, ' ');
        assert.match(text, /admin/);
        assert.match(text, /Benutzer angelegt/);
        assert.match(text, /user\.create/);
        assert.match(text, /audit-helfer/, 'the detail names the user');
        const objectLink = first.getByRole('link', { name: `Benutzer ${d.user.id}`, exact: true });
        assert.equal(await objectLink.getAttribute('href'), `/users/${d.user.id}`);
        // German time: 31.07.2027, 14:05
        assert.match(text, /\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}/);
        await assertNoViolations(page, '/audit');

        await objectLink.click();
        await page.waitForURL((url) => url.pathname === `/users/${d.user.id}`);
        // The page titles itself with the id first and with the username once the user is read.
        await page.getByRole('heading', { level: 1, name: /audit-helfer/ }).waitFor();
    });
});

test('Audit_FiltersNarrowTheListAndSurviveAReload', async () => {
    await withPage(s.browser, s.server, 'audit filters', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, '/audit', 'audit-unfiltered');
        const unfiltered = await (await rows(page)).count();

        await page.getByLabel('Aktion').selectOption('user.create');
        await page.getByLabel('Wer', { exact: true }).fill('admin');
        await page.getByRole('button', { name: 'Filter anwenden' }).click();
        await page.waitForURL((url) => url.searchParams.get('action') === 'user.create');
        const expected = await s.admin.all('/api/v1/audit?action=user.create&actor=admin');
        assert.ok(expected.length >= 1 && expected.length < unfiltered, `${expected.length} of ${unfiltered}`);
        const check = async () => {
            const r = await rows(page);
            await page.waitForFunction((n) => document.querySelectorAll('table.audit-table tbody tr').length === n,
                expected.length);
            const codes = await r.locator('.audit-action__code').allInnerTexts();
            assert.deepEqual(codes.map((c) => c.trim()), expected.map(() => 'user.create'));
            const ids = await r.locator('td:first-child').allInnerTexts();
            assert.deepEqual(ids.map((x) => x.trim()), expected.map((e) => number(e.id)));
        };
        await check();
        await screenshot(page, s.server, 'audit-filtered');

        // A bookmark of the filtered view: the same list and the same filter fields.
        await page.reload();
        await settled(page);
        await check();
        assert.equal(await page.getByLabel('Aktion').inputValue(), 'user.create');
        assert.equal(await page.getByLabel('Wer', { exact: true }).inputValue(), 'admin');

        // Object type and id: the one user of the first test.
        await page.getByLabel('Aktion').selectOption('');
        await page.getByLabel('Wer', { exact: true }).fill('');
        await page.getByLabel('Art des Objekts').selectOption('user');
        await page.getByLabel('Kennung des Objekts').fill(String(d.user.id));
        await page.getByRole('button', { name: 'Filter anwenden' }).click();
        await page.waitForURL((url) => url.searchParams.get('object_id') === String(d.user.id));
        const forUser = await s.admin.all(`/api/v1/audit?object_type=user&object_id=${d.user.id}`);
        await page.waitForFunction((n) => document.querySelectorAll('table.audit-table tbody tr').length === n,
            forUser.length);
        for (const row of await (await rows(page)).all()) {
            assert.equal(await row.getByRole('link', { name: `Benutzer ${d.user.id}`, exact: true }).count(), 1);
        }

        // Every device action ("device." asks for the prefix).
        await page.goto('/audit?action=device.');
        await settled(page);
        const codes = await (await rows(page)).locator('.audit-action__code').allInnerTexts();
        assert.ok(codes.length > 0, 'the demo data has device entries');
        for (const c of codes) assert.match(c, /^device\./);
        assert.match(await page.getByLabel('Aktion').locator('option:checked').innerText(), /Geräte: alle Aktionen/);

        // From a day in the future: nothing.
        await page.getByLabel('Von (Datum)').fill('2099-01-01');
        await page.getByRole('button', { name: 'Filter anwenden' }).click();
        await page.waitForURL((url) => url.searchParams.get('from') === '2099-01-01');
        await page.getByRole('main').getByText('Keine Einträge zu diesen Filtern.').waitFor();
        await page.reload();
        await settled(page);
        await page.getByRole('main').getByText('Keine Einträge zu diesen Filtern.').waitFor();
        assert.equal(await page.getByLabel('Von (Datum)').inputValue(), '2099-01-01');
        await assertNoViolations(page, '/audit filtered');
    });
});

test('Audit_ChainCheckIntactThenFirstBrokenEntryAfterTampering', async () => {
    await withPage(s.browser, s.server, 'audit chain', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, '/audit', 'audit-chain');
        const verify = await s.admin.get('/api/v1/audit/verify');
        assert.equal(verify.intact, true);

        await page.getByRole('button', { name: 'Kette jetzt prüfen' }).click();
        const result = page.locator('#audit-verify-result .kern-alert');
        await result.waitFor();
        // The check itself is an API read, not audited: the last entry is still the one above,
        // unless a login of this test came in between (then a later one).
        const intact = (await result.innerText()).replace(/\s+/g, ' ');
        const m = /Die Kette ist intakt bis Eintrag ([\d.]+) \(([\d.]+) Einträge geprüft\)/.exec(intact);
        assert.ok(m, intact);
        assert.ok(Number(m[1].replace(/\./g, '')) >= verify.last_id, intact);
        await screenshot(page, s.server, 'audit-chain-intact');

        // Alter an old entry behind paktd's back, as someone with access to the file could.
        const victim = 3;
        await sqlite(`UPDATE audit_log SET detail = '{"changed":"afterwards"}' WHERE id = ${victim};`);
        const broken = await s.admin.get('/api/v1/audit/verify');
        assert.equal(broken.intact, false);
        assert.equal(broken.first_broken.id, victim);

        await page.getByRole('button', { name: 'Erneut prüfen' }).click();
        const danger = page.locator('#audit-verify-result .kern-alert--danger');
        await danger.waitFor();
        const text = (await danger.innerText()).replace(/\s+/g, ' ');
        assert.match(text, new RegExp(`erster fehlerhafter Eintrag ${victim}\\b`));
        assert.match(text, /Der Inhalt wurde nach dem Schreiben verändert/);
        await screenshot(page, s.server, 'audit-chain-broken');
        await assertNoViolations(page, '/audit with a broken chain');
        assert.match(await mainText(page), /Die Kette ist gebrochen/);
    });
});

test('Audit_SchoolRolesGetNotAllowed', async () => {
    await withPage(s.browser, s.server, 'audit not allowed', async ({ context, page }) => {
        await loginCookie(context, users.leitung);
        await visit(page, s.server, '/audit', 'audit-headteacher');
        assert.match(await mainText(page), /Diese Seite ist der Schulträger-IT vorbehalten/);
        assert.equal(await page.locator('table.audit-table').count(), 0);
    });
});
