//! "Conversations" (seed 001): one row per conversation with exactly the seed's columns, in its
//! order, computed from the [facts](super::facts).
//!
//! How each column is read from the seed (the choices where it is ambiguous):
//!
//! - A **message** is every stored message, the product's own texts included (the seed counts
//!   "opening/closing text if they are set" in `num_messages`): `num_messages`,
//!   `avgMessageLength`, `maxMessageLength` and the last message of `duration_conversation_secs`
//!   take all of them. The response times take only visitor and operator messages. Messages
//!   are ordered by time, then `seq`. A length is in characters (Unicode scalar values).
//! - **Seconds** are whole seconds, rounded down, of a difference in ms (so are averages: the
//!   mean in ms, then rounded down). A difference that would be negative is 0.
//! - `visitor_id` (the seed: "the unique ID of the visitor's website", read as the visitor's
//!   id), `account_id` (the conversation's account, the seed's "primary account"),
//!   `chatcampaign_id` (its channel): as recorded.
//! - `conversation_start`: the conversation's creation (`YYYY-MM-DD HH:MM:SS`, UTC; in the
//!   report's zone through [`rows_of`]) — the
//!   visitor's click that started it; Parley creates it then, whether or not an operator is free.
//! - `assigned_agent_*`: the operator of the first assignment (routed, dequeued, forwarded,
//!   transferred or taken, by time); `last_agent_*`: of the last. With no assignment recorded
//!   (rows older than the assignment events) both are the conversation's `operator_id`; with
//!   neither, empty. `…_account_id`/`…_account_name` are that operator's account and its name.
//! - `duration_total_secs`: creation → `closed_at`, whoever closed ("until the chat is over");
//!   empty while open. The session's own start is not recorded, so the chat's creation stands
//!   for it.
//! - `duration_conversation_secs`: creation → the last message; 0 without messages.
//! - `duration_afterclose_secs`: for a chat the operator closed, the visitor's last message →
//!   `closed_at` (creation when the visitor never wrote: the click is their last interaction);
//!   0 when the visitor closed it or it timed out (no agent spent time closing it); empty while
//!   open.
//! - `avgMessageLength`: the mean length rounded half up; 0 without messages, like the max.
//! - `firstResponseTime`: "accepting the chat" is the first assignment (Parley has no separate
//!   accept step: routing gives the chat, taking it is writing in it) → the first operator
//!   message at or after it. Empty without an assignment or an operator message.
//! - `firstReplyTime`: the first visitor message → the first operator message after it. Empty
//!   when either is missing (an operator writing first does not count until the visitor wrote).
//! - `avgResponseTime` / `maxResponseTime`: a **response time** is, for each run of visitor
//!   messages, the time from the first message of the run to the next operator message (so
//!   `firstReplyTime` is the first of them); a run nobody answered does not count. Mean and max
//!   of those; empty when there is none.
//! - `decisionTime`: entry point visible → clicked, in seconds; empty when not measured.
//! - `transcriptUrl`: the base URL given to [`rows`] followed by the conversation id (empty
//!   when no base is given); `acceptUrl`: the page the conversation started on.
//! - `successcode`, `survey_result` (`good` | `moderate` | `bad`, `not_rated` when skipped,
//!   empty when never answered), `survey_comment`: as recorded.
//! - `visitor_identifier`: as recorded (verified id, else e-mail, else name, else the visitor
//!   id); the visitor id — the seed's "default value" — when a row has none.
//! - `blocked`: `yes` when an operator blocked the visitor from this conversation (a block made
//!   from another conversation of the same visitor does not count), even if an admin lifted it
//!   later — the report tells what happened in the chat; `block_reason`: the latest such block's.
//! - `goals`: the names of the goals reached, in the order reached, joined with `,` (no space);
//!   `totalGoalValue`: their sum rounded to 2 decimals, written without trailing zeros; both
//!   empty when no goal was reached.
//! - `handlingType`: over every operator involved (all assignments, every operator who wrote,
//!   the conversation's `operator_id`): `self` when all belong to the conversation's account,
//!   `external` when none do, `hybrid` when both; empty when no operator was involved. An
//!   operator missing from the agents list is not counted.
//!
//! `session_id` and `host_id`: as recorded, empty on rows written before migration 7 (see
//! [`ConversationFact`]).

use std::collections::{BTreeMap, BTreeSet};

use parley_protocol::{AccountId, ChannelId, VisitorId};
use serde::{Deserialize, Serialize};

use super::datetime;
use super::facts::{
    AccountFact, AgentFact, AssignmentFact, AuthorRole, BlockFact, ClosedBy, ConversationFact, MessageFact,
};

/// The seed's columns, in its order.
pub const COLUMNS: [&str; 36] = [
    "chatcampaign_id",
    "conversation_start",
    "session_id",
    "assigned_agent_id",
    "assigned_agent_account_id",
    "assigned_agent_account_name",
    "last_agent_id",
    "last_agent_account_id",
    "last_agent_account_name",
    "visitor_id",
    "account_id",
    "host_id",
    "num_messages",
    "duration_total_secs",
    "duration_conversation_secs",
    "duration_afterclose_secs",
    "avgMessageLength",
    "maxMessageLength",
    "requestType",
    "requestSource",
    "firstResponseTime",
    "firstReplyTime",
    "avgResponseTime",
    "maxResponseTime",
    "decisionTime",
    "transcriptUrl",
    "acceptUrl",
    "successcode",
    "survey_result",
    "survey_comment",
    "visitor_identifier",
    "blocked",
    "block_reason",
    "goals",
    "totalGoalValue",
    "handlingType",
];

/// One line of the report (field order = `COLUMNS`; `None` is an empty cell).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationRow {
    pub chatcampaign_id: ChannelId,
    pub conversation_start: String,
    pub session_id: String,
    pub assigned_agent_id: String,
    pub assigned_agent_account_id: String,
    pub assigned_agent_account_name: String,
    pub last_agent_id: String,
    pub last_agent_account_id: String,
    pub last_agent_account_name: String,
    pub visitor_id: VisitorId,
    pub account_id: AccountId,
    pub host_id: String,
    pub num_messages: u64,
    pub duration_total_secs: Option<u64>,
    pub duration_conversation_secs: u64,
    pub duration_afterclose_secs: Option<u64>,
    #[serde(rename = "avgMessageLength")]
    pub avg_message_length: u64,
    #[serde(rename = "maxMessageLength")]
    pub max_message_length: u64,
    #[serde(rename = "requestType")]
    pub request_type: String,
    #[serde(rename = "requestSource")]
    pub request_source: String,
    #[serde(rename = "firstResponseTime")]
    pub first_response_time: Option<u64>,
    #[serde(rename = "firstReplyTime")]
    pub first_reply_time: Option<u64>,
    #[serde(rename = "avgResponseTime")]
    pub avg_response_time: Option<u64>,
    #[serde(rename = "maxResponseTime")]
    pub max_response_time: Option<u64>,
    #[serde(rename = "decisionTime")]
    pub decision_time: Option<u64>,
    #[serde(rename = "transcriptUrl")]
    pub transcript_url: String,
    #[serde(rename = "acceptUrl")]
    pub accept_url: String,
    pub successcode: String,
    pub survey_result: String,
    pub survey_comment: String,
    pub visitor_identifier: String,
    /// `yes` or `no`.
    pub blocked: String,
    pub block_reason: String,
    pub goals: String,
    #[serde(rename = "totalGoalValue")]
    pub total_goal_value: String,
    /// `self`, `external`, `hybrid` or empty.
    #[serde(rename = "handlingType")]
    pub handling_type: String,
}

/// Everything the report reads. Messages, assignments and blocks of conversations not in
/// `conversations` are ignored.
#[derive(Clone, Copy, Debug, Default)]
pub struct Facts<'a> {
    pub conversations: &'a [ConversationFact],
    pub messages: &'a [MessageFact],
    pub assignments: &'a [AssignmentFact],
    pub blocks: &'a [BlockFact],
    pub agents: &'a [AgentFact],
    pub accounts: &'a [AccountFact],
}

/// One row per conversation (the edge picks the period's conversations by creation), ordered
/// by creation, then id. `transcript_base` is the start of `transcriptUrl` (e.g.
/// `https://chat.example.com/console/#/c/`), the conversation id follows it.
pub fn rows(f: &Facts, transcript_base: &str) -> Vec<ConversationRow> {
    rows_of(f, f.conversations.iter().collect(), transcript_base, &datetime).into_iter().map(|(_, r)| r).collect()
}

/// [`rows`] for `conversations` (e.g. those passing a report's filters) instead of
/// `f.conversations`, with `conversation_start` written by `datetime` (a local time); each
/// row with its conversation.
pub fn rows_of<'a>(
    f: &Facts<'a>,
    mut convs: Vec<&'a ConversationFact>,
    transcript_base: &str,
    datetime: &dyn Fn(u64) -> String,
) -> Vec<(&'a ConversationFact, ConversationRow)> {
    let mut messages: BTreeMap<&str, Vec<&MessageFact>> = BTreeMap::new();
    for m in f.messages {
        messages.entry(&m.conversation_id).or_default().push(m);
    }
    let mut assignments: BTreeMap<&str, Vec<&AssignmentFact>> = BTreeMap::new();
    for a in f.assignments {
        assignments.entry(&a.conversation_id).or_default().push(a);
    }
    let mut blocks: BTreeMap<&str, &BlockFact> = BTreeMap::new();
    for b in f.blocks {
        blocks
            .entry(&b.conversation_id)
            .and_modify(|old| {
                if b.created_at >= old.created_at {
                    *old = b;
                }
            })
            .or_insert(b);
    }
    let agents: BTreeMap<&str, &AgentFact> = f.agents.iter().map(|a| (a.id.as_str(), a)).collect();
    let accounts: BTreeMap<&str, &str> = f.accounts.iter().map(|a| (a.id.as_str(), a.name.as_str())).collect();
    let dir = Directory { agents, accounts };
    convs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    convs
        .into_iter()
        .map(|c| {
            let mut msgs = messages.remove(c.id.as_str()).unwrap_or_default();
            msgs.sort_by_key(|m| (m.at, m.seq));
            let mut assigned = assignments.remove(c.id.as_str()).unwrap_or_default();
            assigned.sort_by_key(|a| a.at);
            (c, row(c, &msgs, &assigned, blocks.get(c.id.as_str()).copied(), &dir, transcript_base, datetime))
        })
        .collect()
}

struct Directory<'a> {
    agents: BTreeMap<&'a str, &'a AgentFact>,
    accounts: BTreeMap<&'a str, &'a str>,
}

impl Directory<'_> {
    /// (account id, account name) of an operator; empty when unknown.
    fn account_of(&self, operator_id: &str) -> (String, String) {
        match self.agents.get(operator_id) {
            Some(a) => {
                (a.account_id.to_string(), self.accounts.get(a.account_id.as_str()).copied().unwrap_or("").to_owned())
            }
            None => (String::new(), String::new()),
        }
    }
}

fn secs(ms: u64) -> u64 {
    ms / 1000
}

/// `messages` and `assigned` are ordered by time.
fn row(
    c: &ConversationFact,
    messages: &[&MessageFact],
    assigned: &[&AssignmentFact],
    block: Option<&BlockFact>,
    dir: &Directory,
    transcript_base: &str,
    datetime: &dyn Fn(u64) -> String,
) -> ConversationRow {
    let fallback = c.operator_id.as_deref().filter(|o| !o.is_empty());
    let first_agent = assigned.first().map(|a| a.operator_id.as_str()).or(fallback).unwrap_or("");
    let last_agent = assigned.last().map(|a| a.operator_id.as_str()).or(fallback).unwrap_or("");
    let (first_acc, first_acc_name) = dir.account_of(first_agent);
    let (last_acc, last_acc_name) = dir.account_of(last_agent);

    let lengths: Vec<u64> = messages.iter().map(|m| m.text.chars().count() as u64).collect();
    let n = lengths.len() as u64;
    let avg_len = if n == 0 { 0 } else { (lengths.iter().sum::<u64>() * 2 + n) / (n * 2) };

    let afterclose = c.closed_at.map(|closed| {
        if c.closed_by == Some(ClosedBy::Operator) {
            let last_visitor =
                messages.iter().rev().find(|m| m.role == AuthorRole::Visitor).map_or(c.created_at, |m| m.at);
            secs(closed.saturating_sub(last_visitor))
        } else {
            0
        }
    });

    let accepted = assigned.first().map(|a| a.at);
    let first_response = accepted.and_then(|acc| {
        messages.iter().find(|m| m.role == AuthorRole::Operator && m.at >= acc).map(|m| secs(m.at - acc))
    });
    let responses = response_times(messages);

    let goals = {
        let mut g: Vec<_> = c.goals.iter().collect();
        g.sort_by(|a, b| (a.at, &a.name).cmp(&(b.at, &b.name)));
        g
    };
    let total_goal_value = if goals.is_empty() {
        String::new()
    } else {
        let sum: f64 = goals.iter().map(|g| g.value).sum();
        format!("{}", (sum * 100.0).round() / 100.0)
    };

    ConversationRow {
        chatcampaign_id: c.channel_id.clone(),
        conversation_start: datetime(c.created_at),
        session_id: c.session_id.clone().unwrap_or_default(),
        assigned_agent_id: first_agent.to_owned(),
        assigned_agent_account_id: first_acc,
        assigned_agent_account_name: first_acc_name,
        last_agent_id: last_agent.to_owned(),
        last_agent_account_id: last_acc,
        last_agent_account_name: last_acc_name,
        visitor_id: c.visitor_id.clone(),
        account_id: c.account_id.clone(),
        host_id: c.host_id.clone().unwrap_or_default(),
        num_messages: n,
        duration_total_secs: c.closed_at.map(|t| secs(t.saturating_sub(c.created_at))),
        duration_conversation_secs: messages.last().map_or(0, |m| secs(m.at.saturating_sub(c.created_at))),
        duration_afterclose_secs: afterclose,
        avg_message_length: avg_len,
        max_message_length: lengths.iter().copied().max().unwrap_or(0),
        request_type: c.request_type.as_str().to_owned(),
        request_source: c.request_source.clone(),
        first_response_time: first_response,
        first_reply_time: responses.first().map(|&ms| secs(ms)),
        avg_response_time: (!responses.is_empty())
            .then(|| secs(responses.iter().sum::<u64>() / responses.len() as u64)),
        max_response_time: responses.iter().copied().max().map(secs),
        decision_time: c.decision_ms.map(secs),
        transcript_url: if transcript_base.is_empty() { String::new() } else { format!("{transcript_base}{}", c.id) },
        accept_url: c.page_url.clone(),
        successcode: c.success_code.clone().unwrap_or_default(),
        survey_result: c.survey_result.as_str().to_owned(),
        survey_comment: c.survey_comment.clone(),
        visitor_identifier: if c.visitor_identifier.is_empty() {
            c.visitor_id.to_string()
        } else {
            c.visitor_identifier.clone()
        },
        blocked: if block.is_some() { "yes" } else { "no" }.to_owned(),
        block_reason: block.map(|b| b.reason.clone()).unwrap_or_default(),
        goals: goals.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(","),
        total_goal_value,
        handling_type: handling_type(c, messages, assigned, dir).to_owned(),
    }
}

impl ConversationRow {
    /// The row's cells as the CSV writes them (`COLUMNS` order; `None` is an empty cell).
    pub fn cells(&self) -> Vec<String> {
        let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
        vec![
            self.chatcampaign_id.to_string(),
            self.conversation_start.clone(),
            self.session_id.clone(),
            self.assigned_agent_id.clone(),
            self.assigned_agent_account_id.clone(),
            self.assigned_agent_account_name.clone(),
            self.last_agent_id.clone(),
            self.last_agent_account_id.clone(),
            self.last_agent_account_name.clone(),
            self.visitor_id.to_string(),
            self.account_id.to_string(),
            self.host_id.clone(),
            self.num_messages.to_string(),
            opt(self.duration_total_secs),
            self.duration_conversation_secs.to_string(),
            opt(self.duration_afterclose_secs),
            self.avg_message_length.to_string(),
            self.max_message_length.to_string(),
            self.request_type.clone(),
            self.request_source.clone(),
            opt(self.first_response_time),
            opt(self.first_reply_time),
            opt(self.avg_response_time),
            opt(self.max_response_time),
            opt(self.decision_time),
            self.transcript_url.clone(),
            self.accept_url.clone(),
            self.successcode.clone(),
            self.survey_result.clone(),
            self.survey_comment.clone(),
            self.visitor_identifier.clone(),
            self.blocked.clone(),
            self.block_reason.clone(),
            self.goals.clone(),
            self.total_goal_value.clone(),
            self.handling_type.clone(),
        ]
    }
}

/// For each run of visitor messages, first message of the run → next operator message, in ms
/// (`messages` ordered by time; system messages neither start nor end a run).
fn response_times(messages: &[&MessageFact]) -> Vec<u64> {
    responses(messages).into_iter().map(|(ms, _)| ms).collect()
}

/// [`response_times`] with the operator message that answered each run (the productivity
/// report credits a response to its author).
pub(crate) fn responses<'m>(messages: &[&'m MessageFact]) -> Vec<(u64, &'m MessageFact)> {
    let mut out = Vec::new();
    let mut waiting_since: Option<u64> = None;
    for m in messages {
        match m.role {
            AuthorRole::Visitor => {
                waiting_since.get_or_insert(m.at);
            }
            AuthorRole::Operator => {
                if let Some(since) = waiting_since.take() {
                    out.push((m.at.saturating_sub(since), *m));
                }
            }
            AuthorRole::System => {}
        }
    }
    out
}

fn handling_type(
    c: &ConversationFact,
    messages: &[&MessageFact],
    assigned: &[&AssignmentFact],
    dir: &Directory,
) -> &'static str {
    let mut involved: BTreeSet<&str> = assigned.iter().map(|a| a.operator_id.as_str()).collect();
    involved
        .extend(messages.iter().filter(|m| m.role == AuthorRole::Operator).filter_map(|m| m.operator_id.as_deref()));
    involved.extend(c.operator_id.as_deref());
    let (mut own, mut other) = (false, false);
    for op in involved {
        let Some(a) = dir.agents.get(op) else { continue };
        if a.account_id == c.account_id {
            own = true;
        } else {
            other = true;
        }
    }
    match (own, other) {
        (true, true) => "hybrid",
        (true, false) => "self",
        (false, true) => "external",
        (false, false) => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::Received;
    use crate::facts::{RequestType, Status, SurveyResult};
    use crate::outcomes::ReachedGoal;

    /// 2026-11-18 00:00:00 UTC.
    const T: u64 = 1_794_960_000_000;
    const S: u64 = 1000;

    fn conv(id: &str, created: u64) -> ConversationFact {
        ConversationFact {
            id: id.into(),
            account_id: "acc1".into(),
            channel_id: "ch1".into(),
            visitor_id: format!("vis_{id}").into(),
            status: Status::Waiting,
            created_at: created,
            page_url: "https://shop.example/pricing".into(),
            request_type: RequestType::Button,
            request_source: "Chat button".into(),
            anonymous: true,
            ..ConversationFact::default()
        }
    }

    fn closed(mut c: ConversationFact, at: u64, by: &str) -> ConversationFact {
        c.status = Status::Closed;
        c.closed_at = Some(at);
        c.closed_by = Some(ClosedBy::parse(by).expect("visitor, operator or timeout"));
        c
    }

    fn msg(conv: &str, seq: u64, role: AuthorRole, op: Option<&str>, at: u64, text: &str) -> MessageFact {
        MessageFact::text(conv, seq, role, op, at, text)
    }

    fn visitor(conv: &str, seq: u64, at: u64, text: &str) -> MessageFact {
        msg(conv, seq, AuthorRole::Visitor, None, at, text)
    }

    fn operator(conv: &str, seq: u64, op: &str, at: u64, text: &str) -> MessageFact {
        msg(conv, seq, AuthorRole::Operator, Some(op), at, text)
    }

    fn assign(conv: &str, op: &str, at: u64, how: Received) -> AssignmentFact {
        AssignmentFact { conversation_id: conv.into(), operator_id: op.into(), at, how }
    }

    fn agent(id: &str, account: &str) -> AgentFact {
        AgentFact { id: id.into(), username: id.into(), account_id: account.into(), ..AgentFact::default() }
    }

    fn agents() -> Vec<AgentFact> {
        vec![agent("dana", "acc1"), agent("sam", "acc1"), agent("ext", "acc2")]
    }

    fn accounts() -> Vec<AccountFact> {
        vec![
            AccountFact { id: "acc1".into(), name: "Acme".into() },
            AccountFact { id: "acc2".into(), name: "Helpdesk Co".into() },
        ]
    }

    fn one(c: ConversationFact, messages: &[MessageFact], assignments: &[AssignmentFact]) -> ConversationRow {
        let agents = agents();
        let accounts = accounts();
        let convs = [c];
        let f = Facts {
            conversations: &convs,
            messages,
            assignments,
            agents: &agents,
            accounts: &accounts,
            ..Facts::default()
        };
        let mut r = rows(&f, "https://parley.example/console/#/c/");
        assert_eq!(r.len(), 1);
        r.remove(0)
    }

    #[test]
    fn no_messages() {
        let r = one(conv("c1", T), &[], &[]);
        assert_eq!(r.chatcampaign_id, "ch1");
        assert_eq!(r.conversation_start, "2026-11-18 00:00:00");
        assert_eq!((r.session_id.as_str(), r.host_id.as_str()), ("", ""));
        assert_eq!((r.assigned_agent_id.as_str(), r.last_agent_id.as_str()), ("", ""));
        assert_eq!(r.assigned_agent_account_name, "");
        assert_eq!(r.num_messages, 0);
        assert_eq!(r.duration_total_secs, None);
        assert_eq!(r.duration_conversation_secs, 0);
        assert_eq!(r.duration_afterclose_secs, None);
        assert_eq!((r.avg_message_length, r.max_message_length), (0, 0));
        assert_eq!(
            (r.first_response_time, r.first_reply_time, r.avg_response_time, r.max_response_time),
            (None, None, None, None)
        );
        assert_eq!(r.decision_time, None);
        assert_eq!(r.transcript_url, "https://parley.example/console/#/c/c1");
        assert_eq!(r.accept_url, "https://shop.example/pricing");
        assert_eq!((r.request_type.as_str(), r.request_source.as_str()), ("button", "Chat button"));
        assert_eq!((r.successcode.as_str(), r.survey_result.as_str(), r.survey_comment.as_str()), ("", "", ""));
        // No identifier recorded: the visitor id is the default.
        assert_eq!(r.visitor_identifier, "vis_c1");
        assert_eq!((r.blocked.as_str(), r.block_reason.as_str()), ("no", ""));
        assert_eq!((r.goals.as_str(), r.total_goal_value.as_str()), ("", ""));
        assert_eq!(r.handling_type, "");

        // Closed by the visitor before anyone came: total runs to the close, after-close is 0.
        let r = one(closed(conv("c1", T), T + 45 * S, "visitor"), &[], &[]);
        assert_eq!(
            (r.duration_total_secs, r.duration_conversation_secs, r.duration_afterclose_secs),
            (Some(45), 0, Some(0))
        );
        // Without a base URL, no transcript link.
        let convs = [conv("c2", T)];
        let r = rows(&Facts { conversations: &convs, ..Facts::default() }, "");
        assert_eq!(r[0].transcript_url, "");
    }

    #[test]
    fn visitor_only() {
        let c = closed(conv("c1", T), T + 600 * S, "timeout");
        let msgs = [visitor("c1", 1, T + 5 * S, "Hello?"), visitor("c1", 2, T + 65 * S, "Anyone there")];
        let r = one(c, &msgs, &[assign("c1", "dana", T + S, Received::Routed)]);
        assert_eq!(r.num_messages, 2);
        assert_eq!((r.avg_message_length, r.max_message_length), (9, 12)); // (6 + 12) / 2
        assert_eq!((r.duration_total_secs, r.duration_conversation_secs), (Some(600), 65));
        // Timed out: nobody spent time closing it.
        assert_eq!(r.duration_afterclose_secs, Some(0));
        assert_eq!(
            (r.first_response_time, r.first_reply_time, r.avg_response_time, r.max_response_time),
            (None, None, None, None)
        );
        assert_eq!((r.assigned_agent_id.as_str(), r.last_agent_id.as_str()), ("dana", "dana"));
        assert_eq!(r.handling_type, "self");
    }

    #[test]
    fn operator_only() {
        // The operator took the chat by writing; the visitor never answered; the operator closed it.
        let c = closed(conv("c1", T), T + 100 * S, "operator");
        let msgs = [operator("c1", 1, "sam", T + 30 * S, "Hi, can I help?")];
        let r = one(c, &msgs, &[assign("c1", "sam", T + 30 * S, Received::Taken)]);
        assert_eq!(r.first_response_time, Some(0));
        assert_eq!((r.first_reply_time, r.avg_response_time, r.max_response_time), (None, None, None));
        // The visitor never wrote: their last interaction is the click that created the chat.
        assert_eq!(r.duration_afterclose_secs, Some(100));
        assert_eq!(r.duration_conversation_secs, 30);
        assert_eq!((r.assigned_agent_id.as_str(), r.assigned_agent_account_id.as_str()), ("sam", "acc1"));
        assert_eq!(r.assigned_agent_account_name, "Acme");
    }

    #[test]
    fn response_times_and_lengths() {
        let c = closed(conv("c1", T), T + 130 * S, "operator");
        let msgs = [
            msg("c1", 1, AuthorRole::System, None, T, "Welcome!"),
            visitor("c1", 2, T + 10 * S, "Hi"),
            visitor("c1", 3, T + 15 * S, "Price?"),
            operator("c1", 4, "dana", T + 40 * S, "It is 10 €"),
            visitor("c1", 5, T + 60 * S, "ok"),
            operator("c1", 6, "dana", T + 65 * S + 999, "Anything else?"),
            // Unanswered: no response time, but the visitor's last interaction.
            visitor("c1", 7, T + 100 * S, "no, thanks"),
        ];
        let r = one(c, &msgs, &[assign("c1", "dana", T + 20 * S, Received::Routed)]);
        assert_eq!(r.num_messages, 7, "the opening text counts");
        // 8 + 2 + 6 + 10 ('€' is one character) + 2 + 14 + 10 = 52 / 7 = 7.43
        assert_eq!((r.avg_message_length, r.max_message_length), (7, 14));
        // Accepted (assigned) at 20 s, first operator message at 40 s.
        assert_eq!(r.first_response_time, Some(20));
        // First visitor message at 10 s → first operator message at 40 s.
        assert_eq!(r.first_reply_time, Some(30));
        // Responses 30 s and 5.999 s: mean 17.9995 s → 17, max 30.
        assert_eq!((r.avg_response_time, r.max_response_time), (Some(17), Some(30)));
        assert_eq!(r.duration_conversation_secs, 100);
        assert_eq!(r.duration_afterclose_secs, Some(30));
        assert_eq!(r.duration_total_secs, Some(130));
    }

    #[test]
    fn an_operator_writing_first_is_no_reply() {
        let msgs = [
            operator("c1", 1, "dana", T + 5 * S, "Hello!"),
            visitor("c1", 2, T + 20 * S, "Hi"),
            operator("c1", 3, "dana", T + 32 * S, "How can I help?"),
        ];
        let r = one(conv("c1", T), &msgs, &[assign("c1", "dana", T + 2 * S, Received::Routed)]);
        assert_eq!(r.first_response_time, Some(3));
        assert_eq!(r.first_reply_time, Some(12));
        assert_eq!((r.avg_response_time, r.max_response_time), (Some(12), Some(12)));
    }

    #[test]
    fn transferred_chat() {
        let msgs = [
            visitor("c1", 1, T + S, "Hi"),
            operator("c1", 2, "dana", T + 3 * S, "Let me pass you on"),
            operator("c1", 3, "sam", T + 20 * S, "Hi, Sam here"),
        ];
        let assigned =
            [assign("c1", "sam", T + 10 * S, Received::Transferred), assign("c1", "dana", T + 2 * S, Received::Routed)];
        let mut c = conv("c1", T);
        c.operator_id = Some("sam".into());
        let r = one(c.clone(), &msgs, &assigned);
        assert_eq!((r.assigned_agent_id.as_str(), r.last_agent_id.as_str()), ("dana", "sam"));
        assert_eq!((r.last_agent_account_id.as_str(), r.last_agent_account_name.as_str()), ("acc1", "Acme"));
        assert_eq!(r.handling_type, "self");
        assert_eq!(r.first_response_time, Some(1));

        // Transferred to an operator of a shared account: first and last can both be "acc1"
        // and the chat is still hybrid (everyone involved counts).
        let assigned = [
            assign("c1", "dana", T + 2 * S, Received::Routed),
            assign("c1", "ext", T + 5 * S, Received::Transferred),
            assign("c1", "sam", T + 10 * S, Received::Forwarded),
        ];
        let r = one(c.clone(), &msgs, &assigned);
        assert_eq!((r.assigned_agent_account_id.as_str(), r.last_agent_account_id.as_str()), ("acc1", "acc1"));
        assert_eq!(r.handling_type, "hybrid");

        // Only the shared account's operator: external.
        let mut only_ext = conv("c1", T);
        only_ext.operator_id = Some("ext".into());
        let r = one(only_ext, &[operator("c1", 1, "ext", T + S, "Hi")], &[assign("c1", "ext", T, Received::Routed)]);
        assert_eq!(
            (r.assigned_agent_account_id.as_str(), r.assigned_agent_account_name.as_str()),
            ("acc2", "Helpdesk Co")
        );
        assert_eq!(r.handling_type, "external");

        // No assignment recorded (an older row): the conversation's operator is first and last.
        let r = one(c, &[], &[]);
        assert_eq!((r.assigned_agent_id.as_str(), r.last_agent_id.as_str()), ("sam", "sam"));
        assert_eq!(r.first_response_time, None);
    }

    #[test]
    fn ratings() {
        let mut unrated = closed(conv("c1", T), T + S, "visitor");
        unrated.survey_result = SurveyResult::Unanswered;
        assert_eq!(one(unrated.clone(), &[], &[]).survey_result, "");
        let mut skipped = unrated.clone();
        skipped.survey_result = SurveyResult::NotRated;
        let r = one(skipped, &[], &[]);
        assert_eq!((r.survey_result.as_str(), r.survey_comment.as_str()), ("not_rated", ""));
        let mut rated = unrated;
        rated.survey_result = SurveyResult::Good;
        rated.survey_comment = "Quick, thanks".into();
        rated.success_code = Some("Sale".into());
        let r = one(rated, &[], &[]);
        assert_eq!((r.survey_result.as_str(), r.survey_comment.as_str()), ("good", "Quick, thanks"));
        assert_eq!(r.successcode, "Sale");
    }

    #[test]
    fn goals_empty_or_summed() {
        let goal = |name: &str, value: f64, at: u64| ReachedGoal {
            goal_id: format!("g_{name}"),
            name: name.into(),
            value,
            at,
        };
        let mut c = conv("c1", T);
        let r = one(c.clone(), &[], &[]);
        assert_eq!((r.goals.as_str(), r.total_goal_value.as_str()), ("", ""));
        // In the order reached; 0.1 + 0.2 is written 0.3.
        c.goals = vec![goal("Signup", 0.1, T + 2), goal("Cart", 0.2, T + 1)];
        let r = one(c.clone(), &[], &[]);
        assert_eq!((r.goals.as_str(), r.total_goal_value.as_str()), ("Cart,Signup", "0.3"));
        c.goals = vec![goal("Sale", 10.0, T), goal("Upsell", 2.5, T + 1)];
        assert_eq!(one(c.clone(), &[], &[]).total_goal_value, "12.5");
        // A goal worth nothing is still a reached goal.
        c.goals = vec![goal("Visit", 0.0, T)];
        let r = one(c, &[], &[]);
        assert_eq!((r.goals.as_str(), r.total_goal_value.as_str()), ("Visit", "0"));
    }

    #[test]
    fn blocked_with_reason() {
        let block = |id: &str, conv: &str, reason: &str, at: u64, lifted: Option<u64>| BlockFact {
            id: id.into(),
            account_id: "acc1".into(),
            visitor_id: "vis_c1".into(),
            conversation_id: conv.into(),
            reason: reason.into(),
            blocked_by: "dana".into(),
            created_at: at,
            lifted_at: lifted,
            lifted_by: lifted.map(|_| "admin".into()),
        };
        let convs = [conv("c1", T), conv("c2", T + S), conv("c3", T + 2 * S)];
        let blocks = [
            block("b1", "c1", "Spam", T + 10, Some(T + 20)),
            block("b2", "c1", "Abuse again", T + 30, None),
            // Lifted later: the chat still shows it was blocked.
            block("b3", "c2", "Insults", T + S + 5, Some(T + 3 * S)),
            block("b4", "c9", "Not in this report", T, None),
        ];
        let r = rows(&Facts { conversations: &convs, blocks: &blocks, ..Facts::default() }, "");
        let got: Vec<_> = r.iter().map(|r| (r.blocked.as_str(), r.block_reason.as_str())).collect();
        assert_eq!(got, [("yes", "Abuse again"), ("yes", "Insults"), ("no", "")]);
    }

    #[test]
    fn anonymous_and_identified() {
        let anon = conv("c1", T);
        assert_eq!(one(anon.clone(), &[], &[]).visitor_identifier, "vis_c1");
        let mut recorded_anon = anon.clone();
        recorded_anon.visitor_identifier = "vis_c1".into();
        assert_eq!(one(recorded_anon, &[], &[]).visitor_identifier, "vis_c1");
        let mut known = anon;
        known.visitor_identifier = "ann@example.com".into();
        known.visitor_email = "ann@example.com".into();
        known.anonymous = false;
        let r = one(known, &[], &[]);
        assert_eq!((r.visitor_identifier.as_str(), r.visitor_id.as_str()), ("ann@example.com", "vis_c1"));
    }

    #[test]
    fn entry_point_and_decision_time() {
        let mut c = conv("c1", T);
        c.request_type = RequestType::Invite;
        c.request_source = "Pricing greeter".into();
        c.decision_ms = Some(4_999);
        c.session_id = Some("ses_1".into());
        c.host_id = Some("host_1".into());
        let r = one(c, &[], &[]);
        assert_eq!((r.request_type.as_str(), r.request_source.as_str()), ("invite", "Pricing greeter"));
        assert_eq!(r.decision_time, Some(4));
        assert_eq!((r.session_id.as_str(), r.host_id.as_str()), ("ses_1", "host_1"));
    }

    #[test]
    fn ordered_by_start_and_facts_go_to_their_conversation() {
        let convs = [conv("b", T + S), conv("a", T + S), conv("z", T)];
        let msgs = [visitor("a", 1, T + 2 * S, "x"), visitor("b", 1, T + 2 * S, "yy"), visitor("b", 2, T + 3 * S, "y")];
        let r = rows(&Facts { conversations: &convs, messages: &msgs, ..Facts::default() }, "");
        let got: Vec<_> = r.iter().map(|r| (r.visitor_id.as_str(), r.num_messages)).collect();
        assert_eq!(got, [("vis_z", 0), ("vis_a", 1), ("vis_b", 2)]);
    }

    #[test]
    fn csv_has_the_seeds_columns() {
        let mut c = closed(conv("c1", T), T + 90 * S, "operator");
        c.survey_result = SurveyResult::Bad;
        c.survey_comment = "Slow, really".into();
        c.goals = vec![ReachedGoal { goal_id: "g1".into(), name: "Sale".into(), value: 25.0, at: T }];
        let msgs = [visitor("c1", 1, T + 10 * S, "Hi"), operator("c1", 2, "dana", T + 40 * S, "Hello")];
        let row = one(c, &msgs, &[assign("c1", "dana", T + 20 * S, Received::Routed)]);
        // The struct's own names are the columns too.
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(&row).unwrap();
        let own = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(own.lines().next().unwrap(), COLUMNS.join(","));
        let csv = super::super::serde_csv(&[row], &COLUMNS);
        assert_eq!(
            csv,
            "chatcampaign_id,conversation_start,session_id,assigned_agent_id,assigned_agent_account_id,\
             assigned_agent_account_name,last_agent_id,last_agent_account_id,last_agent_account_name,visitor_id,\
             account_id,host_id,num_messages,duration_total_secs,duration_conversation_secs,\
             duration_afterclose_secs,avgMessageLength,maxMessageLength,requestType,requestSource,\
             firstResponseTime,firstReplyTime,avgResponseTime,maxResponseTime,decisionTime,transcriptUrl,\
             acceptUrl,successcode,survey_result,survey_comment,visitor_identifier,blocked,block_reason,goals,\
             totalGoalValue,handlingType\n\
             ch1,2026-11-18 00:00:00,,dana,acc1,Acme,dana,acc1,Acme,vis_c1,acc1,,2,90,40,80,4,5,button,\
             Chat button,20,30,30,30,,https://parley.example/console/#/c/c1,https://shop.example/pricing,,bad,\
             \"Slow, really\",vis_c1,no,,Sale,25,self\n"
        );
    }
}
