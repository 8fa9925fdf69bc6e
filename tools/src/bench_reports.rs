//! `parley-tools bench-reports [CONVERSATIONS] [--out FILE]`: the Conversations CSV (seed 001)
//! of 100,000 conversations (issue 7, point 6), timed, with its peak memory (`make bench`).
//!
//! The facts are generated here, deterministically from a fixed seed (a SplitMix64 stream, so
//! every run writes the same CSV: its FNV-1a checksum is printed): two accounts (the primary
//! and a partner account whose operators help out, for external and hybrid chats), 12
//! operators, 4 channels with a chat button and two auto-invites each, 3 hosts; conversations
//! ~80 s apart over about three months, each with 2–30 messages (runs of visitor and operator
//! messages, some with an opening text), one assignment or a transfer / forward / take-over
//! (two), ratings (good, moderate, bad, skipped, never answered, some with comments), success
//! codes, tags, goals, a few blocks, about 3 % still open.
//!
//! The CSV is produced the way the edge streams it: pages of [`PAGE`] conversations in
//! creation order, each page's facts (its conversations, their messages, assignments, blocks;
//! the account's agents, accounts, channels, hosts, entry points) copied out of the generated
//! "database" as the edge loads them from D1, computed by `parley_reports::compute`
//! with `ReportId::Conversations`, and written row by row to one `csv::Writer` (header once)
//! over a counting sink (or `--out FILE`).
//!
//! Peak memory is the process's RSS high-water mark (`VmHWM` in `/proc/self/status`; the
//! workspace forbids `unsafe`, so no `getrusage`): read after generation, then reset (`5` into
//! `/proc/self/clear_refs`) and read again after the CSV, so the CSV's own peak is measured on
//! top of the generated facts it reads (their RSS is printed too).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

use parley_core::dispatch::Received;
use parley_protocol::outcomes::ReachedGoal;
use parley_reports::facts::{
    AccountFact, AgentFact, AssignmentFact, AuthorRole, BlockFact, ChannelFact, ClosedBy, ConversationFact,
    EntryPointFact, Facts, HostFact, MessageFact, RequestType, Status, SurveyResult,
};
use parley_reports::query::{ReportId, ReportQuery};
use parley_reports::{compute, conversations, Ctx};

/// Conversations per page, as the edge streams the CSV.
pub const PAGE: usize = 500;
/// How many conversations `make bench` generates.
pub const DEFAULT_CONVERSATIONS: usize = 100_000;
const SEED: u64 = 0x7A12_2026_0007_BE7C;
/// 2026-08-01 00:00:00 UTC: the first conversation.
const START: u64 = 1_785_542_400_000;
const TRANSCRIPT_BASE: &str = "https://chat.parley.example/console/#/transcript/";
const S: u64 = 1_000;

pub fn run(args: &[String]) {
    let mut n = DEFAULT_CONVERSATIONS;
    let mut out: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = it.next().cloned(),
            v => match v.replace('_', "").parse::<usize>() {
                Ok(x) if x > 0 => n = x,
                _ => {
                    eprintln!("usage: parley-tools bench-reports [CONVERSATIONS] [--out FILE]");
                    std::process::exit(2);
                }
            },
        }
    }

    let t0 = Instant::now();
    let db = generate(n, SEED);
    let gen_secs = t0.elapsed().as_secs_f64();
    let gen_peak = vm_kib("VmHWM:");
    let db_rss = vm_kib("VmRSS:");
    let reset = reset_peak();

    let t1 = Instant::now();
    let sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(BufWriter::new(File::create(path).expect("create --out file"))),
        None => Box::new(io::sink()),
    };
    let mut counter = Counting { inner: sink, bytes: 0, fnv: FNV_OFFSET };
    let rows = match write_csv(&db, &mut counter) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("bench-reports: {e}");
            std::process::exit(1);
        }
    };
    counter.flush().expect("flush");
    let csv_secs = t1.elapsed().as_secs_f64();
    let csv_peak = vm_kib("VmHWM:");

    let messages = db.messages.iter().map(Vec::len).sum::<usize>();
    let mib = |kib: Option<u64>| kib.map_or("n/a".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!("Conversations CSV (seed 001), {PAGE} conversations per page through reports::compute, release build");
    println!("{:<34} {:>16}", "conversations", n);
    println!("{:<34} {:>16}", "messages", messages);
    println!("{:<34} {:>16}", "assignments", db.assignments.iter().map(Vec::len).sum::<usize>());
    println!("{:<34} {:>16}", "CSV rows (+1 header line)", rows);
    println!("{:<34} {:>16}", "CSV bytes", counter.bytes);
    println!("{:<34} {:>16}", "CSV checksum (FNV-1a 64)", format!("{:016x}", counter.fnv));
    println!("{:<34} {:>14.2} s", "generation wall time", gen_secs);
    println!("{:<34} {:>14.2} s", "CSV wall time", csv_secs);
    println!("{:<34} {:>16.0}", "CSV rows/s", rows as f64 / csv_secs);
    println!("{:<34} {:>14.1} MB/s", "CSV throughput", counter.bytes as f64 / csv_secs / 1e6);
    println!("{:<34} {:>16}", "peak RSS after generation", mib(gen_peak));
    println!("{:<34} {:>16}", "RSS of the generated facts", mib(db_rss));
    if reset {
        println!("{:<34} {:>16}", "peak RSS during the CSV", mib(csv_peak));
        if let (Some(p), Some(base)) = (csv_peak, db_rss) {
            println!("{:<34} {:>16}", "  of which the CSV itself", mib(Some(p.saturating_sub(base))));
        }
    } else {
        println!("{:<34} {:>16}", "peak RSS overall (no reset)", mib(csv_peak));
    }
    if let Some(path) = out {
        println!("written to {path}");
    }
}

/// The generated "database": per conversation (in creation order) its messages, assignments
/// and blocks, and the account's directory.
pub struct Db {
    pub directory: Facts,
    pub conversations: Vec<ConversationFact>,
    pub messages: Vec<Vec<MessageFact>>,
    pub assignments: Vec<Vec<AssignmentFact>>,
    pub blocks: Vec<Vec<BlockFact>>,
}

/// Writes the Conversations CSV of `db` page by page; returns the number of rows.
pub fn write_csv(db: &Db, out: &mut impl Write) -> Result<usize, String> {
    let (Some(first), Some(last)) = (db.conversations.first(), db.conversations.last()) else {
        return Err("no conversations".into());
    };
    let q = ReportQuery::new(ReportId::Conversations, first.created_at, last.created_at + 1, "UTC");
    let now = last.created_at + 86_400 * S;
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(out);
    let mut rows = 0usize;
    for start in (0..db.conversations.len()).step_by(PAGE) {
        let end = (start + PAGE).min(db.conversations.len());
        // What the edge loads from D1 for one page.
        let page = Facts {
            conversations: db.conversations[start..end].to_vec(),
            messages: db.messages[start..end].iter().flatten().cloned().collect(),
            assignments: db.assignments[start..end].iter().flatten().cloned().collect(),
            blocks: db.blocks[start..end].iter().flatten().cloned().collect(),
            ..db.directory.clone()
        };
        let table = compute(&Ctx::new(&q, &page, now, TRANSCRIPT_BASE));
        if table.columns != conversations::COLUMNS {
            return Err(format!(
                "reports::compute did not give the Conversations columns (got {:?}): is the report built?",
                table.columns
            ));
        }
        if table.rows.len() != end - start {
            return Err(format!("page {start}..{end}: {} rows for {} conversations", table.rows.len(), end - start));
        }
        if start == 0 {
            w.write_record(&table.columns).map_err(|e| e.to_string())?;
        }
        for r in &table.rows {
            // As `Table::to_csv` writes them: formula cells as text.
            w.write_record(r.iter().map(|c| parley_reports::table::neutralise(c).into_owned()))
                .map_err(|e| e.to_string())?;
        }
        rows += table.rows.len();
    }
    w.flush().map_err(|e| e.to_string())?;
    Ok(rows)
}

/// SplitMix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

const WORDS: [&str; 40] = [
    "hello",
    "hi",
    "price",
    "order",
    "delivery",
    "invoice",
    "refund",
    "account",
    "password",
    "thanks",
    "please",
    "when",
    "where",
    "how",
    "can",
    "you",
    "help",
    "me",
    "with",
    "my",
    "the",
    "plan",
    "upgrade",
    "cancel",
    "shipping",
    "Größe",
    "tamaño",
    "livraison",
    "giao hàng",
    "ok",
    "sure",
    "\"premium\"",
    "one, two",
    "€10",
    "today",
    "tomorrow",
    "ticket",
    "number",
    "email",
    "address",
];
const TAGS: [&str; 6] = ["billing", "shipping", "vip", "bug", "lead", "complaint"];
const CODES: [&str; 3] = ["Sale", "Resolved", "Follow-up"];
const GOALS: [(&str, f64); 3] = [("Signed up", 49.0), ("Saw pricing", 5.0), ("Checkout", 12.5)];
const OPENING: &str = "Hi! How can we help you today?";

fn sentence(rng: &mut Rng) -> String {
    let n = rng.range(1, 24);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        let word: &&str = rng.pick(&WORDS);
        s.push_str(word);
    }
    s
}

/// `n` conversations from `seed`.
pub fn generate(n: usize, seed: u64) -> Db {
    let mut rng = Rng(seed);
    let account = AccountFact { id: "acc_bench".into(), name: "Bench account".into() };
    let partner = AccountFact { id: "acc_partner".into(), name: "Partner helpdesk".into() };
    let agents: Vec<AgentFact> = (0..12)
        .map(|i| AgentFact {
            id: format!("op_{i:02}").into(),
            username: format!("agent{i:02}"),
            first_name: format!("Agent{i}"),
            last_name: "Bench".into(),
            email: format!("agent{i:02}@bench.example"),
            account_id: if i < 10 { account.id.clone() } else { partner.id.clone() },
            disabled: i == 9,
            max_chats: 3,
            ..AgentFact::default()
        })
        .collect();
    let channels: Vec<ChannelFact> = (0..4)
        .map(|i| ChannelFact {
            id: format!("ch_{i}").into(),
            account_id: account.id.clone(),
            name: format!("Channel {i}"),
        })
        .collect();
    let hosts: Vec<HostFact> = ["shop.example", "help.example", "blog.example"]
        .iter()
        .enumerate()
        .map(|(i, h)| HostFact {
            id: format!("host_{i}"),
            account_id: account.id.clone(),
            hostname: (*h).into(),
            shared_with: vec![],
        })
        .collect();
    let mut entry_points = Vec::new();
    for ch in &channels {
        entry_points.push(EntryPointFact {
            id: format!("btn_{}", ch.id),
            channel_id: ch.id.clone(),
            name: "Chat button".into(),
            kind: "button".into(),
        });
        for (j, name) in ["Welcome invite", "Pricing greeter"].iter().enumerate() {
            entry_points.push(EntryPointFact {
                id: format!("inv_{}_{j}", ch.id),
                channel_id: ch.id.clone(),
                name: (*name).into(),
                kind: "invite".into(),
            });
        }
    }
    let own: Vec<&str> = agents.iter().filter(|a| a.account_id == account.id).map(|a| a.id.as_str()).collect();
    let external: Vec<&str> = agents.iter().filter(|a| a.account_id != account.id).map(|a| a.id.as_str()).collect();

    let mut db = Db {
        directory: Facts {
            account: account.clone(),
            accounts: vec![account.clone(), partner],
            agents: agents.clone(),
            channels: channels.clone(),
            hosts: hosts.clone(),
            entry_points: entry_points.clone(),
            ..Facts::default()
        },
        conversations: Vec::with_capacity(n),
        messages: Vec::with_capacity(n),
        assignments: Vec::with_capacity(n),
        blocks: Vec::with_capacity(n),
    };

    let mut t = START;
    for i in 0..n {
        t += rng.range(1, 160) * S + rng.range(0, 999);
        let id = format!("c{i:07}");
        let ch = rng.pick(&channels);
        let eps: Vec<&EntryPointFact> = entry_points.iter().filter(|e| e.channel_id == ch.id).collect();
        let ep = if rng.chance(35) { eps[1 + (rng.next() % 2) as usize] } else { eps[0] };
        let host = rng.pick(&hosts);
        let visitor = format!("v{:08x}", rng.next() as u32);

        // Who: one operator, or two (transfer, forward, take-over); some from the partner.
        let first = if rng.chance(8) { *rng.pick(&external) } else { *rng.pick(&own) };
        let accepted = t + rng.range(0, 90) * S;
        let mut assigned = vec![AssignmentFact {
            conversation_id: id.as_str().into(),
            operator_id: first.into(),
            at: accepted,
            how: if rng.chance(80) { Received::Routed } else { Received::Dequeued },
        }];
        let unassigned = rng.chance(2);
        if unassigned {
            assigned.clear();
        }

        // Messages: an optional opening text, then runs of visitor and operator messages.
        let count = rng.range(2, 30) as usize;
        let mut msgs = Vec::with_capacity(count);
        let mut at = t;
        let mut visitor_turn = true;
        let mut seq = 0u64;
        let mut current = first.to_owned();
        let second_at = if !unassigned && rng.chance(12) { Some(count / 2) } else { None };
        if rng.chance(30) {
            seq += 1;
            msgs.push(MessageFact {
                conversation_id: id.as_str().into(),
                seq,
                role: AuthorRole::System,
                operator_id: None,
                at,
                text: OPENING.into(),
                attachment: None,
                media_link: String::new(),
            });
        }
        while msgs.len() < count {
            if Some(msgs.len()) == second_at {
                let pool = if rng.chance(30) { &external } else { &own };
                let next = *rng.pick(pool);
                let how = *rng.pick(&[Received::Transferred, Received::Forwarded, Received::Taken]);
                assigned.push(AssignmentFact {
                    conversation_id: id.as_str().into(),
                    operator_id: next.into(),
                    at: at + S,
                    how,
                });
                current = next.to_owned();
            }
            at += rng.range(2, 120) * S + rng.range(0, 999);
            seq += 1;
            let operator_writes = !unassigned && !visitor_turn;
            msgs.push(MessageFact {
                conversation_id: id.as_str().into(),
                seq,
                role: if operator_writes { AuthorRole::Operator } else { AuthorRole::Visitor },
                operator_id: operator_writes.then(|| current.as_str().into()),
                at,
                text: sentence(&mut rng),
                attachment: None,
                media_link: String::new(),
            });
            if rng.chance(55) {
                visitor_turn = !visitor_turn;
            }
        }

        let open = rng.chance(3);
        let closed_at = (!open).then(|| at + rng.range(5, 600) * S);
        let closed_by =
            (!open).then(|| *rng.pick(&[ClosedBy::Visitor, ClosedBy::Operator, ClosedBy::Operator, ClosedBy::Timeout]));
        let rating =
            if open { "" } else { *rng.pick(&["good", "good", "good", "moderate", "bad", "not_rated", "", ""]) };
        let comment = match rating {
            "good" | "moderate" | "bad" if rng.chance(25) => sentence(&mut rng),
            _ => String::new(),
        };
        let mut goals = Vec::new();
        if rng.chance(15) {
            for (k, (name, value)) in GOALS.iter().enumerate() {
                if k == 0 || rng.chance(40) {
                    goals.push(ReachedGoal {
                        goal_id: format!("g{k}"),
                        name: (*name).into(),
                        value: *value,
                        at: t + rng.range(0, 600) * S,
                    });
                }
            }
        }
        let tags: Vec<String> = (0..rng.range(0, 3))
            .map(|_| (*rng.pick(&TAGS)).to_owned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let email = if rng.chance(20) { format!("{visitor}@mail.example") } else { String::new() };
        let operator_id = assigned.last().map(|a| a.operator_id.clone());
        let operator_wrote = msgs.iter().any(|m| m.role == AuthorRole::Operator);
        let conv = ConversationFact {
            id: id.as_str().into(),
            account_id: account.id.as_str().into(),
            channel_id: ch.id.as_str().into(),
            visitor_id: visitor.as_str().into(),
            status: if open { Status::Active } else { Status::Closed },
            created_at: t,
            page_url: format!("https://{}/products/{}", host.hostname, rng.range(1, 500)),
            message_count: msgs.len() as u64,
            last_message_at: msgs.last().map(|m| m.at),
            last_message_preview: msgs.last().map(|m| m.text.chars().take(80).collect()).unwrap_or_default(),
            updated_at: closed_at.unwrap_or(at),
            closed_at,
            closed_by,
            no_operator_response: operator_id.is_some() && !operator_wrote,
            operator_name: operator_id.as_deref().map(|o| format!("Agent {o}")).unwrap_or_default(),
            operator_id,
            visitor_name: String::new(),
            visitor_language: (*rng.pick(&["en", "de", "es", "fr", "vi"])).into(),
            visitor_country: (*rng.pick(&["DE", "ES", "FR", "US", "VN"])).into(),
            current_page: String::new(),
            pages_visited: rng.range(1, 12) as u32,
            request_type: RequestType::parse(&ep.kind).unwrap(),
            request_source: ep.name.clone(),
            entry_point_id: Some(ep.id.clone()),
            decision_ms: rng.chance(70).then(|| rng.range(300, 40_000)),
            survey_result: SurveyResult::parse(rating).unwrap(),
            survey_comment: comment,
            rated_at: (!rating.is_empty()).then(|| closed_at.unwrap_or(at) + 20 * S),
            success_code: (!open && rng.chance(40)).then(|| (*rng.pick(&CODES)).into()),
            tags,
            category: None,
            sub_category: None,
            note: String::new(),
            outcome_by: None,
            outcome_at: None,
            goals,
            visitor_identifier: if email.is_empty() { visitor.clone() } else { email.clone() },
            visitor_email: email,
            anonymous: true,
            prechat: vec![],
            session_id: Some(format!("s{:08x}", rng.next() as u32)),
            host_id: Some(host.id.clone()),
            pages: vec![],
        };
        let blocks = if rng.next() % 1000 < 3 {
            vec![BlockFact {
                id: format!("b{i}"),
                account_id: account.id.clone(),
                visitor_id: visitor.into(),
                conversation_id: id.into(),
                reason: "Spam, links".into(),
                blocked_by: conv.operator_id.as_deref().unwrap_or(own[0]).into(),
                created_at: closed_at.unwrap_or(at),
                lifted_at: None,
                lifted_by: None,
            }]
        } else {
            vec![]
        };
        db.conversations.push(conv);
        db.messages.push(msgs);
        db.assignments.push(assigned);
        db.blocks.push(blocks);
    }
    db
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Counts the bytes written and keeps their FNV-1a checksum.
struct Counting<W: Write> {
    inner: W,
    bytes: u64,
    fnv: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        for b in &buf[..n] {
            self.fnv = (self.fnv ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A `kB` line of `/proc/self/status` (e.g. `VmHWM:`), in KiB.
fn vm_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// Resets the RSS high-water mark (Linux ≥ 4.0); false when it could not.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_realistic() {
        let a = generate(300, SEED);
        let b = generate(300, SEED);
        assert_eq!(a.conversations, b.conversations);
        assert_eq!(a.messages, b.messages);
        assert_ne!(generate(300, SEED + 1).conversations, a.conversations);
        for (c, m) in a.conversations.iter().zip(&a.messages) {
            assert!((2..=30).contains(&m.len()), "{}: {} messages", c.id, m.len());
            assert!(m.windows(2).all(|w| w[0].at <= w[1].at && w[0].seq < w[1].seq));
        }
        assert!(a.conversations.windows(2).all(|w| w[0].created_at < w[1].created_at));
        let transfers = a.assignments.iter().filter(|x| x.len() == 2).count();
        assert!(transfers > 10 && transfers < 80, "{transfers} transfers");
        let ops: std::collections::BTreeSet<_> = a.assignments.iter().flatten().map(|x| &x.operator_id).collect();
        assert!(ops.len() >= 10);
        for want in ["good", "moderate", "bad", "not_rated", ""] {
            assert!(a.conversations.iter().any(|c| c.survey_result.as_str() == want), "no {want:?} rating");
        }
        assert!(a.conversations.iter().any(|c| !c.goals.is_empty()));
        assert!(a.conversations.iter().any(|c| !c.tags.is_empty()));
        assert!(a.conversations.iter().any(|c| c.status != Status::Closed));
    }

    #[test]
    fn paged_csv_is_one_row_per_conversation_and_the_same_as_one_page() {
        let db = generate(1_234, SEED);
        let mut paged = Vec::new();
        assert_eq!(write_csv(&db, &mut paged), Ok(1_234));
        let paged = String::from_utf8(paged).unwrap();
        // One computation over everything gives the same file: paging changes nothing.
        let all = Facts {
            conversations: db.conversations.clone(),
            messages: db.messages.iter().flatten().cloned().collect(),
            assignments: db.assignments.iter().flatten().cloned().collect(),
            blocks: db.blocks.iter().flatten().cloned().collect(),
            ..db.directory.clone()
        };
        let last = db.conversations.last().unwrap().created_at;
        let q = ReportQuery::new(ReportId::Conversations, START, last + 1, "UTC");
        let whole = compute(&Ctx::new(&q, &all, last + 86_400 * S, TRANSCRIPT_BASE)).to_csv().unwrap();
        assert_eq!(paged, whole);
        assert!(paged.starts_with(&conversations::COLUMNS.join(",")));
        assert_eq!(paged.lines().count(), 1_235);
    }
}
