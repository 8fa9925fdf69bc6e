-- Parley D1 schema, migration 4: entry points (chat button + auto-invites with their rules),
-- what started each conversation and its decision time, and the hourly traffic/funnel tallies.
-- Append-only: never edit a landed migration, add a new numbered one.

-- Invite rules read hour and weekday in the channel's time zone.
ALTER TABLE channels ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

-- What can start a chat in a channel: its one chat button and any number of auto-invites.
-- Entry points are never deleted (reports name them); invites can be disabled.
CREATE TABLE entry_points (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  channel_id  TEXT NOT NULL REFERENCES channels(id),
  kind        TEXT NOT NULL CHECK (kind IN ('button', 'invite')),
  name        TEXT NOT NULL,
  enabled     INTEGER NOT NULL DEFAULT 1,
  -- Auto-invites: their settings as JSON (shared::invites::InviteSettings); NULL for buttons.
  invite      TEXT,
  -- Order in which a channel's invites are tried.
  position    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  UNIQUE (channel_id, name)
);
CREATE UNIQUE INDEX entry_points_one_button ON entry_points(channel_id) WHERE kind = 'button';
CREATE INDEX entry_points_by_account ON entry_points(account_id);

-- Every existing channel gets its chat button (new channels get one when created).
INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, updated_at)
  SELECT 'btn_' || id, account_id, id, 'button', 'Chat button', 1, 0, created_at, created_at FROM channels;

-- What started a conversation (requestType / requestSource) and the visitor's decision time.
ALTER TABLE conversations ADD COLUMN request_type TEXT NOT NULL DEFAULT 'button';
ALTER TABLE conversations ADD COLUMN request_source TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN entry_point_id TEXT;
ALTER TABLE conversations ADD COLUMN decision_ms INTEGER;

-- Traffic and invite-funnel counts per channel, entry point, hour (ms, UTC) and metric
-- (shared::metrics::Metric), combined by the tally shards before they are written.
CREATE TABLE hourly_tallies (
  account_id      TEXT NOT NULL,
  channel_id      TEXT NOT NULL,
  entry_point_id  TEXT NOT NULL,
  hour            INTEGER NOT NULL,
  metric          TEXT NOT NULL,
  n               INTEGER NOT NULL,
  PRIMARY KEY (channel_id, entry_point_id, hour, metric)
);
CREATE INDEX hourly_tallies_by_account_hour ON hourly_tallies(account_id, hour);

-- Each shard's numbered flushes that reached D1: a flush retried after an unclear failure is
-- applied once (its statements are guarded by this row, written in the same batch).
CREATE TABLE tally_flushes (
  shard  TEXT NOT NULL,
  seq    INTEGER NOT NULL,
  at     INTEGER NOT NULL,
  PRIMARY KEY (shard, seq)
);
