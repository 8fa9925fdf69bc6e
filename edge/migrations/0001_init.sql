-- Parley D1 schema, migration 1. Migrations are append-only: never edit a landed file,
-- add a new numbered one.

CREATE TABLE accounts (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  time_zone   TEXT NOT NULL DEFAULT 'UTC',
  created_at  INTEGER NOT NULL
);

-- A website (hostname) registered to an account. One hostname may belong to several accounts.
CREATE TABLE hosts (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  hostname    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (account_id, hostname)
);
CREATE INDEX hosts_by_hostname ON hosts(hostname);

-- A chat campaign: the widget's look and texts, its hosts, its operators.
CREATE TABLE channels (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  name        TEXT NOT NULL,
  greeting    TEXT NOT NULL DEFAULT 'Hi! How can we help?',
  accent      TEXT NOT NULL DEFAULT '#2f5bea',
  created_at  INTEGER NOT NULL
);

CREATE TABLE channel_hosts (
  channel_id  TEXT NOT NULL REFERENCES channels(id),
  host_id     TEXT NOT NULL REFERENCES hosts(id),
  PRIMARY KEY (channel_id, host_id)
);

CREATE TABLE operators (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  username      TEXT NOT NULL UNIQUE,
  first_name    TEXT NOT NULL DEFAULT '',
  last_name     TEXT NOT NULL DEFAULT '',
  email         TEXT NOT NULL DEFAULT '',
  chat_name     TEXT NOT NULL,
  role          TEXT NOT NULL DEFAULT 'operator' CHECK (role IN ('admin', 'operator')),
  password_hash TEXT NOT NULL,
  max_chats     INTEGER NOT NULL DEFAULT 4,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);

-- Console sessions. Only the SHA-256 of the cookie's token is kept.
CREATE TABLE sessions (
  token_digest  TEXT PRIMARY KEY,
  operator_id   TEXT NOT NULL REFERENCES operators(id),
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL
);

-- One row per conversation, kept current by its Durable Object (the authoritative copy).
CREATE TABLE conversations (
  id                    TEXT PRIMARY KEY,
  account_id            TEXT NOT NULL REFERENCES accounts(id),
  channel_id            TEXT NOT NULL REFERENCES channels(id),
  visitor_id            TEXT NOT NULL,
  status                TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'closed')),
  created_at            INTEGER NOT NULL,
  page_url              TEXT NOT NULL DEFAULT '',
  message_count         INTEGER NOT NULL DEFAULT 0,
  last_message_at       INTEGER,
  last_message_preview  TEXT NOT NULL DEFAULT '',
  updated_at            INTEGER NOT NULL
);
CREATE INDEX conversations_by_account ON conversations(account_id, updated_at);
CREATE INDEX conversations_by_visitor ON conversations(visitor_id, channel_id, status);
