//! Limits Cloudflare enforces in production but `wrangler dev` does not (ARCHITECTURE.md,
//! "Production-only limits"), pinned here natively (`make unit`) so nothing passes locally and
//! fails when deployed. Read from the edge's own sources where the code builds what is limited.

use parley_protocol::limits::cloudflare::*;
use parley_protocol::limits::{MAX_EVENTS_PER_BATCH, MAX_FRAME_BYTES, MAX_HTTP_BODY_BYTES};

/// Every `.rs` file under `src/`, as (path relative to `src/`, text): the layering checks' reader.
fn sources() -> Vec<(String, String)> {
    crate::layering::sources(&crate::layering::src_dir())
}

/// The numbers of the numbered placeholders (`?12`) in `text`.
fn numbered_placeholders(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for (i, _) in text.match_indices('?') {
        let digits: String = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).map(|c| *c as char).collect();
        if let Ok(n) = digits.parse() {
            out.push(n);
        }
    }
    out
}

/// Files that build placeholder lists at run time (`?{}` in a format string, `vec!["?"; n]`).
fn dynamic_placeholder_files(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(rel, text)| {
            rel != "prod_limits.rs" && (text.contains("format!(\"?{}\"") || text.contains("vec![\"?\";"))
        })
        .map(|(rel, _)| rel.clone())
        .collect()
}

#[test]
fn every_query_binds_at_most_100_parameters() {
    let files = sources();
    // Written placeholders: none above the limit.
    for (rel, text) in files.iter().filter(|(rel, _)| rel != "prod_limits.rs") {
        for n in numbered_placeholders(text) {
            assert!(n <= MAX_BOUND_PARAMS, "{rel}: ?{n} is past the {MAX_BOUND_PARAMS} bound parameters of a query");
        }
    }
    // Placeholders built at run time: only where the batch is cut into chunks that fit. A new
    // builder must be added here with the bound of its chunks.
    assert_eq!(
        dynamic_placeholder_files(&files),
        Vec::<String>::new(),
        "a new query with a run-time placeholder list: bound its chunks and list it here"
    );
    // The tally object binds its lists (a batch's ids, invites, counts) as ONE JSON array each,
    // read back by `json_each`: a fixed number of parameters whatever the batch's size.
    let tally = &files.iter().find(|(rel, _)| rel == "store/object_tally.rs").expect("tally store").1;
    assert!(tally.contains("json_each(?)") && !tally.contains("IN (?"));
    // The messages copied to D1 travel as one JSON parameter per INSERT (`json_each`), each
    // chunk far below D1's largest string.
    let conv = &files.iter().find(|(rel, _)| rel == "store/conversations.rs").expect("conversations store").1;
    assert!(conv.contains("for chunk in message_chunks(messages)") && conv.contains("FROM json_each(?4)"));
    use crate::store::conversations::MESSAGES_JSON_BYTES;
    const { assert!(MESSAGES_JSON_BYTES < parley_protocol::limits::cloudflare::MAX_D1_STRING_BYTES) };
}

#[test]
fn every_sql_statement_is_far_below_the_length_limit() {
    // The longest string literal of the edge (every statement is one: none is built at run
    // time since the lists travel as JSON parameters, see above).
    let files = sources();
    let longest = files
        .iter()
        .flat_map(|(_, text)| text.split('"').skip(1).step_by(2).map(str::len).collect::<Vec<_>>())
        .max()
        .unwrap_or(0);
    assert!(longest < 10_000, "a string literal of {longest} bytes");
    const BUILT: usize = 10_000;
    const { assert!(BUILT < MAX_SQL_STATEMENT_BYTES) };
}

#[test]
fn what_a_durable_object_receives_and_keeps_fits() {
    // Client frames are refused past MAX_FRAME_BYTES, far below the WebSocket message limit.
    const { assert!(MAX_FRAME_BYTES <= MAX_WS_MESSAGE_BYTES) };
    // The spent tickets of a conversation are one `meta` value.
    const ENTRY: usize = parley_core::keys::MAX_NONCE_CHARS + 1 + 20 + 1;
    const { assert!(parley_core::keys::MAX_SPENT_TICKETS * ENTRY < MAX_DO_ROW_BYTES) };
    // A request body reaches an object whole (a conversation's first message, settings): at
    // most the largest door's limit.
    const { assert!(MAX_HTTP_BODY_BYTES < MAX_DO_ROW_BYTES) };
    const { assert!(parley_protocol::outcomes::MAX_OUTCOME_SETTINGS_BYTES < MAX_DO_ROW_BYTES) };
    // A tally shard writes a batch as one `ingest` row: its ids, invite records and counts as
    // JSON, from a request body of at most MAX_HTTP_BODY_BYTES (each event yields at most one
    // id, one invite record and a few counts, each a few times its own bytes at most).
    const { assert!(8 * MAX_HTTP_BODY_BYTES + MAX_EVENTS_PER_BATCH * 200 < MAX_DO_ROW_BYTES) };
}

#[test]
fn every_frame_a_conversation_sends_fits_a_websocket_message() {
    use parley_core::conversation::{Config, Connection, Conversation, Effect, Participant};
    use parley_protocol::limits::{
        MAX_CONVERSATION_BYTES, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_PAGES_KEPT, MAX_PAGE_TITLE_CHARS,
        MAX_PAGE_URL_CHARS, MAX_REPLAY_FRAME_BYTES, MAX_WIDGET_BODY_BYTES,
    };
    use parley_protocol::protocol::{encode_server, hello, ClientMsg, PageVisit, Role, VisitorInfo};
    use parley_protocol::{ids::ConversationId, Millis};
    // The heaviest of everything: four bytes a character (JSON escapes take two), every text at
    // its longest; the visitor's name, language and country as long as a widget body (escaped).
    let heavy = |chars: usize| "😀".repeat(chars);
    let quotes = "\"".repeat(MAX_WIDGET_BODY_BYTES);
    let visitor = VisitorInfo {
        name: quotes.clone(),
        language: quotes.clone(),
        country: quotes,
        pages: (0..MAX_PAGES_KEPT)
            .map(|i| PageVisit {
                url: heavy(MAX_PAGE_URL_CHARS),
                title: heavy(MAX_PAGE_TITLE_CHARS),
                at: Millis(i as u64),
            })
            .collect(),
    };
    let who = |role, id: &str| Connection {
        participant: Participant { role, id: id.into(), name: heavy(MAX_NAME_CHARS) },
        greeted: true,
    };
    let (v, o) = (who(Role::Visitor, "v"), who(Role::Operator, "o"));
    let config =
        Config { visitor_rate: parley_core::throttle::Rate { burst: 100_000, per_sec: 1 }, ..Config::default() };
    let (mut c, _) = Conversation::create(ConversationId("c".into()), config, Millis(0));
    let mut frames = Vec::new();
    let mut keep = |fx: Vec<Effect>| {
        for e in fx {
            match e {
                Effect::Reply(m) | Effect::Broadcast(m) | Effect::BroadcastOthers(m) | Effect::ToOperators(m) => {
                    frames.push(encode_server(&m))
                }
                Effect::LookUp(_) | Effect::ReadOlder(_) => panic!("the whole conversation is held here"),
                _ => {}
            }
        }
    };
    keep(c.set_visitor(visitor));
    keep(c.handle_client(&v, ClientMsg::Page { url: heavy(MAX_PAGE_URL_CHARS), title: heavy(9) }, Millis(1)));
    // Messages of the heaviest text until the conversation is full (its 2 MiB of text).
    let mut i = 0;
    while c.bytes() + 4 * MAX_MESSAGE_CHARS as u64 <= MAX_CONVERSATION_BYTES as u64 {
        i += 1;
        keep(c.handle_client(if i % 2 == 0 { &v } else { &o }, send(i, heavy(MAX_MESSAGE_CHARS)), Millis(i)));
    }
    assert!(c.last_seq() > 100);
    // The whole transcript replayed to an operator (the heavier welcome: the visitor's details).
    keep(c.handle_client(&Connection { greeted: false, ..o.clone() }, hello(0), Millis(9_999)));
    let largest = frames.iter().map(String::len).max().unwrap_or(0);
    assert!(frames.len() > 200 && largest > MAX_REPLAY_FRAME_BYTES, "the heavy frames were built");
    for f in &frames {
        assert!(f.len() < MAX_WS_MESSAGE_BYTES, "a frame of {} bytes (the limit: {MAX_WS_MESSAGE_BYTES})", f.len());
    }
}

fn send(i: u64, text: String) -> parley_protocol::protocol::ClientMsg {
    parley_protocol::protocol::ClientMsg::Send { client_id: format!("m{i}"), text, attachment: None }
}

#[test]
fn the_checks_find_what_they_look_for() {
    assert_eq!(numbered_placeholders("VALUES (?1, ?2, ?101) WHERE x = ?"), vec![1, 2, 101]);
    let files = vec![
        ("a.rs".to_owned(), "let p = format!(\"?{}\", i);".to_owned()),
        ("b.rs".to_owned(), "let m = vec![\"?\"; n].join(\",\");".to_owned()),
        ("c.rs".to_owned(), "let q = \"?1\";".to_owned()),
    ];
    assert_eq!(dynamic_placeholder_files(&files), vec!["a.rs".to_owned(), "b.rs".to_owned()]);
}

/// The files (relative to `src/`) whose text contains `needle`, this file excepted.
fn files_with(files: &[(String, String)], needle: &str) -> Vec<String> {
    files
        .iter()
        .filter(|(rel, text)| rel != "prod_limits.rs" && text.contains(needle))
        .map(|(rel, _)| rel.clone())
        .collect()
}

#[test]
fn every_subrequest_goes_through_a_counted_door() {
    // Subrequests per invocation (D1 queries, object calls, fetches) are counted per request by
    // `cost.rs` and asserted per route by `tests/e2e/request-cost.test.mjs`: that holds only if
    // nothing reaches D1, an object or the network but through the counted doors.
    let files = sources();
    assert_eq!(
        files_with(&files, "env.d1("),
        vec!["store/mod.rs".to_owned()],
        "D1 only through store::directory and store::shard"
    );
    assert_eq!(
        files_with(&files, "D1Database"),
        vec!["store/mod.rs".to_owned()],
        "D1 only as store::Db (the directory) and store::Shard"
    );
    assert_eq!(
        files_with(&files, ".fetch_with_request("),
        vec!["stubs.rs".to_owned()],
        "objects only through stubs::send/upgrade"
    );
    assert!(files_with(&files, ".fetch_with_str(").is_empty(), "objects only through stubs::send/upgrade");
    assert_eq!(files_with(&files, ".fetch_request("), vec!["cost.rs".to_owned()], "fetches only through cost::fetch");
    assert_eq!(
        files_with(&files, "Fetch::"),
        vec!["cost.rs".to_owned()],
        "no outbound fetch but cost::fetch and cost::push_fetch"
    );
    assert_eq!(files_with(&files, ".send_email("), vec!["cost.rs".to_owned()], "mail only through cost::send_mail");
    assert_eq!(files_with(&files, ".bucket("), vec!["cost.rs".to_owned()], "R2 only through cost::files");
    // Work a handler starts on its own would escape its request's meter.
    assert!(files_with(&files, "spawn_local").is_empty(), "a spawned task escapes the request's count");
    assert_eq!(
        files_with(&files, "wait_until"),
        vec!["cost.rs".to_owned()],
        "work after the answer only through cost::after (it counts for its request)"
    );
    // A streamed body keeps counting for its request.
    for rel in files_with(&files, "Response::from_stream(") {
        let text = &files.iter().find(|(r, _)| *r == rel).expect("file").1;
        assert!(
            text.contains("Response::from_stream(crate::cost::follow("),
            "{rel}: a streamed body must be cost::follow'ed"
        );
    }
}

#[test]
fn the_fan_outs_are_bounded_within_the_free_plan() {
    // A logout (or a disabled operator, a new password) reads and ends sessions in at most a
    // handful of queries, then tells at most MAX_REVOKES_PER_REQUEST conversations.
    const { assert!(MAX_REVOKES_PER_REQUEST + 8 <= MAX_SUBREQUESTS_FREE) };
    // A scheduled run: the accounts, per account one purge of offline messages; a retention
    // batch starts only if one query and its conversations fit before the session purge's
    // reserve, which holds the purge's batch and its revocations.
    const { assert!(SCHEDULED_PURGE_RESERVE >= 3 + MAX_REVOKES_PER_REQUEST) };
    // (the accounts, one purge, the batch's query, its conversations, its parties forgotten)
    const { assert!(1 + 1 + 1 + RETENTION_COST_PER_CONVERSATION + 1 + SCHEDULED_PURGE_RESERVE <= MAX_SUBREQUESTS_FREE) };
    // What a retained conversation costs: its object's erasure and the statements deleting it.
    let store = &sources().into_iter().find(|(rel, _)| rel == "store/data_rights.rs").expect("data rights store").1;
    let delete = store.split("pub async fn delete_conversations").nth(1).expect("delete_conversations");
    let delete = delete.split("\n}\n").next().expect("its body");
    assert_eq!(1 + delete.matches(concat!("DELETE ", "FROM")).count(), RETENTION_COST_PER_CONVERSATION, "{delete}");
    // A push event the dispatcher carries out: one read of the operator's subscriptions, then per
    // browser one fetch and, on 404/410, one delete; a waiting chat tells a bounded few operators.
    {
        use parley_protocol::limits::{MAX_PUSHED_OPERATORS_PER_CHAT, MAX_PUSH_SUBSCRIPTIONS_PER_OPERATOR};
        const PER_OPERATOR: usize = 1 + 2 * MAX_PUSH_SUBSCRIPTIONS_PER_OPERATOR;
        const { assert!(MAX_PUSHED_OPERATORS_PER_CHAT * PER_OPERATOR <= MAX_SUBREQUESTS_FREE) };
        let push = &sources().into_iter().find(|(rel, _)| rel == "push.rs").expect("push.rs").1;
        assert!(push.contains(".take(MAX_PUSH_SUBSCRIPTIONS_PER_OPERATOR)"), "push.rs bounds its browsers");
    }
    // The paid plan's figures are above the free plan's.
    const { assert!(MAX_SUBREQUESTS_FREE < MAX_D1_QUERIES_PAID && MAX_D1_QUERIES_PAID <= MAX_SUBREQUESTS_PAID) };
    const { assert!(MAX_CPU_MS_FREE < DEFAULT_CPU_MS_PAID && DEFAULT_CPU_MS_PAID <= MAX_CPU_MS_PAID) };
    const { assert!(MAX_D1_QUERIES_FREE == MAX_SUBREQUESTS_FREE) };
}
