//! `parley-tools seed-sql`: prints the SQL that creates the clearly labelled local demo
//! account (account, host 127.0.0.1 and localhost, channel `demo`, two operators: `demo`
//! "Dana", admin, English and German, 3 chats; `sam` "Sam", operator, Spanish and French,
//! 2 chats; both with password `parley-demo`) with freshly salted password hashes. `make dev` and the end-to-end tests pipe it into
//! `wrangler d1 execute --local` when the local database is empty.

mod bench_routing;

use parley_shared::auth::{hash_password, PBKDF2_ROUNDS};

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
        _ => {
            eprintln!("usage: parley-tools seed-sql | hash-password PASSWORD | bench-routing");
            std::process::exit(2);
        }
    }
}

fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).expect("system randomness");
    hash_password(password, &salt, PBKDF2_ROUNDS)
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn seed_sql() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis();
    let hash2 = hash(DEMO_PASSWORD);
    let hash = hash(DEMO_PASSWORD);
    format!(
        "-- Parley local DEMO data (not for production).\n\
INSERT INTO accounts (id, name, created_at) VALUES ('acc_demo', 'DEMO account (local development)', {now});\n\
INSERT INTO hosts (id, account_id, hostname, created_at) VALUES ('h_demo_ip', 'acc_demo', '127.0.0.1', {now});\n\
INSERT INTO hosts (id, account_id, hostname, created_at) VALUES ('h_demo_local', 'acc_demo', 'localhost', {now});\n\
INSERT INTO channels (id, account_id, name, greeting, created_at) VALUES ('demo', 'acc_demo', 'Demo channel', 'Hi! Ask us anything about Parley.', {now});\n\
INSERT INTO channel_hosts (channel_id, host_id) VALUES ('demo', 'h_demo_ip'), ('demo', 'h_demo_local');\n\
INSERT INTO operators (id, account_id, username, first_name, last_name, email, chat_name, role, password_hash, languages, max_chats, created_at) \
VALUES ('op_demo', 'acc_demo', {user}, 'Dana', 'Demo', 'demo@parley.invalid', 'Dana', 'admin', {hash}, '[\"en\",\"de\"]', 3, {now});\n\
INSERT INTO operators (id, account_id, username, first_name, last_name, email, chat_name, role, password_hash, languages, max_chats, created_at) \
VALUES ('op_sam', 'acc_demo', {user2}, 'Sam', 'Sample', 'sam@parley.invalid', 'Sam', 'operator', {hash2}, '[\"es\",\"fr\"]', 2, {now});\n",
        user = q(DEMO_USERNAME),
        hash = q(&hash),
        user2 = q(SECOND_USERNAME),
        hash2 = q(&hash2),
    )
}
