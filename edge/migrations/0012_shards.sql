-- Issue 19, D1 sharding by account. Applied to every shard (bindings DB, DB_1, …; scripts/db.sh);
-- the directory tables below are read and written only in DB (shard 0), empty elsewhere.
--
-- The directory: the shard holding each account's data (conversations, messages, events,
-- tallies, activity, offline messages, identities, blocks, goals reached). Written with the
-- account; accounts never move. Every account before this migration lives in DB.
CREATE TABLE account_shards (
  account_id  TEXT PRIMARY KEY,
  shard       INTEGER NOT NULL CHECK (shard >= 0)
);
INSERT INTO account_shards (account_id, shard) SELECT id, 0 FROM accounts;

-- Who a conversation belongs to, for the doors that know only its id (the visitor's ticket and
-- the socket upgrade) before the account and so its shard are known: one read, as before.
-- Written when the conversation is created, removed with it (erasure, retention).
CREATE TABLE conversation_parties (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL,
  channel_id  TEXT NOT NULL,
  visitor_id  TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX conversation_parties_by_visitor ON conversation_parties(account_id, visitor_id);
INSERT INTO conversation_parties (id, account_id, channel_id, visitor_id, created_at)
  SELECT id, account_id, channel_id, visitor_id, created_at FROM conversations;
