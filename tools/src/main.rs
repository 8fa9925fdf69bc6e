//! `parley-tools seed-sql`: prints the SQL that creates the clearly labelled local demo
//! account (account, host 127.0.0.1 and localhost, channel `demo`, two operators: `demo`
//! "Dana", admin, English and German, 3 chats; `sam` "Sam", operator, Spanish and French,
//! 2 chats; both with password `parley-demo`) with freshly salted password hashes; the demo
//! channel's chat button `btn_demo` and one auto-invite `ep_welcome` ("Welcome invite": after
//! 8 s on a page, at most twice per visitor, hidden after 30 s, greetings in en, de, es, fr, vi);
//! the channel's default language English, launcher on the right, its greeting in all five
//! languages. `make dev` and the end-to-end tests pipe it into
//! `wrangler d1 execute --local` when the local database is empty.

mod bench_reports;
mod bench_routing;
mod bench_wake;

use parley_core::auth::{hash_password, PBKDF2_ROUNDS};
use parley_protocol::invites::{Condition, Greeting, InviteSettings};

pub const DEMO_USERNAME: &str = "demo";
pub const DEMO_PASSWORD: &str = "parley-demo";
/// The second demo operator (Spanish and French, two chats at a time), same password.
pub const SECOND_USERNAME: &str = "sam";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("seed-sql") => print!("{}", seed_sql()),
        Some("hash-password") if args.len() == 2 => println!("{}", hash(&args[1])),
        Some("bench-routing") => bench_routing::run(),
        Some("bench-reports") => bench_reports::run(&args[1..]),
        Some("bench-wake") => bench_wake::run(),
        Some("setup-code") => {
            match setup_secret(args.get(1).map(String::as_str)) {
                Some(secret) => println!("{}", parley_core::setup::setup_code(secret.as_bytes())),
                None => {
                    eprintln!("setup-code: no secret: pass it, set PARLEY_SECRET, or run from a checkout whose .dev.vars has one");
                    std::process::exit(2);
                }
            }
        }
        Some("account-sql") if args.len() >= 4 => {
            let counts: Vec<u64> =
                args[3].split(',').map(|c| c.trim().parse().expect("COUNTS: numbers, e.g. 3,1")).collect();
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as u64;
            let (shard, directory, anchor) = account_sql(&args[1], &args[2], &counts, now);
            match args.get(4).map(String::as_str) {
                Some("--shard-part") => print!("{anchor}"),
                _ => print!("{directory}"),
            }
            eprintln!("account {} goes to shard {shard} (binding {})", args[1], parley_core::shards::binding(shard));
        }
        _ => {
            eprintln!("usage: parley-tools seed-sql | hash-password PASSWORD | bench-routing | bench-reports [N] [--out FILE] | bench-wake");
            eprintln!("       parley-tools account-sql ID NAME COUNTS [--shard-part]   (COUNTS: accounts per bound shard, e.g. 3,1)");
            eprintln!("       parley-tools setup-code [SECRET]   (the /console/setup code of PARLEY_SECRET, else of .dev.vars)");
            std::process::exit(2);
        }
    }
}

/// The secret whose setup code `setup-code` prints: the argument, else `PARLEY_SECRET` from the
/// environment, else the `PARLEY_SECRET=` line of `.dev.vars` (the local one `make dev` makes).
fn setup_secret(arg: Option<&str>) -> Option<String> {
    let from_file = || {
        let text = std::fs::read_to_string(".dev.vars").ok()?;
        secret_in_dev_vars(&text)
    };
    arg.map(str::to_owned)
        .or_else(|| std::env::var("PARLEY_SECRET").ok())
        .filter(|s| !s.trim().is_empty())
        .or_else(from_file)
}

/// The value of `PARLEY_SECRET=` in a `.dev.vars` text (quotes dropped).
fn secret_in_dev_vars(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("PARLEY_SECRET="))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .find(|v| !v.is_empty())
}

fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).expect("system randomness");
    hash_password(password, &salt, PBKDF2_ROUNDS)
}

/// A new account's SQL: `(shard, directory part, shard part)`. The shard is the one holding the
/// fewest of `counts` (accounts per bound shard: `SELECT shard, COUNT(*) FROM account_shards GROUP
/// BY shard`), `parley_core::shards::place`; the directory part (for `DB`) is the account and its
/// directory row; the shard part (for `DB_<shard>`, empty on shard 0, which holds the account
/// itself) is the anchor row its data's foreign keys point at.
fn account_sql(id: &str, name: &str, counts: &[u64], now: u64) -> (u32, String, String) {
    let shard = parley_core::shards::place(counts, counts.len() as u32);
    let directory = format!(
        "INSERT INTO accounts (id, name, created_at) VALUES ({id}, {name}, {now});\n\
         INSERT INTO account_shards (account_id, shard) VALUES ({id}, {shard});\n",
        id = q(id),
        name = q(name),
    );
    let anchor = match shard {
        0 => String::new(),
        _ => format!("INSERT INTO accounts (id, name, created_at) VALUES ({}, '', {now});\n", q(id)),
    };
    (shard, directory, anchor)
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The demo channel's greeting (English, its default language) and its greetings per language.
const DEMO_GREETING: &str = "Hi! Ask us anything about Parley.";
fn demo_greetings() -> Vec<Greeting> {
    let greeting = |language: &str, text: &str| Greeting { language: language.into(), text: text.into() };
    vec![
        greeting("en", DEMO_GREETING),
        greeting("es", "¡Hola! Pregúntanos lo que quieras sobre Parley."),
        greeting("fr", "Bonjour ! Posez-nous toutes vos questions sur Parley."),
        greeting("de", "Hallo! Fragen Sie uns alles über Parley."),
        greeting("vi", "Xin chào! Hãy hỏi chúng tôi bất cứ điều gì về Parley."),
    ]
}

/// The demo channel's auto-invite (ids `ep_welcome`; tests that must not see it disable it).
fn welcome_invite() -> InviteSettings {
    let greeting = |language: &str, text: &str| Greeting { language: language.into(), text: text.into() };
    InviteSettings {
        when: Condition::TimeOnPageAtLeast { seconds: 8 },
        always_show: false,
        max_per_visitor: 2,
        display_timeout_ms: 30_000,
        greetings: vec![
            greeting("en", "Hi! Any questions about Parley? We are happy to help."),
            greeting("de", "Hallo! Fragen zu Parley? Wir helfen gern."),
            greeting("es", "¡Hola! ¿Preguntas sobre Parley? Estamos aquí para ayudarte."),
            greeting("fr", "Bonjour ! Des questions sur Parley ? Nous sommes là pour vous aider."),
            greeting("vi", "Xin chào! Bạn có câu hỏi về Parley không? Chúng tôi sẵn lòng giúp đỡ."),
        ],
    }
}

/// `N` bytes from the system's randomness, lowercase hex (the demo channel's identity secret).
fn random_hex<const N: usize>() -> String {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("system randomness");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn seed_sql() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis();
    let hash2 = hash(DEMO_PASSWORD);
    let hash = hash(DEMO_PASSWORD);
    format!(
        "-- Parley local DEMO data (not for production).\n\
INSERT INTO accounts (id, name, created_at) VALUES ('acc_demo', 'DEMO account (local development)', {now});\n\
INSERT INTO account_shards (account_id, shard) VALUES ('acc_demo', {shard});\n\
INSERT INTO hosts (id, account_id, hostname, created_at) VALUES ('h_demo_ip', 'acc_demo', '127.0.0.1', {now});\n\
INSERT INTO hosts (id, account_id, hostname, created_at) VALUES ('h_demo_local', 'acc_demo', 'localhost', {now});\n\
INSERT INTO channels (id, account_id, name, greeting, created_at, identity_secret, language, position, greetings) \
VALUES ('demo', 'acc_demo', 'Demo channel', {greeting}, {now}, {identity_secret}, 'en', 'right', {greetings});\n\
INSERT INTO channel_hosts (channel_id, host_id) VALUES ('demo', 'h_demo_ip'), ('demo', 'h_demo_local');\n\
INSERT INTO operators (id, account_id, username, first_name, last_name, email, chat_name, role, password_hash, languages, max_chats, created_at) \
VALUES ('op_demo', 'acc_demo', {user}, 'Dana', 'Demo', 'demo@parley.invalid', 'Dana', 'admin', {hash}, '[\"en\",\"de\"]', 3, {now});\n\
INSERT INTO operators (id, account_id, username, first_name, last_name, email, chat_name, role, password_hash, languages, max_chats, created_at) \
VALUES ('op_sam', 'acc_demo', {user2}, 'Sam', 'Sample', 'sam@parley.invalid', 'Sam', 'operator', {hash2}, '[\"es\",\"fr\"]', 2, {now});\n\
INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, updated_at) \
VALUES ('btn_demo', 'acc_demo', 'demo', 'button', 'Chat button', 1, 0, {now}, {now});\n\
INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, invite, position, created_at, updated_at) \
VALUES ('ep_welcome', 'acc_demo', 'demo', 'invite', 'Welcome invite', 1, {invite}, 1, {now}, {now});\n\
INSERT INTO success_codes (id, account_id, name, position, created_at) VALUES ('sc_demo_sale', 'acc_demo', 'Sale', 0, {now}), ('sc_demo_resolved', 'acc_demo', 'Resolved', 1, {now});\n\
INSERT INTO categories (id, account_id, parent_id, name, position, created_at) VALUES ('cat_demo_billing', 'acc_demo', NULL, 'Billing', 0, {now});\n\
INSERT INTO categories (id, account_id, parent_id, name, position, created_at) VALUES ('cat_demo_refund', 'acc_demo', 'cat_demo_billing', 'Refund', 0, {now}), ('cat_demo_invoice', 'acc_demo', 'cat_demo_billing', 'Invoice', 1, {now});\n\
INSERT INTO goals (id, account_id, name, value, url_glob, enabled, position, created_at) VALUES ('g_demo_signup', 'acc_demo', 'Signed up', 49, NULL, 1, 0, {now}), ('g_demo_pricing', 'acc_demo', 'Saw pricing', 5, '*/demo/pricing*', 1, 1, {now});\n",
        // The first account of an empty deployment: shard 0 (`DB`), whatever the shard count.
        shard = parley_core::shards::place(&[], parley_core::config::MAX_D1_SHARDS),
        user = q(DEMO_USERNAME),
        hash = q(&hash),
        user2 = q(SECOND_USERNAME),
        hash2 = q(&hash2),
        invite = q(&serde_json::to_string(&welcome_invite()).expect("invite settings serialize")),
        identity_secret = q(&random_hex::<32>()),
        greeting = q(DEMO_GREETING),
        greetings = q(&serde_json::to_string(&demo_greetings()).expect("greetings serialize")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_account_goes_to_the_emptiest_shard_with_its_directory_row_and_anchor() {
        let (shard, directory, anchor) = account_sql("acc_x", "O'Brien", &[3, 1], 7);
        assert_eq!(shard, 1);
        assert_eq!(
            directory,
            "INSERT INTO accounts (id, name, created_at) VALUES ('acc_x', 'O''Brien', 7);\n\
             INSERT INTO account_shards (account_id, shard) VALUES ('acc_x', 1);\n"
        );
        assert_eq!(anchor, "INSERT INTO accounts (id, name, created_at) VALUES ('acc_x', '', 7);\n");
        let (shard, _, anchor) = account_sql("acc_y", "Y", &[0, 1], 7);
        assert_eq!((shard, anchor.as_str()), (0, ""), "shard 0 holds the account itself");
    }

    #[test]
    fn the_setup_code_is_the_secrets() {
        assert_eq!(secret_in_dev_vars("A=1\nPARLEY_SECRET=\"abc123\"\n"), Some("abc123".to_owned()));
        assert_eq!(secret_in_dev_vars("PARLEY_SECRET=\n"), None);
        assert_eq!(setup_secret(Some("given")), Some("given".to_owned()));
        assert!(parley_core::setup::is_setup_code(b"given", &parley_core::setup::setup_code(b"given")));
    }

    #[test]
    fn the_demo_invite_is_valid_as_stored() {
        let invite = welcome_invite();
        assert_eq!(parley_protocol::entry_points::invite_settings(&invite), Ok(invite));
        let sql = seed_sql();
        assert!(sql.contains("'btn_demo'") && sql.contains("'ep_welcome'"));
        assert!(sql.contains("'Signed up', 49") && sql.contains("'*/demo/pricing*'") && sql.contains("'Invoice'"));
        assert_ne!(random_hex::<32>(), random_hex::<32>());
        // The demo channel's greetings are valid as stored (the English one is the greeting).
        assert_eq!(parley_protocol::admin::channel_greetings(&demo_greetings()), Ok(demo_greetings()));
        assert!(sql.contains("'en', 'right', '[{\"language\":\"en\",\"text\":\"Hi! Ask us anything about Parley.\"}"));
        assert_eq!(random_hex::<32>().len(), 64);
    }
}
