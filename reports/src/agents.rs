//! "Agents" (seed 001): the static list of the account's operators, deleted ones flagged.
//!
//! Interpretations of the seed:
//! - The seed's fifth column has no name (its text: "It is the agent's email"); it is written
//!   `email`.
//! - `username` is the operator's login name as is: Parley's usernames carry no account
//!   postfix.
//! - `disabled`: `1` for an operator who can no longer work in the account, `0` otherwise (the
//!   seed: "o - an agent is active, 1 - agent was deleted"). Parley does not delete operators
//!   (reports and transcripts name them); an admin disables them instead, so a disabled
//!   operator is written `1`, as is a deleted one once deletion exists
//!   ([`AgentFact::deleted`], not recorded yet).
//! - Every operator given is listed (the edge passes the account's), ordered by account, then
//!   username, then id.

use parley_protocol::AccountId;
use serde::{Deserialize, Serialize};

use super::facts::AgentFact;

/// The seed's columns, in its order.
pub const COLUMNS: [&str; 7] = ["id", "username", "firstname", "lastname", "email", "account_id", "disabled"];

/// One line of the report (field order = `COLUMNS`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRow {
    pub id: String,
    pub username: String,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub account_id: AccountId,
    /// `0` active, `1` deleted or disabled.
    pub disabled: u8,
}

impl AgentRow {
    /// The row's cells as the CSV writes them (`COLUMNS` order).
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.username.clone(),
            self.firstname.clone(),
            self.lastname.clone(),
            self.email.clone(),
            self.account_id.to_string(),
            self.disabled.to_string(),
        ]
    }
}

/// One row per operator.
pub fn rows(agents: &[AgentFact]) -> Vec<AgentRow> {
    let mut list: Vec<&AgentFact> = agents.iter().collect();
    list.sort_by(|a, b| (&a.account_id, &a.username, &a.id).cmp(&(&b.account_id, &b.username, &b.id)));
    list.into_iter()
        .map(|a| AgentRow {
            id: a.id.to_string(),
            username: a.username.clone(),
            firstname: a.first_name.clone(),
            lastname: a.last_name.clone(),
            email: a.email.clone(),
            account_id: a.account_id.clone(),
            disabled: u8::from(a.disabled || a.deleted),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str, username: &str, account: &str) -> AgentFact {
        AgentFact {
            id: id.into(),
            username: username.into(),
            first_name: format!("First {id}"),
            last_name: format!("Last {id}"),
            email: format!("{username}@example.com"),
            account_id: account.into(),
            ..AgentFact::default()
        }
    }

    #[test]
    fn every_agent_with_deleted_or_disabled_flagged() {
        let mut gone = agent("op3", "bob", "acc1");
        gone.deleted = true;
        let mut off = agent("op4", "carl", "acc1");
        off.disabled = true;
        let list = [agent("op1", "zoe", "acc1"), gone, agent("op2", "amy", "acc0"), off];
        let r = rows(&list);
        let got: Vec<_> = r.iter().map(|r| (r.account_id.as_str(), r.username.as_str(), r.disabled)).collect();
        assert_eq!(got, [("acc0", "amy", 0), ("acc1", "bob", 1), ("acc1", "carl", 1), ("acc1", "zoe", 0)]);
        assert_eq!(
            r[0],
            AgentRow {
                id: "op2".into(),
                username: "amy".into(),
                firstname: "First op2".into(),
                lastname: "Last op2".into(),
                email: "amy@example.com".into(),
                account_id: "acc0".into(),
                disabled: 0,
            }
        );
        assert!(rows(&[]).is_empty());
    }

    #[test]
    fn csv_has_the_seeds_columns() {
        let mut a = agent("op1", "dana", "acc1");
        a.last_name = "O'Neil, Jr".into();
        let mut b = agent("op2", "sam", "acc1");
        b.disabled = true;
        let csv = super::super::serde_csv(&rows(&[b, a]), &COLUMNS);
        assert_eq!(
            csv,
            "id,username,firstname,lastname,email,account_id,disabled\n\
             op1,dana,First op1,\"O'Neil, Jr\",dana@example.com,acc1,0\n\
             op2,sam,First op2,Last op2,sam@example.com,acc1,1\n"
        );
    }
}
