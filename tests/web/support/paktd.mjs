// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// A real paktd as a child process for one test file: a fresh temporary data directory seeded with
// the real paktctl exactly as tools/demo does (Essen's schools, the demo logins, `demo seed`),
// listening on 127.0.0.1 port 0, the port and certificate fingerprint read from its ready file.
// The UI is the one embedded in the binary (no --web-dir) unless PAKT_WEB_DIR says otherwise.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { artifactsDir, binaries, schoolsCsv, users } from './env.mjs';
import { waitForReadyFile } from './ready_file.mjs';

const kStopTimeoutMs = 10_000;
/** The municipality paktd is configured with ([organisation] name). */
export const kLender = 'Stadt Essen';

async function paktctl(paktctlPath, dataDir, args, input) {
    const child = execFile(paktctlPath, ['--data-dir', dataDir, ...args]);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    if (input !== undefined) child.stdin.end(input);
    const code = await new Promise((resolve, reject) => {
        child.on('error', reject);
        child.on('close', resolve);
    });
    if (code !== 0) {
        throw new Error(`paktctl ${args.join(' ')} exited with ${code}:\n${output}`);
    }
    return output;
}

/** Seeds `dataDir` like tools/demo: schools, the demo users, the demo inventory. */
async function seed(paktctlPath, dataDir) {
    await paktctl(paktctlPath, dataDir, ['import', 'schools', schoolsCsv]);
    for (const u of Object.values(users)) {
        const args = ['user', 'add', '--username', u.username, '--role', u.role];
        if (u.school) args.push('--school', u.school);
        args.push('--password-stdin');
        await paktctl(paktctlPath, dataDir, args, `${u.password}\n`);
    }
    return paktctl(paktctlPath, dataDir, ['demo', 'seed']);
}

function readReady(file) {
    let text;
    try {
        text = fs.readFileSync(file, 'utf8');
    } catch {
        return null;
    }
    const [port, fingerprint] = text.trim().split(/\s+/);
    if (!/^\d+$/.test(port ?? '') || !fingerprint) return null;
    return { port: Number(port), fingerprint };
}

/**
 * Starts a seeded paktd for the test file `name`. `extraToml`, if given, is appended to its
 * paktd.toml (tables of its own, e.g. [connectors]). Returns { url, host, port, fingerprint,
 * dataDir, ca, seedOutput, log(), stop() }. Throws (with paktd's log) if it does not become ready
 * within 30 s or exits before.
 */
export async function startPaktd(name, { extraToml = '' } = {}) {
    const { paktd, paktctl: paktctlPath } = binaries();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `pakt-web-${name}-`));
    const seedOutput = await seed(paktctlPath, dataDir);

    // paktd's defaults, but for the municipality printed as the lender on loan agreements.
    const configFile = path.join(dataDir, 'paktd.toml');
    // A first login delay no browser round trip can outlast, so the lockout test meets the 429
    // at the first throttled attempt however slow the machine is.
    fs.writeFileSync(configFile,
        `[organisation]\nname = "${kLender}"\n\n[auth]\nlogin_first_delay_s = 600\nlogin_max_delay_s = 900\n` +
        (extraToml ? `\n${extraToml}\n` : ''));
    const readyFile = path.join(dataDir, 'ready');
    const logFile = path.join(dataDir, 'paktd.log');
    const logFd = fs.openSync(logFile, 'a');
    const args = ['--config', configFile, '--data-dir', dataDir, '--listen', '127.0.0.1:0',
        '--ready-file', readyFile];
    // Development only: PAKT_WEB_DIR serves the UI from that directory instead of the embedded
    // copy (front-end work without a rebuild, or a deliberately broken copy to see a test fail).
    if (process.env.PAKT_WEB_DIR) args.push('--web-dir', process.env.PAKT_WEB_DIR);
    const child = spawn(paktd, args, { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    const log = () => fs.readFileSync(logFile, 'utf8');

    let exited = null;
    const exitPromise = new Promise((resolve) => {
        child.on('exit', (code, signal) => {
            exited = { code, signal };
            resolve(exited);
        });
        child.on('error', (error) => {
            exited = { error };
            resolve(exited);
        });
    });
    // If the test process dies without after(), paktd must not outlive it.
    const killOnExit = () => { if (!exited) child.kill('SIGKILL'); };
    process.on('exit', killOnExit);

    const ready = await waitForReadyFile({
        file: readyFile, read: readReady, what: 'paktd', exited: () => exited, exitPromise, log,
    }).catch((error) => {
        child.kill('SIGKILL');
        throw error;
    });

    const host = `127.0.0.1:${ready.port}`;
    const server = {
        name,
        url: `https://${host}`,
        host,
        port: ready.port,
        fingerprint: ready.fingerprint,
        dataDir,
        ca: fs.readFileSync(path.join(dataDir, 'tls/cert.pem')),
        seedOutput,
        pid: child.pid,
        log,
        /** SIGTERM, wait up to 10 s (then SIGKILL); keeps paktd's log as an artifact. */
        async stop() {
            if (!exited) {
                child.kill('SIGTERM');
                const timer = setTimeout(() => child.kill('SIGKILL'), kStopTimeoutMs);
                await exitPromise;
                clearTimeout(timer);
            }
            process.off('exit', killOnExit);
            try {
                fs.copyFileSync(logFile, path.join(artifactsDir(), `${name}-paktd.log`));
            } catch { /* no log written */ }
            if (!process.env.PAKT_WEB_KEEP_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
            return exited;
        },
    };
    return server;
}
