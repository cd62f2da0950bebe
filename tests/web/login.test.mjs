// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Login and logout in German (issue 9, "Browser tests": login and logout in German; "Login page"
// usable by password managers, one answer for unknown user and wrong password, lockout message).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { request } from './support/api.mjs';
import { eventually, loginForm, screenshot, settled, visit, withPage } from './support/browser.mjs';
import { users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const s = suite('login');

const kInvalidLogin = 'Benutzername oder Passwort ist falsch.';

// The login form's error text once it shows; the error summary (role alert) or the field's
// message, whichever the page uses.
async function loginError(page) {
    const alert = page.getByRole('alert').filter({ hasText: /\S/ });
    await alert.first().waitFor({ state: 'visible' });
    return (await alert.allInnerTexts()).join(' ').replace(/\s+/g, ' ').trim();
}

async function submitLogin(page, username, password) {
    await page.getByLabel('Benutzername').fill(username);
    await page.getByLabel('Passwort', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
}

test('LoginPage_IsGermanWithPasswordManagerFields', async () => {
    await withPage(s.browser, s.server, 'login page', async ({ page }) => {
        const h1 = await visit(page, s.server, '/login', 'login');
        assert.equal(await page.locator('html').getAttribute('lang'), 'de');
        assert.match(await h1.innerText(), /Anmelden/);
        const username = page.getByLabel('Benutzername');
        const password = page.getByLabel('Passwort', { exact: true });
        assert.equal(await username.getAttribute('autocomplete'), 'username');
        assert.equal(await password.getAttribute('autocomplete'), 'current-password');
        assert.equal(await password.getAttribute('type'), 'password');
        assert.equal(await page.getByRole('button', { name: 'Anmelden' }).count(), 1);
    });
});

test('Login_WrongPasswordAndUnknownUserGetTheSameGermanError', async () => {
    await withPage(s.browser, s.server, 'login errors', async ({ page }) => {
        await visit(page, s.server, '/login', 'login');
        await submitLogin(page, users.it.username, 'not-the-password');
        const wrongPassword = await loginError(page);
        assert.match(wrongPassword, new RegExp(kInvalidLogin.replace('.', '\\.')));
        assert.doesNotMatch(wrongPassword, /invalid username/i, 'the server\'s English text shows');
        assert.equal(new URL(page.url()).pathname, '/login');
        await screenshot(page, s.server, 'login-wrong-password');

        await page.reload();
        await settled(page);
        await submitLogin(page, 'nobody-at-all', 'not-the-password');
        const unknownUser = await loginError(page);
        assert.equal(unknownUser, wrongPassword, 'unknown user and wrong password must read the same');
        assert.equal(new URL(page.url()).pathname, '/login');
        assert.equal((await page.context().cookies()).filter((c) => c.name.startsWith('__Host-')).length, 0);
    });
});

test('Login_LandsOnOverviewWithHostOnlyStrictHttpOnlySecureCookie', async () => {
    await withPage(s.browser, s.server, 'login success', async ({ context, page }) => {
        const h1 = await loginForm(page, users.it);
        assert.equal(new URL(page.url()).pathname, '/');
        assert.match(await h1.innerText(), /Übersicht/);
        await screenshot(page, s.server, 'overview-after-login');

        const cookies = (await context.cookies()).filter((c) => c.name.startsWith('__Host-'));
        assert.equal(cookies.length, 1, `one __Host- session cookie, got ${JSON.stringify(await context.cookies())}`);
        const [cookie] = cookies;
        assert.equal(cookie.httpOnly, true, 'HttpOnly');
        assert.equal(cookie.secure, true, 'Secure');
        assert.equal(cookie.sameSite, 'Strict', 'SameSite=Strict');
        assert.equal(cookie.path, '/');
        assert.equal(cookie.domain, '127.0.0.1', 'host-only (no Domain attribute)');
        // Not readable from the page's scripts.
        assert.equal(await page.evaluate(() => document.cookie.includes('__Host-')), false);

        const me = await request(s.server, 'GET', '/api/v1/me', { cookie: `${cookie.name}=${cookie.value}` });
        assert.equal(me.status, 200);
        assert.equal(me.json.username, users.it.username);
    });
});

test('Logout_ReturnsToLoginAndEndsTheSession', async () => {
    await withPage(s.browser, s.server, 'logout', async ({ context, page }) => {
        await loginForm(page, users.it);
        const [cookie] = (await context.cookies()).filter((c) => c.name.startsWith('__Host-'));
        assert.ok(cookie, 'logged in with a session cookie');
        const oldCookie = `${cookie.name}=${cookie.value}`;
        assert.equal((await request(s.server, 'GET', '/api/v1/me', { cookie: oldCookie })).status, 200);

        await page.getByRole('button', { name: 'Abmelden' })
            .or(page.getByRole('link', { name: 'Abmelden' })).first().click();
        await page.waitForURL((url) => url.pathname === '/login');
        await settled(page);
        await screenshot(page, s.server, 'login-after-logout');
        await page.getByLabel('Benutzername').waitFor();

        // The old cookie no longer opens a session, and the browser dropped it.
        const me = await request(s.server, 'GET', '/api/v1/me', { cookie: oldCookie });
        assert.equal(me.status, 401, `GET /api/v1/me with the old cookie: ${me.status} ${me.text}`);
        assert.equal((await context.cookies()).filter((c) => c.name.startsWith('__Host-')).length, 0);

        // A page behind the login sends the visitor to the login, remembering where to go.
        await page.goto('/devices');
        await page.waitForURL((url) => url.pathname === '/login');
        assert.equal(new URL(page.url()).searchParams.get('next'), '/devices');
    });
});

test('Login_ThrottledShowsTheGermanLockoutMessage', async () => {
    // Last in this file: the delays count failures per client address too. paktd allows 5
    // failures per username and address (login_free_failures); then each attempt waits a delay,
    // configured for these tests (tests/web/support/paktd.mjs) to start at 10 minutes, so the
    // 6th attempt is the first to meet it.
    await withPage(s.browser, s.server, 'lockout', async ({ page }) => {
        await visit(page, s.server, '/login', 'login');
        let status = 0;
        for (let attempt = 0; attempt < 6 && status !== 429; ++attempt) {
            const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/session') &&
                r.request().method() === 'POST');
            await submitLogin(page, users.leitung.username, `wrong-${attempt}`);
            status = (await answer).status();
        }
        assert.equal(status, 429, 'paktd throttles repeated failed logins');
        const text = await eventually(async () => {
            const t = await loginError(page);
            assert.match(t, /Zu viele fehlgeschlagene Anmeldeversuche/);
            return t;
        });
        assert.doesNotMatch(text, /Benutzername oder Passwort ist falsch/);
        await screenshot(page, s.server, 'login-locked');
    });
});
