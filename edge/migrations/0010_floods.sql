-- Issue 18, floods: the counters of the public doors' fixed windows, and at most one open
-- conversation per visitor and channel, enforced by the database.

-- One row per (door:subject, window start); `parley_core::throttle` decides from `hits`. Rows of
-- past windows are deleted when their key is counted again.
CREATE TABLE rate_windows (
  key         TEXT NOT NULL,
  window      INTEGER NOT NULL,
  hits        INTEGER NOT NULL,
  PRIMARY KEY (key, window)
) WITHOUT ROWID;

-- Older databases may hold two open conversations of one visitor in one channel (two tabs
-- starting at once): all but the newest are closed before the index is built.
UPDATE conversations SET status = 'closed', closed_at = COALESCE(closed_at, updated_at)
WHERE status != 'closed' AND EXISTS (
  SELECT 1 FROM conversations newer
  WHERE newer.channel_id = conversations.channel_id AND newer.visitor_id = conversations.visitor_id
    AND newer.status != 'closed'
    AND (newer.created_at > conversations.created_at
         OR (newer.created_at = conversations.created_at AND newer.id > conversations.id))
);

CREATE UNIQUE INDEX conversations_one_open ON conversations(channel_id, visitor_id) WHERE status != 'closed';

-- The offline form's de-duplication: a visitor's recent messages in a channel.
CREATE INDEX offline_by_visitor ON offline_messages(channel_id, visitor_id, created_at);
