-- Migration 2: how conversations end, and their state changes for the reports.

ALTER TABLE conversations ADD COLUMN closed_at INTEGER;
ALTER TABLE conversations ADD COLUMN closed_by TEXT;
-- 1 when an operator took the conversation but never wrote in it.
ALTER TABLE conversations ADD COLUMN no_operator_response INTEGER NOT NULL DEFAULT 0;

-- Every state change of a conversation (created, operator_joined, active, closed), copied
-- from its Durable Object. (conversation_id, seq) makes a retried copy a no-op.
CREATE TABLE conversation_events (
  conversation_id  TEXT NOT NULL,
  seq              INTEGER NOT NULL,
  at               INTEGER NOT NULL,
  kind             TEXT NOT NULL,
  detail           TEXT NOT NULL,
  PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX conversation_events_by_time ON conversation_events(at);
