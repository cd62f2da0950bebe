// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The fake Apple School Manager, Jamf School and Relution APIs (pakt_fake_vendors, built from
// tests/support/fake_vendors_main.cpp) as a child process for one test file: its devices from a
// fixture, a free port and its own certificate, both read from the ready.json it writes last.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { artifactsDir, binaries } from './env.mjs';
import { waitForReadyFile } from './ready_file.mjs';

const kStopTimeoutMs = 10_000;

function readReady(file) {
    try {
        const ready = JSON.parse(fs.readFileSync(file, 'utf8'));
        return Number.isInteger(ready.port) ? ready : null;
    } catch {
        return null; // not there yet
    }
}

/**
 * Starts pakt_fake_vendors for the test file `name` with `fixture` ({asm, jamf, jamf_locations,
 * relution}, see fake_vendors_main.cpp). Returns { dir, ready, file(name), log(), stop() }:
 * `ready` is its ready.json (port, URLs, ASM client and key id, Jamf network id); `file('ca.pem')`,
 * `file('asm-key.pem')`, `file('jamf.key')`, `file('relution.token')` are the paths of the
 * certificate and the credentials (mode 0600). Throws with its output if it is not ready within
 * 30 s or exits before.
 */
export async function startFakeVendors(name, fixture) {
    const binary = binaries().fakeVendors;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pakt-web-${name}-vendors-`));
    const fixtureFile = path.join(dir, 'fixture.json');
    fs.writeFileSync(fixtureFile, JSON.stringify(fixture, null, 2));
    const logFile = path.join(dir, 'fake-vendors.log');
    const logFd = fs.openSync(logFile, 'a');
    const child = spawn(binary, ['--dir', dir, '--fixture', fixtureFile], { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    const log = () => fs.readFileSync(logFile, 'utf8');

    let exited = null;
    const exitPromise = new Promise((resolve) => {
        child.on('exit', (code, signal) => resolve((exited = { code, signal })));
        child.on('error', (error) => resolve((exited = { error })));
    });
    const killOnExit = () => { if (!exited) child.kill('SIGKILL'); };
    process.on('exit', killOnExit);

    // Written by rename once everything else is in place.
    const readyFile = path.join(dir, 'ready.json');
    const ready = await waitForReadyFile({
        file: readyFile, read: readReady, what: 'pakt_fake_vendors', exited: () => exited, exitPromise, log,
    }).catch((error) => {
        child.kill('SIGKILL');
        process.off('exit', killOnExit);
        throw error;
    });

    return {
        dir,
        ready,
        file: (file) => path.join(dir, file),
        log,
        /** SIGTERM, wait up to 10 s (then SIGKILL); keeps its log as an artifact. */
        async stop() {
            if (!exited) {
                child.kill('SIGTERM');
                const timer = setTimeout(() => child.kill('SIGKILL'), kStopTimeoutMs);
                await exitPromise;
                clearTimeout(timer);
            }
            process.off('exit', killOnExit);
            try {
                fs.copyFileSync(logFile, path.join(artifactsDir(), `${name}-fake-vendors.log`));
            } catch { /* no log written */ }
            if (!process.env.PAKT_WEB_KEEP_DATA) fs.rmSync(dir, { recursive: true, force: true });
            return exited;
        },
    };
}
