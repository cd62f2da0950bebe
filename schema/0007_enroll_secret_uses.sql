-- SPDX-License-Identifier: EUPL-1.2
-- SPDX-FileCopyrightText: 2026 Pakt contributors
-- Enroll secrets are exchanged once (DESIGN.md): each secret allows max_uses enrollments
-- ([agents] enroll_secret_uses, default 1, or "uses" when it is created) and counts them in
-- uses; a used-up secret is refused like an unknown one.
ALTER TABLE agent_secrets ADD COLUMN max_uses INTEGER NOT NULL DEFAULT 1 CHECK (max_uses >= 1);
ALTER TABLE agent_secrets ADD COLUMN uses INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0);

-- Secrets created before this migration could be used any number of times. Each now counts the
-- agents it has enrolled, and allows one use if it has none yet: a secret that has already
-- enrolled an agent is used up, one still waiting for its agent keeps working once.
UPDATE agent_secrets
   SET uses = (SELECT count(*) FROM agents WHERE agents.secret_id = agent_secrets.id);
UPDATE agent_secrets SET max_uses = uses WHERE uses > 1;
