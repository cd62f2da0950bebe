-- SPDX-License-Identifier: EUPL-1.2
-- SPDX-FileCopyrightText: 2026 Pakt contributors
-- State scale (issue 13).
-- A check-in rewrites the latest report of each device its school's agent
-- sees. Keyed by serial number alone, a school's rows lay scattered over the whole table (Apple's
-- serial numbers are random since 2021), so a 341-device check-in rewrote about 341 pages of it;
-- keyed by school first, they lie together on a handful. A device never changes school (its
-- tranche's), so the key is stable; every reader joins on both columns from the device row.
-- The device's key, (school_number, serial_number), is the parent key: a foreign key on the serial
-- number alone would make every deletion of a device scan this table for children.
DROP INDEX devices_by_school;
CREATE UNIQUE INDEX devices_by_school ON devices(school_number, serial_number);

CREATE TABLE device_reports_new (
    school_number    TEXT NOT NULL,             -- the device's (devices.school_number)
    serial_number    TEXT NOT NULL,
    agent_id         INTEGER NOT NULL,
    seen_at          TEXT NOT NULL,
    os_version       TEXT,
    battery_pct      INTEGER,
    storage_free_mb  INTEGER,
    managed          INTEGER,
    ip_address       TEXT,
    report_id        TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (school_number, serial_number),
    FOREIGN KEY (school_number, serial_number) REFERENCES devices(school_number, serial_number)
) WITHOUT ROWID;

INSERT INTO device_reports_new (school_number, serial_number, agent_id, seen_at, os_version, battery_pct,
                                storage_free_mb, managed, ip_address, report_id, updated_at)
SELECT d.school_number, r.serial_number, r.agent_id, r.seen_at, r.os_version, r.battery_pct,
       r.storage_free_mb, r.managed, r.ip_address, r.report_id, r.updated_at
FROM device_reports r JOIN devices d ON d.serial_number = r.serial_number
ORDER BY d.school_number, r.serial_number;

DROP TABLE device_reports;
ALTER TABLE device_reports_new RENAME TO device_reports;
CREATE INDEX device_reports_by_seen ON device_reports(seen_at);

