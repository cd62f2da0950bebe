// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The vendor connections on municipal IT's overview (issue 12), against the real paktd and the
// fake vendor APIs (pakt_fake_vendors): Apple School Manager fills a delivery's list from its
// order number and says which device it released, Jamf School reports enrolled devices as
// managed and the others as unknown devices of the school, and a Relution connection with a
// wrong access token fails with an error that does not give the token away. Every figure the
// page shows must be the API's and what the fixture implies; the result is announced in the
// live region, the keyboard focus stays on the button, axe finds nothing serious.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
    eventually, loginCookie, mainText, screenshot, seriousViolations, settled, visit, withPage,
} from './support/browser.mjs';
import { artifactsDir, schools, users } from './support/env.mjs';
import { startFakeVendors } from './support/fake_vendors.mjs';
import { suite } from './support/suite.mjs';

// ---- the scenario -------------------------------------------------------------------------------

// A delivery booked through the API below with an order number no demo delivery has.
const kOrder = 'PAKT-UI-4711';
const kSerials = ['DMPUIA000001', 'DMPUIA000002', 'DMPUIA000003', 'DMPUIA000004'];
const [kManaged, kUnmanaged, kNotEnrolled, kReleased] = kSerials;
const kEnrolled = [kManaged, kUnmanaged, kReleased];
const kReleasedAt = '2026-11-20T09:30:00.000Z';
const kOtherOrderSerial = 'DMPUIB000001'; // an order no delivery names
const kUnknownSerial = 'DMPUIC000001';    // in Jamf School at the school, enrolled nowhere
const kUnmappedLocations = [[2, 'Lager Zentrale'], [3, 'Werkstatt'], [4, 'Ausleihe Rathaus'], [5, 'Testgeräte']];

const kFixture = {
    asm: [
        ...kSerials.map((serial) => ({
            serial, order_number: kOrder,
            ...(serial === kReleased ? { released_from_org: kReleasedAt, status: 'UNASSIGNED' } : {}),
        })),
        { serial: kOtherOrderSerial, order_number: '4500999999' },
        { serial: 'not a serial!', order_number: kOrder },
    ],
    jamf_locations: [[1, 'Viktoria-Gymnasium'], ...kUnmappedLocations],
    jamf: [
        { udid: 'udid-1', serial: kManaged, location_id: 1, managed: true, battery: 0.87, os_version: '17.5.1', asset_tag: 'VG-UI-1', last_checkin: '2026-11-30 08:15:00' },
        { udid: 'udid-2', serial: kUnmanaged, location_id: 1, managed: false, battery: 0.42, os_version: '17.4' },
        { udid: 'udid-3', serial: kUnknownSerial, location_id: 1 },
        ...kUnmappedLocations.map(([id], i) => ({ udid: `udid-x${i}`, serial: `DMPUID00000${i + 2}`, location_id: id })),
    ],
    relution: [{ uuid: 'r-1', serial: kManaged, organization_uuid: 'org-viktoria', last_connection_ms: 1_764_490_500_000 }],
};

// What the fixture implies for the runs' counts.
const kAsmCounts = {
    devices: kSerials.length + 1, orders: 2, matched_orders: 1, unmatched_devices: 1, tranches_filled: 1,
    manifest_added: kSerials.length, already_present: 0, released: 1, newly_released: 1, invalid_serials: 1,
};
const kJamfCounts = {
    devices: kFixture.jamf.length, enrolled: 2, managed: 1, unknown_sightings: 1,
    unmapped: kUnmappedLocations.length, other_school: 0, events: 0, invalid_serials: 0,
};
const kAsmLabels = {
    devices: 'Geräte in Apple School Manager', orders: 'Bestellungen', matched_orders: 'Bestellungen mit passender Lieferung',
    unmatched_devices: 'Geräte ohne passende Lieferung', tranches_filled: 'Lieferungen ergänzt', manifest_added: 'Neu auf Lieferlisten',
    already_present: 'Schon auf der Lieferliste', released: 'Aus Apple School Manager freigegeben',
    newly_released: 'Davon seit dem letzten Abgleich freigegeben', invalid_serials: 'Ungültige Seriennummern',
};
const kJamfLabels = {
    devices: 'Geräte im MDM', enrolled: 'In Pakt erfasst', managed: 'Erfasst und im MDM verwaltet',
    unknown_sightings: 'Nicht in Pakt erfasst (unbekannte Geräte)', unmapped: 'Ohne zugeordnete Schule',
    other_school: 'An einer anderen Schule als in Pakt', events: 'Änderungen im Geräteverlauf',
    invalid_serials: 'Ungültige Seriennummern',
};
const kOnlyIfAny = ['newly_released', 'events', 'invalid_serials'];

const d = {};
const s = suite('connectors', async () => {
    // A grant still open for deliveries, and the delivery Apple School Manager knows by its order.
    await s.admin.json('POST', '/api/v1/programmes', { code: 'TEST-ANB', name: 'Testprogramm Anbindungen', federal_share_pct: 90 });
    const year = new Date().getFullYear();
    const grant = await s.admin.json('POST', '/api/v1/grants', {
        programme: 'TEST-ANB', reference: `TEST-ANB-${year}-0001`, title: 'Testbescheid Anbindungen',
        amount_cents: 1_000_000, own_contribution_cents: 0, approved_on: `${year - 1}-03-01`, spend_by: `${year + 3}-12-31`,
    });
    d.tranche = await s.admin.json('POST', '/api/v1/tranches', {
        school_number: schools.viktoria, grant_id: grant.id, supplier: 'Testlieferant', order_number: kOrder,
        delivery_note: 'LS-UI-1', delivered_on: `${year - 1}-09-01`, model: 'iPad (10th generation)', unit_price_cents: 39_900,
        expected_count: 5,
    });
    // Enrolled before Apple's list arrives, as happens when the boxes come first.
    const enrolled = await s.admin.json('POST', `/api/v1/tranches/${d.tranche.id}/enrollments`, { serial_numbers: kEnrolled });
    assert.ok(enrolled.results.every((r) => r.status === 'enrolled'), JSON.stringify(enrolled));
}, {
    paktdConfig: async (suiteState) => {
        d.vendors = await startFakeVendors('connectors', kFixture);
        suiteState.onStop(() => d.vendors.stop());
        const r = d.vendors.ready;
        // A token Relution does not know, in a file of its own (owner-only, as paktd demands).
        d.wrongToken = `wrong-${crypto.randomBytes(16).toString('hex')}`;
        d.wrongTokenFile = d.vendors.file('relution-wrong.token');
        fs.writeFileSync(d.wrongTokenFile, `${d.wrongToken}\n`, { mode: 0o600 });
        d.realToken = fs.readFileSync(d.vendors.file('relution.token'), 'utf8').trim();
        const q = (text) => JSON.stringify(text);
        return [
            '[connectors]',
            'interval_s = 0',
            'call_timeout_s = 20',
            'max_attempts = 2',
            'retry_backoff_ms = 50',
            '',
            '[connectors.asm]',
            `client_id = ${q(r.asm_client_id)}`,
            `key_id = ${q(r.asm_key_id)}`,
            `private_key_file = ${q(d.vendors.file('asm-key.pem'))}`,
            `api_url = ${q(r.asm_api_url)}`,
            `token_url = ${q(r.asm_token_url)}`,
            `ca_file = ${q(d.vendors.file('ca.pem'))}`,
            'page_size = 2',
            '',
            '[connectors.jamf_school]',
            `url = ${q(r.jamf_url)}`,
            `network_id = ${q(r.jamf_network_id)}`,
            `api_key_file = ${q(d.vendors.file('jamf.key'))}`,
            `ca_file = ${q(d.vendors.file('ca.pem'))}`,
            '',
            '[connectors.jamf_school.locations]',
            `"1" = ${q(schools.viktoria)}`,
            '',
            '[connectors.relution]',
            `url = ${q(r.relution_url)}`,
            `access_token_file = ${q(d.wrongTokenFile)}`,
            `ca_file = ${q(d.vendors.file('ca.pem'))}`,
            '',
            '[connectors.relution.organisations]',
            `"org-viktoria" = ${q(schools.viktoria)}`,
        ].join('\n');
    },
});

// ---- helpers ------------------------------------------------------------------------------------

const ws = (text) => text.replace(/\s+/g, ' ').trim();

async function overview(page, name) {
    const h1 = await visit(page, s.server, '/', name);
    assert.equal(await h1.innerText(), 'Übersicht für den Schulträger');
    await page.getByRole('heading', { name: 'Anbindungen', level: 2 }).waitFor();
    await page.getByRole('article', { name: 'Relution' }).waitFor();
}

/** A description list (found by its label) as { term: definition }, whitespace collapsed. */
async function pairs(scope, label) {
    const dl = scope.getByLabel(label, { exact: true });
    await dl.waitFor();
    return dl.evaluate((el) => Object.fromEntries([...el.querySelectorAll('.kern-description-list-item')].map((item) =>
        [item.querySelector('dt').innerText, item.querySelector('dd').innerText].map((x) => x.replace(/\s+/g, ' ').trim()))));
}

/** A screenshot of just `locator` (a card, a section) to <artifacts>/connectors-<name>.png. */
async function shot(locator, name) {
    await locator.screenshot({ path: path.join(artifactsDir(), `${s.server.name}-${name}.png`) });
}

async function connector(name) {
    return (await s.admin.get('/api/v1/connectors')).connectors.find((c) => c.name === name);
}

/**
 * Presses "Jetzt abgleichen" of `title` with the keyboard and waits until the card says the run
 * finished with `outcome` and the live region said so; the focus must stay on the button.
 * Returns the card.
 */
async function syncNow(page, title, outcome) {
    const card = page.getByRole('article', { name: title });
    const button = card.getByRole('button', { name: `Jetzt abgleichen: ${title}` });
    await button.focus();
    await page.keyboard.press('Enter');
    const done = outcome === 'ok' ? `Abgleich mit ${title} erfolgreich.` : `Abgleich mit ${title} fehlgeschlagen: `;
    await eventually(async () => {
        const live = await page.locator('#live').innerText();
        assert.ok(live.startsWith(done), `live region: "${live}"`);
    }, { timeout: 60_000 });
    const status = await pairs(card, `Stand der Anbindung ${title}`);
    assert.equal(status.Zustand, 'bereit');
    assert.match(status['Letzter Abgleich'], new RegExp(`^${outcome === 'ok' ? 'erfolgreich' : 'fehlgeschlagen'} \\d{2}\\.\\d{2}\\.\\d{4}, \\d{2}:\\d{2}, von Hand angefordert von admin$`));
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), `Jetzt abgleichen: ${title}`,
        'the focus stays on the button');
    const text = ws(await card.innerText());
    assert.doesNotMatch(text, /\b(null|undefined|NaN)\b|connectors\./, text);
    return card;
}

/** What the card's counts must read for `counts` (the API's), in German. */
function expectedCounts(counts, conflicts, labels) {
    const out = {};
    for (const [k, label] of Object.entries(labels)) {
        if (counts[k] === undefined || (kOnlyIfAny.includes(k) && !counts[k])) continue;
        out[label] = new Intl.NumberFormat('de-DE').format(counts[k]);
    }
    out.Konflikte = String(conflicts);
    return out;
}

// ---- tests ----------------------------------------------------------------------------------------

test('Connectors_SectionShowsEachConnectionReadyAndNeverRun', async () => {
    await withPage(s.browser, s.server, 'connectors ready', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await overview(page, 'connectors-ready');
        const api = await s.admin.get('/api/v1/connectors');
        assert.deepEqual(api.connectors.map((c) => [c.name, c.state, c.last_run]),
            [['asm', 'idle', null], ['jamf_school', 'idle', null], ['relution', 'idle', null]]);
        for (const title of ['Apple School Manager', 'Jamf School', 'Relution']) {
            const card = page.getByRole('article', { name: title });
            assert.deepEqual(await pairs(card, `Stand der Anbindung ${title}`), {
                Zustand: 'bereit',
                'Letzter Abgleich': 'noch keiner',
                'Letzter erfolgreicher Abgleich': 'noch nie',
                'Nächster geplanter Abgleich': 'nur auf Anforderung',
            });
            await card.getByRole('button', { name: `Jetzt abgleichen: ${title}` }).waitFor();
        }
        await shot(page.getByRole('region', { name: 'Anbindungen' }), 'ready-section');
        assert.deepEqual(await seriousViolations(page), []);
        assert.deepEqual(page.problems, []);
    });
});

test('Connectors_AsmSyncFillsTheDeliveryListAndShowsTheReleasedDevice', async () => {
    await withPage(s.browser, s.server, 'connectors asm', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await overview(page, 'connectors-asm-before');
        const card = await syncNow(page, 'Apple School Manager', 'ok');

        const asm = await connector('asm');
        assert.equal(asm.last_run.outcome, 'ok', JSON.stringify(asm.last_run));
        for (const [k, v] of Object.entries(kAsmCounts)) assert.equal(asm.last_run.counts[k], v, `counts.${k}: ${JSON.stringify(asm.last_run.counts)}`);
        assert.equal(asm.last_run.conflicts.length, 1);
        assert.equal(asm.last_success_at, asm.last_run.finished_at);
        const shown = await pairs(card, 'Ergebnis des letzten Abgleichs mit Apple School Manager');
        assert.deepEqual(shown, expectedCounts(asm.last_run.counts, asm.last_run.conflicts.length, kAsmLabels));
        assert.equal(shown['Neu auf Lieferlisten'], String(kSerials.length), 'every device of the order joined the delivery list');
        // The one conflict, in German, naming what Apple sent; no "show all" for one.
        const conflicts = card.getByRole('list', { name: 'Die ersten 1 Konflikte beim Abgleich mit Apple School Manager' });
        assert.deepEqual((await conflicts.getByRole('listitem').allInnerTexts()).map(ws),
            [`Apple führt „${asm.last_run.conflicts[0].serial_number}“, das ist keine Seriennummer, die Pakt annimmt.`]);
        assert.equal(await card.getByText(/Konflikte anzeigen/).count(), 0);
        await screenshot(page, s.server, 'connectors-asm-after');
        await shot(card, 'asm-card');
        assert.deepEqual(await seriousViolations(page), []);

        // The delivery: its list from Apple, the released device among "Aus Apple School Manager freigegeben".
        const rec = await s.admin.get(`/api/v1/tranches/${d.tranche.id}/reconciliation`);
        assert.deepEqual(rec.released, [kReleased]);
        assert.deepEqual(rec.missing, [kNotEnrolled]);
        const tr = await s.admin.get(`/api/v1/tranches/${d.tranche.id}`);
        assert.equal(tr.progress.in_manifest, kSerials.length);
        await page.goto(`/tranches/${d.tranche.id}`);
        await settled(page);
        const released = page.getByRole('heading', { name: 'Aus Apple School Manager freigegeben (1 Geräte)' });
        await released.waitFor();
        const releasedBlock = released.locator('xpath=..');
        assert.deepEqual(await releasedBlock.getByRole('listitem').allInnerTexts(), [kReleased]);
        // Enrolled, so it has a page.
        await releasedBlock.getByRole('link', { name: kReleased }).waitFor();
        await page.getByRole('heading', { name: 'Auf der Lieferliste, aber noch nicht erfasst (1 Geräte)' }).waitFor();
        await screenshot(page, s.server, 'connectors-tranche-released');
        assert.deepEqual(await seriousViolations(page), []);

        // The released device: Apple School Manager's record, and the release in its history.
        await releasedBlock.getByRole('link', { name: kReleased }).click();
        await page.waitForURL((url) => url.pathname === `/devices/${kReleased}`);
        await settled(page);
        const record = await pairs(page, 'Stand in Apple School Manager');
        const device = await s.admin.get(`/api/v1/devices/${kReleased}`);
        assert.equal(device.apple_school_manager.order_number, kOrder);
        const when = (iso) => new Intl.DateTimeFormat('de-DE', { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Berlin' }).format(new Date(iso));
        assert.deepEqual(record, {
            Bestellnummer: kOrder,
            Status: 'nicht zugewiesen',
            'In die Organisation aufgenommen': when(device.apple_school_manager.added_to_org_at),
            'Aus der Organisation freigegeben': `freigegeben ${when(kReleasedAt)}`,
        });
        const event = page.getByRole('table', { name: 'Verlauf des Geräts, neueste zuerst' }).getByRole('row', { name: /aus Apple School Manager freigegeben/ });
        assert.match(ws(await event.innerText()), /^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} aus Apple School Manager freigegeben Apple School Manager \(Anbindung\) Bestellnummer: PAKT-UI-4711 · freigegeben am: 20\.11\.2026, 10:30$/);
        assert.ok((await mainText(page)).includes('Kein MDM hat dieses Gerät gemeldet.'));
        await screenshot(page, s.server, 'connectors-device-released');
        assert.deepEqual(await seriousViolations(page), []);
        assert.deepEqual(page.problems, []);
    });
});

test('Connectors_JamfSyncShowsManagedAndUnknownDevicesAndEveryConflict', async () => {
    await withPage(s.browser, s.server, 'connectors jamf', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await overview(page, 'connectors-jamf-before');
        const card = await syncNow(page, 'Jamf School', 'ok');

        const jamf = await connector('jamf_school');
        assert.equal(jamf.last_run.outcome, 'ok', JSON.stringify(jamf.last_run));
        for (const [k, v] of Object.entries(kJamfCounts)) assert.equal(jamf.last_run.counts[k], v, `counts.${k}: ${JSON.stringify(jamf.last_run.counts)}`);
        assert.equal(jamf.last_run.conflicts.length, kUnmappedLocations.length);
        assert.deepEqual(await pairs(card, 'Ergebnis des letzten Abgleichs mit Jamf School'),
            expectedCounts(jamf.last_run.counts, jamf.last_run.conflicts.length, kJamfLabels));

        // The first three conflicts, and all of them behind "show all".
        const unmapped = ([id, name]) => `Der MDM-Standort „${id}“ (${name}) gehört zu keiner Schule: tragen Sie ihn in paktd.toml in die Standort-Tabelle der Anbindung ein.`;
        const first = card.getByRole('list', { name: 'Die ersten 3 Konflikte beim Abgleich mit Jamf School' });
        assert.deepEqual((await first.getByRole('listitem').allInnerTexts()).map(ws), kUnmappedLocations.slice(0, 3).map(unmapped));
        const all = card.getByRole('list', { name: 'Alle Konflikte beim Abgleich mit Jamf School' });
        assert.equal(await all.isVisible(), false);
        await card.getByText(`Alle ${kUnmappedLocations.length} Konflikte anzeigen`).click();
        await all.waitFor();
        assert.deepEqual((await all.getByRole('listitem').allInnerTexts()).map(ws), kUnmappedLocations.map(unmapped));
        await screenshot(page, s.server, 'connectors-jamf-after');
        await shot(card, 'jamf-card');
        assert.deepEqual(await seriousViolations(page), []);

        // A managed device: Jamf School's view on its page.
        await visit(page, s.server, `/devices/${kManaged}`, 'connectors-device-managed');
        const device = await s.admin.get(`/api/v1/devices/${kManaged}`);
        assert.deepEqual(device.mdm.map((m) => [m.source, m.managed, m.battery_pct]), [['jamf_school', true, 87]]);
        const mdm = await pairs(page, 'Stand in Jamf School');
        assert.equal(mdm.Verwaltet, 'ja');
        assert.equal(mdm.Betriebssystem, '17.5.1');
        assert.equal(mdm.Akku, '87 %');
        assert.equal(mdm['Inventarnummer im MDM'], 'VG-UI-1');
        assert.match(mdm['Letzte Meldung ans MDM'], /^30\.11\.2026, \d{2}:15$/);
        assert.match(mdm['Schule laut MDM'], new RegExp(`\\(${schools.viktoria}\\)$`));
        assert.deepEqual(await seriousViolations(page), []);

        // The device Jamf School knows and Pakt does not: an unknown device of the school, from Jamf School.
        const unknown = await s.admin.get(`/api/v1/schools/${schools.viktoria}/unknown-devices?limit=50`);
        const sighting = unknown.items.find((u) => u.serial_number === kUnknownSerial);
        assert.deepEqual([sighting?.source, sighting?.agent_id], ['jamf_school', null]);
        await visit(page, s.server, `/agents?school_number=${schools.viktoria}`, 'connectors-unknown-devices');
        const row = page.getByRole('table', { name: /^Unbekannte Geräte im Netz der Schule/ }).getByRole('row', { name: new RegExp(kUnknownSerial) });
        const cells = (await row.evaluate((tr) => [...tr.children].map((c) => c.innerText.trim())));
        assert.equal(cells[0], kUnknownSerial);
        assert.equal(cells.at(-1), 'Jamf School (MDM)');
        assert.deepEqual(page.problems, []);
    });
});

test('Connectors_FailedRunShowsTheErrorButNotTheToken', async () => {
    await withPage(s.browser, s.server, 'connectors relution', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await overview(page, 'connectors-relution-before');
        const card = await syncNow(page, 'Relution', 'failed');

        const relution = await connector('relution');
        assert.equal(relution.last_run.outcome, 'failed');
        assert.equal(relution.last_success_at, null);
        const error = relution.last_run.error;
        assert.match(error, /refused \(HTTP 401\)/);
        for (const secret of [d.wrongToken, d.realToken]) {
            assert.ok(!error.includes(secret), 'the API\'s error holds no token');
        }
        const text = ws(await card.innerText());
        assert.ok(text.includes('Der Abgleich ist fehlgeschlagen; Pakt hat nichts geändert.'), text);
        assert.ok(text.includes(`Fehlermeldung: ${ws(error)}`), text);
        assert.equal((await pairs(card, 'Stand der Anbindung Relution'))['Letzter erfolgreicher Abgleich'], 'noch nie');
        const live = await page.locator('#live').innerText();
        const whole = await page.evaluate(() => document.documentElement.innerText);
        for (const secret of [d.wrongToken, d.realToken]) {
            assert.ok(!text.includes(secret) && !live.includes(secret) && !whole.includes(secret), 'the page shows no token');
        }
        await screenshot(page, s.server, 'connectors-relution-failed');
        await shot(card, 'relution-card');
        assert.deepEqual(await seriousViolations(page), []);
        assert.deepEqual(page.problems, []);
    });
});
