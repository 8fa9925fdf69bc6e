//! Starting a conversation (`POST /api/v1/conversations`), decided without I/O. The edge loads
//! the inputs step by step (only what the next step needs) and carries out the plan:
//!
//! 1. [`first_step`]: a blocked visitor is refused (the reason never told); a visitor with an
//!    open conversation in the channel gets it back; otherwise a new one starts.
//! 2. [`visitor_details`]: the pre-chat answers checked against the channel's form (an
//!    identified visitor skips the form's requirements) and who the visitor is — before
//!    anything is written.
//! 3. The dispatcher places the chat (its [`RouteUpdate`]); [`new_conversation`] builds the
//!    record the object is created with and D1 stores, and the visitor details it starts with.

use crate::dispatch::RouteUpdate;
use crate::record::{ConversationRecord, RequestType};
use parley_protocol::admin::FieldError;
use parley_protocol::ids::{AccountId, ChannelId, ConversationId, OperatorId, VisitorId};
use parley_protocol::limits::MAX_PAGE_URL_CHARS;
use parley_protocol::outcomes::{prechat_answers, visitor_identifier, FormField};
use parley_protocol::protocol::{PageVisit, Status, VisitorInfo};
use parley_protocol::Millis;

/// Longest language tag kept from the widget.
pub const MAX_LANGUAGE_CHARS: usize = 35;

/// What happens to a start request, from what is known first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// The visitor has an active block in the account: refused (`visitor_blocked`).
    Blocked,
    /// The visitor's open conversation in the channel, answered as it is.
    Reuse { conversation_id: String, status: Status },
    /// No open conversation: check the visitor's details, then route and create one.
    Create,
}

/// `blocked`: the visitor has an active block in the channel's account; `open`: their latest
/// conversation in the channel that is not closed, as (id, status).
pub fn first_step(blocked: bool, open: Option<(String, Status)>) -> Start {
    match (blocked, open) {
        (true, _) => Start::Blocked,
        (false, Some((conversation_id, status))) => Start::Reuse { conversation_id, status },
        (false, None) => Start::Create,
    }
}

/// An identified visitor as stored (`Parley.identify`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    pub user_id: String,
    pub name: String,
    pub email: String,
}

/// Who a new conversation's visitor is, from the pre-chat answers and their identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitorDetails {
    pub name: String,
    pub email: String,
    pub prechat: Vec<(String, String)>,
    pub identifier: String,
    pub anonymous: bool,
}

/// Checks the pre-chat answers against the channel's `form` (an identified visitor skips the
/// form, so nothing is required of them): `Err` names the field. The answers' name and e-mail
/// win over the identity's.
pub fn visitor_details(
    mut form: Vec<FormField>,
    known: Option<&Known>,
    answers: &[(String, String)],
    visitor_id: &str,
) -> Result<VisitorDetails, FieldError> {
    if known.is_some() {
        form.iter_mut().for_each(|f| f.required = false);
    }
    let prechat = prechat_answers(&form, answers)?;
    let answer = |k: &str| prechat.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let name = answer("name").or_else(|| known.map(|k| k.name.clone())).unwrap_or_default();
    let email = answer("email").or_else(|| known.map(|k| k.email.clone())).unwrap_or_default();
    let (identifier, anonymous) = visitor_identifier(known.map(|k| k.user_id.as_str()), &email, &name, visitor_id);
    let identifier = identifier.to_owned();
    Ok(VisitorDetails { name, email, prechat, identifier, anonymous })
}

/// The widget's language tag as kept (trimmed, at most [`MAX_LANGUAGE_CHARS`]).
pub fn language_of(raw: &str) -> String {
    raw.trim().chars().take(MAX_LANGUAGE_CHARS).collect()
}

/// The page a chat starts on as kept (at most [`MAX_PAGE_URL_CHARS`]).
pub fn page_url_of(raw: &str) -> String {
    raw.chars().take(MAX_PAGE_URL_CHARS).collect()
}

/// Everything a new conversation is made of (ids and time passed in).
pub struct NewConversation {
    pub id: String,
    pub account_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub at: Millis,
    /// Already through [`language_of`] / [`page_url_of`].
    pub language: String,
    pub page_url: String,
    pub country: String,
    /// The entry point's kind, name and id, and the decision time when measured.
    pub request_type: RequestType,
    pub request_source: String,
    pub entry_point_id: Option<String>,
    pub decision_ms: Option<u64>,
    /// The website session it opens (see [`ConversationRecord::session_id`]) and the host the
    /// origin check matched.
    pub session_id: String,
    pub host_id: Option<String>,
    pub who: VisitorDetails,
    /// Where routing put it.
    pub route: RouteUpdate,
}

/// The new conversation's first record (as D1 stores it; its pages are the object's to copy)
/// and the visitor the object starts with.
pub fn new_conversation(n: NewConversation) -> (ConversationRecord, VisitorInfo) {
    let (operator_id, operator_name) = match &n.route {
        RouteUpdate::Assigned { operator_id, operator_name, .. } => (Some(operator_id.clone()), operator_name.clone()),
        RouteUpdate::Queued { .. } => (None, String::new()),
    };
    let pages = if n.page_url.is_empty() {
        Vec::new()
    } else {
        vec![PageVisit { url: n.page_url.clone(), title: String::new(), at: n.at }]
    };
    let visitor =
        VisitorInfo { name: n.who.name.clone(), language: n.language.clone(), country: n.country.clone(), pages };
    let record = ConversationRecord {
        id: ConversationId(n.id),
        account_id: AccountId(n.account_id),
        channel_id: ChannelId(n.channel_id),
        visitor_id: VisitorId(n.visitor_id),
        status: Status::Waiting,
        created_at: n.at.0,
        page_url: n.page_url.clone(),
        updated_at: n.at.0,
        operator_id: operator_id.map(OperatorId),
        operator_name,
        visitor_name: n.who.name,
        visitor_language: n.language,
        visitor_country: n.country,
        current_page: n.page_url,
        pages_visited: u32::from(!visitor.pages.is_empty()),
        request_type: n.request_type,
        request_source: n.request_source,
        entry_point_id: n.entry_point_id,
        decision_ms: n.decision_ms,
        visitor_email: n.who.email,
        visitor_identifier: n.who.identifier,
        anonymous: n.who.anonymous,
        prechat: n.who.prechat,
        session_id: Some(n.session_id),
        host_id: n.host_id,
        ..ConversationRecord::default()
    };
    (record, visitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str, required: bool) -> FormField {
        serde_json::from_value(serde_json::json!({ "key": key, "label": key, "required": required })).unwrap()
    }

    fn answers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_block_wins_then_an_open_chat_is_reused_else_one_starts() {
        let open = Some(("c_1".to_owned(), Status::Active));
        assert_eq!(first_step(true, open.clone()), Start::Blocked);
        assert_eq!(first_step(true, None), Start::Blocked);
        assert_eq!(first_step(false, open), Start::Reuse { conversation_id: "c_1".into(), status: Status::Active });
        assert_eq!(first_step(false, None), Start::Create);
    }

    #[test]
    fn a_required_answer_is_required_unless_the_visitor_is_identified() {
        let form = vec![field("name", true), field("email", false)];
        let e = visitor_details(form.clone(), None, &[], "v_1").unwrap_err();
        assert_eq!(e.field, "name");
        let known = Known { user_id: "u1".into(), name: "Ann".into(), email: "ann@shop.test".into() };
        let who = visitor_details(form, Some(&known), &[], "v_1").unwrap();
        assert_eq!((who.name.as_str(), who.email.as_str()), ("Ann", "ann@shop.test"));
        assert!(!who.anonymous);
    }

    #[test]
    fn answers_win_over_the_identity_and_name_the_visitor() {
        let form = vec![field("name", true), field("email", false)];
        let known = Known { user_id: "u1".into(), name: "Ann".into(), email: "ann@shop.test".into() };
        let who = visitor_details(form.clone(), Some(&known), &answers(&[("name", "Annie")]), "v_1").unwrap();
        assert_eq!((who.name.as_str(), who.email.as_str()), ("Annie", "ann@shop.test"));
        assert_eq!(who.prechat, answers(&[("name", "Annie")]));
        let anon = visitor_details(form, None, &answers(&[("name", "Bob")]), "v_2").unwrap();
        assert_eq!((anon.name.as_str(), anon.email.as_str()), ("Bob", ""));
        let expected = visitor_identifier(None, "", "Bob", "v_2");
        assert_eq!((anon.identifier.as_str(), anon.anonymous), (expected.0, expected.1));
    }

    fn new_chat(route: RouteUpdate, page_url: &str) -> NewConversation {
        NewConversation {
            id: "c_9".into(),
            account_id: "a_1".into(),
            channel_id: "ch_1".into(),
            visitor_id: "v_1".into(),
            at: Millis(5_000),
            language: language_of("  fr-FR "),
            page_url: page_url_of(page_url),
            country: "FR".into(),
            request_type: RequestType::Invite,
            request_source: "Pricing".into(),
            entry_point_id: Some("inv_1".into()),
            decision_ms: Some(4_000),
            session_id: "ss_1".into(),
            host_id: None,
            who: VisitorDetails {
                name: "Ann".into(),
                email: "ann@shop.test".into(),
                prechat: answers(&[("name", "Ann")]),
                identifier: "ann@shop.test".into(),
                anonymous: false,
            },
            route,
        }
    }

    #[test]
    fn an_assigned_chat_starts_waiting_with_its_operator_and_first_page() {
        let route = RouteUpdate::Assigned {
            operator_id: "op_1".into(),
            operator_name: "Sam".into(),
            how: crate::dispatch::Received::Routed,
            from: None,
        };
        let (s, v) = new_conversation(new_chat(route, "https://shop.test/"));
        assert_eq!((s.id.as_str(), s.status.as_str(), s.created_at, s.updated_at), ("c_9", "waiting", 5_000, 5_000));
        assert_eq!((s.operator_id.as_ref().map(|o| o.as_str()), s.operator_name.as_str()), (Some("op_1"), "Sam"));
        assert_eq!((s.visitor_language.as_str(), s.visitor_country.as_str()), ("fr-FR", "FR"));
        assert_eq!(
            (s.page_url.as_str(), s.current_page.as_str(), s.pages_visited),
            ("https://shop.test/", "https://shop.test/", 1)
        );
        assert_eq!(
            (s.request_type, s.request_source.as_str(), s.entry_point_id.as_deref(), s.decision_ms),
            (RequestType::Invite, "Pricing", Some("inv_1"), Some(4_000))
        );
        assert_eq!((s.session_id.as_deref(), s.host_id.as_deref(), s.pages.len()), (Some("ss_1"), None, 0));
        assert_eq!((s.visitor_name.as_str(), s.visitor_email.as_str(), s.anonymous), ("Ann", "ann@shop.test", false));
        assert_eq!((s.message_count, s.closed_by, s.survey_result), (0, None, crate::record::SurveyResult::Unanswered));
        assert_eq!((v.name.as_str(), v.language.as_str(), v.pages.len()), ("Ann", "fr-FR", 1));
        assert_eq!(v.pages[0].at, Millis(5_000));
    }

    #[test]
    fn a_queued_chat_has_no_operator_and_an_empty_page_is_no_visit() {
        let route = RouteUpdate::Queued { position: 1, estimated_wait_ms: None };
        let (s, v) = new_conversation(new_chat(route, ""));
        assert_eq!((s.operator_id, s.operator_name.as_str()), (None, ""));
        assert_eq!((s.pages_visited, v.pages.len()), (0, 0));
        assert_eq!(page_url_of(&"x".repeat(MAX_PAGE_URL_CHARS + 9)).len(), MAX_PAGE_URL_CHARS);
        assert_eq!(language_of(&format!(" {} ", "a".repeat(50))).len(), MAX_LANGUAGE_CHARS);
    }
}
