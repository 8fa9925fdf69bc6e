-- Issue 20: accounts without SQL. Applied to every shard like every migration; these tables are
-- read and written only in the directory (DB).

-- A fresh deployment's setup (/console/setup) claims the deployment once: the single row
-- (id = 1) is inserted first in the setup's batch, so of two setups racing only one commits,
-- and the trigger refuses it once any account exists (the demo seed, an account made with
-- SQL, a finished setup): the whole batch rolls back.
CREATE TABLE setup_claim (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  account_id  TEXT NOT NULL,
  claimed_at  INTEGER NOT NULL
);
CREATE TRIGGER setup_claim_only_when_empty BEFORE INSERT ON setup_claim
  WHEN EXISTS (SELECT 1 FROM accounts)
  BEGIN SELECT RAISE(ABORT, 'parley: the deployment already has an account'); END;

-- One-time links: an operator's invitation (set a first password) and a password reset. Only
-- the SHA-256 of the token is kept; a link is spent by deleting its row (one statement), so it
-- works once; past expires_at it is refused and purged.
CREATE TABLE operator_tokens (
  token_digest  TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('invite', 'reset')),
  account_id    TEXT NOT NULL,
  operator_id   TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL
);
CREATE INDEX operator_tokens_operator ON operator_tokens (operator_id);
CREATE INDEX operator_tokens_expires ON operator_tokens (expires_at);

-- Two-factor login (TOTP, RFC 6238): the secret in force (base32, NULL: off), one being
-- enrolled until confirmed with a code, and the last 30 s step a code was accepted for (a code
-- is never accepted twice).
ALTER TABLE operators ADD COLUMN totp_secret TEXT;
ALTER TABLE operators ADD COLUMN totp_pending TEXT;
ALTER TABLE operators ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
