-- Issue 18, data rights: each account's retention period (conversations and offline messages
-- older than this are purged by the scheduled retention job; default limits::RETENTION_DAYS),
-- and the indexes the erasure and the job read by.
ALTER TABLE accounts ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 365;
CREATE INDEX conversations_by_account_closed ON conversations(account_id, closed_at);
CREATE INDEX offline_by_account_visitor ON offline_messages(account_id, visitor_id);
