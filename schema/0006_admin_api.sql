-- SPDX-License-Identifier: EUPL-1.2
-- SPDX-FileCopyrightText: 2026 Pakt contributors
-- Municipal IT's pages: passwords the server generated must be changed at the next login, and
-- the audit log's filters have indexes that serve them.

-- Set when the server generated the user's password (a user created without one, a one-time
-- password set by city_admin); cleared when the user sets its own. Until then the user may only
-- read itself, change its password and log out.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));

-- GET /audit, newest first, filtered. Without these a filter on a rare actor, action or object
-- walks the whole log back from the newest entry before it finds a page (or finds nothing),
-- and one on a common object type sorts all of its entries. Each index ends in the id, so a
-- filter reads its entries newest first and stops when the page is full. (The school filter
-- has audit_log_by_school; a time range is turned into a range of ids, which needs no index.)
-- The actor filter ignores case, as usernames do.
CREATE INDEX audit_log_by_actor ON audit_log(actor COLLATE NOCASE, id);
-- An exact action, and an action prefix ("device."): the actions under the prefix are read
-- from this index one by one and then searched as a list.
CREATE INDEX audit_log_by_action ON audit_log(action, id);
-- One object's history.
CREATE INDEX audit_log_by_object ON audit_log(object_type, object_id, id);
-- All objects of a type.
CREATE INDEX audit_log_by_object_type ON audit_log(object_type, id);
