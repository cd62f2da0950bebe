// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// From a new grant to a printed proof of use without leaving the browser (issue 10, "Done when"
// 2): municipal IT logs in through the login form, books a grant (Förderbescheid) on /grants, from
// the grant's page a delivery for a school (typed six-digit school number), uploads the supplier's
// delivery list through the file picker, enrolls some of the devices on the scan page as a barcode
// scanner types them (serial + Enter), opens the proof of use of the grant and prints its A4 view
// to PDF. Every step is done in the browser; the API only checks the results. The proof of use's
// figures must equal both what this test computes from the numbers it typed and the API's report,
// and the PDF must hold the grant, the programme, the school's row with its spend, the totals,
// the print date and the signature line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
    eventually, loginForm, mainText, screenshot, settled, withPage,
} from './support/browser.mjs';
import { artifactsDir, schools, users } from './support/env.mjs';
import { kLender } from './support/paktd.mjs';
import { suite } from './support/suite.mjs';

// ---- what the municipal user types --------------------------------------------------------------

/** Today in Europe/Berlin (the pages' calendar day), YYYY-MM-DD. */
function berlinToday() {
    return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit' })
        .format(new Date());
}

function isoDayFrom(iso, offsetDays) {
    const d = new Date(`${iso}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() + offsetDays);
    return d.toISOString().slice(0, 10);
}

const today = berlinToday();
const year = Number(today.slice(0, 4));
// DP-SOFORT (a demo programme): at most 500,00 € a device, no cap per school.
const kProgrammeCode = 'DP-SOFORT';
const kGrant = {
    reference: `TEST-VN-E2E-${year}-0301`,
    title: 'Endgeräte für die Frida-Levy-Gesamtschule',
    amountTyped: '12.500,00', amountCents: 1_250_000,
    ownTyped: '1.250,00', ownCents: 125_000,
    approvedOn: isoDayFrom(today, -30),
    // Far enough away that the deadline is not "near" (the proof of use shows no risk).
    spendBy: `${year + 2}-12-31`,
    earmarkEnd: `${year + 7}-12-31`,
};
const kSchool = schools.fridaLevy;
const kDelivery = {
    model: 'iPad (10th generation) Wi-Fi 64GB',
    unitTyped: '389,90', unitCents: 38_990,
    expected: 8,
    supplier: 'Bechtle AG', order: '4500301001', note: 'LS-301001',
    deliveredOn: today,
};
// The supplier's delivery list: eight devices, none in the demo data (8–14 characters A–Z, 0–9).
const kSerials = Array.from({ length: kDelivery.expected }, (_, i) => `PUVE2E${String(i + 1).padStart(4, '0')}X`);
// Enrolled on the scan page: five of the eight, the second scanned twice (counts once).
const kEnrolled = kSerials.slice(0, 5);
const kScans = [kEnrolled[0], kEnrolled[1], kEnrolled[1], kEnrolled[2], kEnrolled[3], kEnrolled[4]];

/** The figures of the proof of use, computed here from the typed numbers alone. */
function computeExpected() {
    const spend = kEnrolled.length * kDelivery.unitCents;
    // Share of the grant in percent with two decimals, rounded half up (as the API documents).
    const share = Math.floor((2 * spend * 10_000 + kGrant.amountCents) / (2 * kGrant.amountCents)) / 100;
    return {
        expected: kDelivery.expected,
        delivered: kSerials.length,
        enrolled: kEnrolled.length,
        spend_cents: spend,
        share_used_pct: share,
        remaining_cents: kGrant.amountCents - spend,
    };
}
const kExpected = computeExpected();

// German formats, as a reader of the page sees them (whitespace, including no-break spaces,
// collapsed to one space).
const ws = (text) => text.replace(/\s+/g, ' ').trim();
const money = (cents) => ws(new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(cents / 100));
const pct = (p) => ws(new Intl.NumberFormat('de-DE', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(p / 100));
const num = (n) => new Intl.NumberFormat('de-DE').format(n);
const deDate = (iso) => iso.split('-').reverse().join('.');
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const d = {};
const s = suite('proof_of_use', async () => {
    // Only checks: the scenario's school and programme exist, its serials and reference do not.
    d.school = await s.admin.get(`/api/v1/schools/${kSchool}`);
    d.programme = (await s.admin.get('/api/v1/programmes')).items.find((p) => p.code === kProgrammeCode);
    assert.ok(d.programme, `the demo programme ${kProgrammeCode}`);
    assert.ok(d.programme.max_unit_price_cents === null || d.programme.max_unit_price_cents >= kDelivery.unitCents,
        'the unit price is within the programme\'s cap');
    for (const serial of kSerials) assert.equal(await s.admin.device(serial), null, `${serial} is not in the demo data`);
    const grants = await s.admin.all('/api/v1/grants');
    assert.ok(!grants.some((g) => g.reference === kGrant.reference), 'the reference is new');
});

// ---- helpers ------------------------------------------------------------------------------------

function poppler(tool, args) {
    const file = `/usr/bin/${tool}`;
    if (!fs.existsSync(file)) {
        throw new Error(`${file} is missing: install Debian's poppler-utils (./tools/setup does)`);
    }
    return new Promise((resolve, reject) => {
        execFile(file, args, { maxBuffer: 32 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
}

/** Body rows of the table named `name`, as arrays of cell texts. */
async function tableRows(page, name) {
    const table = page.getByRole('table', { name });
    await table.waitFor();
    return table.evaluate((t) => [...t.querySelectorAll('tbody tr')].map((tr) =>
        [...tr.children].map((c) => c.innerText.replace(/\s+/g, ' ').trim())));
}

/** Runs one step of the journey; a failure names the step. */
async function step(t, name, fn) {
    t.diagnostic(`step: ${name}`);
    try {
        return await fn();
    } catch (error) {
        if (error instanceof Error) {
            const original = error.message;
            error.message = `step "${name}": ${original}`;
            // Node prints the stack, which holds the message as it was when the error was made.
            if (typeof error.stack === 'string') error.stack = error.stack.replace(original, error.message);
        }
        throw error;
    }
}

function navLink(page, name) {
    return page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name, exact: true });
}

// A scan as a USB barcode scanner sends it: the characters, then Enter.
async function scan(page, code) {
    const field = page.getByRole('textbox', { name: /scannen/i });
    await field.pressSequentially(code);
    await field.press('Enter');
}

// The running count "N von M erfasst" as the scan page shows it.
async function shownCount(page) {
    const m = (await mainText(page)).match(/(\d[\d.]*) von (\d[\d.]*) erfasst/);
    assert.ok(m, 'the scan page shows "N von M erfasst"');
    return { enrolled: Number(m[1].replace(/\./g, '')), expected: Number(m[2].replace(/\./g, '')) };
}

// ---- the journey --------------------------------------------------------------------------------

test('ProofOfUse_FromANewGrantToThePrintedProofOfUseInTheBrowser', async (t) => {
    await withPage(s.browser, s.server, 'proof of use journey', async ({ page }) => {
        // 1. Log in; book the grant on /grants.
        await step(t, 'log in and create the grant', async () => {
            await loginForm(page, users.admin);
            await navLink(page, 'Förderbescheide').click();
            await page.waitForURL((url) => url.pathname === '/grants');
            assert.equal(await (await settled(page)).innerText(), 'Förderbescheide');
            await page.getByText('Neuen Förderbescheid erfassen').click();
            const form = page.locator('#grant-create');
            await form.getByLabel('Förderprogramm').selectOption(kProgrammeCode);
            await form.getByLabel('Aktenzeichen').fill(kGrant.reference);
            await form.getByLabel('Bezeichnung').fill(kGrant.title);
            await form.getByLabel('Bewilligter Betrag').fill(kGrant.amountTyped);
            await form.getByLabel('Eigenanteil').fill(kGrant.ownTyped);
            await form.getByLabel('Bewilligt am').fill(kGrant.approvedOn);
            await form.getByLabel('Ende des Durchführungszeitraums').fill(kGrant.spendBy);
            await eventually(async () => assert.match(await form.innerText(),
                new RegExp(`Zweckbindung bis ${escape(deDate(kGrant.earmarkEnd))}`)));
            await screenshot(page, s.server, '1-grant-form');
            await form.getByRole('button', { name: 'Förderbescheid speichern' }).click();
            await page.waitForURL(/\/grants\/\d+$/);
            await settled(page);
            assert.match(await mainText(page), new RegExp(`Förderbescheid ${escape(kGrant.reference)} gespeichert`));
            d.grantId = Number(new URL(page.url()).pathname.split('/').pop());
            await screenshot(page, s.server, '1-grant-page');
        });
        const grant = await s.admin.get(`/api/v1/grants/${d.grantId}`);
        assert.equal(grant.reference, kGrant.reference);
        assert.equal(grant.programme, kProgrammeCode);
        assert.equal(grant.title, kGrant.title);
        assert.equal(grant.amount_cents, kGrant.amountCents);
        assert.equal(grant.own_contribution_cents, kGrant.ownCents);
        assert.equal(grant.approved_on, kGrant.approvedOn);
        assert.equal(grant.spend_by, kGrant.spendBy);
        assert.equal(grant.earmark_end, kGrant.earmarkEnd);

        // 2. From the grant's page: a delivery for the school, found by its typed number.
        await step(t, 'create the delivery from the grant page', async () => {
            await page.getByRole('link', { name: 'Lieferung aus diesem Bescheid anlegen' }).click();
            await page.waitForURL(/\/tranches\?/);
            await settled(page);
            const form = page.locator('#delivery-create');
            await form.waitFor();
            assert.equal(await form.getByLabel('Förderbescheid').inputValue(), String(d.grantId), 'the grant is chosen');
            await form.getByLabel('Schulnummer').fill(kSchool);
            await eventually(async () => assert.match(await form.innerText(),
                new RegExp(`Gewählt: ${escape(d.school.name)} \\(${kSchool}\\)`)));
            await form.getByLabel('Geliefert am').fill(kDelivery.deliveredOn);
            await form.getByLabel('Modell').fill(kDelivery.model);
            await form.getByLabel('Stückpreis (brutto)').fill(kDelivery.unitTyped);
            await form.getByLabel('Bestellte Anzahl').fill(String(kDelivery.expected));
            await form.getByLabel('Lieferant').fill(kDelivery.supplier);
            await form.getByLabel('Bestellnummer').fill(kDelivery.order);
            await form.getByLabel('Lieferschein').fill(kDelivery.note);
            await screenshot(page, s.server, '2-delivery-form');
            await form.getByRole('button', { name: 'Lieferung anlegen' }).click();
            await page.waitForURL(/\/tranches\/\d+$/);
            await settled(page);
            d.trancheId = Number(new URL(page.url()).pathname.split('/').pop());
            assert.match(await mainText(page), new RegExp(`Lieferung ${d.trancheId} angelegt`));
            await screenshot(page, s.server, '2-delivery-created');
        });
        let tranche = await s.admin.get(`/api/v1/tranches/${d.trancheId}`);
        assert.equal(tranche.school_number, kSchool);
        assert.equal(tranche.grant_id, d.grantId);
        assert.equal(tranche.unit_price_cents, kDelivery.unitCents);
        assert.equal(tranche.expected_count, kDelivery.expected);
        assert.equal(tranche.delivered_on, kDelivery.deliveredOn);
        assert.equal(tranche.model, kDelivery.model);

        // 3. The supplier's delivery list through the file picker.
        await step(t, 'upload the delivery list', async () => {
            const csv = ['serial_number,model,asset_tag',
                ...kSerials.map((serial, i) => `${serial},iPad,FLG-${String(i + 1).padStart(3, '0')}`)].join('\r\n') + '\r\n';
            const zone = page.getByRole('button', { name: /CSV-Datei hierher ziehen/ });
            const [chooser] = await Promise.all([page.waitForEvent('filechooser'), zone.click()]);
            await chooser.setFiles({ name: 'lieferliste.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
            await eventually(async () => assert.match(await mainText(page), /Ausgewählt: lieferliste\.csv/));
            await page.getByRole('button', { name: 'Lieferliste hochladen' }).click();
            await eventually(async () => assert.match(await mainText(page), new RegExp(
                `Lieferliste gespeichert\\. ${kSerials.length} Zeilen gelesen: ${kSerials.length} neu aufgenommen, 0 standen schon auf der Liste`)));
            await screenshot(page, s.server, '3-delivery-list-stored');
        });
        tranche = await s.admin.get(`/api/v1/tranches/${d.trancheId}`);
        assert.equal(tranche.progress.in_manifest, kSerials.length);
        assert.deepEqual([...(await s.admin.get(`/api/v1/tranches/${d.trancheId}/reconciliation`)).missing].sort(),
            [...kSerials].sort());

        // 4. Scanning: serial + Enter, as a barcode scanner types it; one device scanned twice.
        await step(t, 'enroll devices on the scan page', async () => {
            await page.getByRole('link', { name: 'Geräte erfassen (scannen)' }).click();
            await page.waitForURL(new RegExp(`/tranches/${d.trancheId}/scan$`));
            await settled(page);
            const field = page.getByRole('textbox', { name: /scannen/i });
            assert.equal(await field.evaluate((el) => el === document.activeElement), true, 'the scan field has the focus');
            assert.deepEqual(await shownCount(page), { enrolled: 0, expected: kDelivery.expected });
            const seen = new Set();
            for (const serial of kScans) {
                const repeat = seen.has(serial);
                seen.add(serial);
                await scan(page, serial);
                // The answer to this scan: the newest entry of the session's list.
                await eventually(async () => {
                    const newest = ws(await page.locator('ol.scan-list > li').first().innerText());
                    assert.ok(newest.includes(serial), `newest answer is for ${serial}: ${newest}`);
                    if (repeat) assert.match(newest, /Bereits erfasst/);
                    else {
                        assert.match(newest, /Erfasst/);
                        assert.doesNotMatch(newest, /Bereits/);
                    }
                });
                await eventually(async () => assert.equal((await shownCount(page)).enrolled, seen.size));
            }
            await screenshot(page, s.server, '4-scan-session');
            await page.getByRole('button', { name: 'Erfassung beenden' }).click();
            await eventually(async () => {
                const text = await mainText(page);
                assert.match(text, new RegExp(`${kSerials.length - kEnrolled.length} Geräte der Lieferliste sind noch nicht erfasst`));
                for (const serial of kSerials.slice(kEnrolled.length)) assert.ok(text.includes(serial), `${serial} shown as missing`);
            });
            await screenshot(page, s.server, '4-scan-finished');
        });
        tranche = await s.admin.get(`/api/v1/tranches/${d.trancheId}`);
        assert.equal(tranche.progress.enrolled, kEnrolled.length);
        for (const serial of kEnrolled) {
            const device = await s.admin.device(serial);
            assert.ok(device, `${serial} is enrolled`);
            assert.equal(device.tranche_id, d.trancheId);
            assert.equal(device.school_number, kSchool);
        }
        for (const serial of kSerials.slice(kEnrolled.length)) assert.equal(await s.admin.device(serial), null, `${serial} not enrolled`);

        // 5. The proof of use of the grant: reached from the delivery, via its grant.
        const api = await s.admin.get(`/api/v1/reports/funding?grant_id=${d.grantId}`);
        assert.equal(api.grants.length, 1);
        const g = api.grants[0];
        const e = kExpected;
        for (const k of ['expected', 'delivered', 'enrolled', 'spend_cents', 'share_used_pct', 'remaining_cents']) {
            assert.equal(g[k], e[k], `API ${k} equals the computed figure`);
        }
        assert.equal(g.reference, kGrant.reference);
        assert.equal(g.amount_cents, kGrant.amountCents);
        assert.equal(g.own_contribution_cents, kGrant.ownCents);
        assert.equal(g.at_risk, false);
        assert.deepEqual(g.tranches_above_unit_cap, []);
        assert.equal(g.schools.length, 1);
        const apiSchool = g.schools[0];
        assert.equal(apiSchool.school_number, kSchool);
        for (const k of ['expected', 'delivered', 'enrolled', 'spend_cents', 'share_used_pct']) {
            assert.equal(apiSchool[k], e[k], `API school ${k} equals the computed figure`);
        }
        await step(t, 'open the proof of use', async () => {
            await page.getByRole('link', { name: 'Zurück zur Lieferung' }).click();
            await page.waitForURL(new RegExp(`/tranches/${d.trancheId}$`));
            await settled(page);
            await page.getByRole('link', { name: new RegExp(`^${escape(kGrant.reference)}`) }).click();
            await page.waitForURL(new RegExp(`/grants/${d.grantId}$`));
            await settled(page);
            // The grant's page already shows the spend.
            await eventually(async () => assert.ok((await mainText(page)).includes(money(e.spend_cents)), 'spend on the grant page'));
            await screenshot(page, s.server, '5-grant-with-spend');
            await page.getByRole('link', { name: 'Verwendungsnachweis zu diesem Bescheid' }).click();
            await page.waitForURL((url) => url.pathname === '/funding' && url.searchParams.get('grant_id') === String(d.grantId));
            assert.equal(await (await settled(page)).innerText(), 'Verwendungsnachweis');

            const moneyRows = Object.fromEntries((await tableRows(page, `Mittel des Förderbescheids ${kGrant.reference}`))
                .map((r) => [r[0], r[1]]));
            const want = {
                'Bewilligter Betrag': money(kGrant.amountCents),
                Eigenanteil: money(kGrant.ownCents),
                Ausgaben: money(e.spend_cents),
                'Anteil verwendet': pct(e.share_used_pct),
                Verbleibend: money(e.remaining_cents),
            };
            assert.deepEqual(moneyRows, want, 'the page\'s money figures equal the computed ones');
            assert.deepEqual(moneyRows, {
                'Bewilligter Betrag': money(g.amount_cents),
                Eigenanteil: money(g.own_contribution_cents),
                Ausgaben: money(g.spend_cents),
                'Anteil verwendet': pct(g.share_used_pct),
                Verbleibend: money(g.remaining_cents),
            }, 'the page\'s money figures equal the API\'s');

            const rows = await tableRows(page, `Ausgaben und Geräte je Schule, ${kGrant.reference}`);
            assert.equal(rows.length, 2, 'the school and the total');
            const [school, total] = rows;
            assert.ok(school[0].startsWith(d.school.name) && school[0].endsWith(`Schulnummer ${kSchool}`), school[0]);
            assert.equal(school[1], `Lieferung ${d.trancheId}`);
            const figures = (x) => [num(x.expected), num(x.delivered), num(x.enrolled), money(x.spend_cents), pct(x.share_used_pct)];
            assert.deepEqual(school.slice(2, 7), figures(e), 'school row equals the computed figures');
            assert.deepEqual(school.slice(2, 7), figures(apiSchool), 'school row equals the API\'s');
            assert.equal(total[0], 'Summe Förderbescheid');
            assert.deepEqual(total.slice(2, 7), figures(e), 'total row equals the computed figures');
            assert.deepEqual(total.slice(2, 7), figures(g), 'total row equals the API\'s');
            const main = await mainText(page);
            assert.ok(!main.includes('Frist naht') && !main.includes('Höchstbeträge überschritten'), 'no risk, no breach');
            assert.ok(main.includes(`${deDate(kGrant.approvedOn)} – ${deDate(kGrant.spendBy)}`), 'the period');
            await screenshot(page, s.server, '5-proof-of-use');
        });

        // 6. The print view, printed by Chromium on A4.
        const pdf = path.join(artifactsDir(), `${s.server.name}-print.pdf`);
        let printedBetween;
        await step(t, 'print the proof of use to PDF', async () => {
            await page.getByRole('link', { name: 'Druckansicht (A4) für den Verwendungsnachweis' }).click();
            await page.waitForURL((url) => url.pathname === '/funding' && url.searchParams.get('print') === '1');
            await settled(page);
            await page.getByRole('article', { name: `Verwendungsnachweis ${kGrant.reference}` }).waitFor();
            await page.getByRole('button', { name: 'Drucken' }).waitFor();
            await screenshot(page, s.server, '6-print-view');
            const before = berlinToday();
            await page.pdf({ path: pdf, format: 'A4' });
            printedBetween = [before, berlinToday()];
            assert.deepEqual(page.problems, [], 'no script error or CSP violation on the way');
        });

        await step(t, 'check the PDF', async () => {
            const info = await poppler('pdfinfo', [pdf]);
            const pages = Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
            assert.ok(pages >= 1 && pages <= 2, `one school fits on one or two A4 pages, not ${pages}`);
            const size = /^Page size:\s+([\d.]+) x ([\d.]+) pts/m.exec(info);
            assert.ok(Math.abs(Number(size[1]) - 595) < 2 && Math.abs(Number(size[2]) - 842) < 2, `A4 portrait: ${size[0]}`);
            // pdftotext -layout keeps each table row on its line(s), columns in order. A word the
            // printed page broke after a hyphen ("(DP-" / "SOFORT)") is joined again.
            const layout = await poppler('pdftotext', ['-layout', pdf, '-']);
            const lines = layout.split('\n').map(ws).filter(Boolean);
            const text = ws(layout.replace(/-\n\s*/g, '-'));
            const lastPage = ws(await poppler('pdftotext', ['-layout', '-f', String(pages), '-l', String(pages), pdf, '-']));
            for (const needle of [
                'Verwendungsnachweis – zahlenmäßiger Nachweis', `Förderbescheid ${kGrant.reference}`, kGrant.title,
                `Zuwendungsempfänger ${kLender}`,
                `Aktenzeichen ${kGrant.reference}`,
                `Förderprogramm ${d.programme.name} (${kProgrammeCode})`, `${deDate(kGrant.approvedOn)} – ${deDate(kGrant.spendBy)}`,
                `Zweckbindung bis ${deDate(kGrant.earmarkEnd)}`,
                `Bewilligter Betrag ${money(kGrant.amountCents)}`, `Eigenanteil ${money(kGrant.ownCents)}`,
                `Ausgaben (Summe der Stückpreise erfasster Geräte) ${money(e.spend_cents)}`,
                `Anteil verwendet ${pct(e.share_used_pct)}`, `Verbleibend ${money(e.remaining_cents)}`,
                `Geräte bestellt ${num(e.expected)}, geliefert ${num(e.delivered)}, erfasst ${num(e.enrolled)}`,
            ]) {
                assert.ok(text.includes(needle), `PDF text lacks "${needle}"`);
            }
            // The school's row: the start of its name, its delivery and its figures on one line; its
            // school number (the name may wrap) before the total row, which holds the totals.
            const figures = `${num(e.expected)} ${num(e.delivered)} ${num(e.enrolled)} ${money(e.spend_cents)} ${pct(e.share_used_pct)}`;
            const rowAt = lines.findIndex((l) => l.startsWith(d.school.name.slice(0, 5)) && l.includes(` ${d.trancheId} ${figures}`));
            assert.ok(rowAt >= 0, `no line with the school's row "${d.school.name.slice(0, 5)}… ${d.trancheId} ${figures}":\n${lines.join('\n')}`);
            const totalAt = lines.findIndex((l) => l.startsWith(`Summe Förderbescheid ${figures}`));
            assert.ok(totalAt > rowAt, `the total row "Summe Förderbescheid ${figures}" after the school's row`);
            assert.ok(lines.slice(rowAt, totalAt).some((l) => l.includes(`(${kSchool})`)), 'the school number in the school\'s row');
            assert.equal(lines.filter((l) => l.startsWith('Summe Förderbescheid')).length, 1, 'one total row');
            // The print date, and the signature block after the table, whole on the last page.
            assert.ok(printedBetween.some((day) => text.includes(`Gedruckt am ${deDate(day)} · Verwendungsnachweis ${kGrant.reference}`)),
                'the print date');
            const signAt = lines.findIndex((l) => /^Ort, Datum .*Unterschrift$/.test(l));
            assert.ok(signAt > totalAt, 'the signature line (place, date; signature) after the total row');
            for (const needle of ['Bestätigung', 'Ort, Datum', 'Unterschrift', 'Gedruckt am']) {
                assert.ok(lastPage.includes(needle), `"${needle}" on the last page`);
            }
            // No screen controls in the printed document.
            for (const absent of ['Drucken', 'Zurück zum Verwendungsnachweis', 'Abmelden', 'Förderbescheide', 'Als CSV']) {
                assert.ok(!text.includes(absent), `PDF shows "${absent}"`);
            }
            // The first page as a picture for a person to look at.
            await poppler('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdf,
                path.join(artifactsDir(), `${s.server.name}-print-page-1`)]);
        });
    });
});
