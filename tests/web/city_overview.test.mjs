// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The overview for municipal IT (issue 10): devices by status over all schools, the rollout
// funnel and the deliveries with the most open devices, silent site agents, grants with their
// share spent and deadlines, and what is at risk (caps exceeded, money unspent at the deadline,
// funded devices stolen or unseen inside the earmarking period). Every figure must be the API's,
// every link must lead to the page that explains it, and axe must find nothing serious.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import { checkin, enrollAgent } from './support/agents.mjs';
import {
    loginCookie, seriousViolations, settled, visit, withPage,
} from './support/browser.mjs';
import { artifactsDir, schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const ws = (text) => text.replace(/\s+/g, ' ').trim();
const money = (cents) => ws(new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(cents / 100));
const pct = (p) => ws(new Intl.NumberFormat('de-DE', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(p / 100));
const pct0 = (f) => ws(new Intl.NumberFormat('de-DE', { style: 'percent', maximumFractionDigits: 0 }).format(f));
const num = (n) => new Intl.NumberFormat('de-DE').format(n);
const deDate = (iso) => iso.split('-').reverse().join('.');
const kStatuses = { in_storage: 'im Lager', in_use: 'im Einsatz', in_repair: 'in Reparatur', lost: 'verloren', stolen: 'gestohlen', retired: 'ausgesondert' };

const d = {};
const s = suite('city_overview', async () => {
    // A site agent that never checked in (silent) and one that just did (on time).
    d.silent = await enrollAgent(s.server, s.admin, schools.antonius, 'pakt-antonius-keller');
    d.onTime = await enrollAgent(s.server, s.admin, schools.viktoria, 'pakt-viktoria-01');
    await checkin(s.server, d.onTime, []);
    // A funded device stolen inside its grant's earmarking period.
    d.stolen = (await s.admin.get(`/api/v1/devices?school_number=${schools.antonius}&status=in_storage&limit=1`)).items[0];
    await s.admin.json('PATCH', `/api/v1/devices/${d.stolen.serial_number}`, { status: 'stolen', note: 'Einbruch' });
    d.stolenTranche = await s.admin.get(`/api/v1/tranches/${d.stolen.tranche_id}`);

    d.funding = await s.admin.get('/api/v1/reports/funding');
    d.rollout = await s.admin.get('/api/v1/reports/rollout');
    d.schools = await s.admin.all('/api/v1/schools');
    // Checked in the tests (a server without it fails them there, not every test here).
    d.earmarkAnswer = await s.admin.call('GET', '/api/v1/reports/earmark');
    d.earmark = d.earmarkAnswer.json;
});

/** Body rows of the table named `name`, as arrays of cell texts. */
async function tableRows(page, name) {
    const table = page.getByRole('table', { name });
    await table.waitFor();
    return table.evaluate((t) => [...t.querySelectorAll('tbody tr')].map((tr) =>
        [...tr.children].map((c) => c.innerText.replace(/\s+/g, ' ').trim())));
}

async function overview(page, name) {
    const h1 = await visit(page, s.server, '/', name);
    assert.equal(await h1.innerText(), 'Übersicht für den Schulträger');
    // Every block has answered.
    await page.getByRole('table', { name: 'Geräte aller Schulen nach Status' }).waitFor();
    await page.getByRole('table', { name: 'Förderbescheide: verwendeter Anteil und Fristen' }).waitFor();
    await page.getByRole('heading', { name: 'Handlungsbedarf' }).waitFor();
    await page.locator('#risks .app-loading').waitFor({ state: 'detached' });
    await settled(page);
}

test('CityOverview_ShowsTheFiguresTheApiGives', async () => {
    await withPage(s.browser, s.server, 'city overview', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await overview(page, 'city-overview');

        // Devices by status: the sum over every school's counts (GET /schools), an independent source.
        const byStatus = Object.fromEntries(Object.keys(kStatuses).map((k) => [k, 0]));
        let total = 0;
        for (const sc of d.schools) {
            total += sc.device_counts.total;
            for (const k of Object.keys(byStatus)) byStatus[k] += sc.device_counts.by_status[k] ?? 0;
        }
        assert.equal(byStatus.stolen >= 1, true);
        const statusRows = Object.fromEntries((await tableRows(page, 'Geräte aller Schulen nach Status')).map((r) => [r[0], r[1]]));
        assert.deepEqual(statusRows, Object.fromEntries(Object.entries(kStatuses).map(([k, label]) => [label, num(byStatus[k])])));
        const main = ws(await page.getByRole('main').innerText());
        assert.ok(main.includes(`Geräte an allen Schulen: ${num(total)}`));

        // The rollout funnel over all deliveries, and the deliveries with the most open devices.
        const tot = d.rollout.totals;
        const funnel = await tableRows(page, 'Rollout aller Lieferungen: Geräte je Schritt');
        assert.deepEqual(funnel, [
            ['bestellt', num(tot.expected), pct0(1)],
            ['auf der Lieferliste', num(tot.in_manifest), pct0(tot.in_manifest / tot.expected)],
            ['erfasst', num(tot.enrolled), pct0(tot.enrolled / tot.expected)],
            ['im MDM verwaltet', num(tot.managed), pct0(tot.managed / tot.expected)],
            ['in 7 Tagen gesehen', num(tot.seen_last_7_days), pct0(tot.seen_last_7_days / tot.expected)],
        ]);
        assert.ok(main.includes(`Lieferungen: ${num(tot.tranches)}; erfasst: ${num(tot.enrolled)} von ${num(tot.expected)} bestellten Geräten.`));
        const open = (r) => Math.max(0, r.expected - r.enrolled);
        const top = [...d.rollout.items].sort((a, b) => open(b) - open(a) || b.missing - a.missing || a.tranche_id - b.tranche_id).slice(0, 10);
        const openRows = await tableRows(page, `Lieferungen mit den meisten noch nicht erfassten Geräten (erste ${top.length})`);
        assert.deepEqual(openRows.map((r) => r[0].match(/^Lieferung (\d+):/)?.[1]), top.map((r) => String(r.tranche_id)));
        for (const [i, r] of top.entries()) {
            assert.deepEqual(openRows[i].slice(3), [num(r.in_manifest), num(r.managed), num(r.seen_last_7_days), num(open(r))]);
            assert.ok(openRows[i][1].endsWith(`(${r.school_number})`));
        }

        // Grants: share spent, spend_by, earmark end, deadline state.
        const grantRows = await tableRows(page, 'Förderbescheide: verwendeter Anteil und Fristen');
        assert.equal(grantRows.length, d.funding.grants.length);
        for (const [i, g] of d.funding.grants.entries()) {
            const r = grantRows[i];
            assert.equal(r[0], g.reference);
            assert.equal(r[1], g.programme);
            assert.equal(r[2], `${money(g.spend_cents)} von ${money(g.amount_cents)} (${pct(g.share_used_pct)})`);
            assert.ok(r[3].startsWith(deDate(g.spend_by)), r[3]);
            assert.equal(r[4], deDate(g.earmark_end));
            assert.equal(r[5], g.at_risk ? { spend_by_passed: 'Frist abgelaufen', spend_by_near: 'Frist naht' }[g.at_risk_reason] : 'im Plan');
        }

        // What is at risk: every item the API's figures call for, and no other.
        assert.equal(d.earmarkAnswer.status, 200, `GET /reports/earmark: ${d.earmarkAnswer.text}`);
        const expected = [];
        for (const g of d.funding.grants) {
            if (g.at_risk) expected.push(`${g.reference}: ${g.at_risk_reason === 'spend_by_passed' ? 'nicht verwendet' : 'noch nicht verwendet'} ${money(g.remaining_cents)}; Frist ${deDate(g.spend_by)}, `);
            if (g.schools_above_school_cap.length) expected.push(`${g.reference}: über der Obergrenze je Schule (${money(g.max_per_school_cents)}): `);
            if (g.tranches_above_unit_cap.length) expected.push(`${g.reference}: Stückpreis über dem Höchstbetrag je Gerät (${money(g.max_unit_price_cents)}) in Lieferungen: ${num(g.tranches_above_unit_cap.length)}, betroffene Geräte: ${num(g.devices_above_unit_cap)}.`);
        }
        for (const e of d.earmark.items) {
            if (e.lost) expected.push(`${e.reference}: geförderte Geräte verloren: ${num(e.lost)} (Zweckbindung bis ${deDate(e.earmark_end)}).`);
            if (e.stolen) expected.push(`${e.reference}: geförderte Geräte gestohlen: ${num(e.stolen)} (Zweckbindung bis ${deDate(e.earmark_end)}).`);
            if (e.unseen_30_days) expected.push(`${e.reference}: geförderte Geräte seit 30 Tagen nicht gesehen: ${num(e.unseen_30_days)} von ${num(e.enrolled)} (Zweckbindung bis ${deDate(e.earmark_end)}).`);
        }
        assert.ok(d.earmark.items.some((e) => e.grant_id === d.stolenTranche.grant_id && e.stolen >= 1), 'the stolen device is in the earmark report');
        const risks = await page.locator('#risks li').evaluateAll((lis) => lis.map((li) => li.innerText.replace(/\s+/g, ' ').trim()));
        assert.equal(risks.length, expected.length, risks.join('\n'));
        for (const want of expected) assert.ok(risks.some((r) => r.includes(want)), `no risk item "${want}" in\n${risks.join('\n')}`);

        // Silent site agents: the one that never checked in, not the one on time.
        const agentRows = await tableRows(page, 'Standort-Agenten ohne Meldung');
        const silentRow = agentRows.find((r) => r[1] === 'pakt-antonius-keller');
        assert.ok(silentRow, JSON.stringify(agentRows));
        assert.ok(silentRow[0].endsWith(`(${schools.antonius})`));
        assert.equal(silentRow[3], 'noch nie');
        assert.ok(!agentRows.some((r) => r[1] === 'pakt-viktoria-01'));

        assert.deepEqual(await seriousViolations(page), []);
        assert.deepEqual(page.problems, []);
    });
});

test('CityOverview_LinksLeadToThePagesThatExplainThem', async () => {
    const grant = d.funding.grants.find((g) => g.schools_above_school_cap.length) ?? d.funding.grants[0];
    const unitCap = d.funding.grants.find((g) => g.tranches_above_unit_cap.length);
    await withPage(s.browser, s.server, 'city overview links', async ({ context, page }) => {
        await loginCookie(context, users.admin);

        // A grant → its proof of use.
        await overview(page, 'city-overview-links');
        await page.getByRole('table', { name: 'Förderbescheide: verwendeter Anteil und Fristen' })
            .getByRole('link', { name: grant.reference, exact: true }).click();
        await page.waitForURL((url) => url.pathname === '/funding' && url.searchParams.get('grant_id') === String(grant.id));
        await page.getByRole('table', { name: `Ausgaben und Geräte je Schule, ${grant.reference}` }).waitFor();

        // A school above its cap → the same proof of use.
        await overview(page, 'city-overview-links');
        await page.locator('#risks li', { hasText: 'Obergrenze je Schule' }).getByRole('link', { name: `Verwendungsnachweis ${grant.reference}` }).click();
        await page.waitForURL((url) => url.pathname === '/funding' && url.searchParams.get('grant_id') === String(grant.id));

        // A delivery above the cap per device → that delivery.
        assert.ok(unitCap, 'the demo data has a delivery above the cap per device');
        const id = unitCap.tranches_above_unit_cap[0];
        await overview(page, 'city-overview-links');
        await page.locator('#risks li', { hasText: 'Höchstbetrag je Gerät' }).getByRole('link', { name: `Lieferung ${id}`, exact: true }).click();
        await page.waitForURL((url) => url.pathname === `/tranches/${id}`);
        await settled(page);

        // A status → the device list with that status.
        await overview(page, 'city-overview-links');
        await page.getByRole('table', { name: 'Geräte aller Schulen nach Status' }).getByRole('row', { name: /gestohlen/ }).getByRole('link').click();
        await page.waitForURL((url) => url.pathname === '/devices' && url.searchParams.get('status') === 'stolen');
        await settled(page);
        assert.equal(await page.getByLabel('Status', { exact: true }).inputValue(), 'stolen');

        // The delivery with the most open devices → that delivery.
        await overview(page, 'city-overview-links');
        const firstDelivery = page.getByRole('table', { name: /Lieferungen mit den meisten noch nicht erfassten Geräten/ }).getByRole('link', { name: /^Lieferung \d+:/ }).first();
        const deliveryId = (await firstDelivery.innerText()).match(/^Lieferung (\d+):/)[1];
        await firstDelivery.click();
        await page.waitForURL((url) => url.pathname === `/tranches/${deliveryId}`);
        await settled(page);
        await overview(page, 'city-overview-links');
        await page.getByRole('link', { name: /^Alle Lieferungen \(/ }).click();
        await page.waitForURL((url) => url.pathname === '/tranches');

        // A silent agent → the agents of its school.
        await overview(page, 'city-overview-links');
        await page.getByRole('table', { name: 'Standort-Agenten ohne Meldung' }).getByRole('link', { name: new RegExp(`\\(${schools.antonius}\\)$`) }).click();
        await page.waitForURL((url) => url.pathname === '/agents' && url.searchParams.get('school_number') === schools.antonius);
        await settled(page);

        // The stolen funded device → the devices of its grant with that status: exactly the API's list.
        await overview(page, 'city-overview-links');
        const stolenGrant = d.funding.grants.find((g) => g.id === d.stolenTranche.grant_id);
        await page.getByRole('link', { name: `Gestohlene Geräte von ${stolenGrant.reference}` }).click();
        await page.waitForURL((url) => url.pathname === '/devices' && url.searchParams.get('grant_id') === String(stolenGrant.id)
            && url.searchParams.get('status') === 'stolen');
        await settled(page);
        const api = await s.admin.get(`/api/v1/devices?grant_id=${stolenGrant.id}&status=stolen&limit=50`);
        assert.ok(api.items.some((x) => x.serial_number === d.stolen.serial_number));
        assert.equal(api.items.length, d.earmark.items.find((e) => e.grant_id === stolenGrant.id).stolen);
        // Only devices of the grant's deliveries (the list passed grant_id on to the API).
        const grantTranches = new Set(d.rollout.items.filter((r) => r.grant_id === stolenGrant.id).map((r) => `Lieferung ${r.tranche_id}`));
        const deliveries = async () => page.getByRole('table', { name: 'Geräteliste' }).getByRole('link', { name: /^Lieferung \d+$/ }).allInnerTexts();
        assert.ok((await deliveries()).every((x) => grantTranches.has(x)));
        const serials = async () => page.getByRole('table', { name: 'Geräteliste' }).getByRole('rowheader').allInnerTexts();
        assert.deepEqual(await serials(), api.items.map((x) => x.serial_number));

        // Funded devices unseen for 30 days → the devices of that grant the API calls unseen.
        await overview(page, 'city-overview-links');
        await page.getByRole('link', { name: `Nicht gesehene Geräte von ${stolenGrant.reference}` }).click();
        await page.waitForURL((url) => url.pathname === '/devices' && url.searchParams.get('grant_id') === String(stolenGrant.id)
            && url.searchParams.get('unseen_days') === '30');
        await settled(page);
        const unseen = await s.admin.get(`/api/v1/devices?grant_id=${stolenGrant.id}&unseen_days=30&limit=50`);
        assert.deepEqual(await serials(), unseen.items.map((x) => x.serial_number));
        assert.ok((await deliveries()).every((x) => grantTranches.has(x)));
        assert.deepEqual(await seriousViolations(page), []);
        assert.deepEqual(page.problems, []);
    });
});

// This paktd's paktd.toml sets up no connection (tests/web/connectors.test.mjs runs them): each
// says so and where to set it up, and offers nothing to press.
test('CityOverview_ConnectionsNotSetUpSayWhereToSetThemUp', async () => {
    const api = await s.admin.get('/api/v1/connectors');
    assert.deepEqual(api.connectors.map((c) => [c.name, c.configured, c.state]),
        [['asm', false, 'not_configured'], ['jamf_school', false, 'not_configured'], ['relution', false, 'not_configured']]);
    await withPage(s.browser, s.server, 'city overview connections', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await overview(page, 'city-overview-connections');
        const section = page.getByRole('region', { name: 'Anbindungen' });
        for (const c of api.connectors) {
            const card = section.getByRole('article', { name: c.title });
            const text = ws(await card.innerText());
            assert.equal(text, `${c.title} Zustand nicht eingerichtet Einrichten in paktd.toml im Abschnitt [connectors.${c.name}]; ` +
                'wie, steht in der README im Abschnitt „Connectors“.');
            assert.equal(await card.getByRole('button').count(), 0);
        }
        await section.screenshot({ path: path.join(artifactsDir(), 'city_overview-connections-section.png') });
        assert.deepEqual(page.problems, []);
    });
});
