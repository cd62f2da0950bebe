-- SPDX-License-Identifier: EUPL-1.2
-- SPDX-FileCopyrightText: 2026 Pakt contributors
-- The web UI: browser sessions end when idle, loans record what was handed over, and the loan
-- lists a school's staff page through have indexes that serve them.

-- When a session was last used; a session idle for longer than auth.session_idle_minutes ends.
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT NOT NULL DEFAULT '';
UPDATE sessions SET last_seen_at = created_at;

-- What the borrower received with the device (case, charger, pencil) and damage it already had,
-- both printed on the loan agreement. Free text about the device, never about the person.
ALTER TABLE loans ADD COLUMN accessories TEXT NOT NULL DEFAULT '';
ALTER TABLE loans ADD COLUMN pre_existing_damage TEXT NOT NULL DEFAULT '';

-- A school's current (and overdue) loans, newest first.
CREATE INDEX loans_open_by_school_id ON loans(school_number, id) WHERE returned_at IS NULL;
-- A school's returned loans, newest first.
CREATE INDEX loans_returned_by_school_id ON loans(school_number, id) WHERE returned_at IS NOT NULL;
