//! "Hosts" (seed 001): the websites registered to the account (a static report: the period
//! does not narrow it).
//!
//! Interpretations of the seed:
//! - One row per host of the account, ordered by hostname, then id; the `host` filter keeps
//!   that host only (hosts belong to no one channel row, so `channel` does not narrow).
//! - `multiple_acc_id` ("a unique identifier in case there are multiple accounts on one
//!   domain name (sourceHash)"): when another account registered the same hostname
//!   ([`HostFact::shared_with`] not empty), the first 16 hex digits of the SHA-256 of the
//!   hostname in lower case — the same value in every account that shares the name, and
//!   different for different names, so rows can be matched across accounts without naming the
//!   other accounts. Empty when only this account has the hostname.

use sha2::{Digest, Sha256};

use super::super::facts::HostFact;
use super::super::table::Table;
use super::super::Ctx;

/// The seed's columns, in its order.
pub const COLUMNS: [&str; 4] = ["id", "account_id", "hostname", "multiple_acc_id"];

/// The `sourceHash` of a hostname.
pub fn source_hash(hostname: &str) -> String {
    let digest = Sha256::digest(hostname.trim().to_ascii_lowercase().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

pub fn table(ctx: &Ctx) -> Table {
    let mut list: Vec<&HostFact> =
        ctx.facts.hosts.iter().filter(|h| ctx.q.host.as_deref().is_none_or(|id| id == h.id)).collect();
    list.sort_by(|a, b| (&a.hostname, &a.id).cmp(&(&b.hostname, &b.id)));
    let mut t = Table::new(&COLUMNS);
    for h in list {
        let shared = h.shared_with.iter().any(|acc| *acc != h.account_id);
        t.push(
            vec![
                h.id.clone(),
                h.account_id.to_string(),
                h.hostname.clone(),
                if shared { source_hash(&h.hostname) } else { String::new() },
            ],
            None,
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::*;
    use crate::facts::Facts;
    use crate::query::ReportId;

    fn host(id: &str, name: &str, shared: &[&str]) -> HostFact {
        HostFact {
            id: id.into(),
            account_id: "acc1".into(),
            hostname: name.into(),
            shared_with: shared.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn hosts_with_a_source_hash_only_when_shared() {
        let f = Facts {
            hosts: vec![
                host("h2", "shop.example", &["acc7"]),
                host("h1", "www.example.com", &[]),
                // Only the account itself listed: not shared.
                host("h3", "blog.example", &["acc1"]),
            ],
            ..Facts::default()
        };
        let mut q = query(ReportId::Hosts, D, D + DAY, "UTC");
        let t = table(&ctx(&q, &f, D));
        let hash = source_hash("shop.example");
        assert_eq!(hash.len(), 16);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            t.to_csv().unwrap(),
            format!(
                "id,account_id,hostname,multiple_acc_id\nh3,acc1,blog.example,\nh2,acc1,shop.example,{hash}\n\
                 h1,acc1,www.example.com,\n"
            )
        );
        // Stable and the same whatever the case; another name, another hash.
        assert_eq!(source_hash("SHOP.example"), hash);
        assert_ne!(source_hash("shop.example.org"), hash);
        q.host = Some("h1".into());
        let t = table(&ctx(&q, &f, D));
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0][0], "h1");
    }
}
