// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Site agents at /agents (issue 10, "Site agents"; "Browser tests"): an enroll secret created in
// the browser, the command the page shows taken from its text and run with the real pakt-agent
// binary, the new agent listed on the reloaded page and revoked there (the API confirms); a secret
// revoked in the browser no longer enrolls; headteachers see but cannot change; municipal IT finds
// the school by search; axe on each page.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { checkin, enrollAgent } from './support/agents.mjs';
import { eventually, heading, loginCookie, mainText, screenshot, seriousViolations, settled, visit, withPage } from './support/browser.mjs';
import { binaries, schools, users } from './support/env.mjs';
import { suite } from './support/suite.mjs';

const kUnknownSerial = 'ZZTESTUNKN01';
const kSetupHost = 'viktoria-setup-agent';
const d = {};
const s = suite('agents', async () => {
    d.agentBinary = binaries().agent;
    // An agent enrolled and checked in through the API, which saw one serial enrolled nowhere.
    d.setupAgent = await enrollAgent(s.server, s.admin, schools.viktoria, kSetupHost);
    await checkin(s.server, d.setupAgent, [kUnknownSerial]);
});

const kClipboard = { permissions: ['clipboard-read', 'clipboard-write'] };

// The command runs on the agent's computer as the agent's own account with its state directory:
// `printf '%s\n' SECRET | sudo -u pakt-agent pakt-agent enroll --state-dir /var/lib/pakt-agent ...`
// (the secret through a pipe, never in a process list). Here the line runs
// unchanged with a temporary bin directory first on PATH: `pakt-agent` is a link to the real
// binary, and `sudo` is a stand-in that records the account, runs the rest as the test's user and
// points --state-dir at the temporary directory instead of /var/lib/pakt-agent.
const kSudoStandIn = `#!/bin/sh
if [ "$1" = "-u" ]; then printf '%s\n' "$2" > "$PAKT_TEST_DIR/sudo-account"; shift 2; fi
prev=
for a do
    shift
    case "$prev:$a" in
        --state-dir:*) a="$PAKT_TEST_DIR/state" ;;
        *:--state-dir=*) a="--state-dir=$PAKT_TEST_DIR/state" ;;
    esac
    set -- "$@" "$a"
    prev=$a
done
exec "$@"
`;

function agentWorkDir() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pakt-web-agent-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.symlinkSync(d.agentBinary, path.join(dir, 'bin', 'pakt-agent'));
    fs.writeFileSync(path.join(dir, 'bin', 'sudo'), kSudoStandIn, { mode: 0o755 });
    return dir;
}

function run(dir, file, args) {
    return new Promise((resolve) => {
        execFile(file, args, {
            cwd: dir, timeout: 60_000,
            env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, PAKT_TEST_DIR: dir },
        }, (error, stdout, stderr) => resolve({
            code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr,
        }));
    });
}

/** Runs the shown command line with a POSIX shell, as a person pastes it into a terminal. */
function runShown(dir, command) {
    return run(dir, '/bin/sh', ['-c', command]);
}

async function schoolAgents() {
    return s.admin.all(`/api/v1/agents?school_number=${schools.viktoria}`);
}

async function createSecretInPage(page) {
    await page.getByRole('button', { name: 'Erfassungsschlüssel erstellen' }).click();
    const command = page.locator('#agents-enroll-command');
    await command.waitFor({ state: 'visible' });
    return {
        command: (await command.innerText()).trim(),
        secret: (await page.locator('#agents-new-secret').innerText()).trim(),
    };
}

function hex(fingerprint) {
    return fingerprint.replace(/:/g, '').toLowerCase();
}

test('Agents_SecretCreatedInBrowser_ShownCommandEnrollsTheRealAgent_ListedAndRevokedInBrowser', async () => {
    const dir = agentWorkDir();
    try {
        await withPage(s.browser, s.server, 'enroll', async ({ context, page }) => {
            await loginCookie(context, users.it);
            // The helper of one school gets that school's page directly.
            const h1 = await visit(page, s.server, '/agents', 'school-it-start');
            assert.match(await h1.innerText(), /Standort-Agenten: Viktoria-Gymnasium.*\(164720\)/);
            const secretsBefore = (await s.admin.get(`/api/v1/schools/${schools.viktoria}/agent-secrets`)).items;

            const shown = await createSecretInPage(page);
            const text = await mainText(page);
            assert.match(text, /Nur jetzt sichtbar/, 'the page says the secret is shown once');
            assert.match(text, /nie wieder anzeigen/);
            await eventually(async () => assert.equal(
                await page.locator('#agents-secret-created').evaluate((el) => el === document.activeElement), true,
                'the shown secret has the focus'));
            await screenshot(page, s.server, 'secret-shown');

            // The command: the real flags, this server, its certificate fingerprint, the secret.
            assert.match(shown.command, /^printf '%s\\n' \S+ \| sudo -u pakt-agent pakt-agent enroll /, shown.command);
            assert.doesNotMatch(shown.command, /--secret=/, 'the secret comes through a pipe, not as an argument');
            assert.match(shown.command, new RegExp(`--server[= ]${s.server.url.replace(/[.]/g, '\\.')}(\\s|$)`), shown.command);
            const pin = /--pin[= ]([0-9A-Fa-f:]+)/.exec(shown.command);
            assert.ok(pin, `--pin in ${shown.command}`);
            assert.equal(hex(pin[1]), hex(s.server.fingerprint), 'the pin is the server certificate\'s fingerprint');
            assert.ok(shown.secret.length >= 20 && shown.command.includes(shown.secret), 'the command carries the shown secret');

            // The copy button puts exactly that line on the clipboard.
            await page.getByRole('button', { name: 'Befehl kopieren' }).click();
            await eventually(async () => assert.equal(await page.evaluate(() => navigator.clipboard.readText()), shown.command));
            await eventually(async () => assert.equal(await page.locator('#live').innerText(), 'In die Zwischenablage kopiert.'));

            // The API knows the new secret (its metadata only).
            const secretsAfter = (await s.admin.get(`/api/v1/schools/${schools.viktoria}/agent-secrets`)).items;
            assert.equal(secretsAfter.length, secretsBefore.length + 1);
            assert.equal(secretsAfter.at(-1).created_by, users.it.username);

            // Run it, as it stands on the page, with the real pakt-agent; then one check-in.
            const before = new Set((await schoolAgents()).map((a) => a.agent_id));
            const enrolled = await runShown(dir, shown.command);
            assert.equal(enrolled.code, 0, `${shown.command}\n${enrolled.stdout}${enrolled.stderr}`);
            assert.match(enrolled.stdout, /enrolled with/);
            const stateDir = /--state-dir/.test(shown.command) ? path.join(dir, 'state') : path.join(dir, 'pakt-agent-data');
            assert.ok(fs.existsSync(path.join(stateDir, 'state.json')), 'the agent saved its state');
            if (/\| sudo /.test(shown.command)) {
                assert.equal(fs.readFileSync(path.join(dir, 'sudo-account'), 'utf8').trim(), 'pakt-agent');
            }
            const once = await run(dir, d.agentBinary, ['--state-dir', stateDir, 'once']);
            assert.equal(once.code, 0, `pakt-agent once:\n${once.stdout}${once.stderr}`);

            const fresh = (await schoolAgents()).filter((a) => !before.has(a.agent_id));
            assert.equal(fresh.length, 1, 'exactly one new agent at the school');
            const agent = fresh[0];
            assert.equal(agent.hostname, os.hostname());
            assert.ok(agent.last_checkin_at, 'the agent checked in');
            assert.equal(agent.state, 'on_time');

            // The reloaded page lists it: hostname, version, German check-in time, state in words.
            await page.reload();
            await settled(page);
            const revoke = page.getByRole('button', { name: `Agent ${agent.hostname} (Nr. ${agent.agent_id}) widerrufen` });
            const row = page.locator('#agents').getByRole('row')
                .filter({ has: page.getByRole('rowheader', { name: agent.hostname, exact: true }) });
            await row.waitFor({ state: 'visible' });
            const rowText = (await row.innerText()).replace(/\s+/g, ' ');
            assert.ok(rowText.includes(agent.hostname), rowText);
            assert.ok(rowText.includes(agent.agent_version), rowText);
            assert.match(rowText, /\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}/, 'check-in as German date and time');
            assert.match(rowText, /pünktlich/);
            await screenshot(page, s.server, 'agent-enrolled');

            // Revoke it in the browser, after the confirmation.
            let question = null;
            page.once('dialog', (dialog) => { question = dialog.message(); dialog.accept(); });
            await revoke.click();
            await eventually(async () => assert.match(await mainText(page),
                new RegExp(`Agent ${agent.hostname} \\(Nr\\. ${agent.agent_id}\\) widerrufen\\.`)));
            assert.match(question ?? '', /wirklich widerrufen/);
            await eventually(async () => assert.equal(await page.locator('#live').innerText(),
                `Agent ${agent.hostname} (Nr. ${agent.agent_id}) widerrufen.`));
            const after = (await schoolAgents()).find((a) => a.agent_id === agent.agent_id);
            assert.equal(after.revoked, true, 'the API confirms the revocation');
            await eventually(async () => assert.match((await row.innerText()).replace(/\s+/g, ' '), /widerrufen/));
            assert.equal(await revoke.count(), 0, 'no revoke button for a revoked agent');
            await screenshot(page, s.server, 'agent-revoked');

            // A revoked agent's check-in is refused.
            const refused = await run(dir, d.agentBinary, ['--state-dir', stateDir, 'once']);
            assert.notEqual(refused.code, 0, 'the revoked agent cannot check in');
            assert.deepEqual(page.problems, []);
        }, kClipboard);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('Agents_SecretRevokedInBrowser_NoLongerEnrolls', async () => {
    const dir = agentWorkDir();
    try {
        await withPage(s.browser, s.server, 'secret revoke', async ({ context, page }) => {
            await loginCookie(context, users.it);
            await visit(page, s.server, `/agents?school_number=${schools.viktoria}`, 'secret-revoke-start');
            const shown = await createSecretInPage(page);
            const secrets = (await s.admin.get(`/api/v1/schools/${schools.viktoria}/agent-secrets`)).items;
            const newest = secrets.at(-1);
            assert.equal(newest.revoked, false);

            const revoke = page.getByRole('button', { name: `Schlüssel ${newest.id} widerrufen` });
            page.once('dialog', (dialog) => dialog.accept());
            await revoke.click();
            await eventually(async () => assert.match(await mainText(page), new RegExp(`Schlüssel ${newest.id} widerrufen\\.`)));
            const row = page.getByRole('row').filter({ hasText: `Schlüssel ${newest.id}` });
            await eventually(async () => assert.match(await row.innerText(), /widerrufen/));
            const after = (await s.admin.get(`/api/v1/schools/${schools.viktoria}/agent-secrets`)).items
                .find((x) => x.id === newest.id);
            assert.equal(after.revoked, true, 'the API confirms the revocation');
            await screenshot(page, s.server, 'secret-revoked');

            const result = await runShown(dir, shown.command);
            assert.notEqual(result.code, 0, 'a revoked secret enrolls no agent');
            assert.match(result.stderr + result.stdout, /refused the enroll secret/);
            assert.deepEqual(page.problems, []);
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('Agents_HeadteacherSeesAgentsAndUnknownDevicesButCannotChange', async () => {
    await withPage(s.browser, s.server, 'headteacher', async ({ context, page }) => {
        await loginCookie(context, users.leitung);
        await visit(page, s.server, '/agents', 'headteacher');
        const text = await mainText(page);
        assert.match(text, /Einrichten und widerrufen kann nur die Schul-IT/);
        assert.ok(text.includes(kSetupHost), 'the agent is listed');
        assert.ok(text.includes(kUnknownSerial), 'the unknown device is listed');
        assert.equal(await page.getByRole('button', { name: 'Erfassungsschlüssel erstellen' }).count(), 0);
        assert.equal(await page.getByRole('button', { name: /widerrufen/i }).count(), 0);
        assert.deepEqual(page.problems, []);
    });
});

test('Agents_CityAdminFindsTheSchoolBySearch', async () => {
    await withPage(s.browser, s.server, 'city admin', async ({ context, page }) => {
        await loginCookie(context, users.admin);
        await visit(page, s.server, '/agents', 'city-admin-all');
        // Without a school: every agent, with its school.
        const all = page.getByRole('row').filter({ hasText: kSetupHost });
        await all.waitFor({ state: 'visible' });
        assert.match(await all.innerText(), new RegExp(schools.viktoria));

        await page.getByRole('searchbox', { name: 'Schule suchen' }).fill('viktoria-gym');
        const choice = page.getByRole('link', { name: /Viktoria-Gymnasium.*\(164720\)/ });
        await choice.waitFor({ state: 'visible' });
        assert.doesNotMatch(await mainText(page), /\b(null|undefined)\b/);
        await screenshot(page, s.server, 'city-admin-picker');
        await choice.click();
        await page.waitForURL((url) => url.searchParams.get('school_number') === schools.viktoria);
        // The address changes before the page has rendered the school's heading.
        await settled(page);
        assert.match(await (await heading(page)).innerText(), /Standort-Agenten: Viktoria-Gymnasium/);
        assert.ok((await mainText(page)).includes(kSetupHost));
        await screenshot(page, s.server, 'city-admin-school');
        assert.deepEqual(page.problems, []);
    });
});

// [name, user, path, prepare(page)?]
const kPages = [
    ['city-admin-all', users.admin, '/agents'],
    ['city-admin-school', users.admin, `/agents?school_number=${schools.viktoria}`],
    ['school-it-secret-shown', users.it, '/agents', createSecretInPage],
    ['headteacher', users.leitung, '/agents'],
];
for (const [name, user, urlPath, prepare] of kPages) {
    test(`Agents_Accessibility_${name}_HasNoSeriousOrCriticalViolation`, async () => {
        await withPage(s.browser, s.server, `a11y ${name}`, async ({ context, page }) => {
            await loginCookie(context, user);
            await visit(page, s.server, urlPath, `a11y-${name}`);
            if (prepare) await prepare(page);
            const violations = await seriousViolations(page);
            assert.deepEqual(violations, [], `axe on ${urlPath}:\n  ${violations.join('\n  ')}`);
            assert.deepEqual(page.problems, []);
        });
    });
}
