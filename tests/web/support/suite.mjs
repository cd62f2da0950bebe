// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// What every browser test file shares: one seeded paktd and one Chromium for the file, started
// in before() and stopped in after(), and an API client logged in as the city admin for checking
// results. A failure to start either fails every test of the file.
import fs from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';

import { apiAs } from './api.mjs';
import { launchBrowser } from './browser.mjs';
import { artifactsDir, users } from './env.mjs';
import { startPaktd } from './paktd.mjs';

/**
 * Registers before/after hooks for the file `name`; returns an object whose server, browser and
 * admin (ApiClient as city_admin) are set once before() ran. `setup(s)`, if given, runs in the
 * same hook after them: the file's own preparation (Node 20 runs several top-level before()
 * hooks at once, so a file must not add its own).
 * `options.paktdConfig(s)`, if given, runs first and returns TOML text for paktd.toml (for what
 * paktd must know at start, such as other servers the file starts); whatever it starts it hands
 * to `s.onStop(fn)`, and after() runs those functions once paktd has stopped, last first.
 */
export function suite(name, setup, { paktdConfig } = {}) {
    const stops = [];
    const s = { server: null, browser: null, admin: null, onStop: (fn) => stops.push(fn) };
    const stop = async () => {
        await s.browser?.close();
        s.browser = null;
        await s.server?.stop();
        s.server = null;
        while (stops.length) await stops.pop()();
    };
    before(async () => {
        try {
            // This file's screenshots of an earlier run would mislead.
            const dir = artifactsDir();
            for (const f of fs.readdirSync(dir)) {
                if (f.startsWith(`${name}-`)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
            }
            const extraToml = paktdConfig ? await paktdConfig(s) : '';
            s.server = await startPaktd(name, { extraToml });
            s.browser = await launchBrowser();
            s.admin = await apiAs(s.server, users.admin);
            if (setup) await setup(s);
        } catch (error) {
            // after() does not run when before() fails.
            await stop();
            throw error;
        }
    }, { timeout: 120_000 });
    after(stop, { timeout: 30_000 });
    return s;
}
