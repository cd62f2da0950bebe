-- SPDX-License-Identifier: EUPL-1.2
-- SPDX-FileCopyrightText: 2026 Pakt contributors
-- Inventory: funding programmes, grants, tranches (deliveries) with their manifests, devices,
-- loans and device events. Money is integer cents; dates are YYYY-MM-DD, times RFC 3339 UTC.
-- Data protection: no column holds a person's name. Loans name a pseudonymous borrower_ref
-- chosen by the school and an agreement_ref pointing to the signed paper.

CREATE TABLE programmes (
    code                  TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    federal_share_pct     INTEGER NOT NULL CHECK (federal_share_pct BETWEEN 0 AND 100),
    description           TEXT NOT NULL DEFAULT '',
    max_unit_price_cents  INTEGER CHECK (max_unit_price_cents > 0),   -- NULL: no per-device cap
    max_per_school_cents  INTEGER CHECK (max_per_school_cents > 0),   -- NULL: no per-school cap
    funds_devices         INTEGER NOT NULL DEFAULT 1 CHECK (funds_devices IN (0, 1)),
    created_at            TEXT NOT NULL
) WITHOUT ROWID;

-- The DigitalPakt Schule programmes (DOMAIN.md); caps are data, not code.
INSERT INTO programmes (code, name, federal_share_pct, description, max_unit_price_cents,
                        max_per_school_cents, funds_devices, created_at) VALUES
    ('DP-BASIS', 'DigitalPakt Schule (Basis)', 90,
     '90 % funding in NRW, 10 % own share; mobile devices at most 25,000 EUR per school',
     NULL, 2500000, 1, '2019-05-17T00:00:00Z'),
    ('DP-SOFORT', 'Sofortausstattungsprogramm (Leihgeräte für Schülerinnen und Schüler)', 100,
     'loan devices for pupils; at most 500 EUR per device including extras',
     50000, NULL, 1, '2020-07-03T00:00:00Z'),
    ('DP-LEHRER', 'Leihgeräte für Lehrkräfte', 100,
     'teacher devices; at most 500 EUR per device; the device must be marked as funded',
     50000, NULL, 1, '2021-01-28T00:00:00Z'),
    ('DP-ADMIN', 'Administration (IT-Administratoren)', 100,
     'IT support staff; no devices, money only', NULL, NULL, 0, '2020-11-04T00:00:00Z'),
    ('REACT-EU', 'REACT-EU Endgeräte', 100,
     'per-school budgets for schools at disadvantaged locations', NULL, NULL, 1, '2021-06-01T00:00:00Z'),
    ('DP-2', 'DigitalPakt Schule 2.0 (2026-2030)', 50, '50:50 federal and state funding',
     NULL, NULL, 1, '2026-01-01T00:00:00Z'),
    ('EIGEN', 'Eigenmittel des Schulträgers', 0, 'municipal own funds', NULL, NULL, 1,
     '2019-01-01T00:00:00Z');

CREATE TABLE grants (
    id                     INTEGER PRIMARY KEY,
    programme_code         TEXT NOT NULL REFERENCES programmes(code),
    reference              TEXT NOT NULL UNIQUE,     -- Aktenzeichen
    title                  TEXT NOT NULL DEFAULT '',
    amount_cents           INTEGER NOT NULL CHECK (amount_cents >= 0),
    own_contribution_cents INTEGER NOT NULL DEFAULT 0 CHECK (own_contribution_cents >= 0),
    approved_on            TEXT NOT NULL,
    spend_by               TEXT NOT NULL,            -- end of the implementation period
    earmark_end            TEXT NOT NULL,            -- 31 Dec of the fifth year after spend_by
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
CREATE INDEX grants_by_programme ON grants(programme_code, id);

CREATE TABLE tranches (
    id                INTEGER PRIMARY KEY,
    school_number     TEXT NOT NULL REFERENCES schools(school_number),
    grant_id          INTEGER NOT NULL REFERENCES grants(id),
    supplier          TEXT NOT NULL DEFAULT '',
    order_number      TEXT NOT NULL DEFAULT '',
    delivery_note     TEXT NOT NULL DEFAULT '',
    delivered_on      TEXT NOT NULL,
    model             TEXT NOT NULL DEFAULT '',
    unit_price_cents  INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    expected_count    INTEGER NOT NULL CHECK (expected_count > 0),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX tranches_by_school ON tranches(school_number, id);
CREATE INDEX tranches_by_grant ON tranches(grant_id, id);

-- The supplier's delivery list. A serial number belongs to at most one tranche's manifest.
CREATE TABLE manifest_entries (
    serial_number  TEXT PRIMARY KEY,
    tranche_id     INTEGER NOT NULL REFERENCES tranches(id),
    model          TEXT NOT NULL DEFAULT '',
    asset_tag      TEXT NOT NULL DEFAULT '',
    imei           TEXT NOT NULL DEFAULT '',
    added_at       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX manifest_by_tranche ON manifest_entries(tranche_id, serial_number);

CREATE TABLE devices (
    serial_number   TEXT PRIMARY KEY,
    tranche_id      INTEGER NOT NULL REFERENCES tranches(id),
    school_number   TEXT NOT NULL REFERENCES schools(school_number),  -- the tranche's school
    asset_tag       TEXT NOT NULL DEFAULT '',
    model           TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'in_storage'
                    CHECK (status IN ('in_storage', 'in_use', 'in_repair', 'lost', 'stolen', 'retired')),
    location        TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    off_manifest    INTEGER NOT NULL DEFAULT 0 CHECK (off_manifest IN (0, 1)),
    retired_reason  TEXT CHECK (retired_reason IN ('lost', 'stolen', 'damaged_beyond_repair')),
    enrolled_at     TEXT NOT NULL,
    enrolled_by     TEXT NOT NULL,             -- username of the helper who enrolled it
    updated_at      TEXT NOT NULL
) WITHOUT ROWID;
-- Each list filter has an index that also serves the serial-number order of the pages.
CREATE INDEX devices_by_school ON devices(school_number, serial_number);
CREATE INDEX devices_by_tranche ON devices(tranche_id, serial_number);
CREATE INDEX devices_by_status ON devices(status, serial_number);
CREATE INDEX devices_by_school_status ON devices(school_number, status, serial_number);
CREATE INDEX devices_by_asset_tag ON devices(asset_tag);

CREATE TABLE loans (
    id                INTEGER PRIMARY KEY,
    serial_number     TEXT NOT NULL REFERENCES devices(serial_number),
    school_number     TEXT NOT NULL REFERENCES schools(school_number),
    borrower_ref      TEXT NOT NULL,          -- pseudonym chosen by the school, never a name
    borrower_kind     TEXT NOT NULL CHECK (borrower_kind IN ('student', 'teacher')),
    agreement_ref     TEXT NOT NULL,          -- reference to the signed loan agreement
    due_on            TEXT,
    started_at        TEXT NOT NULL,
    started_by        TEXT NOT NULL,
    returned_at       TEXT,
    return_condition  TEXT CHECK (return_condition IN ('ok', 'damaged')),
    return_note       TEXT NOT NULL DEFAULT '',
    returned_by       TEXT
);
-- At most one open loan per device.
CREATE UNIQUE INDEX loans_open_by_device ON loans(serial_number) WHERE returned_at IS NULL;
CREATE INDEX loans_by_device ON loans(serial_number, id);
CREATE INDEX loans_open_by_school ON loans(school_number) WHERE returned_at IS NULL;

CREATE TABLE device_events (
    id             INTEGER PRIMARY KEY,
    serial_number  TEXT NOT NULL REFERENCES devices(serial_number),
    at             TEXT NOT NULL,
    kind           TEXT NOT NULL,   -- enrolled, status_changed, updated, loaned, returned, ...
    actor          TEXT NOT NULL,
    detail         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX device_events_by_device ON device_events(serial_number, id);

-- The latest state a site agent reported for each enrolled device (filled by check-ins). Kept
-- apart from devices so the hot check-in upsert touches a narrow row.
CREATE TABLE device_reports (
    serial_number    TEXT PRIMARY KEY REFERENCES devices(serial_number),
    agent_id         INTEGER NOT NULL,
    seen_at          TEXT NOT NULL,
    os_version       TEXT,
    battery_pct      INTEGER,
    storage_free_mb  INTEGER,
    managed          INTEGER,
    ip_address       TEXT,
    report_id        TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) WITHOUT ROWID;
