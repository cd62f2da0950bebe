// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Municipal IT books a grant and a delivery in the browser, uploads the supplier's delivery list
// (two bad lines: both shown, nothing stored; fixed: stored), corrects the delivery's details
// (audited; frozen once the grant's implementation period ended) and undoes a mistaken
// enrollment from the device page; every result checked through the API, the new pages checked
// with axe-core (issue 10, "Grants and programmes", "Deliveries", "Corrections").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
    eventually, loginCookie, mainText, screenshot, seriousViolations, settled, visit, withPage,
} from './support/browser.mjs';
import { schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const year = new Date().getFullYear();
const kGrant = {
    reference: `TEST-LIEF-${year}-0042`,
    title: 'Leihgeräte für die Frida-Levy-Gesamtschule',
    approvedOn: `${year - 1}-03-15`,
    spendBy: `${year + 4}-12-31`,
};
// Serials of the delivery list: five devices, none in the demo data.
const kSerials = ['DMPTST0001A1', 'DMPTST0002B2', 'DMPTST0003C3', 'DMPTST0004D4', 'DMPTST0005E5'];

const d = {};
const s = suite('deliveries', async () => {
    const tranches = await s.admin.tranchesBySchool();
    // A demo delivery whose grant's implementation period has ended (the demo grants' have).
    d.demoTranche = tranches[schools.viktoria].find((t) => t.expected_count === 250);
    const stored = await s.admin.get(
        `/api/v1/devices?tranche_id=${d.demoTranche.id}&status=in_storage&limit=50`);
    d.frozenDevice = stored.items.find((x) => !x.current_loan).serial_number;
});

function csv(rows) {
    return ['serial_number,model,asset_tag', ...rows].join('\r\n') + '\r\n';
}

async function auditEntries(filter) {
    const page = await s.admin.get('/api/v1/audit?limit=200');
    return page.items.filter(filter);
}

async function expectNoViolations(page, what) {
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], `axe on ${what}:\n  ${violations.join('\n  ')}`);
}

test('Grants_ANewGrantBookedInTheBrowserIsStoredWithItsEarmarkingPeriod', async () => {
    await withPage(s.browser, s.server, 'grant create', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        const h1 = await visit(page, s.server, '/grants', 'grants-list');
        assert.equal(await h1.innerText(), 'Förderbescheide');
        // The demo grants with their programme's caps next to them.
        const list = await mainText(page);
        assert.match(list, /DEMO-BR-D-2021-0815/);
        assert.match(list, /höchstens 25\.000,00 € je Schule/);
        assert.match(list, /höchstens 500,00 € je Gerät/);
        assert.match(list, /31\.12\.2029/, 'earmarking period of the DigitalPakt grant');
        await eventually(async () => assert.match(await mainText(page), /5,07 %/), { timeout: 10_000 });

        await page.getByText('Neuen Förderbescheid erfassen').click();
        const form = page.locator('#grant-create');
        await form.getByRole('button', { name: 'Förderbescheid speichern' }).click();
        const summary = form.getByRole('alert');
        await eventually(async () => {
            const text = await summary.innerText();
            assert.match(text, /Förderprogramm/);
            assert.match(text, /Aktenzeichen/);
            assert.match(text, /Bewilligter Betrag/);
        });
        await expectNoViolations(page, '/grants with the form and its errors');
        await screenshot(page, s.server, 'grant-create-errors');

        await form.getByLabel('Förderprogramm').selectOption('DP-SOFORT');
        await form.getByLabel('Aktenzeichen').fill(kGrant.reference);
        await form.getByLabel('Bezeichnung').fill(kGrant.title);
        await form.getByLabel('Bewilligter Betrag').fill('150.000,00');
        await form.getByLabel('Eigenanteil').fill('1.500');
        await form.getByLabel('Bewilligt am').fill(kGrant.approvedOn);
        await form.getByLabel('Ende des Durchführungszeitraums').fill(kGrant.spendBy);
        await eventually(async () => assert.match(await form.innerText(), new RegExp(`Zweckbindung bis 31\\.12\\.${year + 9}`)));
        await form.getByRole('button', { name: 'Förderbescheid speichern' }).click();
        await page.waitForURL(/\/grants\/\d+$/);
        await settled(page);
        const text = await mainText(page);
        assert.match(text, new RegExp(`Förderbescheid ${kGrant.reference} gespeichert`));
        assert.match(text, /150\.000,00 €/);
        assert.match(text, /höchstens 500,00 € je Gerät/);
        await screenshot(page, s.server, 'grant-page');
        await expectNoViolations(page, '/grants/{id}');
    });

    const grants = await s.admin.all('/api/v1/grants');
    const grant = grants.find((g) => g.reference === kGrant.reference);
    assert.ok(grant, 'the grant is stored');
    assert.equal(grant.programme, 'DP-SOFORT');
    assert.equal(grant.title, kGrant.title);
    assert.equal(grant.amount_cents, 15_000_000);
    assert.equal(grant.own_contribution_cents, 150_000);
    assert.equal(grant.approved_on, kGrant.approvedOn);
    assert.equal(grant.spend_by, kGrant.spendBy);
    assert.equal(grant.earmark_end, `${year + 9}-12-31`);
    d.grant = grant;
});

test('Grants_EditingAGrantChangesItAndKeepsItsProgramme', async () => {
    assert.ok(d.grant, 'the grant of the first test');
    await withPage(s.browser, s.server, 'grant edit', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, `/grants/${d.grant.id}`, 'grant-page-before-edit');
        await page.getByText('Angaben ändern').click();
        const form = page.locator('#grant-edit');
        await form.getByLabel('Bewilligter Betrag').fill('abc');
        await form.getByRole('button', { name: 'Änderungen speichern' }).click();
        await eventually(async () => assert.match(await form.getByRole('alert').innerText(), /Betrag in Euro/));
        await form.getByLabel('Bewilligter Betrag').fill('160.000,50');
        await form.getByRole('button', { name: 'Änderungen speichern' }).click();
        await eventually(async () => assert.match(await mainText(page), /Änderungen gespeichert/));
        assert.match(await mainText(page), /160\.000,50 €/);
        await screenshot(page, s.server, 'grant-edited');
    });
    const grant = await s.admin.get(`/api/v1/grants/${d.grant.id}`);
    assert.equal(grant.amount_cents, 16_000_050);
    assert.equal(grant.programme, 'DP-SOFORT');
    d.grant = grant;
});

test('Deliveries_ADeliveryIsBookedForASchoolFoundBySearchAndTheNewGrant', async () => {
    assert.ok(d.grant, 'the grant of the first test');
    await withPage(s.browser, s.server, 'delivery create', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, `/grants/${d.grant.id}`, 'grant-page-before-delivery');
        await page.getByRole('link', { name: 'Lieferung aus diesem Bescheid anlegen' }).click();
        await page.waitForURL(/\/tranches\?/);
        await settled(page);
        const form = page.locator('#delivery-create');
        assert.equal(await form.isVisible(), true, 'the form is open');
        assert.equal(await form.getByLabel('Förderbescheid').inputValue(), String(d.grant.id), 'the grant is chosen');
        await eventually(async () => assert.match(await form.innerText(), /500,00\s€ je Gerät/));

        // The school by a search: "Frida" → Frida-Levy-Gesamtschule.
        const search = form.getByRole('searchbox', { name: /Schule suchen/ });
        await search.fill('Frida');
        await search.press('Enter');
        const choice = form.getByRole('button', { name: new RegExp(`\\(${schools.fridaLevy}\\)`) });
        await choice.waitFor();
        await expectNoViolations(page, '/tranches with the new-delivery form and search results');
        await screenshot(page, s.server, 'delivery-create-search');
        await choice.click();
        assert.equal(await form.getByLabel('Schulnummer').inputValue(), schools.fridaLevy);
        await eventually(async () => assert.match(await form.innerText(), /Gewählt: Frida-Levy/));

        await form.getByLabel('Geliefert am').fill(`${year}-01-20`);
        await form.getByLabel('Modell').fill('iPad (10th generation) Wi-Fi 64GB');
        await form.getByLabel('Stückpreis (brutto)').fill('389,00');
        await form.getByLabel('Bestellte Anzahl').fill('5');
        await form.getByLabel('Lieferant').fill('Bechtle AG');
        await form.getByLabel('Bestellnummer').fill('4500999001');
        await form.getByLabel('Lieferschein').fill('LS-99001');
        await form.getByRole('button', { name: 'Lieferung anlegen' }).click();
        await page.waitForURL(/\/tranches\/\d+$/);
        await settled(page);
        assert.match(await mainText(page), /Lieferung \d+ angelegt/);
        d.trancheId = Number(new URL(page.url()).pathname.split('/').pop());
        await screenshot(page, s.server, 'delivery-created');
    });
    const tranche = await s.admin.get(`/api/v1/tranches/${d.trancheId}`);
    assert.equal(tranche.school_number, schools.fridaLevy);
    assert.equal(tranche.grant_id, d.grant.id);
    assert.equal(tranche.unit_price_cents, 38_900);
    assert.equal(tranche.expected_count, 5);
    assert.equal(tranche.supplier, 'Bechtle AG');
    assert.equal(tranche.order_number, '4500999001');
    assert.equal(tranche.delivery_note, 'LS-99001');
    assert.equal(tranche.delivered_on, `${year}-01-20`);
});

test('Deliveries_ADeliveryListWithTwoBadLinesIsRefusedWholeThenStoredOnceFixed', async () => {
    assert.ok(d.trancheId, 'the delivery of the previous test');
    const [a, b, c, dd, e] = kSerials;
    const bad = csv([`${a},iPad,FLG-001`, 'NOT-A-SERIAL!,iPad,FLG-002', `${b},iPad,FLG-003`, `${c},iPad,FLG-004`, `${a},iPad,FLG-005`]);
    const good = csv([`${a},iPad,FLG-001`, `${dd},iPad,FLG-002`, `${b},iPad,FLG-003`, `${c},iPad,FLG-004`, `${e},iPad,FLG-005`]);
    await withPage(s.browser, s.server, 'delivery list', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, `/tranches/${d.trancheId}`, 'delivery-before-list');

        // The keyboard way: the drop zone is a button; Enter opens the file picker.
        const zone = page.getByRole('button', { name: /CSV-Datei hierher ziehen/ });
        await zone.focus();
        const [chooser] = await Promise.all([page.waitForEvent('filechooser'), zone.press('Enter')]);
        await chooser.setFiles({ name: 'lieferliste.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
        await eventually(async () => assert.match(await mainText(page), /Ausgewählt: lieferliste\.csv/));
        await page.getByRole('button', { name: 'Lieferliste hochladen' }).click();

        const table = page.getByRole('table', { name: /Fehlerhafte Zeilen/ });
        await table.waitFor();
        const rows = await table.locator('tbody tr').allInnerTexts();
        assert.equal(rows.length, 2, `two bad lines: ${rows}`);
        assert.match(rows[0].replace(/\s+/g, ' '), /^3 Seriennummer .*NOT-A-SERIAL!.*keine Seriennummer/);
        assert.match(rows[1].replace(/\s+/g, ' '), new RegExp(`^6 Seriennummer .*${a}.*doppelt.*Zeile 2`));
        const text = await mainText(page);
        assert.match(text, /Die Lieferliste wurde nicht gespeichert/);
        assert.match(text, /Es wurde nichts gespeichert/);
        await expectNoViolations(page, '/tranches/{id} with the refused delivery list');
        await screenshot(page, s.server, 'delivery-list-refused');

        let tranche = await s.admin.get(`/api/v1/tranches/${d.trancheId}`);
        assert.equal(tranche.progress.in_manifest, 0, 'nothing stored');
        assert.deepEqual((await s.admin.get(`/api/v1/tranches/${d.trancheId}/reconciliation`)).missing, []);

        // Fixed, and dropped onto the drop zone this time.
        await page.locator('#manifest-drop').evaluate((el, content) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([content], 'lieferliste-korrigiert.csv', { type: 'text/csv' }));
            for (const type of ['dragenter', 'dragover', 'drop']) {
                el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
            }
        }, good);
        await eventually(async () => assert.match(await mainText(page), /Ausgewählt: lieferliste-korrigiert\.csv/));
        await page.getByRole('button', { name: 'Lieferliste hochladen' }).click();
        await eventually(async () => assert.match(await mainText(page),
            /Lieferliste gespeichert\. 5 Zeilen gelesen: 5 neu aufgenommen, 0 standen schon auf der Liste/));
        assert.equal(await page.getByRole('table', { name: /Fehlerhafte Zeilen/ }).count(), 0);
        tranche = await s.admin.get(`/api/v1/tranches/${d.trancheId}`);
        assert.equal(tranche.progress.in_manifest, 5, 'five rows stored');
        const missing = (await s.admin.get(`/api/v1/tranches/${d.trancheId}/reconciliation`)).missing;
        assert.deepEqual([...missing].sort(), [...kSerials].sort());

        // The funnel: chart with a title, and the same figures as a table.
        const chart = page.getByRole('img', { name: `Rollout-Trichter der Lieferung ${d.trancheId}` });
        await eventually(async () => assert.match(await chart.textContent(), /auf der Lieferliste5 \(100\s%\)/));
        const funnel = page.getByRole('table', { name: `Rollout der Lieferung ${d.trancheId} in Zahlen` });
        const funnelRows = (await funnel.locator('tbody tr').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim());
        assert.deepEqual(funnelRows, ['bestellt 5 100 %', 'auf der Lieferliste 5 100 %', 'erfasst 0 0 %',
            'im MDM verwaltet 0 0 %', 'in den letzten 7 Tagen gesehen 0 0 %']);
        // The missing serials are not enrolled: plain text, with the way to the scan page.
        const reconciliation = await mainText(page);
        for (const serial of kSerials) assert.match(reconciliation, new RegExp(serial));
        assert.equal(await page.getByRole('link', { name: kSerials[0] }).count(), 0);
        assert.equal(await page.getByRole('link', { name: 'Jetzt scannen' }).getAttribute('href'), `/tranches/${d.trancheId}/scan`);
        assert.equal(await page.getByRole('link', { name: 'Etiketten drucken' }).getAttribute('href'), `/tranches/${d.trancheId}/labels`);
        await screenshot(page, s.server, 'delivery-list-stored');
    });
});

test('Deliveries_CorrectedDetailsAreStoredAndAuditedFieldByField', async () => {
    assert.ok(d.trancheId, 'the delivery of the previous tests');
    await withPage(s.browser, s.server, 'delivery edit', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, `/tranches/${d.trancheId}`, 'delivery-before-edit');
        await page.getByText('Angaben zur Lieferung ändern').click();
        const form = page.locator('#delivery-edit');
        await form.getByLabel('Lieferant').fill('Cancom GmbH');
        await form.getByLabel('Stückpreis (brutto)').fill('399,00');
        await form.getByRole('button', { name: 'Änderungen speichern' }).click();
        await eventually(async () => assert.match(await mainText(page), /Änderungen an der Lieferung gespeichert/));
        const text = await mainText(page);
        assert.match(text, /399,00 €/);
        assert.match(text, /Cancom GmbH/);
        await screenshot(page, s.server, 'delivery-edited');
    });
    const tranche = await s.admin.get(`/api/v1/tranches/${d.trancheId}`);
    assert.equal(tranche.supplier, 'Cancom GmbH');
    assert.equal(tranche.unit_price_cents, 39_900);
    assert.equal(tranche.order_number, '4500999001', 'unchanged fields stay');
    const [entry] = await auditEntries((x) => x.action === 'tranche.update' && x.object_id === String(d.trancheId));
    assert.ok(entry, 'tranche.update is audited');
    assert.equal(entry.actor, users.admin.username);
    assert.deepEqual(entry.detail.supplier, { from: 'Bechtle AG', to: 'Cancom GmbH' });
    assert.deepEqual(entry.detail.unit_price_cents, { from: 38_900, to: 39_900 });
    assert.equal(entry.detail.order_number, undefined, 'only changed fields are recorded');
});

test('Devices_AMistakenEnrollmentIsUndoneFromTheDevicePage', async () => {
    assert.ok(d.trancheId, 'the delivery of the previous tests');
    const serial = kSerials[0];
    await s.admin.json('POST', '/api/v1/devices', { serial_number: serial, tranche_id: d.trancheId });
    await withPage(s.browser, s.server, 'unenroll', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, `/devices/${serial}`, 'device-before-unenroll');
        const form = page.locator('#unenroll-form');
        await form.getByRole('button', { name: /Erfassung rückgängig machen/ }).click();
        await eventually(async () => assert.match(await form.getByRole('alert').innerText(), /Begründung an/));
        await form.getByLabel('Begründung').fill('In die falsche Lieferung gescannt (gehört zur Lieferung 4)');
        await form.getByRole('button', { name: /Erfassung rückgängig machen/ }).click();
        const yes = form.getByRole('button', { name: 'Ja, Erfassung rückgängig machen' });
        await yes.waitFor();
        assert.match(await form.innerText(), new RegExp(`Erfassung von ${serial} wirklich rückgängig machen`));
        await expectNoViolations(page, '/devices/{serial} with the confirmation');
        await screenshot(page, s.server, 'device-unenroll-confirm');
        await yes.click();
        await page.waitForURL(new RegExp(`/tranches/${d.trancheId}$`));
        await settled(page);
        assert.match(await mainText(page), new RegExp(`Die Erfassung von ${serial} wurde rückgängig gemacht`));
        await screenshot(page, s.server, 'device-unenrolled');
    });
    assert.equal(await s.admin.device(serial), null, 'the device is gone');
    const [entry] = await auditEntries((x) => x.action === 'device.unenroll' && x.object_id === serial);
    assert.ok(entry, 'device.unenroll is audited');
    assert.match(JSON.stringify(entry.detail), /falsche Lieferung/);
    assert.ok((await s.admin.get(`/api/v1/tranches/${d.trancheId}/reconciliation`)).missing.includes(serial));
});

test('Devices_UndoIsRefusedWithTheReasonOnceTheGrantsPeriodEnded', async () => {
    const serial = d.frozenDevice;
    await withPage(s.browser, s.server, 'unenroll refused', async ({ context, page }) => {
        await loginCookie(context, users.it);
        await visit(page, s.server, `/devices/${serial}`, 'device-school-it');
        const form = page.locator('#unenroll-form');
        await form.getByLabel('Begründung').fill('Versehentlich erfasst');
        await form.getByRole('button', { name: /Erfassung rückgängig machen/ }).click();
        await form.getByRole('button', { name: 'Ja, Erfassung rückgängig machen' }).click();
        await eventually(async () => assert.match(await form.getByRole('alert').innerText(),
            /Durchführungszeitraum des Förderbescheids ist abgelaufen/));
        await expectNoViolations(page, '/devices/{serial} with the refusal');
        await screenshot(page, s.server, 'device-unenroll-refused');
    });
    assert.ok(await s.admin.device(serial), 'the device is still enrolled');
});

test('Deliveries_UnitPriceAndCountAreFrozenOnceTheGrantsPeriodEnded', async () => {
    assert.ok(d.trancheId, 'the delivery of the previous tests');
    await withPage(s.browser, s.server, 'delivery frozen', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, `/tranches/${d.trancheId}`, 'delivery-before-freeze');
        await page.getByText('Angaben zur Lieferung ändern').click();
        // Meanwhile the grant's implementation period is set to have ended.
        const ended = `${year - 1}-12-31`;
        await s.admin.json('PATCH', `/api/v1/grants/${d.grant.id}`, { spend_by: ended });
        const form = page.locator('#delivery-edit');
        await form.getByLabel('Stückpreis (brutto)').fill('450,00');
        await form.getByRole('button', { name: 'Änderungen speichern' }).click();
        await eventually(async () => assert.match(await form.getByRole('alert').innerText(),
            new RegExp(`Nicht mehr änderbar: Der Durchführungszeitraum des Förderbescheids endete am 31\\.12\\.${year - 1}`)));
        await screenshot(page, s.server, 'delivery-frozen-refused');

        // Loaded again, the page shows both figures locked, and says why.
        await visit(page, s.server, `/tranches/${d.trancheId}`, 'delivery-frozen');
        await page.getByText('Angaben zur Lieferung ändern').click();
        const price = page.locator('#delivery-edit').getByLabel('Stückpreis (brutto)');
        assert.equal(await price.getAttribute('readonly'), '');
        assert.match(await page.locator('#delivery-edit').innerText(), /Gesperrt: Der Durchführungszeitraum/);
        await expectNoViolations(page, '/tranches/{id} with the frozen edit form');
        await screenshot(page, s.server, 'delivery-frozen-form');
    });
    assert.equal((await s.admin.get(`/api/v1/tranches/${d.trancheId}`)).unit_price_cents, 39_900);
});

test('Roles_SchoolRolesSeeOnlyWhatTheyMayDo', async () => {
    await withPage(s.browser, s.server, 'roles school it', async ({ context, page }) => {
        await loginCookie(context, users.it);
        await visit(page, s.server, '/tranches', 'deliveries-school-it');
        assert.equal(await page.getByText('Neue Lieferung anlegen').count(), 0);
        await visit(page, s.server, `/tranches/${d.demoTranche.id}`, 'delivery-school-it');
        assert.equal(await page.getByText('Angaben zur Lieferung ändern').count(), 0);
        assert.equal(await page.getByRole('button', { name: /CSV-Datei hierher ziehen/ }).count(), 1,
            'school IT uploads delivery lists of its schools');
        await visit(page, s.server, '/grants', 'grants-school-it');
        assert.match(await mainText(page), /der Schulträger-IT vorbehalten/);
    });
    await withPage(s.browser, s.server, 'roles headteacher', async ({ context, page }) => {
        await loginCookie(context, users.leitung);
        await visit(page, s.server, `/devices/${d.frozenDevice}`, 'device-headteacher');
        assert.equal(await page.locator('#unenroll-form').count(), 0);
        await visit(page, s.server, `/tranches/${d.demoTranche.id}`, 'delivery-headteacher');
        assert.equal(await page.getByRole('button', { name: /CSV-Datei hierher ziehen/ }).count(), 0);
    });
});

// The new pages as each role first sees them: no serious or critical axe violation, no script
// error or CSP violation.
// The ids of the earlier tests' objects; a clear failure when they did not make them.
function made(value, what) {
    assert.ok(value, `${what} of the earlier tests`);
    return value;
}
const kPages = [
    ['grants', users.admin, () => '/grants'],
    ['grant', users.admin, () => `/grants/${made(d.grant, 'the grant').id}`],
    ['deliveries-city', users.admin, () => '/tranches?new=1'],
    ['delivery-city', users.admin, () => `/tranches/${made(d.trancheId, 'the delivery')}`],
    ['delivery-demo-city', users.admin, () => `/tranches/${d.demoTranche.id}`],
    ['delivery-school-it', users.it, () => `/tranches/${d.demoTranche.id}`],
    ['device-school-it', users.it, () => `/devices/${d.frozenDevice}`],
];
for (const [name, user, path] of kPages) {
    test(`Accessibility_${name}_HasNoSeriousOrCriticalViolation`, async () => {
        await withPage(s.browser, s.server, `a11y ${name}`, async ({ context, page }) => {
            await loginCookie(context, user);
            await visit(page, s.server, path(), `a11y-${name}`);
            await expectNoViolations(page, path());
            assert.deepEqual(page.problems, [], `script errors on ${path()}`);
        });
    });
}
