//! Which D1 database (shard) holds an account's data (issue 19, ARCHITECTURE "Capacity
//! model"). Pure: the edge looks the directory up and binds the database; the rules are here.
//!
//! Shard 0 is the binding `DB` (also the directory: accounts, operators, channels, sessions…),
//! shard `i > 0` the binding `DB_i`. An account lives on one shard for ever (its conversations,
//! messages, events, tallies, activity, offline messages, identities, blocks, goals reached), so
//! every report is one database's query and a shard is never read for another account.

/// The `[[d1_databases]]` binding of shard `index` (`DB`, `DB_1`, `DB_2`, …).
pub fn binding(index: u32) -> String {
    match index {
        0 => "DB".to_owned(),
        i => format!("DB_{i}"),
    }
}

/// A directory row naming a shard the deployment does not bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownShard {
    pub shard: i64,
    pub shards: u32,
}

impl std::fmt::Display for UnknownShard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "shard {} is not one of the {} bound D1 databases (PARLEY_D1_SHARDS)", self.shard, self.shards)
    }
}

/// The shard a directory row names, checked against the deployment's `shards` bindings.
pub fn check(shard: i64, shards: u32) -> Result<u32, UnknownShard> {
    u32::try_from(shard).ok().filter(|s| *s < shards).ok_or(UnknownShard { shard, shards })
}

/// Where a new account goes: the shard holding the fewest accounts (`accounts[i]` is how many
/// shard `i` holds; the lowest index on a tie, so an empty deployment starts on shard 0).
/// Accounts never move, so the choice is made once, when the account is created.
pub fn place(accounts: &[u64], shards: u32) -> u32 {
    (0..shards.max(1)).min_by_key(|i| (accounts.get(*i as usize).copied().unwrap_or(0), *i)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_zero_is_the_historic_binding_the_others_are_numbered() {
        assert_eq!(binding(0), "DB");
        assert_eq!(binding(1), "DB_1");
        assert_eq!(binding(23), "DB_23");
    }

    #[test]
    fn a_directory_row_must_name_a_bound_shard() {
        assert_eq!(check(0, 1), Ok(0));
        assert_eq!(check(1, 2), Ok(1));
        assert_eq!(check(2, 2), Err(UnknownShard { shard: 2, shards: 2 }));
        assert_eq!(check(-1, 2), Err(UnknownShard { shard: -1, shards: 2 }));
        assert_eq!(check(i64::from(u32::MAX) + 1, 2).map_err(|e| e.shard), Err(i64::from(u32::MAX) + 1));
    }

    #[test]
    fn a_new_account_goes_to_the_emptiest_shard_lowest_first() {
        assert_eq!(place(&[], 1), 0, "one shard: always 0");
        assert_eq!(place(&[], 4), 0, "an empty deployment starts on shard 0 (the demo account)");
        assert_eq!(place(&[1], 2), 1, "a shard without a row yet holds nothing");
        assert_eq!(place(&[3, 1, 1], 3), 1, "ties go to the lowest index");
        assert_eq!(place(&[2, 5, 0, 7], 4), 2);
        assert_eq!(place(&[5, 5], 1), 0, "counts of unbound shards are ignored");
        assert_eq!(place(&[0, 0], 0), 0, "no shard configured still means DB");
    }
}
