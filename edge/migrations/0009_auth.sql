-- Issue 18: login throttling, idle console sessions, operator sockets that end with their session.

-- Login attempts, one row per attempt, per key ("u:<username>" or "a:<client address>"):
-- core::login::Throttle decides over the rows inside the window. Kept in D1 rather than a
-- Durable Object: a login already reads D1 (the operator's row), logins are rare, and one
-- batch (insert + read) is atomic, so parallel attempts are all counted; an object would add
-- a class, a round trip and a second place holding authentication state.
CREATE TABLE login_attempts (
  id   TEXT PRIMARY KEY,
  key  TEXT NOT NULL,
  at   INTEGER NOT NULL
);
CREATE INDEX login_attempts_key_at ON login_attempts (key, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- A session's last request or socket frame (written at most once a minute): the idle timeout.
-- 0 for sessions older than this column: their creation counts.
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_operator ON sessions (operator_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Which conversations an operator's session has sockets open in, so that logout, disabling
-- the operator or a new password can close them at once (the conversation's object is told).
CREATE TABLE operator_sockets (
  session_digest   TEXT NOT NULL,
  conversation_id  TEXT NOT NULL,
  operator_id      TEXT NOT NULL,
  account_id       TEXT NOT NULL,
  opened_at        INTEGER NOT NULL,
  PRIMARY KEY (session_digest, conversation_id)
);
CREATE INDEX operator_sockets_operator ON operator_sockets (account_id, operator_id);
