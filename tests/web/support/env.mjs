// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Where the browser tests find what they drive: the real binaries, the repository, the artifacts
// directory. CTest passes them as environment variables (tests/web/CMakeLists.txt); run by hand,
// they default to the build directory tools/test uses. Anything missing fails the test file with
// a message saying what to do: the browser tests never skip.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoDir =
    process.env.PAKT_SOURCE_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const buildDir = process.env.PAKT_BUILD_DIR ?? path.join(repoDir, 'build');

export const chromiumPath = process.env.PAKT_CHROMIUM ?? '/usr/bin/chromium';

function executable(variable, fallback) {
    const file = process.env[variable] ?? fallback;
    try {
        fs.accessSync(file, fs.constants.X_OK);
    } catch {
        throw new Error(`${variable}: ${file} is not an executable file; build it first ` +
            `(./tools/test builds everything) or set ${variable}`);
    }
    return file;
}

/**
 * The paths of the real paktd and paktctl binaries (checked to be executable), of the real
 * pakt-agent (`agent`) and of the fake vendor APIs (`fakeVendors`, tests/support/
 * fake_vendors_main.cpp); the last two checked only when a test asks for them.
 */
export function binaries() {
    return {
        paktd: executable('PAKT_PAKTD', path.join(buildDir, 'server/paktd')),
        paktctl: executable('PAKT_PAKTCTL', path.join(buildDir, 'tools/paktctl')),
        get agent() { return executable('PAKT_AGENT', path.join(buildDir, 'agent/pakt-agent')); },
        get fakeVendors() {
            return executable('PAKT_FAKE_VENDORS', path.join(buildDir, 'tests/pakt_fake_vendors'));
        },
    };
}

/** The directory screenshots and paktd logs go to (created). */
export function artifactsDir() {
    const dir = process.env.PAKT_WEB_ARTIFACTS ?? path.join(buildDir, 'web-artifacts');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

export const schoolsCsv = path.join(repoDir, 'tools/demo-data/essen-schools.csv');

// The demo logins (tools/demo): the tests seed the same users.
export const users = {
    admin: { username: 'admin', password: 'demo-admin-pass', role: 'city_admin' },
    it: { username: 'it-164720', password: 'demo-it-164720', role: 'school_it', school: '164720' },
    leitung: {
        username: 'leitung-164720', password: 'demo-leitung-164720', role: 'headteacher',
        school: '164720',
    },
    itOther: { username: 'it-101771', password: 'demo-it-101771', role: 'school_it', school: '101771' },
    leitungOther: {
        username: 'leitung-101771', password: 'demo-leitung-101771', role: 'headteacher',
        school: '101771',
    },
};

// The demo schools (paktctl demo seed): Viktoria-Gymnasium with the logins, Antoniusschule with
// its own logins, Frida-Levy-Gesamtschule without any.
export const schools = { viktoria: '164720', antonius: '101771', fridaLevy: '189080' };
