//! Native checks that no D1 statement spans the directory and an account's shard (issue 19,
//! ARCHITECTURE "Capacity model"): every function of `store/` that takes the directory (`&Db`)
//! names only directory tables, every one that takes a shard (`&Shard`) only an account's data
//! tables (plus the anchor rows of `store/directory.rs`), read from the sources.

use std::collections::BTreeSet;

/// The account's data: on its shard.
pub(crate) const SHARD_TABLES: &[&str] = &[
    "conversations",
    "conversation_events",
    "conversation_goals",
    "messages",
    "activity_intervals",
    "offline_messages",
    "mail_outbox",
    "hourly_tallies",
    "tally_flushes",
    "identified_visitors",
    "visitor_blocks",
    "attachments",
];

/// Read through the directory only.
pub(crate) const DIRECTORY_TABLES: &[&str] = &[
    "accounts",
    "account_shards",
    "conversation_parties",
    "operators",
    "sessions",
    "operator_sockets",
    "login_attempts",
    "rate_windows",
    "channels",
    "channel_hosts",
    "hosts",
    "entry_points",
    "canned_responses",
    "success_codes",
    "categories",
    "goals",
    "report_links",
    "push_subscriptions",
    "setup_claim",
    "operator_tokens",
];

/// The tables named after `FROM`, `JOIN`, `INTO` and `UPDATE` in `code`.
fn tables(code: &str) -> BTreeSet<String> {
    let words: Vec<&str> =
        code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
    words
        .windows(2)
        .filter(|w| matches!(w[0], "FROM" | "JOIN" | "INTO" | "UPDATE"))
        .map(|w| w[1].to_owned())
        .filter(|t| SHARD_TABLES.contains(&t.as_str()) || DIRECTORY_TABLES.contains(&t.as_str()))
        .collect()
}

/// Each `fn` of `text` (up to the next one) with the database its signature takes:
/// `(name, "Db" | "Shard" | "", body)`.
fn functions(text: &str) -> Vec<(String, &'static str, String)> {
    let code: String = text.split("#[cfg(test)]").next().unwrap_or_default().to_owned();
    let starts: Vec<usize> = code
        .match_indices("fn ")
        .map(|(i, _)| i)
        .filter(|i| *i == 0 || !code.as_bytes()[i - 1].is_ascii_alphanumeric() && code.as_bytes()[i - 1] != b'_')
        .collect();
    let mut out = Vec::new();
    for (k, &i) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(code.len());
        let chunk = &code[i..end];
        let name: String = chunk[3..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let signature = chunk.split('{').next().unwrap_or_default();
        let side = if signature.contains("&Shard") || signature.contains("D1Shard") {
            "Shard"
        } else if signature.contains("&Db") {
            "Db"
        } else {
            ""
        };
        out.push((name, side, chunk.to_owned()));
    }
    out
}

/// `(file, function, table)` for every table a function names on the wrong side.
fn crossings(files: &[(String, String)]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (rel, text) in files
        .iter()
        .filter(|(rel, _)| rel.starts_with("store/") && !rel.starts_with("store/object_") && rel != "store/sides.rs")
    {
        for (name, side, body) in functions(text) {
            for t in tables(&body) {
                let wrong = match side {
                    "Db" => SHARD_TABLES.contains(&t.as_str()),
                    // The anchors a shard's foreign keys point at (ids only, never read there).
                    "Shard" => {
                        DIRECTORY_TABLES.contains(&t.as_str())
                            && !(rel == "store/directory.rs"
                                && name == "anchor"
                                && (t == "accounts" || t == "channels"))
                    }
                    _ => false,
                };
                if wrong {
                    out.push((rel.clone(), name.clone(), t));
                }
            }
        }
    }
    out
}

#[test]
fn no_statement_spans_the_directory_and_a_shard() {
    // The store's files (read here: the store imports nothing above it, tests included).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("store");
    let files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("store")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (format!("store/{name}"), std::fs::read_to_string(&p).expect("utf-8"))
        })
        .collect();
    assert!(files.len() > 15, "the store's files");
    assert_eq!(crossings(&files), Vec::<(String, String, String)>::new());
    // Every table of the schema is on one side.
    let schema: String = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"))
        .expect("migrations")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("sql"))
        .collect();
    for t in schema.split("CREATE TABLE ").skip(1).map(|s| s.split_whitespace().next().unwrap_or_default()) {
        let sides = [SHARD_TABLES.contains(&t), DIRECTORY_TABLES.contains(&t)];
        assert_eq!(sides.iter().filter(|s| **s).count(), 1, "table {t} must be on exactly one side");
    }
}

#[test]
fn a_crossing_is_found_and_named() {
    let bad = "pub async fn list(d1: &Db, a: &str) -> Result<()> {\n    d1.prepare(\"SELECT * FROM messages m JOIN operators o\");\n}\n\
               pub async fn fine(d1: &Shard) -> Result<()> {\n    d1.prepare(\"DELETE FROM messages WHERE x IN (SELECT id FROM accounts)\");\n}\n";
    let found = crossings(&[("store/x.rs".to_owned(), bad.to_owned())]);
    assert_eq!(
        found,
        vec![
            ("store/x.rs".to_owned(), "list".to_owned(), "messages".to_owned()),
            ("store/x.rs".to_owned(), "fine".to_owned(), "accounts".to_owned()),
        ]
    );
}
