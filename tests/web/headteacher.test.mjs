// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// A headteacher sees the own school's devices, no other school's, and nothing that writes; a
// forged write with the headteacher's cookie is refused (issue 9, "Browser tests").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loginCookie, mainText, screenshot, visit, withPage } from './support/browser.mjs';
import { schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const kSerial = /DMP[0-9A-Z]{9}/g;
// Buttons that change something; a headteacher's pages must have none of them.
const kWritingButtons = /Status ändern|speichern|Ausleihen|ausleihen|Zurücknehmen|zurücknehmen|Rücknahme|Erfassen|erfassen|Scannen|Hochladen|Löschen|Widerrufen|Senden/;
// (Exact names: the device list's search field "Suche nach Seriennummer oder Inventarnummer"
// only reads.)
const kWritingFields = /^(Seriennummer scannen.*|Auszuleihendes Gerät|Zurückgegebenes Gerät|Notiz.*|Standort|Ausleih-Kennung.*|Leihvertrag.*|Vertragsnummer.*|Neuer Status|Inventarnummer)$/;

const d = {};
const s = suite('headteacher', async () => {
    const own = await s.admin.all(`/api/v1/devices?school_number=${schools.viktoria}`);
    d.ownSerials = new Set(own.map((x) => x.serial_number));
    d.ownInStorage = own.find((x) => x.status === 'in_storage');
    const loans = await s.admin.all(`/api/v1/loans?school_number=${schools.viktoria}`);
    d.ownLoaned = loans[0].serial_number;
    d.antonius = (await s.admin.get(`/api/v1/devices?school_number=${schools.antonius}&limit=1`)).items[0];
    d.fridaLevy = (await s.admin.get(`/api/v1/devices?school_number=${schools.fridaLevy}&limit=1`)).items[0];
    const tranches = await s.admin.tranchesBySchool();
    d.ownTranche = tranches[schools.viktoria][0];
    d.fridaTranche = tranches[schools.fridaLevy][0];
});

function serialsIn(text) {
    return [...new Set(text.match(kSerial) ?? [])];
}

test('Headteacher_SeesOwnSchoolsDevicesOnly', async () => {
    await withPage(s.browser, s.server, 'own devices', async ({ context, page }) => {
        await loginCookie(context, users.leitung);
        await visit(page, s.server, '/devices', 'devices');
        const table = page.getByRole('table');
        await table.first().waitFor();
        const shown = serialsIn(await table.first().innerText());
        assert.ok(shown.length > 0, 'the device list shows devices');
        for (const serial of shown) {
            assert.ok(d.ownSerials.has(serial), `${serial} in the list is not a device of ${schools.viktoria}`);
        }

        // Searching by another school's serial finds nothing.
        await visit(page, s.server, `/devices?q=${d.antonius.serial_number}`, 'devices-foreign-search');
        assert.doesNotMatch(await mainText(page), new RegExp(d.antonius.serial_number));
    });
});

test('Headteacher_OtherSchoolsDeviceAndDeliveryShowNotFound', async () => {
    await withPage(s.browser, s.server, 'foreign device', async ({ context, page }) => {
        await loginCookie(context, users.leitung);
        for (const [device, name] of [[d.antonius, 'antonius'], [d.fridaLevy, 'frida-levy']]) {
            await visit(page, s.server, `/devices/${device.serial_number}`, `headteacher-foreign-device-${name}`);
            const text = await mainText(page);
            assert.match(text, /gibt es nicht|nicht gefunden/i, `device of ${device.school_number}: ${text}`);
            assert.doesNotMatch(text, new RegExp(device.asset_tag ?? 'no asset tag'));
            assert.doesNotMatch(text, new RegExp(device.model.replace(/[()]/g, '.')));
        }
        await visit(page, s.server, `/tranches/${d.fridaTranche.id}`, 'foreign-delivery');
        const text = await mainText(page);
        assert.match(text, /gibt es nicht|nicht gefunden/i, text);
        assert.doesNotMatch(text, new RegExp(d.fridaTranche.delivery_note));
    });
});

test('Headteacher_PagesHaveNoWritingControls', async () => {
    await withPage(s.browser, s.server, 'read only', async ({ context, page }) => {
        await loginCookie(context, users.leitung);
        const writes = [];
        page.on('request', (r) => {
            if (r.method() !== 'GET' && r.method() !== 'HEAD') writes.push(`${r.method()} ${r.url()}`);
        });
        const pages = [
            ['/', 'overview'],
            ['/devices', 'devices'],
            [`/devices/${d.ownInStorage.serial_number}`, 'device'],
            [`/devices/${d.ownLoaned}`, 'device-on-loan'],
            ['/tranches', 'deliveries'],
            [`/tranches/${d.ownTranche.id}`, 'delivery'],
            ['/loans', 'loans'],
            [`/tranches/${d.ownTranche.id}/scan`, 'scan'],
        ];
        for (const [path, name] of pages) {
            await visit(page, s.server, path, name);
            const buttons = await page.getByRole('button', { name: kWritingButtons }).allInnerTexts();
            assert.deepEqual(buttons, [], `${path}: writing buttons for a headteacher`);
            const fields = page.getByRole('textbox', { name: kWritingFields })
                .or(page.getByRole('combobox', { name: kWritingFields }))
                .or(page.getByRole('radio', { name: kWritingFields }));
            assert.equal(await fields.count(), 0, `${path}: writing fields for a headteacher`);
            const scanLinks = page.getByRole('link', { name: /scannen|Gerät ausleihen|Gerät zurücknehmen/i });
            assert.equal(await scanLinks.count(), 0, `${path}: links to writing pages`);
            assert.equal(await page.locator('form[method="post" i]').count(), 0, `${path}: a POST form`);
        }
        assert.deepEqual(writes, [], 'the pages sent writing requests');
    });
});

test('SchoolIt_SeesTheWritingControlsTheHeadteacherDoesNot', async () => {
    // The control for the test above: the same queries find the controls where they belong, so
    // their absence for the headteacher means something.
    await withPage(s.browser, s.server, 'school it controls', async ({ context, page }) => {
        await loginCookie(context, users.it);
        const expected = [
            [`/devices/${d.ownInStorage.serial_number}`, 'school-it-device', /Status ändern/, /^Notiz/],
            ['/loans', 'school-it-loans', /Gerät ausleihen/, /^Ausleih-Kennung/],
            [`/tranches/${d.ownTranche.id}/scan`, 'school-it-scan', /Erfassen/, /^Seriennummer scannen/],
        ];
        for (const [path, name, button, fieldName] of expected) {
            await visit(page, s.server, path, name);
            const buttons = await page.getByRole('button', { name: kWritingButtons }).allInnerTexts();
            assert.ok(buttons.some((b) => button.test(b)), `${path}: ${button} among ${JSON.stringify(buttons)}`);
            const fields = page.getByRole('textbox', { name: kWritingFields });
            assert.ok(await fields.count() > 0, `${path}: no writing field`);
            assert.ok(await page.getByRole('textbox', { name: fieldName }).count() > 0, `${path}: ${fieldName}`);
        }
    });
});

test('Headteacher_ForgedWriteWithCookieIsRefused', async () => {
    const serial = d.ownInStorage.serial_number;
    const before = await s.admin.device(serial);
    await withPage(s.browser, s.server, 'forged write', async ({ context, page }) => {
        await loginCookie(context, users.leitung);
        await visit(page, s.server, `/devices/${serial}`, 'device');
        // From the page itself: the browser adds the page's own Origin.
        const fromPage = await page.evaluate(async (path) => {
            const res = await fetch(path, {
                method: 'PATCH',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ status: 'in_repair', note: 'forged by a headteacher' }),
            });
            return { status: res.status, type: res.headers.get('content-type') };
        }, `/api/v1/devices/${serial}`);
        assert.equal(fromPage.status, 403, 'PATCH from the headteacher\'s page');
        assert.match(fromPage.type ?? '', /application\/problem\+json/);

        // From the context's request API with the cookie and a matching Origin.
        const res = await context.request.patch(`/api/v1/devices/${serial}`, {
            headers: { Origin: s.server.url },
            data: { location: 'forged' },
        });
        assert.equal(res.status(), 403);
        // And a loan, which a school_it could create.
        const loan = await context.request.post(`/api/v1/devices/${serial}/loans`, {
            headers: { Origin: s.server.url },
            data: { borrower_ref: '7b-99', borrower_kind: 'student', agreement_ref: 'LV-FORGED' },
        });
        assert.equal(loan.status(), 403);
        await screenshot(page, s.server, 'device-after-forged-write');
    });
    const afterwards = await s.admin.device(serial);
    for (const key of ['status', 'note', 'location', 'asset_tag', 'updated_at']) {
        assert.deepEqual(afterwards[key], before[key], `device ${key} changed`);
    }
    assert.equal(afterwards.current_loan, null);
});
