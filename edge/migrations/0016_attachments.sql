-- Issue 21, files in the chat. An account-shard table (with the conversations it belongs to):
-- one row per file uploaded to a conversation, written only after its bytes were stored in R2
-- (the `FILES` bucket, key files/<account>/<conversation>/<id>), so a half-finished upload leaves
-- no row. (conversation_id, client_id) is unique: a retried upload answers the first one's row.
CREATE TABLE attachments (
  id               TEXT PRIMARY KEY,
  account_id       TEXT NOT NULL,
  conversation_id  TEXT NOT NULL,
  client_id        TEXT NOT NULL,
  uploader_role    TEXT NOT NULL CHECK (uploader_role IN ('visitor', 'operator')),
  uploader_id      TEXT NOT NULL,
  name             TEXT NOT NULL,
  content_type     TEXT NOT NULL,
  size             INTEGER NOT NULL,
  width            INTEGER,
  height           INTEGER,
  object_key       TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  UNIQUE (conversation_id, client_id)
);
CREATE INDEX attachments_by_account ON attachments(account_id, created_at);

-- The D1 copy of a message names the file it carries (its AttachmentView as JSON; NULL for text).
ALTER TABLE messages ADD COLUMN attachment TEXT;
