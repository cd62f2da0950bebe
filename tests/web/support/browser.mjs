// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Debian's Chromium, headless, driven by playwright-core: one browser per test file, a new
// context per test (ignoring the self-signed certificate), pages found by role and label as a
// screen reader finds them, a full-page screenshot of every page visited, axe-core on demand.
import fs from 'node:fs';
import path from 'node:path';

import { artifactsDir, chromiumPath } from './env.mjs';

// Missing npm packages or a missing browser fail the test file with what to do (never a skip).
async function importOrFail(name) {
    try {
        return await import(name);
    } catch (error) {
        throw new Error(`cannot load the npm package ${name} (${error.message}); run \`npm ci\` in ` +
            'the repository (./tools/test does)');
    }
}

/** Launches headless Chromium; throws a clear error if /usr/bin/chromium is missing. */
export async function launchBrowser() {
    if (!fs.existsSync(chromiumPath)) {
        throw new Error(`${chromiumPath} is missing: the browser tests need Debian's chromium ` +
            'package (./tools/setup installs it)');
    }
    const { chromium } = await importOrFail('playwright-core');
    return chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--no-first-run',
            // The browser's own widgets (date fields) in German too, as a German user sees them.
            '--lang=de-DE'],
    });
}

// Generous: two cores run two test files, each with its own paktd and Chromium, at once.
const kTimeoutMs = 20_000;

/**
 * A fresh browser context (no cookies) for `server`, German locale, and one page in it. The page
 * records uncaught errors and CSP violations in page.problems.
 */
export async function newPage(browser, server, options = {}) {
    const context = await browser.newContext({
        ignoreHTTPSErrors: true,
        baseURL: server.url,
        locale: 'de-DE',
        timezoneId: 'Europe/Berlin',
        viewport: { width: 1280, height: 900 },
        ...options,
    });
    context.setDefaultTimeout(kTimeoutMs);
    context.paktOrigin = server.url;
    const page = await context.newPage();
    page.problems = [];
    page.on('pageerror', (error) => page.problems.push(`uncaught: ${error.message}`));
    if (process.env.PAKT_WEB_TRACE) {
        page.on('request', (r) => console.error(`> ${r.method()} ${r.url()}`));
        page.on('response', (r) => console.error(`< ${r.status()} ${r.url()}`));
        page.on('console', (msg) => console.error(`console.${msg.type()}: ${msg.text()}`));
        page.on('pageerror', (error) => console.error(`pageerror: ${error.stack}`));
    }
    page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        if (/Content[- ]Security[- ]Policy/i.test(msg.text())) page.problems.push(`CSP: ${msg.text()}`);
        // Script errors the page's router caught and logged (it then shows a generic alert).
        if (/\b(Reference|Type|Syntax|Range)Error\b/.test(msg.text())) page.problems.push(`logged: ${msg.text()}`);
    });
    return { context, page };
}

/**
 * Runs `fn({context, page})` in a fresh context; on failure saves `<file>-FAILED-<name>.png`
 * and appends the page's uncaught errors to the error message. Closes the context.
 */
export async function withPage(browser, server, name, fn, options) {
    const { context, page } = await newPage(browser, server, options);
    try {
        return await fn({ context, page });
    } catch (error) {
        try {
            await page.screenshot({
                path: path.join(artifactsDir(), `${server.name}-FAILED-${slug(name)}.png`),
                fullPage: true, timeout: 5_000,
            });
        } catch { /* the page may be gone */ }
        let extra = `(at ${page.url()})`;
        if (page.problems.length) extra += `\npage errors:\n  ${page.problems.join('\n  ')}`;
        error.message += `\n${extra}`;
        // Node prints the stack, which holds the message as it was when the error was made.
        if (typeof error.stack === 'string') error.stack += `\n${extra}`;
        throw error;
    } finally {
        await context.close();
    }
}

export function slug(text) {
    return text.toLowerCase().replace(/[^a-z0-9äöüß]+/g, '-').replace(/^-|-$/g, '');
}

/** The page's level-1 heading once it is visible (pages render client-side into <main>). */
export async function heading(page) {
    const h1 = page.getByRole('heading', { level: 1 });
    await h1.first().waitFor({ state: 'visible' });
    return h1.first();
}

/** Waits until the page rendered: its h1 is visible, render() finished, no request is in flight. */
export async function settled(page) {
    const h1 = await heading(page);
    // The app marks <main> busy until the page's render() finished (its heading is final then).
    await page.locator('main:not([aria-busy="true"])').waitFor();
    // Lists and summaries load after render() (a "Wird geladen" placeholder, or a busy section
    // of their own meanwhile). networkidle alone does not wait for them after a navigation
    // inside the app (a link click): the page's load state was reached long before.
    await page.waitForFunction(
        () => !document.querySelector('main .app-loading, main [aria-busy="true"]'));
    await page.waitForLoadState('networkidle');
    return h1;
}

/** Full-page screenshot to <artifacts>/<server name>-<name>.png. */
export async function screenshot(page, server, name) {
    const base = slug(name);
    const prefixed = base === server.name || base.startsWith(`${server.name}-`) ? base : `${server.name}-${base}`;
    const file = path.join(artifactsDir(), `${prefixed}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
}

/** Goes to `urlPath`, waits until the page rendered, screenshots it; returns the h1. */
export async function visit(page, server, urlPath, name) {
    await page.goto(urlPath);
    const h1 = await settled(page);
    await screenshot(page, server, name);
    return h1;
}

/**
 * axe-core on the current page: returns the violations with impact serious or critical, each
 * printed as "id (impact): help — targets".
 */
export async function seriousViolations(page) {
    const { AxeBuilder } = await importOrFail('@axe-core/playwright');
    const result = await new AxeBuilder({ page }).analyze();
    return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
            v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ')}`)
                .join(' | ') + (v.nodes.length > 5 ? ` (+${v.nodes.length - 5} more)` : ''));
}

/**
 * Logs in through the API from inside the browser context (POST /api/v1/session with
 * cookie: true), so the context holds the session cookie as after the login form; for tests that
 * are not about the login page itself.
 */
export async function loginCookie(context, user) {
    // With the server's own Origin, as the login page's fetch sends it (paktd opens cookie
    // sessions only for its own pages).
    const res = await context.request.post('/api/v1/session', {
        headers: { Origin: context.paktOrigin },
        data: { username: user.username, password: user.password, cookie: true },
    });
    if (res.status() !== 201) {
        throw new Error(`cookie login as ${user.username}: HTTP ${res.status()} ${await res.text()}`);
    }
}

/** Logs in through the login page's form, as a person does; waits for the next page's h1. */
export async function loginForm(page, user) {
    await page.goto('/login');
    await heading(page);
    await page.getByLabel('Benutzername').fill(user.username);
    await page.getByLabel('Passwort', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((url) => url.pathname !== '/login');
    return settled(page);
}

/**
 * Retries `fn` (which throws while its condition does not hold) until it passes or `timeout`
 * ms passed; then throws its last error. For assertions on what a page shows after it answers.
 */
export async function eventually(fn, { timeout = kTimeoutMs, interval = 100 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
        try {
            return await fn();
        } catch (error) {
            if (Date.now() > deadline) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, interval));
    }
}

/** The text of <main>, whitespace collapsed. */
export async function mainText(page) {
    return (await page.getByRole('main').innerText()).replace(/\s+/g, ' ');
}
