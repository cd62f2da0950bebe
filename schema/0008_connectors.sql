-- SPDX-License-Identifier: EUPL-1.2
-- SPDX-FileCopyrightText: 2026 Pakt contributors
-- Connectors: what paktd pulls from vendor APIs (Apple School Manager, the MDMs) and a record of
-- every run, so municipal IT sees when a source last answered and what it changed.

-- One row per finished run of a connector (successful or not). A failed run changed nothing but
-- this row.
CREATE TABLE connector_runs (
    id           INTEGER PRIMARY KEY,
    connector    TEXT NOT NULL,                 -- asm, jamf_school, relution
    trigger      TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    requested_by TEXT NOT NULL DEFAULT '',      -- username for manual runs
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
    calls        INTEGER NOT NULL DEFAULT 0,    -- HTTP requests made, retries included
    retries      INTEGER NOT NULL DEFAULT 0,    -- of which repeated after 429, 5xx or a network error
    counts       TEXT NOT NULL DEFAULT '{}',    -- JSON: what the run read and changed
    conflicts    TEXT NOT NULL DEFAULT '[]',    -- JSON: [{serial_number?, order_number?, tranche_id?, message}]
    error        TEXT                           -- why a failed run failed; never a credential
);
CREATE INDEX connector_runs_by_connector ON connector_runs(connector, id);

-- Every device Apple School Manager lists for the organisation, as last synced. The order
-- number ties it to a tranche; a release from the organisation is a lifecycle event.
CREATE TABLE asm_devices (
    serial_number         TEXT PRIMARY KEY,
    order_number          TEXT NOT NULL DEFAULT '',
    order_date_time       TEXT,
    part_number           TEXT NOT NULL DEFAULT '',
    device_model          TEXT NOT NULL DEFAULT '',
    product_family        TEXT NOT NULL DEFAULT '',
    status                TEXT NOT NULL DEFAULT '',   -- ASSIGNED, UNASSIGNED (to an MDM server)
    added_to_org_at       TEXT,
    released_from_org_at  TEXT,
    tranche_id            INTEGER REFERENCES tranches(id),  -- the tranche its order matched
    first_synced_at       TEXT NOT NULL,
    last_synced_at        TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX asm_devices_by_tranche ON asm_devices(tranche_id, serial_number);
CREATE INDEX asm_devices_released ON asm_devices(released_from_org_at) WHERE released_from_org_at IS NOT NULL;

-- What an MDM reports about each device it manages, per MDM (a city moving from one MDM to
-- another has devices in both for a while). Kept apart from device_reports, which is what a
-- site agent saw on the school network: an MDM check-in can come from anywhere.
CREATE TABLE mdm_device_states (
    serial_number        TEXT NOT NULL,
    source               TEXT NOT NULL,          -- jamf_school, relution
    mdm_id               TEXT NOT NULL DEFAULT '',  -- the MDM's own id (UDID, UUID)
    location             TEXT NOT NULL DEFAULT '',  -- the MDM's location or organisation id
    school_number        TEXT,                   -- the school that location maps to (NULL: none)
    managed              INTEGER NOT NULL CHECK (managed IN (0, 1)),
    os_version           TEXT,
    battery_pct          INTEGER,
    asset_tag            TEXT,
    last_mdm_checkin_at  TEXT,
    synced_at            TEXT NOT NULL,
    PRIMARY KEY (serial_number, source)
) WITHOUT ROWID;
CREATE INDEX mdm_device_states_by_school ON mdm_device_states(school_number, serial_number);
-- The funnel's "managed" asks, per device, for the most recently synced MDM's word: one indexed
-- step, no sort, also when the inventory export asks for every device.
CREATE INDEX mdm_device_states_latest ON mdm_device_states(serial_number, synced_at, managed);

-- Unknown sightings come from agents and now also from MDMs: devices an MDM manages at a
-- school that Pakt has no enrollment for.
ALTER TABLE unknown_sightings ADD COLUMN source TEXT NOT NULL DEFAULT 'agent';
