//! Starting a conversation, decided: the pure planner behind `POST /api/v1/conversations`.
//!
//! The edge loads what the decision needs and carries out what it says, in two steps so it
//! loads nothing it does not need:
//! 1. [`opening`]: a blocked visitor is refused (politely, the reason never told); a visitor
//!    with an open conversation gets it back; otherwise a new one is planned.
//! 2. [`new_chat`]: the pre-chat answers checked against the channel's form (relaxed for a
//!    visitor the site identified), the visitor's details and report identifier, and the
//!    language, page and country as kept. With the route the dispatcher gave,
//!    [`NewChat::record`] is the conversation's first record and [`NewChat::visitor`] what
//!    its operators see.

use crate::admin::FieldError;
use crate::api::ConversationSummary;
use crate::dispatch::RouteUpdate;
use crate::ids::Millis;
use crate::limits::{MAX_LANGUAGE_TAG_CHARS, MAX_PAGE_URL_CHARS};
use crate::outcomes::{prechat_answers, visitor_identifier, FormField};
use crate::protocol::{PageVisit, Status, VisitorInfo};

/// What the first step decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Opening<T> {
    /// The visitor is on the channel's block list: `visitor_blocked`, nothing written.
    Blocked,
    /// The visitor's open conversation, answered as it is (one open chat per visitor and channel).
    Reuse(T),
    /// Nothing open: plan a new conversation with [`new_chat`].
    New,
}

/// Step 1: `blocked` (the channel's block list names the visitor) and the visitor's open
/// conversation in the channel, if any. A block wins over an open chat.
pub fn opening<T>(blocked: bool, open: Option<T>) -> Opening<T> {
    match (blocked, open) {
        (true, _) => Opening::Blocked,
        (false, Some(c)) => Opening::Reuse(c),
        (false, None) => Opening::New,
    }
}

/// A visitor the site proved with `Parley.identify` (the account's identified visitors).
#[derive(Clone, Copy, Debug)]
pub struct Known<'a> {
    pub user_id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
}

/// Who the visitor is, as the new conversation records it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VisitorDetails {
    pub name: String,
    pub email: String,
    /// The checked pre-chat answers, in the form's order (unknown keys dropped).
    pub prechat: Vec<(String, String)>,
    /// The report's `visitor_identifier` (see [`visitor_identifier`]).
    pub identifier: String,
    pub anonymous: bool,
}

/// The pre-chat answers against the channel's `form`: a visitor the site identified (`known`)
/// need not fill anything in (every field optional), and their name and e-mail fill what the
/// answers leave empty. `Err`: the field at fault, nothing to write.
pub fn visitor_details(
    form: &[FormField],
    known: Option<Known<'_>>,
    answers: &[(String, String)],
    visitor_id: &str,
) -> Result<VisitorDetails, FieldError> {
    let relaxed: Vec<FormField>;
    let form = if known.is_some() {
        relaxed = form.iter().map(|f| FormField { required: false, ..f.clone() }).collect();
        &relaxed
    } else {
        form
    };
    let prechat = prechat_answers(form, answers)?;
    let answer = |k: &str| prechat.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let name = answer("name").or_else(|| known.map(|k| k.name.to_owned())).unwrap_or_default();
    let email = answer("email").or_else(|| known.map(|k| k.email.to_owned())).unwrap_or_default();
    let (identifier, anonymous) = visitor_identifier(known.map(|k| k.user_id), &email, &name, visitor_id);
    let identifier = identifier.to_owned();
    Ok(VisitorDetails { name, email, prechat, identifier, anonymous })
}

/// What the visitor's request says of the new conversation, as sent (trimmed and capped here).
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub channel_id: &'a str,
    pub visitor_id: &'a str,
    /// The browser's language (BCP 47), as sent.
    pub language: &'a str,
    /// The page the chat starts on, as sent.
    pub page_url: &'a str,
    /// The country the edge saw the request come from (ISO 3166), empty when unknown.
    pub country: &'a str,
    pub answers: &'a [(String, String)],
}

/// How the visitor came to chat, as the reports record it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryFacts {
    /// `button` or `invite` (requestType).
    pub request_type: String,
    /// The entry point's name (requestSource).
    pub request_source: String,
    /// Entry point visible → clicked, in ms (decisionTime), when measured.
    pub decision_ms: Option<u64>,
}

/// A conversation about to start: everything but its route and channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChat {
    pub id: String,
    pub visitor_id: String,
    pub at: Millis,
    /// Trimmed, at most [`MAX_LANGUAGE_TAG_CHARS`] characters.
    pub language: String,
    pub country: String,
    /// At most [`MAX_PAGE_URL_CHARS`] characters.
    pub page_url: String,
    pub who: VisitorDetails,
}

/// Step 2: the new conversation `id` (minted by the caller) at `now`, or the pre-chat field at
/// fault. `known` and `form` as for [`visitor_details`].
pub fn new_chat(
    req: &Request<'_>,
    form: &[FormField],
    known: Option<Known<'_>>,
    id: String,
    now: Millis,
) -> Result<NewChat, FieldError> {
    let who = visitor_details(form, known, req.answers, req.visitor_id)?;
    Ok(NewChat {
        id,
        visitor_id: req.visitor_id.to_owned(),
        at: now,
        language: req.language.trim().chars().take(MAX_LANGUAGE_TAG_CHARS).collect(),
        country: req.country.to_owned(),
        page_url: req.page_url.chars().take(MAX_PAGE_URL_CHARS).collect(),
        who,
    })
}

impl NewChat {
    /// The language routing may prefer (none when the browser sent none).
    pub fn routing_language(&self) -> Option<String> {
        Some(self.language.clone()).filter(|l| !l.is_empty())
    }

    /// What the conversation's operators see of the visitor: the page it started on is the
    /// first page visited (none when the widget sent no page).
    pub fn visitor(&self) -> VisitorInfo {
        VisitorInfo {
            name: self.who.name.clone(),
            language: self.language.clone(),
            country: self.country.clone(),
            pages: if self.page_url.is_empty() {
                Vec::new()
            } else {
                vec![PageVisit { url: self.page_url.clone(), title: String::new(), at: self.at }]
            },
        }
    }

    /// The conversation's first record, in channel `channel_id` of `account_id`, routed by
    /// `route` (assigned: its operator; queued: nobody yet). It waits, with no message yet.
    pub fn record(
        &self,
        account_id: &str,
        channel_id: &str,
        route: &RouteUpdate,
        entry: &EntryFacts,
    ) -> ConversationSummary {
        let (operator_id, operator_name) = match route {
            RouteUpdate::Assigned { operator_id, operator_name, .. } => {
                (Some(operator_id.clone()), operator_name.clone())
            }
            RouteUpdate::Queued { .. } => (None, String::new()),
        };
        let t = self.at.0;
        ConversationSummary {
            id: self.id.clone(),
            account_id: account_id.to_owned(),
            channel_id: channel_id.to_owned(),
            visitor_id: self.visitor_id.clone(),
            status: Status::Waiting.as_str().to_owned(),
            created_at: t,
            page_url: self.page_url.clone(),
            message_count: 0,
            last_message_at: None,
            last_message_preview: String::new(),
            updated_at: t,
            closed_at: None,
            closed_by: None,
            no_operator_response: 0,
            operator_id,
            operator_name,
            visitor_name: self.who.name.clone(),
            visitor_language: self.language.clone(),
            visitor_country: self.country.clone(),
            current_page: self.page_url.clone(),
            pages_visited: u32::from(!self.page_url.is_empty()),
            request_type: entry.request_type.clone(),
            request_source: entry.request_source.clone(),
            decision_ms: entry.decision_ms,
            survey_result: String::new(),
            survey_comment: String::new(),
            rated_at: None,
            success_code: None,
            tags: Vec::new(),
            category: None,
            sub_category: None,
            note: String::new(),
            goals: Vec::new(),
            visitor_email: self.who.email.clone(),
            visitor_identifier: self.who.identifier.clone(),
            anonymous: self.who.anonymous,
            prechat: self.who.prechat.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::Received;

    fn field(key: &str, required: bool) -> FormField {
        FormField { key: key.into(), label: key.to_uppercase(), required }
    }

    fn answers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn request<'a>(answers: &'a [(String, String)]) -> Request<'a> {
        Request {
            channel_id: "demo",
            visitor_id: "v_1",
            language: "  de-DE ",
            page_url: "https://shop.example/boots",
            country: "DE",
            answers,
        }
    }

    const DANA: RouteUpdate = RouteUpdate::Queued { position: 1, estimated_wait_ms: None };

    #[test]
    fn a_block_wins_over_an_open_conversation_and_an_open_one_is_reused() {
        assert_eq!(opening(true, Some("c_1")), Opening::Blocked);
        assert_eq!(opening::<&str>(true, None), Opening::Blocked);
        assert_eq!(opening(false, Some("c_1")), Opening::Reuse("c_1"));
        assert_eq!(opening::<&str>(false, None), Opening::New);
    }

    #[test]
    fn a_required_field_left_empty_is_refused_naming_it() {
        let form = [field("name", true), field("email", false)];
        let none = answers(&[("email", "ana@example.com")]);
        let err = new_chat(&request(&none), &form, None, "c_1".into(), Millis(5)).unwrap_err();
        assert_eq!(err.field, "name");
        let bad_email = answers(&[("name", "Ana"), ("email", "not-an-address")]);
        assert_eq!(new_chat(&request(&bad_email), &form, None, "c_1".into(), Millis(5)).unwrap_err().field, "email");
    }

    #[test]
    fn an_identified_visitor_needs_no_answers_and_fills_in_name_and_email() {
        let form = [field("name", true), field("email", true)];
        let known = Known { user_id: "u_42", name: "Ana Known", email: "ana@site.example" };
        let chat = new_chat(&request(&[]), &form, Some(known), "c_1".into(), Millis(5)).unwrap();
        assert_eq!(chat.who.name, "Ana Known");
        assert_eq!(chat.who.email, "ana@site.example");
        assert_eq!((chat.who.identifier.as_str(), chat.who.anonymous), ("u_42", false));
        // What the visitor typed wins over what the site knows.
        let typed = answers(&[("name", "Ana Typed")]);
        let chat = new_chat(&request(&typed), &form, Some(known), "c_1".into(), Millis(5)).unwrap();
        assert_eq!(chat.who.name, "Ana Typed");
        assert_eq!(chat.who.prechat, answers(&[("name", "Ana Typed")]));
    }

    #[test]
    fn an_anonymous_visitor_is_identified_by_the_visitor_id_and_unknown_keys_are_dropped() {
        let given = answers(&[("shoe_size", "44")]);
        let chat = new_chat(&request(&given), &[field("name", false)], None, "c_1".into(), Millis(5)).unwrap();
        assert_eq!((chat.who.identifier.as_str(), chat.who.anonymous), ("v_1", true));
        assert!(chat.who.prechat.is_empty());
    }

    #[test]
    fn language_is_trimmed_and_capped_and_the_page_url_capped() {
        let long_lang = format!(" {} ", "x".repeat(MAX_LANGUAGE_TAG_CHARS + 10));
        let long_url = "u".repeat(MAX_PAGE_URL_CHARS + 1);
        let req = Request { language: &long_lang, page_url: &long_url, ..request(&[]) };
        let chat = new_chat(&req, &[], None, "c_1".into(), Millis(5)).unwrap();
        assert_eq!(chat.language.chars().count(), MAX_LANGUAGE_TAG_CHARS);
        assert_eq!(chat.page_url.chars().count(), MAX_PAGE_URL_CHARS);
        let chat = new_chat(&request(&[]), &[], None, "c_1".into(), Millis(5)).unwrap();
        assert_eq!(chat.language, "de-DE");
        assert_eq!(chat.routing_language().as_deref(), Some("de-DE"));
        let silent = Request { language: "   ", ..request(&[]) };
        assert_eq!(new_chat(&silent, &[], None, "c_1".into(), Millis(5)).unwrap().routing_language(), None);
    }

    #[test]
    fn the_first_page_is_the_start_page_unless_none_was_sent() {
        let chat = new_chat(&request(&[]), &[], None, "c_1".into(), Millis(7)).unwrap();
        let v = chat.visitor();
        assert_eq!(
            v.pages,
            vec![PageVisit { url: "https://shop.example/boots".into(), title: String::new(), at: Millis(7) }]
        );
        assert_eq!((v.language.as_str(), v.country.as_str()), ("de-DE", "DE"));
        let no_page = Request { page_url: "", ..request(&[]) };
        let chat = new_chat(&no_page, &[], None, "c_1".into(), Millis(7)).unwrap();
        assert!(chat.visitor().pages.is_empty());
        assert_eq!(chat.record("acc", "demo", &DANA, &EntryFacts::default()).pages_visited, 0);
    }

    #[test]
    fn the_record_waits_with_the_routed_operator_and_the_entry_facts() {
        let given = answers(&[("name", "Ana"), ("email", "ana@example.com")]);
        let chat = new_chat(
            &request(&given),
            &[field("name", true), field("email", false)],
            None,
            "c_9".into(),
            Millis(1_000),
        )
        .unwrap();
        let assigned = RouteUpdate::Assigned {
            operator_id: "op_demo".into(),
            operator_name: "Dana".into(),
            how: Received::Routed,
            from: None,
        };
        let entry = EntryFacts {
            request_type: "invite".into(),
            request_source: "Spring sale".into(),
            decision_ms: Some(2_500),
        };
        let row = chat.record("acc_demo", "demo", &assigned, &entry);
        assert_eq!((row.id.as_str(), row.account_id.as_str(), row.channel_id.as_str()), ("c_9", "acc_demo", "demo"));
        assert_eq!(row.status, "waiting");
        assert_eq!((row.created_at, row.updated_at), (1_000, 1_000));
        assert_eq!((row.operator_id.as_deref(), row.operator_name.as_str()), (Some("op_demo"), "Dana"));
        assert_eq!(
            (row.request_type.as_str(), row.request_source.as_str(), row.decision_ms),
            ("invite", "Spring sale", Some(2_500))
        );
        assert_eq!(
            (row.visitor_name.as_str(), row.visitor_email.as_str(), row.visitor_identifier.as_str()),
            ("Ana", "ana@example.com", "ana@example.com")
        );
        assert_eq!((row.message_count, row.pages_visited), (0, 1));
        assert_eq!(row.current_page, row.page_url);
        let queued = chat.record("acc_demo", "demo", &DANA, &entry);
        assert_eq!((queued.operator_id, queued.operator_name.as_str()), (None, ""));
    }
}
