// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// A site agent as the API sees one, without the pakt-agent binary: an enroll secret from the
// admin, POST /agent/enroll, and check-ins with the node key (for pages that list agents and the
// unknown devices they reported).
import crypto from 'node:crypto';

import { request } from './api.mjs';

/**
 * Enrolls an agent named `hostname` at `school` through the API; returns { agentId, nodeKey,
 * secretId }.
 */
export async function enrollAgent(server, admin, school, hostname) {
    const secret = await admin.json('POST', `/api/v1/schools/${school}/agent-secrets`, {});
    const res = await request(server, 'POST', '/api/v1/agent/enroll', {
        body: { enroll_secret: secret.secret, hostname, agent_version: '0.0.0-test' },
    });
    if (res.status !== 201) throw new Error(`agent enroll: HTTP ${res.status} ${res.text}`);
    return { agentId: res.json.agent_id, nodeKey: res.json.node_key, secretId: secret.id };
}

/** One check-in of `agent` reporting `serials` as seen now; returns the answer's JSON. */
export async function checkin(server, agent, serials) {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const res = await request(server, 'POST', '/api/v1/agent/checkin', {
        token: agent.nodeKey,
        body: {
            report_id: crypto.randomUUID(),
            generated_at: now,
            agent_version: '0.0.0-test',
            devices: serials.map((serial_number, i) => ({
                serial_number, seen_at: now, os_version: '17.5.1', ip_address: `10.20.0.${10 + i}`,
            })),
        },
    });
    if (res.status !== 200) throw new Error(`agent checkin: HTTP ${res.status} ${res.text}`);
    return res.json;
}
