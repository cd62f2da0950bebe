// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// paktd's API over HTTPS from Node, trusting exactly the test server's self-signed certificate
// (its tls/cert.pem as the only CA): a bearer-token client for checking results, and raw requests
// that carry a browser's Cookie and Origin headers for the CSRF checks.
import https from 'node:https';

/**
 * One HTTPS request. `options`: body (JSON-encoded unless a string), token (bearer), cookie
 * (Cookie header value), origin (Origin header), headers. Resolves to { status, headers, text,
 * json } (json is undefined unless the answer is JSON or problem+json).
 */
export function request(server, method, path, options = {}) {
    const headers = { Accept: 'application/json', ...options.headers };
    let body;
    if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['Content-Type'] ??= 'application/json';
        headers['Content-Length'] = Buffer.byteLength(body);
    }
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    if (options.cookie) headers.Cookie = options.cookie;
    if (options.origin) headers.Origin = options.origin;
    return new Promise((resolve, reject) => {
        const req = https.request({
            host: '127.0.0.1', port: server.port, method, path, headers, ca: server.ca,
            agent: false, timeout: 30_000,
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                let json;
                if (/json/.test(res.headers['content-type'] ?? '') && text) {
                    try { json = JSON.parse(text); } catch { /* left undefined */ }
                }
                resolve({ status: res.statusCode, headers: res.headers, text, json });
            });
        });
        req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
        req.on('error', reject);
        req.end(body);
    });
}

/** A client logged in as `user` with an API token (session without cookie). */
export async function apiAs(server, user) {
    const login = await request(server, 'POST', '/api/v1/session',
        { body: { username: user.username, password: user.password } });
    if (login.status !== 201 || !login.json?.token) {
        throw new Error(`API login as ${user.username}: HTTP ${login.status} ${login.text}`);
    }
    return new ApiClient(server, login.json.token);
}

export class ApiClient {
    constructor(server, token) {
        this.server = server;
        this.token = token;
    }

    /** The raw answer of a request with this client's token. */
    call(method, path, body) {
        return request(this.server, method, path, { token: this.token, body });
    }

    /** The JSON of a 2xx answer; throws with the answer otherwise. */
    async json(method, path, body) {
        const res = await this.call(method, path, body);
        if (res.status < 200 || res.status > 299) {
            throw new Error(`${method} ${path}: HTTP ${res.status} ${res.text}`);
        }
        return res.json;
    }

    get(path) { return this.json('GET', path); }

    /** Every item of a paged list (follows next_cursor). */
    async all(path) {
        const items = [];
        let cursor = null;
        do {
            const sep = path.includes('?') ? '&' : '?';
            const page = await this.get(
                `${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
            items.push(...page.items);
            cursor = page.next_cursor ?? null;
        } while (cursor);
        return items;
    }

    /** The device, or null when paktd answers 404. */
    async device(serial) {
        const res = await this.call('GET', `/api/v1/devices/${encodeURIComponent(serial)}`);
        if (res.status === 404) return null;
        if (res.status !== 200) throw new Error(`GET device ${serial}: HTTP ${res.status} ${res.text}`);
        return res.json;
    }

    /** The demo tranches by school: { [school_number]: [tranche, ...] } in id order. */
    async tranchesBySchool() {
        const tranches = await this.all('/api/v1/tranches');
        const bySchool = {};
        for (const t of tranches.sort((a, b) => a.id - b.id)) {
            (bySchool[t.school_number] ??= []).push(t);
        }
        return bySchool;
    }
}
