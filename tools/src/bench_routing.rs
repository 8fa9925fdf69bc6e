//! `parley-tools bench-routing`: how many routing decisions per second the dispatcher makes
//! with 10, 100 and 1,000 operators online in one channel (`make bench`).
//!
//! Two figures per size: the pure rule ([`route`] over a prepared snapshot of presence), and
//! the whole dispatcher step the edge runs for a new chat ([`Dispatch::new_chat`], which builds
//! the snapshot, decides and books the chat, then [`Dispatch::closed`] to free the slot again).
//! Operators speak one of five languages; visitors cycle through six (one nobody speaks).

use std::hint::black_box;
use std::time::{Duration, Instant};

use parley_core::dispatch::{Config, Dispatch, Profile};
use parley_core::routing::{route, Candidate, Route};
use parley_protocol::Millis;

const LANGS: [&str; 5] = ["en", "es", "fr", "de", "vi"];
const VISITOR_LANGS: [&str; 6] = ["en", "es-ES", "fr", "de-AT", "vi", "ja"];
const RUN_FOR: Duration = Duration::from_millis(1_500);

pub fn run() {
    println!(
        "{:>10} {:>22} {:>14} {:>26} {:>14}",
        "operators", "route() decisions/s", "ns/decision", "new chat + close / s", "ns/chat"
    );
    for n in [10usize, 100, 1_000] {
        let (pure_rate, pure_ns) = bench_pure(n);
        let (step_rate, step_ns) = bench_dispatch(n);
        println!("{n:>10} {pure_rate:>22.0} {pure_ns:>14.0} {step_rate:>26.0} {step_ns:>14.0}");
    }
}

fn languages(i: usize) -> Vec<String> {
    let mut l = vec![LANGS[i % LANGS.len()].to_owned()];
    if i.is_multiple_of(3) {
        l.push(LANGS[(i + 1) % LANGS.len()].to_owned());
    }
    l
}

/// Repeats `f` for about [`RUN_FOR`]; returns (calls per second, nanoseconds per call).
fn measure(mut f: impl FnMut(usize)) -> (f64, f64) {
    let start = Instant::now();
    let mut i = 0usize;
    while start.elapsed() < RUN_FOR {
        for _ in 0..256 {
            f(i);
            i += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    (i as f64 / secs, secs * 1e9 / i as f64)
}

fn bench_pure(n: usize) -> (f64, f64) {
    let langs: Vec<Vec<String>> = (0..n).map(languages).collect();
    let ids: Vec<String> = (0..n).map(|i| format!("op{i:04}")).collect();
    let candidates: Vec<Candidate> = (0..n)
        .map(|i| Candidate {
            id: &ids[i],
            online: true,
            joined: true,
            disabled: false,
            max_chats: 4,
            ongoing: (i % 4) as u32,
            languages: &langs[i],
            idle_since: Millis((i * 7919 % 1000) as u64),
        })
        .collect();
    measure(|i| {
        let r = route(black_box(&candidates), Some(VISITOR_LANGS[i % VISITOR_LANGS.len()]), &[]);
        assert!(matches!(r, Route::Assign { .. }));
        black_box(r);
    })
}

fn bench_dispatch(n: usize) -> (f64, f64) {
    let never = u64::MAX / 4;
    let mut d = Dispatch::new(Config { forward_after_ms: never, inactivity_ms: never, console_gone_ms: never });
    for i in 0..n {
        let id = format!("op{i:04}");
        let profile =
            Profile { id: id.clone().into(), name: id.clone(), languages: languages(i), max_chats: 4, disabled: false };
        d.upsert_profile(profile, Millis(0), format!("a{i}"));
        d.set_online(&id, true, Millis(0), format!("b{i}")).expect("known operator");
        d.join(&id, "web", Millis(0)).expect("known operator");
    }
    // Half the slots busy, as on a working day.
    for k in 0..(n * 2) {
        d.new_chat(&format!("busy{k}"), "web", Some(VISITOR_LANGS[k % VISITOR_LANGS.len()]), Millis(k as u64));
    }
    measure(|i| {
        let id = format!("c{i}");
        let (update, _) =
            d.new_chat(&id, "web", Some(VISITOR_LANGS[i % VISITOR_LANGS.len()]), Millis(1_000 + i as u64));
        black_box(update);
        black_box(d.closed(&id, Millis(1_000 + i as u64)));
    })
}
