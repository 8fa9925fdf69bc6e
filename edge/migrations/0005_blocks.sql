-- Visitor blocks: an operator blocks a conversation's visitor with a required reason; a
-- blocked visitor cannot start a chat in the account; admins list and lift blocks. A lifted
-- block stays as history (lifted_at, lifted_by).
CREATE TABLE visitor_blocks (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    visitor_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    blocked_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    lifted_at INTEGER,
    lifted_by TEXT
);

-- The active block of a visitor in an account (at most one: see the partial unique index).
CREATE UNIQUE INDEX visitor_blocks_active ON visitor_blocks (account_id, visitor_id) WHERE lifted_at IS NULL;
CREATE INDEX visitor_blocks_account ON visitor_blocks (account_id, lifted_at, created_at);
