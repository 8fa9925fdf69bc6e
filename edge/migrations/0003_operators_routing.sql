-- Migration 3: operators' chat settings, routing on conversations, activity intervals,
-- canned responses and offline messages.

-- Online chat languages, main first, as a JSON array of BCP 47 tags.
ALTER TABLE operators ADD COLUMN languages TEXT NOT NULL DEFAULT '["en"]';
ALTER TABLE operators ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;

-- Routing and what the console shows of the visitor.
ALTER TABLE conversations ADD COLUMN operator_id TEXT;
ALTER TABLE conversations ADD COLUMN operator_name TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN visitor_name TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN visitor_language TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN visitor_country TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN current_page TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN pages_visited INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_by_operator ON conversations(operator_id, status);

-- Every online/offline interval of an operator, copied from the account's dispatch object.
-- A new random activity_id per change of state; end_at is NULL while the interval is open.
CREATE TABLE activity_intervals (
  activity_id  TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL,
  operator_id  TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('online', 'offline')),
  start_at     INTEGER NOT NULL,
  end_at       INTEGER
);
CREATE INDEX activity_by_operator ON activity_intervals(operator_id, start_at);
CREATE INDEX activity_by_account ON activity_intervals(account_id, start_at);

-- Canned responses: an operator types "/shortcut" and the text replaces it.
CREATE TABLE canned_responses (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  shortcut    TEXT NOT NULL,
  text        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (account_id, shortcut)
);

-- "Leave a message" when nobody is online.
CREATE TABLE offline_messages (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  channel_id  TEXT NOT NULL REFERENCES channels(id),
  visitor_id  TEXT NOT NULL,
  name        TEXT NOT NULL,
  email       TEXT NOT NULL,
  text        TEXT NOT NULL,
  page_url    TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL
);
CREATE INDEX offline_by_account ON offline_messages(account_id, created_at);
