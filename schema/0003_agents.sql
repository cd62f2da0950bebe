-- SPDX-License-Identifier: EUPL-1.2
-- SPDX-FileCopyrightText: 2026 Pakt contributors
-- Site agents: enroll secrets, enrolled agents with their node keys, check-in idempotency
-- records and sightings of serial numbers not enrolled anywhere.

-- One-time-shown secrets a school's IT helper creates to enroll an agent. Only the hash is kept.
CREATE TABLE agent_secrets (
    id             INTEGER PRIMARY KEY,
    school_number  TEXT NOT NULL REFERENCES schools(school_number),
    secret_hash    TEXT NOT NULL UNIQUE,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    revoked_at     TEXT
);
CREATE INDEX agent_secrets_by_school ON agent_secrets(school_number, id);

CREATE TABLE agents (
    id               INTEGER PRIMARY KEY,
    school_number    TEXT NOT NULL REFERENCES schools(school_number),
    hostname         TEXT NOT NULL,
    agent_version    TEXT NOT NULL,
    node_key_hash    TEXT NOT NULL UNIQUE,    -- SHA-256 of the node key
    secret_id        INTEGER REFERENCES agent_secrets(id),
    enrolled_at      TEXT NOT NULL,
    last_checkin_at  TEXT,
    revoked_at       TEXT
);
CREATE INDEX agents_by_school ON agents(school_number, id);

-- Idempotency: the first answer to each report, so a replay gets the same answer and changes
-- nothing. Kept at least 30 days (pruned by received_at).
CREATE TABLE checkin_reports (
    report_id        TEXT PRIMARY KEY,
    agent_id         INTEGER NOT NULL REFERENCES agents(id),
    received_at      TEXT NOT NULL,
    generated_at     TEXT NOT NULL,
    device_count     INTEGER NOT NULL,
    accepted         INTEGER NOT NULL,
    unknown_serials  TEXT NOT NULL            -- JSON array, as first answered
) WITHOUT ROWID;
CREATE INDEX checkin_reports_by_time ON checkin_reports(received_at);
CREATE INDEX checkin_reports_by_agent ON checkin_reports(agent_id, received_at);

-- Serial numbers an agent saw that are not enrolled anywhere: iPads that were never enrolled.
CREATE TABLE unknown_sightings (
    school_number  TEXT NOT NULL REFERENCES schools(school_number),
    serial_number  TEXT NOT NULL,
    first_seen_at  TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL,
    agent_id       INTEGER NOT NULL,
    ip_address     TEXT,
    os_version     TEXT,
    times_seen     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (school_number, serial_number)
) WITHOUT ROWID;
CREATE INDEX unknown_sightings_by_serial ON unknown_sightings(serial_number);

-- Tranche progress counts devices seen in the last 7 days and managed ones through this.
CREATE INDEX device_reports_by_seen ON device_reports(seen_at);
