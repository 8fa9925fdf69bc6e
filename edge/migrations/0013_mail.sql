-- Migration 13: mail (issue 20). Append-only: never edit a landed migration, add a new one.
-- Every shard gets every migration; the directory's tables are read on `DB`, the outbox on the
-- account's shard (store::sides).

-- Directory: a channel's mail settings. Notification addresses as a JSON array of strings
-- (offline messages and missed chats are mailed there; empty: none), the minutes a chat waits
-- with no operator answer before the missed-chat mail, the display name mails are sent under
-- (empty: the channel's name).
ALTER TABLE channels ADD COLUMN mail_addresses TEXT NOT NULL DEFAULT '[]';
ALTER TABLE channels ADD COLUMN mail_missed_wait_minutes INTEGER NOT NULL DEFAULT 5;
ALTER TABLE channels ADD COLUMN mail_sender_name TEXT NOT NULL DEFAULT '';

-- The account's shard: every mail, once. `key` is the mail's cause and its recipient
-- (parley_mail::outbox::row_key: `offline/<offline message id>|ops@example.com`), so a repeated
-- cause queues nothing. `raw` is the whole RFC 5322 message (the same bytes at every retry).
-- state: 'queued' (to send at `next_at`), 'sent', 'limited' (over the recipient's hourly limit:
-- never sent), 'failed' (given up after the last attempt).
CREATE TABLE mail_outbox (
  key TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  sender TEXT NOT NULL,
  raw TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'limited', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_at) WHERE state = 'queued';
CREATE INDEX mail_outbox_recipient ON mail_outbox (recipient, created_at);
CREATE INDEX mail_outbox_account ON mail_outbox (account_id, created_at);
