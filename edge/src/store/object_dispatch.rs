//! The dispatcher object's own SQLite (a Durable Object's storage, not D1): only its schema —
//! its state is one JSON document in the kit's `meta`, its deliveries the kit's `outbox`.

pub const MIGRATIONS: &[&str] = &[
    "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body TEXT NOT NULL);",
    // The kit's meta table; the state and the account id carried over.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     INSERT INTO meta (key, value) SELECT key, value FROM kv;
     DROP TABLE kv;",
];
