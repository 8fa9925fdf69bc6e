//! `parley-tools bench-wake`: what waking a conversation's object costs, natively, for a full
//! conversation (5,000 messages): decoding its rows (from JSON values, standing in for the rows
//! the object's SQLite hands over) and rebuilding the core from them.
//!
//! - "whole": every row decoded and held (what the object did before issue 18: the core
//!   rebuilt from the whole transcript);
//! - "tail": the latest `CONVERSATION_TAIL_MESSAGES` rows decoded and held, the totals from the
//!   last row (what it does now);
//! - "hello(0) after a tail wake": what a hello from seq 0 then costs (the older rows decoded
//!   and the replay split into frames), paid only by a client that asks from that far back.
//!
//! Two transcripts: short messages (60 bytes), and the heaviest the cap allows (2 MiB of
//! text over the 5,000 messages).

use std::hint::black_box;
use std::time::{Duration, Instant};

use parley_core::conversation::{Config, Connection, Conversation, Effect, Meta, Participant, StoredMessage};
use parley_protocol::ids::ConversationId;
use parley_protocol::limits::{CONVERSATION_TAIL_MESSAGES, MAX_CONVERSATION_BYTES, MAX_CONVERSATION_MESSAGES};
use parley_protocol::protocol::{hello, Author, MessageView, Role};
use parley_protocol::Millis;
use serde_json::{json, Value};

const RUN_FOR: Duration = Duration::from_millis(1_500);

pub fn run() {
    println!("{:>34} {:>14} {:>14} {:>24}", "5,000 messages of", "whole (µs)", "tail (µs)", "hello(0) after tail (µs)");
    for (label, bytes) in
        [("60 bytes", 60), ("419 bytes (2 MiB in all)", MAX_CONVERSATION_BYTES / MAX_CONVERSATION_MESSAGES)]
    {
        let rows = rows(MAX_CONVERSATION_MESSAGES, bytes);
        let whole = time(|| wake(&rows, MAX_CONVERSATION_MESSAGES));
        let tail = time(|| wake(&rows, CONVERSATION_TAIL_MESSAGES));
        let core = wake(&rows, CONVERSATION_TAIL_MESSAGES);
        let replay = time(|| replay_from_zero(&core, &rows));
        println!("{label:>34} {:>14.0} {:>14.0} {:>24.0}", whole, tail, replay);
    }
}

/// The rows as the object's SQLite hands them over (one object per row).
fn rows(n: usize, bytes: usize) -> Vec<Value> {
    (1..=n)
        .map(|seq| {
            let operator = seq % 3 == 0;
            let text: String = format!("message {seq} ").chars().chain(std::iter::repeat('x')).take(bytes).collect();
            json!({
                "seq": seq, "client_id": format!("m_{seq:06}"), "author_id": if operator { "op_demo" } else { "v_1234567890" },
                "author_role": if operator { "operator" } else { "visitor" },
                "author_name": if operator { "Dana" } else { "Visitor" }, "text": text, "at": 1_700_000_000_000u64 + seq as u64,
                "bytes_through": seq * bytes,
            })
        })
        .collect()
}

fn decode(v: &Value) -> StoredMessage {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let n = |k: &str| v[k].as_u64().unwrap_or_default();
    let role = if v["author_role"] == "operator" { Role::Operator } else { Role::Visitor };
    StoredMessage {
        view: MessageView {
            seq: n("seq"),
            client_id: s("client_id"),
            author: Author { role, name: s("author_name") },
            text: s("text"),
            at: Millis(n("at")),
            attachment: None,
        },
        author_id: s("author_id"),
    }
}

fn meta() -> Meta {
    let (c, _) = Conversation::create(ConversationId("c_bench".into()), Config::default(), Millis(0));
    c.meta().clone()
}

/// Decodes the latest `held` rows and rebuilds the core holding them.
fn wake(rows: &[Value], held: usize) -> Conversation {
    let latest: Vec<StoredMessage> = rows[rows.len() - held..].iter().map(decode).collect();
    let bytes = rows.last().and_then(|r| r["bytes_through"].as_u64()).unwrap_or(0);
    let config = Config { tail: held, ..Config::default() };
    Conversation::restore(ConversationId("c_bench".into()), config, meta(), latest, bytes)
}

/// A hello from 0 on a core woken with its tail: the older rows read and the frames built.
fn replay_from_zero(core: &Conversation, rows: &[Value]) -> usize {
    let mut c = core.clone();
    let who = Connection {
        participant: Participant { role: Role::Operator, id: "op_demo".into(), name: "Dana".into() },
        greeted: false,
    };
    let mut frames = 0;
    for e in c.handle_client(&who, hello(0), Millis(1)) {
        if let Effect::ReadOlder(r) = e {
            let older = rows[..(r.before() - 1) as usize].iter().map(|v| decode(v).view).collect();
            frames += c.replay_older(r, older).len();
        }
    }
    frames
}

/// Median microseconds per call of `f`, over about [`RUN_FOR`].
fn time<T>(mut f: impl FnMut() -> T) -> f64 {
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < RUN_FOR || samples.len() < 5 {
        let t = Instant::now();
        black_box(f());
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
