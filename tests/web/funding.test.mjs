// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The proof of use (/funding, issue 10): a grant with deliveries at many schools, set up through
// the API with known unit prices, whose figures this test computes itself (spend = the sum of the
// unit prices of the enrolled devices, share, remaining, caps exceeded, deadline at risk). The page
// must show exactly those figures, which must equal the API's JSON; its CSV link must give the
// API's CSV (excel-de) byte for byte; its print view, printed by Chromium on A4, must hold the
// grant, the totals, every school row once and whole, and the signature line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { request } from './support/api.mjs';
import {
    loginCookie, screenshot, seriousViolations, settled, visit, withPage,
} from './support/browser.mjs';
import { artifactsDir, schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

// ---- the scenario -------------------------------------------------------------------------------

const kProgramme = {
    code: 'TEST-VN', name: 'Testprogramm Verwendungsnachweis', federal_share_pct: 90,
    max_unit_price_cents: 50_000, max_per_school_cents: 150_000,
};
const kAmount = 2_000_000;         // 20.000,00 €
const kOwn = 222_222;              // 2.222,22 €
const kReference = 'TEST-VN-2026-0815';
const kTitle = 'Testbescheid: Tablets für den Verwendungsnachweis';
const kOtherSchools = 45;          // enough rows for the printed table to run over several pages

function isoDay(offsetDays) {
    const d = new Date();
    d.setUTCHours(12, 0, 0, 0);
    d.setUTCDate(d.getUTCDate() + offsetDays);
    return d.toISOString().slice(0, 10);
}

/** Today in Europe/Berlin (the page prints the German calendar day), YYYY-MM-DD. */
function berlinToday() {
    return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

// The deliveries: school, unit price, expected (ordered), manifest (on the delivery list), enrolled.
function plan(otherSchools) {
    const rows = [
        // Viktoria: two deliveries, 4 × 389,00 + 1 × 123,45 = 1.679,45 € > cap 1.500,00 €.
        { school: schools.viktoria, unit: 38_900, expected: 5, manifest: 5, enrolled: 4 },
        { school: schools.viktoria, unit: 12_345, expected: 2, manifest: 0, enrolled: 1 },
        // Antonius: 629,50 € a device, above the cap per device (500,00 €).
        { school: schools.antonius, unit: 62_950, expected: 3, manifest: 3, enrolled: 2 },
    ];
    otherSchools.forEach((n, i) => {
        rows.push({
            school: n, unit: 10_000 + i * 250, expected: 2, manifest: i % 2 === 0 ? 2 : 0,
            enrolled: i % 7 === 3 ? 0 : (i % 3 === 0 ? 2 : 1),
        });
    });
    return rows;
}

/** The figures of the proof of use, computed here from the plan alone. */
function computeExpected(deliveries, asOf, spendBy) {
    const share = (spend) => {
        const bp = Math.floor((2 * spend * 10_000 + kAmount) / (2 * kAmount)); // half up
        return bp / 100;
    };
    const bySchool = new Map();
    for (const d of deliveries) {
        const s = bySchool.get(d.school) ?? { school_number: d.school, expected: 0, delivered: 0, enrolled: 0, spend_cents: 0, tranches: [], tranches_above_unit_cap: [] };
        s.expected += d.expected;
        s.delivered += d.manifest;
        s.enrolled += d.enrolled;
        s.spend_cents += d.enrolled * d.unit;
        s.tranches.push(d.id);
        if (d.unit > kProgramme.max_unit_price_cents) s.tranches_above_unit_cap.push(d.id);
        bySchool.set(d.school, s);
    }
    const schoolsOut = [...bySchool.values()].sort((a, b) => (a.school_number < b.school_number ? -1 : 1));
    for (const s of schoolsOut) {
        s.share_used_pct = share(s.spend_cents);
        s.above_school_cap = s.spend_cents > kProgramme.max_per_school_cents;
    }
    const sum = (k) => schoolsOut.reduce((a, s) => a + s[k], 0);
    const spend = sum('spend_cents');
    const remaining = kAmount - spend;
    const days = Math.round((Date.parse(spendBy) - Date.parse(asOf)) / 86_400_000);
    let reason = null;
    if (remaining > 0 && days < 0) reason = 'spend_by_passed';
    else if (remaining > 0 && days <= 180 && remaining * 100 > kAmount * 10) reason = 'spend_by_near';
    const aboveUnit = deliveries.filter((d) => d.unit > kProgramme.max_unit_price_cents);
    return {
        expected: sum('expected'), delivered: sum('delivered'), enrolled: sum('enrolled'),
        spend_cents: spend, share_used_pct: share(spend), remaining_cents: remaining,
        at_risk: reason !== null, at_risk_reason: reason, days_to_spend_by: days,
        tranches_above_unit_cap: aboveUnit.map((d) => d.id).sort((a, b) => a - b),
        devices_above_unit_cap: aboveUnit.reduce((a, d) => a + d.enrolled, 0),
        schools_above_school_cap: schoolsOut.filter((s) => s.above_school_cap).map((s) => s.school_number),
        schools: schoolsOut,
    };
}

// German formats, as a reader of the page sees them (whitespace collapsed to one space).
const ws = (text) => text.replace(/\s+/g, ' ').trim();
const money = (cents) => ws(new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(cents / 100));
const pct = (p) => ws(new Intl.NumberFormat('de-DE', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(p / 100));
const num = (n) => new Intl.NumberFormat('de-DE').format(n);
const deDate = (iso) => iso.split('-').reverse().join('.');

const d = {};
const s = suite('funding', async () => {
    const admin = s.admin;
    await admin.json('POST', '/api/v1/programmes', kProgramme);
    d.approvedOn = isoDay(-200);
    d.spendBy = isoDay(120);
    d.grant = await admin.json('POST', '/api/v1/grants', {
        programme: kProgramme.code, reference: kReference, title: kTitle, amount_cents: kAmount,
        own_contribution_cents: kOwn, approved_on: d.approvedOn, spend_by: d.spendBy,
    });
    const all = (await admin.get('/api/v1/schools?limit=200')).items.map((x) => x.school_number);
    const others = all.filter((n) => n !== schools.viktoria && n !== schools.antonius).slice(0, kOtherSchools);
    assert.equal(others.length, kOtherSchools, 'enough demo schools');
    d.deliveries = plan(others);
    let serial = 0;
    for (const [i, del] of d.deliveries.entries()) {
        const tr = await admin.json('POST', '/api/v1/tranches', {
            school_number: del.school, grant_id: d.grant.id, supplier: 'Testlieferant', order_number: `B-${i}`,
            delivery_note: `LS-${i}`, delivered_on: isoDay(-30), model: 'iPad Test', unit_price_cents: del.unit,
            expected_count: del.expected,
        });
        del.id = tr.id;
        const serials = Array.from({ length: del.expected }, () => `FVX${String(++serial).padStart(9, '0')}`);
        if (del.manifest) {
            const res = await request(s.server, 'PUT', `/api/v1/tranches/${tr.id}/manifest`, {
                token: admin.token, headers: { 'Content-Type': 'text/csv' },
                body: `serial_number\n${serials.slice(0, del.manifest).join('\n')}\n`,
            });
            assert.equal(res.status, 200, res.text);
        }
        if (del.enrolled) {
            const res = await admin.json('POST', `/api/v1/tranches/${tr.id}/enrollments`, { serial_numbers: serials.slice(0, del.enrolled) });
            assert.ok(res.results.every((r) => r.status === 'enrolled'), JSON.stringify(res));
        }
    }
    d.api = await admin.get(`/api/v1/reports/funding?grant_id=${d.grant.id}`);
    d.expected = computeExpected(d.deliveries, d.api.as_of, d.spendBy);
});

// ---- PDF helpers (poppler-utils) -----------------------------------------------------------------

function poppler(tool, args) {
    const file = `/usr/bin/${tool}`;
    if (!fs.existsSync(file)) {
        throw new Error(`${file} is missing: install Debian's poppler-utils (./tools/setup does)`);
    }
    return new Promise((resolve, reject) => {
        execFile(file, args, { maxBuffer: 32 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
}

async function pdfPages(pdf) {
    const info = await poppler('pdfinfo', [pdf]);
    return Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
}

/** The text of each page of `pdf`, whitespace collapsed. */
async function pdfTexts(pdf, pages) {
    const out = [];
    for (let p = 1; p <= pages; ++p) out.push(ws(await poppler('pdftotext', ['-f', String(p), '-l', String(p), pdf, '-'])));
    return out;
}

/** Body rows of the table named `name`, as arrays of cell texts. */
async function tableRows(page, name) {
    const table = page.getByRole('table', { name });
    await table.waitFor();
    return table.evaluate((t) => [...t.querySelectorAll('tbody tr')].map((tr) =>
        [...tr.children].map((c) => c.innerText.replace(/\s+/g, ' ').trim())));
}

const count = (text, needle) => text.split(needle).length - 1;

// ---- tests --------------------------------------------------------------------------------------

test('Funding_ApiFiguresEqualTheIndependentlyComputedOnes', () => {
    const g = d.api.grants[0];
    const e = d.expected;
    assert.equal(d.api.grants.length, 1);
    assert.equal(g.reference, kReference);
    for (const k of ['expected', 'delivered', 'enrolled', 'spend_cents', 'share_used_pct', 'remaining_cents', 'at_risk',
        'at_risk_reason', 'days_to_spend_by', 'tranches_above_unit_cap', 'devices_above_unit_cap', 'schools_above_school_cap']) {
        assert.deepEqual(g[k], e[k], k);
    }
    assert.equal(e.at_risk_reason, 'spend_by_near', 'the scenario has money left close to the deadline');
    assert.deepEqual(e.schools_above_school_cap, [schools.viktoria]);
    assert.equal(g.schools.length, kOtherSchools + 2);
    for (const [i, want] of e.schools.entries()) {
        const got = g.schools[i];
        for (const k of ['school_number', 'expected', 'delivered', 'enrolled', 'spend_cents', 'share_used_pct', 'above_school_cap', 'tranches', 'tranches_above_unit_cap']) {
            assert.deepEqual(got[k], want[k], `${want.school_number}.${k}`);
        }
    }
});

test('Funding_GrantPageShowsExactlyTheseFigures', async () => {
    const e = d.expected;
    await withPage(s.browser, s.server, 'funding grant', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        const h1 = await visit(page, s.server, `/funding?grant_id=${d.grant.id}`, 'funding-grant');
        assert.equal(await h1.innerText(), 'Verwendungsnachweis');

        // The money table.
        const moneyRows = Object.fromEntries((await tableRows(page, `Mittel des Förderbescheids ${kReference}`)).map((r) => [r[0], r[1]]));
        assert.deepEqual(moneyRows, {
            'Bewilligter Betrag': money(kAmount),
            Eigenanteil: money(kOwn),
            Ausgaben: money(e.spend_cents),
            'Anteil verwendet': pct(e.share_used_pct),
            Verbleibend: money(e.remaining_cents),
        });

        // One row per school, the grant total last.
        const rows = await tableRows(page, `Ausgaben und Geräte je Schule, ${kReference}`);
        assert.equal(rows.length, e.schools.length + 1);
        for (const [i, want] of e.schools.entries()) {
            const r = rows[i];
            assert.ok(r[0].endsWith(`Schulnummer ${want.school_number}`), r[0]);
            assert.equal(r[1], want.tranches.map((id) => `Lieferung ${id}`).join(', '), `${want.school_number} deliveries`);
            assert.deepEqual(r.slice(2, 8), [num(want.expected), num(want.delivered), num(want.enrolled), money(want.spend_cents),
                pct(want.share_used_pct), want.above_school_cap ? 'überschritten' : 'eingehalten'], want.school_number);
            assert.equal(r[8].startsWith('überschritten'), want.tranches_above_unit_cap.length > 0, `${want.school_number} unit cap`);
        }
        const total = rows.at(-1);
        assert.equal(total[0], 'Summe Förderbescheid');
        assert.deepEqual(total.slice(2, 7), [num(e.expected), num(e.delivered), num(e.enrolled), money(e.spend_cents), pct(e.share_used_pct)]);

        // The deadline and the caps, in words.
        const main = ws(await page.getByRole('main').innerText());
        assert.ok(main.includes(`Frist naht`), 'at-risk alert');
        assert.ok(main.includes(`Noch nicht verwendet: ${money(e.remaining_cents)}. Frist: ${deDate(d.spendBy)}, noch ${e.days_to_spend_by} Tage.`), 'at-risk text');
        const viktoria = d.api.grants[0].schools.find((x) => x.school_number === schools.viktoria);
        assert.ok(main.includes(`Über der Obergrenze je Schule (${money(kProgramme.max_per_school_cents)}): ${viktoria.name} (${schools.viktoria}).`), 'school cap text');
        const unitCapTranches = e.tranches_above_unit_cap.map((id) => `Lieferung ${id}`).join(', ');
        assert.ok(main.includes(`Stückpreis über dem Höchstbetrag je Gerät (${money(kProgramme.max_unit_price_cents)}), betroffene Geräte: ${e.devices_above_unit_cap}. Lieferungen: ${unitCapTranches}`), 'unit cap text');
        assert.ok(main.includes(`${deDate(d.approvedOn)} – ${deDate(d.spendBy)}`), 'period');

        // The chart: a bar per school (the 40 highest spends of these 47), its title, the cap as
        // the reference, the school above it hatched and named.
        const chart = page.getByRole('img', { name: /Ausgaben je Schule/ });
        const svg = await chart.evaluate((el) => ({
            title: el.querySelector(':scope > title')?.textContent,
            rows: el.querySelectorAll('.app-chart__row').length,
            flagged: [...el.querySelectorAll('.app-chart__row--flagged title')].map((x) => x.textContent),
            texts: [...el.querySelectorAll('text')].map((x) => x.textContent.replace(/\s+/g, ' ')),
        }));
        assert.equal(svg.title, `Ausgaben je Schule, ${kReference} (die 40 Schulen mit den höchsten Ausgaben)`);
        assert.equal(svg.rows, 40);
        const lowest40 = [...e.schools].sort((a, b) => b.spend_cents - a.spend_cents)[39].spend_cents;
        assert.ok(svg.texts.includes(money(lowest40)), 'the 40th highest spend is drawn');
        assert.equal(svg.flagged.length, 1);
        assert.match(svg.flagged[0], new RegExp(`\\(${schools.viktoria}\\)$`));
        assert.ok(svg.texts.includes(`${money(e.schools.find((x) => x.school_number === schools.viktoria).spend_cents)} – überschritten`), svg.texts.join(' | '));
        assert.ok(svg.texts.includes(`Obergrenze je Schule: ${money(kProgramme.max_per_school_cents)}`));

        // The funnel's table, from the rollout report of this grant.
        const rollout = await s.admin.get(`/api/v1/reports/rollout?grant_id=${d.grant.id}`);
        const funnel = Object.fromEntries((await tableRows(page, 'Rollout: Geräte je Schritt')).map((r) => [r[0], r[1]]));
        assert.deepEqual(funnel, {
            bestellt: num(rollout.totals.expected), 'auf der Lieferliste': num(rollout.totals.in_manifest),
            erfasst: num(rollout.totals.enrolled), 'im MDM verwaltet': num(rollout.totals.managed),
            'in 7 Tagen gesehen': num(rollout.totals.seen_last_7_days),
        });
        assert.equal(rollout.totals.expected, e.expected);
        assert.equal(rollout.totals.enrolled, e.enrolled);

        // The filter survives a reload.
        await page.reload();
        await settled(page);
        assert.equal(await page.getByLabel('Förderbescheid', { exact: true }).inputValue(), String(d.grant.id));
        assert.deepEqual(await seriousViolations(page), []);
        assert.deepEqual(page.problems, []);
    });
});

test('Funding_AllGrantsListsTheGrantAndFiltersByIt', async () => {
    const e = d.expected;
    await withPage(s.browser, s.server, 'funding all', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, '/funding', 'funding-all');
        const rows = await tableRows(page, 'Förderbescheide: Ausgaben, Restmittel und Fristen');
        const row = rows.find((r) => r[0] === kReference);
        assert.ok(row, rows.map((r) => r[0]).join(', '));
        assert.deepEqual(row.slice(2, 6), [money(kAmount), money(e.spend_cents), pct(e.share_used_pct), money(e.remaining_cents)]);
        assert.equal(row[8], 'Frist naht');
        const programme = (await tableRows(page, 'Förderprogramme: Beträge, Ausgaben und Überschreitungen'))
            .find((r) => r[0].endsWith(`(${kProgramme.code})`));
        assert.deepEqual(programme.slice(1, 7), ['1 davon mit Fristrisiko: 1', money(kAmount), money(kOwn), money(e.spend_cents), pct(e.share_used_pct), money(e.remaining_cents)]);
        assert.deepEqual(await seriousViolations(page), []);

        // Choosing the grant puts it into the address.
        await page.getByLabel('Förderbescheid', { exact: true }).selectOption(String(d.grant.id));
        await page.getByRole('button', { name: 'Anzeigen' }).click();
        await page.waitForURL((url) => url.searchParams.get('grant_id') === String(d.grant.id));
        await settled(page);
        await page.getByRole('table', { name: `Ausgaben und Geräte je Schule, ${kReference}` }).waitFor();
        assert.deepEqual(page.problems, []);
    });
});

test('Funding_CsvDownloadIsTheApisCsvByteForByte', async () => {
    await withPage(s.browser, s.server, 'funding csv', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, `/funding?grant_id=${d.grant.id}`, 'funding-csv');
        const a = page.getByRole('link', { name: 'Als CSV für Excel herunterladen' });
        assert.equal(await a.getAttribute('href'), `/api/v1/reports/funding?format=csv&dialect=excel-de&grant_id=${d.grant.id}`);
        assert.notEqual(await a.getAttribute('download'), null);
        const [download] = await Promise.all([page.waitForEvent('download'), a.click()]);
        const file = path.join(artifactsDir(), 'funding-download.csv');
        await download.saveAs(file);
        const got = fs.readFileSync(file);
        const api = await request(s.server, 'GET', `/api/v1/reports/funding?format=csv&dialect=excel-de&grant_id=${d.grant.id}`,
            { token: s.admin.token, headers: { Accept: 'text/csv' } });
        assert.equal(api.status, 200);
        assert.ok(got.equals(Buffer.from(api.text, 'utf8')), 'the download is the API\'s CSV');
        // And it is the excel-de dialect with the figures above (BOM, semicolons, decimal commas).
        const text = got.toString('utf8');
        assert.ok(text.startsWith('\uFEFFlevel;programme;'));
        const grantLine = text.split('\r\n').find((l) => l.startsWith('grant;'));
        const euros = (c) => (c / 100).toFixed(2).replace('.', ',');
        assert.ok(grantLine.includes(`;${euros(d.expected.spend_cents)};${String(d.expected.share_used_pct.toFixed(2)).replace('.', ',')};${euros(d.expected.remaining_cents)};`), grantLine);
        assert.deepEqual(page.problems, []);
    });
});

test('Funding_PrintViewOnA4HoldsEverySchoolWholeAndTheSignatureLine', async () => {
    const e = d.expected;
    await withPage(s.browser, s.server, 'funding print', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, `/funding?grant_id=${d.grant.id}&print=1`, 'funding-print');
        await page.getByRole('button', { name: 'Drucken' }).waitFor();
        const pdf = path.join(artifactsDir(), 'funding-print.pdf');
        await page.pdf({ path: pdf, format: 'A4', printBackground: false });

        const pages = await pdfPages(pdf);
        assert.ok(pages >= 2 && pages <= 5, `${pages} pages`);
        const texts = await pdfTexts(pdf, pages);
        const all = texts.join(' ');

        // The document: grant, programme, period, totals, date, signature; no screen controls.
        for (const needle of [
            'Verwendungsnachweis – zahlenmäßiger Nachweis', `Förderbescheid ${kReference}`, kTitle,
            `${kProgramme.name} (${kProgramme.code})`, `${deDate(d.approvedOn)} – ${deDate(d.spendBy)}`,
            `Bewilligter Betrag ${money(kAmount)}`, `Eigenanteil ${money(kOwn)}`,
            `${money(e.spend_cents)}`, `Anteil verwendet ${pct(e.share_used_pct)}`, `Verbleibend ${money(e.remaining_cents)}`,
            `bestellt ${num(e.expected)}, geliefert ${num(e.delivered)}, erfasst ${num(e.enrolled)}`,
            `Gedruckt am ${deDate(berlinToday())}`, 'Ort, Datum', 'Unterschrift',
        ]) {
            assert.ok(all.includes(needle), `PDF text lacks "${needle}"`);
        }
        for (const absent of ['Drucken', 'Zurück zum Verwendungsnachweis', 'Abmelden', 'Verwendungsnachweis drucken']) {
            assert.ok(!all.includes(absent), `PDF shows "${absent}"`);
        }
        // The signature block comes last (after the total row), whole on the last page.
        assert.ok(texts.at(-1).includes('Ort, Datum') && texts.at(-1).includes('Unterschrift') && texts.at(-1).includes('Gedruckt am'));

        // Every school once, each row whole: its number and its spend on the same page; the
        // table's header repeated on every page the table continues on; the total row last.
        // (The notes after the table name the school above the cap once more.)
        const pageOf = (needle) => texts.findIndex((t) => t.includes(needle));
        const table = all.slice(0, all.indexOf('Summe Förderbescheid'));
        let lastPage = 0;
        for (const sc of e.schools) {
            const needle = `(${sc.school_number})`;
            assert.equal(count(table, needle), 1, `school ${sc.school_number} appears ${count(table, needle)} times in the table`);
            const p = pageOf(needle);
            assert.ok(texts[p].includes(money(sc.spend_cents)), `row of ${sc.school_number} cut across pages`);
            assert.ok(p >= lastPage, 'rows in order');
            if (p > lastPage) assert.ok(texts[p].includes('Geliefert (Lieferliste)') && texts[p].includes('Über Obergrenze'), `table header repeated on page ${p + 1}`);
            lastPage = p;
        }
        assert.ok(lastPage >= 1, 'the table runs over more than one page');
        const totalPage = pageOf('Summe Förderbescheid');
        assert.ok(totalPage >= lastPage, 'the total row after the last school');
        assert.equal(count(all, 'Summe Förderbescheid'), 1);

        // Pictures of the pages for a person to look at.
        await poppler('pdftoppm', ['-png', '-r', '60', pdf, path.join(artifactsDir(), 'funding-print-page')]);
        assert.deepEqual(page.problems, []);
    });
});

test('Funding_UnknownGrantSaysSoAndOffersAllGrants', async () => {
    await withPage(s.browser, s.server, 'funding unknown', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, '/funding?grant_id=999999', 'funding-unknown');
        await page.getByText('Förderbescheid 999999 wurde nicht gefunden').waitFor();
        await page.getByRole('link', { name: 'Alle Förderbescheide anzeigen' }).click();
        await page.waitForURL((url) => url.pathname === '/funding' && !url.search);
        await page.getByRole('table', { name: 'Förderbescheide: Ausgaben, Restmittel und Fristen' }).waitFor();
        await screenshot(page, s.server, 'funding-after-unknown');
    });
});
