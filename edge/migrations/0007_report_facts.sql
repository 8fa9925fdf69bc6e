-- Migration 7: the facts every report is computed from (issue 7), and public report links.
-- Append-only: never edit a landed migration, add a new numbered one.

-- Where a conversation began: the visitor's website session (seed 001 `session_id`) and the
-- host (website) the origin check matched (`host_id`); NULL on rows written before.
ALTER TABLE conversations ADD COLUMN session_id TEXT;
ALTER TABLE conversations ADD COLUMN host_id TEXT;
-- The pages the visitor saw during the chat, oldest first, as the conversation object keeps
-- them: JSON [{"url","title","at"}] (report "web pages visited", seed 002).
ALTER TABLE conversations ADD COLUMN pages TEXT NOT NULL DEFAULT '[]';
CREATE INDEX conversations_by_account_created ON conversations(account_id, created_at);

-- One row per stored message, copied from the conversation's Durable Object (its SQLite
-- `messages`) by the same retried sync as the summary and the events: keyed by the object's
-- sequence, so a retry overwrites the same row and nothing is counted twice.
CREATE TABLE messages (
  conversation_id  TEXT NOT NULL,
  seq              INTEGER NOT NULL,
  account_id       TEXT NOT NULL,
  channel_id       TEXT NOT NULL,
  -- visitor | operator | system
  role             TEXT NOT NULL,
  -- the operator who wrote it (operator messages), else NULL
  operator_id      TEXT,
  author_name      TEXT NOT NULL DEFAULT '',
  text             TEXT NOT NULL,
  at               INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX messages_by_account_time ON messages(account_id, at);

-- A public link to one report with its filters. The token in the URL carries the id, the
-- account, the report, its canonical query and the expiry, signed with the server secret
-- (HMAC-SHA256); this row only says whether it was revoked (and lists links for managers).
CREATE TABLE report_links (
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(id),
  report       TEXT NOT NULL,
  -- the canonical query string of the report's filters (`reports::query`)
  query        TEXT NOT NULL,
  title        TEXT NOT NULL DEFAULT '',
  -- ms since the epoch; NULL = never expires
  expires_at   INTEGER,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  revoked_at   INTEGER
);
CREATE INDEX report_links_by_account ON report_links(account_id, created_at);
