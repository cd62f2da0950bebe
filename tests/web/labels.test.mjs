// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The label sheet of a delivery: its QR codes, photographed from the page and decoded with
// zbarimg (Debian's zbar-tools), are exactly the device URLs https://<host:port>/d/<serial> of
// the labels they sit on (issue 9, "Labels"; "Browser tests").
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { loginCookie, mainText, screenshot, settled, visit, withPage } from './support/browser.mjs';
import { artifactsDir, schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const kZbarimg = '/usr/bin/zbarimg';

// The decoded texts of every barcode in `png`, one per symbol ([] if none).
function zbarimg(png) {
    if (!fs.existsSync(kZbarimg)) {
        throw new Error(`${kZbarimg} is missing: install Debian's zbar-tools (./tools/setup does)`);
    }
    return new Promise((resolve, reject) => {
        execFile(kZbarimg, ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', png], (error, stdout) => {
            // Exit 4: no symbol found.
            if (error && error.code !== 4) return reject(error);
            resolve(stdout.split('\n').filter((l) => l !== ''));
        });
    });
}

const d = {};
const s = suite('labels', async () => {
    const tranches = await s.admin.tranchesBySchool();
    // The 30 teacher iPads: a sheet and a bit (3 × 8 labels per A4 page).
    d.tranche = tranches[schools.viktoria].find((t) => t.expected_count === 30);
    d.enrolled = (await s.admin.all(`/api/v1/devices?tranche_id=${d.tranche.id}`)).map((x) => x.serial_number);
    d.missing = (await s.admin.get(`/api/v1/tranches/${d.tranche.id}/reconciliation`)).missing;
});

test('Labels_QrCodesDecodeToTheDeviceUrlsOfTheirLabels', async () => {
    await withPage(s.browser, s.server, 'labels', async ({ context, page }) => {
        await loginCookie(context, users.it);
        await visit(page, s.server, `/tranches/${d.tranche.id}/labels`, 'labels');
        const qrs = page.getByRole('img', { name: /QR/i });
        await qrs.first().waitFor();
        // Every QR image loaded (naturalWidth > 0) before the photographs.
        await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));

        const text = await mainText(page);
        const shown = [...new Set(text.match(/DMP[0-9A-Z]{9}/g) ?? [])];
        for (const serial of d.enrolled) assert.ok(shown.includes(serial), `no label for ${serial}`);
        for (const serial of shown) {
            assert.ok(d.enrolled.includes(serial) || d.missing.includes(serial),
                `${serial} on the sheet is not a device of delivery ${d.tranche.id}`);
        }
        const count = await qrs.count();
        assert.equal(count, shown.length, 'one QR code per label');

        // The whole sheet at twice the resolution: all codes decode, to exactly these URLs.
        const sheet = path.join(artifactsDir(), 'labels-sheet-2x.png');
        await page.screenshot({ path: sheet, fullPage: true });
        const expected = shown.map((serial) => `${s.server.url}/d/${serial}`).sort();
        assert.deepEqual((await zbarimg(sheet)).sort(), expected);

        // Each code on its own, with a quiet zone around it, belongs to the label it sits on:
        // the serial in the label's text is the one in the code.
        const dir = fs.mkdtempSync(path.join(artifactsDir(), 'labels-qr-'));
        for (let i = 0; i < count; ++i) {
            const img = qrs.nth(i);
            const file = path.join(dir, `${i}.png`);
            await img.scrollIntoViewIfNeeded();
            const box = await img.boundingBox();
            await page.screenshot({
                path: file,
                clip: { x: box.x - 16, y: box.y - 16, width: box.width + 32, height: box.height + 32 },
            });
            const decoded = await zbarimg(file);
            assert.equal(decoded.length, 1, `QR code ${i}: ${JSON.stringify(decoded)}`);
            const serial = decoded[0].slice(`${s.server.url}/d/`.length);
            assert.equal(decoded[0], `${s.server.url}/d/${serial}`);
            // The label (the nearest ancestor holding a serial) names the same device.
            const labelText = await img.evaluate((el) => {
                let node = el.parentElement;
                while (node && !/DMP[0-9A-Z]{9}/.test(node.textContent)) node = node.parentElement;
                return node?.textContent ?? '';
            });
            assert.deepEqual([...new Set(labelText.match(/DMP[0-9A-Z]{9}/g))], [serial],
                `QR code ${i} sits on the label of another device`);
        }
        fs.rmSync(dir, { recursive: true, force: true });
    }, { deviceScaleFactor: 2 });
});

test('Labels_DeviceUrlOfAQrCodeLeadsToTheDevicePage', async () => {
    const serial = d.enrolled[0];
    await withPage(s.browser, s.server, 'label url', async ({ context, page }) => {
        await loginCookie(context, users.it);
        const h1 = await visit(page, s.server, `/d/${serial}`, 'device-from-label-url');
        assert.match(await h1.innerText(), new RegExp(serial));
        assert.equal(new URL(page.url()).pathname, `/devices/${serial}`);
        await settled(page);
        assert.match(await mainText(page), new RegExp((await s.admin.device(serial)).asset_tag));
        await screenshot(page, s.server, 'device-from-label-url');
    });
});
