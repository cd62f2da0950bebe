// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Cross-site request forgery: a state-changing request authenticated by the session cookie must
// carry the page's own Origin; a foreign Origin or none is refused with 403 problem+json and
// changes nothing (issue 9, "Browser session"; "Browser tests": a CSRF request refused).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { request } from './support/api.mjs';
import { loginCookie, withPage } from './support/browser.mjs';
import { schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const kEvil = 'https://evil.example';

let device;  // an in_storage device of the school_it's school, not on loan
const s = suite('csrf', async () => {
    const items = await s.admin.all(`/api/v1/devices?school_number=${schools.viktoria}&status=in_storage`);
    device = items[0];
});

async function sessionCookie(context) {
    const [cookie] = (await context.cookies()).filter((c) => c.name.startsWith('__Host-'));
    assert.ok(cookie, 'the cookie login set a __Host- cookie');
    return `${cookie.name}=${cookie.value}`;
}

function assertProblem403(res, what) {
    assert.equal(res.status, 403, `${what}: HTTP ${res.status} ${res.text}`);
    assert.match(res.contentType, /^application\/problem\+json/, `${what}: content type`);
    const body = JSON.parse(res.text);
    assert.equal(body.status, 403, `${what}: problem status`);
    assert.equal(typeof body.title, 'string');
}

async function viaContext(context, method, path, headers, data) {
    const res = await context.request.fetch(path, { method, headers, data });
    return { status: res.status(), contentType: res.headers()['content-type'] ?? '', text: await res.text() };
}

async function unchanged(before) {
    const now = await s.admin.device(before.serial_number);
    for (const key of ['status', 'note', 'location', 'asset_tag', 'updated_at']) {
        assert.deepEqual(now[key], before[key], `device ${key} changed`);
    }
    assert.equal(now.current_loan, null, 'a loan was created');
}

test('Csrf_ForeignOriginWithSessionCookieIsRefused', async () => {
    const before = await s.admin.device(device.serial_number);
    await withPage(s.browser, s.server, 'csrf foreign origin', async ({ context }) => {
        await loginCookie(context, users.it);
        const path = `/api/v1/devices/${device.serial_number}`;
        assertProblem403(await viaContext(context, 'PATCH', path, { Origin: kEvil },
            { status: 'in_repair', note: 'csrf' }), 'PATCH device, foreign Origin');
        assertProblem403(await viaContext(context, 'POST', `${path}/loans`, { Origin: kEvil },
            { borrower_ref: '7b-66', borrower_kind: 'student', agreement_ref: 'LV-CSRF-1' }),
        'POST loan, foreign Origin');
        // A look-alike origin of the right host on another scheme or port is foreign too.
        assertProblem403(await viaContext(context, 'PATCH', path,
            { Origin: `http://${s.server.host}` }, { note: 'csrf' }), 'PATCH, http:// origin');
        assertProblem403(await viaContext(context, 'PATCH', path,
            { Origin: `https://127.0.0.1:${s.server.port + 1}` }, { note: 'csrf' }), 'PATCH, other port');

        // The same with a raw HTTPS request carrying the browser's cookie.
        const raw = await request(s.server, 'PATCH', path, {
            cookie: await sessionCookie(context), origin: kEvil, body: { note: 'csrf' },
        });
        assertProblem403({ ...raw, contentType: raw.headers['content-type'] ?? '' }, 'raw PATCH, foreign Origin');

        // Logging out is state-changing too: a foreign page must not end the session.
        assertProblem403(await viaContext(context, 'DELETE', '/api/v1/session', { Origin: kEvil }),
            'DELETE session, foreign Origin');
        const me = await request(s.server, 'GET', '/api/v1/me', { cookie: await sessionCookie(context) });
        assert.equal(me.status, 200, 'the session survived the forged logout');
    });
    await unchanged(before);
});

test('Csrf_MissingOriginWithSessionCookieIsRefused', async () => {
    const before = await s.admin.device(device.serial_number);
    await withPage(s.browser, s.server, 'csrf no origin', async ({ context }) => {
        await loginCookie(context, users.it);
        const path = `/api/v1/devices/${device.serial_number}`;
        // context.request sends no Origin unless told to.
        assertProblem403(await viaContext(context, 'PATCH', path, {}, { status: 'in_repair' }),
            'PATCH device, no Origin');
        const raw = await request(s.server, 'POST', `${path}/loans`, {
            cookie: await sessionCookie(context),
            body: { borrower_ref: '7b-67', borrower_kind: 'student', agreement_ref: 'LV-CSRF-2' },
        });
        assertProblem403({ ...raw, contentType: raw.headers['content-type'] ?? '' }, 'raw POST loan, no Origin');
    });
    await unchanged(before);
});

test('Csrf_OwnOriginWithSessionCookieIsAccepted', async () => {
    // The control: the refusals above are about the Origin, not the user or the request.
    await withPage(s.browser, s.server, 'csrf own origin', async ({ context }) => {
        await loginCookie(context, users.it);
        const res = await viaContext(context, 'PATCH', `/api/v1/devices/${device.serial_number}`,
            { Origin: s.server.url }, { note: 'Origin-Prüfung bestanden' });
        assert.equal(res.status, 200, res.text);
    });
    assert.equal((await s.admin.device(device.serial_number)).note, 'Origin-Prüfung bestanden');
});
