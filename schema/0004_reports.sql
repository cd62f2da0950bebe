-- SPDX-License-Identifier: EUPL-1.2
-- SPDX-FileCopyrightText: 2026 Pakt contributors
-- Reports: the funding report and the rollout funnel count a tranche's devices by status and
-- retirement reason. This index covers those counts (a range per tranche, in group order, no
-- table lookups); devices_by_tranche keeps serving the serial-number order of device lists.
CREATE INDEX devices_by_tranche_status ON devices(tranche_id, status, retired_reason);
