// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Users (issue 10, "Users"): municipal IT creates a user for one school in the browser and gets a
// one-time password shown once; that user must change it at the first login and then sees only
// that school; disable and re-enable, role and schools, API tokens and a new one-time password.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { request } from './support/api.mjs';
import {
    eventually, heading, loginCookie, loginForm, mainText, screenshot, seriousViolations, settled, visit,
    withPage,
} from './support/browser.mjs';
import { schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const d = {};
const s = suite('users', async () => {
    d.viktoriaDevice = (await s.admin.get(`/api/v1/devices?school_number=${schools.viktoria}&limit=1`)).items[0];
    d.fridaDevice = (await s.admin.get(`/api/v1/devices?school_number=${schools.fridaLevy}&limit=1`)).items[0];
});

async function login(username, password) {
    return request(s.server, 'POST', '/api/v1/session', { body: { username, password } });
}

async function userByName(username) {
    const all = await s.admin.all('/api/v1/users');
    return all.find((u) => u.username === username);
}

/** The success alert (role status) that contains `text`, once visible. */
async function statusAlert(page, text) {
    const box = page.locator('.kern-alert').filter({ hasText: text });
    await box.first().waitFor({ state: 'visible' });
    return box.first();
}

async function assertNoViolations(page, what) {
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], `axe on ${what}:\n${violations.join('\n')}`);
    assert.deepEqual(page.problems, [], `script errors or CSP violations on ${what}`);
}

test('Users_CreatedForOneSchool_OneTimePasswordOnce_ForcedChange_SeesOnlyThatSchool', async () => {
    const username = 'helfer-frida';
    let otp;
    await withPage(s.browser, s.server, 'create user', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        const h1 = await visit(page, s.server, '/users', 'users-list');
        assert.equal(await h1.innerText(), 'Benutzer');
        assert.match(await mainText(page), /leitung-164720/);
        await assertNoViolations(page, '/users');

        await page.getByLabel('Benutzername').fill(username);
        await page.getByLabel(/^Name\b/).fill('Hanna Helfer');
        await page.getByLabel('Rolle').selectOption('school_it');
        // Without a school the form refuses.
        await page.getByRole('button', { name: 'Benutzer anlegen' }).click();
        await page.getByText('Bitte wählen Sie mindestens eine Schule.').first().waitFor();

        await page.getByLabel('Schule suchen').fill(schools.fridaLevy);
        await page.getByRole('button', { name: 'Suchen', exact: true }).click();
        await page.getByRole('button', { name: new RegExp(`Frida-Levy.*\\(${schools.fridaLevy}\\) hinzufügen`) }).click();
        await page.getByRole('list', { name: 'Ausgewählte Schulen:' }).getByText(/Frida-Levy/).waitFor();
        await screenshot(page, s.server, 'users-create-filled');
        await page.getByRole('button', { name: 'Benutzer anlegen' }).click();

        const box = await statusAlert(page, `Benutzer „${username}“ angelegt`);
        otp = (await page.locator('#one-time-password').innerText()).trim();
        assert.ok(otp.length >= 16, `a one-time password is shown: "${otp}"`);
        assert.match(await box.innerText(), /nur dieses eine Mal/);
        assert.match(await box.innerText(), /Bei der nächsten Anmeldung muss die Person ein eigenes Passwort festlegen/);
        await box.getByRole('button', { name: 'Einmalpasswort kopieren' }).waitFor();
        await screenshot(page, s.server, 'users-created-one-time-password');
        await assertNoViolations(page, '/users with the one-time password');

        const created = await userByName(username);
        assert.equal(created.role, 'school_it');
        assert.deepEqual(created.schools, [schools.fridaLevy]);
        assert.equal(created.must_change_password, true);
        assert.equal(created.display_name, 'Hanna Helfer');
        // The list shows the new user.
        await page.getByRole('table').getByRole('link', { name: username }).waitFor();

        // Shown once: not on the page any more after a reload, and the API never repeats it.
        await page.reload();
        await settled(page);
        await page.getByRole('table').getByRole('link', { name: username }).waitFor();
        assert.ok(!(await mainText(page)).includes(otp), 'the one-time password is shown again');
        assert.ok(!JSON.stringify(await s.admin.get(`/api/v1/users/${created.id}`)).includes(otp));
    });

    // The new user, in a browser of their own: the password change first, nothing else.
    await withPage(s.browser, s.server, 'forced change', async ({ page }) => {
        await loginForm(page, { username, password: otp });
        assert.equal(new URL(page.url()).pathname, '/account');
        await statusAlert(page, 'Bitte legen Sie jetzt ein eigenes Passwort fest');
        const navLinks = await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link').allInnerTexts();
        assert.deepEqual(navLinks.map((x) => x.trim()), ['Konto']);
        await screenshot(page, s.server, 'users-forced-password-change');
        await assertNoViolations(page, '/account with a one-time password');

        // Anywhere else leads back to the password form (and remembers where to go).
        await page.goto(`/devices/${d.fridaDevice.serial_number}`);
        await page.waitForURL((url) => url.pathname === '/account');
        await heading(page);
        assert.equal(new URL(page.url()).searchParams.get('next'), `/devices/${d.fridaDevice.serial_number}`);
        await statusAlert(page, 'Bitte legen Sie jetzt ein eigenes Passwort fest');

        await page.getByLabel('Aktuelles Passwort').fill(otp);
        await page.getByLabel('Neues Passwort', { exact: true }).fill('mein-eigenes-Passwort-2027');
        await page.getByLabel('Neues Passwort wiederholen').fill('mein-eigenes-Passwort-2027');
        await page.getByRole('button', { name: 'Passwort ändern' }).click();
        const done = await statusAlert(page, 'Ihr Passwort ist geändert');
        await screenshot(page, s.server, 'users-password-changed');
        await done.getByRole('link', { name: 'Weiter' }).click();
        await page.waitForURL((url) => url.pathname === `/devices/${d.fridaDevice.serial_number}`);
        await settled(page);
        assert.match(await mainText(page), new RegExp(d.fridaDevice.serial_number));

        // Only that school: the schools list has one, another school's device is not found.
        await visit(page, s.server, '/schools', 'users-new-user-schools');
        const text = await mainText(page);
        assert.match(text, /Frida-Levy/);
        assert.doesNotMatch(text, /Viktoria|Antoniusschule/);
        await visit(page, s.server, `/devices/${d.viktoriaDevice.serial_number}`, 'users-new-user-foreign-device');
        assert.match(await mainText(page), /gibt es nicht/);
    });

    const own = await login(username, 'mein-eigenes-Passwort-2027');
    assert.equal(own.status, 201);
    assert.equal(own.json.user.must_change_password, false);
    const seen = await request(s.server, 'GET', '/api/v1/schools?limit=500', { token: own.json.token });
    assert.deepEqual(seen.json.items.map((x) => x.school_number), [schools.fridaLevy]);
    assert.equal((await login(username, otp)).status, 401, 'the one-time password no longer works');
});

test('Users_DisableReenableSchoolsTokensAndNewOneTimePassword', async () => {
    const username = 'leitung-antonius-2';
    const password = 'start-Passwort-2027';
    const created = await s.admin.json('POST', '/api/v1/users', {
        username, display_name: 'Lea Leitung', role: 'headteacher', schools: [schools.antonius], password,
    });
    // An API token of that user, for municipal IT to see and revoke.
    const session = await login(username, password);
    assert.equal(session.status, 201);
    const token = await request(s.server, 'POST', '/api/v1/tokens',
        { token: session.json.token, body: { name: 'Inventur-Skript' } });
    assert.equal(token.status, 201, token.text);

    await withPage(s.browser, s.server, 'manage user', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, '/users', 'users-list-2');
        await page.getByRole('table').getByRole('link', { name: username }).click();
        await page.waitForURL((url) => url.pathname === `/users/${created.id}`);
        // The page titles itself with the id first and with the name once the user is read.
        await page.getByRole('heading', { level: 1, name: /Lea Leitung/ }).waitFor();
        await page.getByRole('table').getByText('Inventur-Skript').waitFor();
        await screenshot(page, s.server, 'users-detail');
        await assertNoViolations(page, `/users/${created.id}`);

        // Revoke the API token (confirmed); disabling would delete it anyway.
        page.once('dialog', (dialog) => dialog.accept());
        await page.getByRole('button', { name: 'Token „Inventur-Skript“ widerrufen' }).click();
        await statusAlert(page, 'Token „Inventur-Skript“ widerrufen.');
        await page.getByRole('main').getByText('Diese Person hat keine API-Tokens.').waitFor();
        assert.deepEqual((await s.admin.get(`/api/v1/users/${created.id}/tokens`)).items, []);

        // Disable (confirmed), then the user cannot log in.
        page.once('dialog', (dialog) => dialog.accept());
        await page.getByRole('button', { name: 'Konto sperren' }).click();
        await statusAlert(page, `Das Konto „${username}“ ist gesperrt.`);
        assert.equal((await s.admin.get(`/api/v1/users/${created.id}`)).disabled, true);
        assert.equal((await login(username, password)).status, 401, 'a disabled user cannot log in');
        await screenshot(page, s.server, 'users-disabled');

        // Re-enable: the login works again.
        await page.getByRole('button', { name: 'Konto entsperren' }).click();
        await statusAlert(page, `Das Konto „${username}“ ist wieder entsperrt.`);
        assert.equal((await s.admin.get(`/api/v1/users/${created.id}`)).disabled, false);
        assert.equal((await login(username, password)).status, 201, 'the re-enabled user logs in');

        // A second school and the role school IT.
        await page.getByLabel('Rolle').selectOption('school_it');
        await page.getByLabel('Schule suchen').fill(schools.viktoria);
        await page.getByLabel('Schule suchen').press('Enter');
        await page.getByRole('button', { name: new RegExp(`Viktoria.*\\(${schools.viktoria}\\) hinzufügen`) }).click();
        await page.getByRole('button', { name: 'Änderungen speichern' }).click();
        await statusAlert(page, `Änderungen an „${username}“ gespeichert.`);
        const changed = await s.admin.get(`/api/v1/users/${created.id}`);
        assert.equal(changed.role, 'school_it');
        assert.deepEqual([...changed.schools].sort(), [schools.antonius, schools.viktoria].sort());

        // A new one-time password (confirmed), shown once.
        page.once('dialog', (dialog) => dialog.accept());
        await page.getByRole('button', { name: 'Neues Einmalpasswort erzeugen' }).click();
        const box = await statusAlert(page, `Neues Einmalpasswort für „${username}“`);
        const otp = (await page.locator('#one-time-password').innerText()).trim();
        assert.ok(otp.length >= 16, `a one-time password is shown: "${otp}"`);
        assert.match(await box.innerText(), /Bei der nächsten Anmeldung muss die Person ein eigenes Passwort festlegen/);
        await eventually(async () => assert.match(await mainText(page), /muss bei der nächsten Anmeldung geändert werden/));
        await screenshot(page, s.server, 'users-new-one-time-password');
        await assertNoViolations(page, `/users/${created.id} with a new one-time password`);

        assert.equal((await login(username, password)).status, 401, 'the old password no longer works');
        const withOtp = await login(username, otp);
        assert.equal(withOtp.status, 201);
        assert.equal(withOtp.json.user.must_change_password, true);
        const refused = await request(s.server, 'GET', '/api/v1/devices', { token: withOtp.json.token });
        assert.equal(refused.status, 403);
        assert.match(refused.json.type, /password-change-required$/);
    });
});

test('Users_SchoolRolesGetNotAllowed', async () => {
    await withPage(s.browser, s.server, 'users not allowed', async ({ context, page }) => {
        await loginCookie(context, users.it);
        await visit(page, s.server, '/users', 'users-school-it');
        assert.match(await mainText(page), /Diese Seite ist der Schulträger-IT vorbehalten/);
        assert.equal(await page.getByRole('button', { name: 'Benutzer anlegen' }).count(), 0);
    });
});
