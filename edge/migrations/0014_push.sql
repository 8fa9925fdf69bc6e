-- Issue 20, operator notifications with the console closed: the browsers (Web Push
-- subscriptions) each operator asked to be notified in, and what notifies them. A directory
-- table (in DB; empty on the other shards). An endpoint is one browser: subscribing it again
-- (another operator logging in there, new choices, the console's language for the texts) replaces its row. A push service's 404/410
-- deletes it.
CREATE TABLE push_subscriptions (
  endpoint      TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL,
  operator_id   TEXT NOT NULL,
  p256dh        TEXT NOT NULL,
  auth          TEXT NOT NULL,
  new_chats     INTEGER NOT NULL DEFAULT 1 CHECK (new_chats IN (0, 1)),
  new_messages  INTEGER NOT NULL DEFAULT 1 CHECK (new_messages IN (0, 1)),
  lang          TEXT NOT NULL DEFAULT 'en',
  created_at    INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_by_operator ON push_subscriptions(account_id, operator_id, created_at);
