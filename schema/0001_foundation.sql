-- SPDX-License-Identifier: EUPL-1.2
-- SPDX-FileCopyrightText: 2026 Pakt contributors
-- Foundation: schools, users with per-school roles, sessions, API tokens and the audit log.
-- Times are RFC 3339 UTC strings; they sort correctly as text.

CREATE TABLE schools (
    school_number TEXT PRIMARY KEY CHECK (length(school_number) = 6 AND school_number NOT GLOB '*[^0-9]*'),
    name          TEXT NOT NULL DEFAULT '',   -- real data has schools without a name
    school_type   TEXT NOT NULL DEFAULT '',
    district      TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    latitude      REAL,
    longitude     REAL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('city_admin', 'school_it', 'headteacher')),
    password_hash TEXT NOT NULL,              -- Argon2id PHC string
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE user_schools (
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    school_number TEXT NOT NULL REFERENCES schools(school_number),
    PRIMARY KEY (user_id, school_number)
) WITHOUT ROWID;
CREATE INDEX user_schools_by_school ON user_schools(school_number);

-- Login sessions; only the SHA-256 of the bearer token is stored.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    client_address TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

-- Long-lived API tokens for scripts; only the SHA-256 of the token is stored.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    expires_on    TEXT,                       -- last valid day (UTC), NULL: no expiry
    last_used_at  TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id, id);

-- Append-only audit trail. Each entry stores the hash of the previous entry and its own hash over
-- its content and that previous hash, so a changed or deleted row breaks the chain.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor_user_id INTEGER,                    -- NULL for the system and for paktctl
    actor         TEXT NOT NULL,              -- username, 'paktctl' or 'system'
    action        TEXT NOT NULL,              -- e.g. 'user.create', 'school.update'
    object_type   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    school_number TEXT,                       -- scope of the object, NULL if city-wide
    detail        TEXT NOT NULL DEFAULT '{}', -- JSON
    request_id    TEXT NOT NULL DEFAULT '',
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_by_school ON audit_log(school_number, id);
