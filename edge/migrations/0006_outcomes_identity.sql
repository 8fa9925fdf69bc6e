-- Migration 6: how a conversation ends (the visitor's rating, the operator's outcome fields,
-- goals) and who the visitor is (pre-chat form, verified identity).

-- The visitor's post-chat survey: '' = not asked/answered yet, 'good' | 'moderate' | 'bad',
-- or 'not_rated' when the visitor skipped it (recorded as such).
ALTER TABLE conversations ADD COLUMN survey_result TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN survey_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN rated_at INTEGER;

-- The operator's outcome fields (set when closing, editable afterwards). `tags` is a JSON
-- array of strings; names are copied (a later rename of a code does not rewrite history).
ALTER TABLE conversations ADD COLUMN success_code TEXT;
ALTER TABLE conversations ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conversations ADD COLUMN category TEXT;
ALTER TABLE conversations ADD COLUMN sub_category TEXT;
ALTER TABLE conversations ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN outcome_by TEXT;
ALTER TABLE conversations ADD COLUMN outcome_at INTEGER;

-- Who the visitor is: email (pre-chat form or identify), the pre-chat answers as a JSON array
-- of [key, value] pairs, and the report's visitor_identifier (verified id, else email, else
-- name, else the anonymous visitor id).
ALTER TABLE conversations ADD COLUMN visitor_email TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN prechat TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conversations ADD COLUMN visitor_identifier TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 1;
CREATE INDEX conversations_by_account_visitor ON conversations(account_id, visitor_id, created_at);

-- Per channel: the pre-chat form (JSON array of {key, label, required}) and the secret a site
-- uses to sign Parley.identify (hex HMAC-SHA256 of its user id).
ALTER TABLE channels ADD COLUMN prechat_form TEXT NOT NULL DEFAULT '[]';
ALTER TABLE channels ADD COLUMN identity_secret TEXT NOT NULL DEFAULT '';
UPDATE channels SET identity_secret = lower(hex(randomblob(32))) WHERE identity_secret = '';

-- Admin-defined success codes, categories (parent_id NULL) with sub-categories (parent_id set).
CREATE TABLE success_codes (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  name        TEXT NOT NULL,
  position    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX success_codes_name ON success_codes(account_id, name COLLATE NOCASE);

CREATE TABLE categories (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  parent_id   TEXT REFERENCES categories(id),
  name        TEXT NOT NULL,
  position    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX categories_name ON categories(account_id, COALESCE(parent_id, ''), name COLLATE NOCASE);

-- Goals: a name and a value, reached by a page-URL rule (url_glob) or by the site's code
-- (Parley.goal(name, value)). Disabled goals are kept (conversations name them).
CREATE TABLE goals (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  name        TEXT NOT NULL,
  value       REAL NOT NULL DEFAULT 0,
  url_glob    TEXT,
  enabled     INTEGER NOT NULL DEFAULT 1,
  position    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX goals_name ON goals(account_id, name COLLATE NOCASE);

-- Goals reached during the visitor's session, recorded on the conversation (once per goal).
CREATE TABLE conversation_goals (
  conversation_id  TEXT NOT NULL REFERENCES conversations(id),
  goal_id          TEXT NOT NULL,
  name             TEXT NOT NULL,
  value            REAL NOT NULL,
  reached_at       INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, goal_id)
);

-- Visitors a site has identified (Parley.identify with a valid hash). The visitor id is
-- derived from (account, user id), so the same person has the same visitor id on every device
-- and their past conversations follow them.
CREATE TABLE identified_visitors (
  visitor_id  TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  user_id     TEXT NOT NULL,
  name        TEXT NOT NULL DEFAULT '',
  email       TEXT NOT NULL DEFAULT '',
  updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX identified_visitors_user ON identified_visitors(account_id, user_id);
