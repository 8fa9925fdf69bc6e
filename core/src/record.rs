//! THE conversation record: one typed shape of a conversation as D1 keeps its copy (the row
//! the conversation's object writes, with what the end of the chat adds: survey, outcome,
//! goals). Its views are functions of it: the console's API body is [`ConversationRecord::summary`]
//! (the wire format of `parley_protocol::api::ConversationSummary`), and the report engine reads
//! the record itself (`parley_reports::facts::ConversationFact` is this type). The edge's store
//! maps the D1 row into it (`ConversationRow::into_record`), and [`crate::start`] builds a new one.
//!
//! Times are ms since the epoch (UTC).

use parley_protocol::api::ConversationSummary;
use parley_protocol::ids::{AccountId, ChannelId, ConversationId, OperatorId, VisitorId};
use parley_protocol::outcomes::ReachedGoal;
use parley_protocol::protocol::Status;
use serde::{Deserialize, Serialize};

pub use crate::conversation::ClosedBy;

impl ClosedBy {
    /// The stored text back (`visitor`, `operator`, `timeout`); anything else is `None`.
    pub fn parse(s: &str) -> Option<ClosedBy> {
        [ClosedBy::Visitor, ClosedBy::Operator, ClosedBy::Timeout].into_iter().find(|b| b.as_str() == s)
    }
}

/// What started the conversation (`requestType`): the channel's chat button or an accepted
/// auto-invite — the kind of its entry point (D1 `entry_points.kind` is checked to these two).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    /// Also what rows written before entry points existed read as (the column's default).
    #[default]
    Button,
    Invite,
}

impl RequestType {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestType::Button => "button",
            RequestType::Invite => "invite",
        }
    }
    pub fn parse(s: &str) -> Option<RequestType> {
        [RequestType::Button, RequestType::Invite].into_iter().find(|t| t.as_str() == s)
    }
}

/// The visitor's survey as stored (`survey_result`): never answered (`''`), a rating, or
/// skipped (`not_rated`) — the texts `parley_protocol::outcomes::Survey::result` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyResult {
    #[default]
    #[serde(rename = "")]
    Unanswered,
    Good,
    Moderate,
    Bad,
    NotRated,
}

impl SurveyResult {
    const ALL: [SurveyResult; 5] = [
        SurveyResult::Unanswered,
        SurveyResult::Good,
        SurveyResult::Moderate,
        SurveyResult::Bad,
        SurveyResult::NotRated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SurveyResult::Unanswered => "",
            SurveyResult::Good => "good",
            SurveyResult::Moderate => "moderate",
            SurveyResult::Bad => "bad",
            SurveyResult::NotRated => "not_rated",
        }
    }
    pub fn parse(s: &str) -> Option<SurveyResult> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// Rated good, moderate or bad (not skipped, not unanswered).
    pub fn is_rating(self) -> bool {
        matches!(self, SurveyResult::Good | SurveyResult::Moderate | SurveyResult::Bad)
    }
}

/// A page the visitor saw during a chat (D1 `conversations.pages`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageFact {
    pub url: String,
    #[serde(default)]
    pub title: String,
    pub at: u64,
}

/// One conversation: every column of D1 `conversations` (migrations 1–7) and its goals
/// (`conversation_goals`). The fields D1 stores in another form (0/1 flags, lists as JSON
/// text) may be absent from its JSON: the store reads those columns itself and fills them in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationRecord {
    pub id: ConversationId,
    pub account_id: AccountId,
    /// The channel (chat campaign, `chatcampaign_id`).
    pub channel_id: ChannelId,
    pub visitor_id: VisitorId,
    pub status: Status,
    pub created_at: u64,
    /// The page the conversation started on (`acceptUrl`).
    pub page_url: String,
    pub message_count: u64,
    pub last_message_at: Option<u64>,
    pub last_message_preview: String,
    pub updated_at: u64,
    pub closed_at: Option<u64>,
    pub closed_by: Option<ClosedBy>,
    /// An operator took the conversation but never wrote in it.
    #[serde(default)]
    pub no_operator_response: bool,
    /// The operator it is with now (the last one routing gave it to).
    pub operator_id: Option<OperatorId>,
    pub operator_name: String,
    pub visitor_name: String,
    pub visitor_language: String,
    pub visitor_country: String,
    pub current_page: String,
    pub pages_visited: u32,
    /// `requestType`.
    pub request_type: RequestType,
    /// The entry point's name (`requestSource`).
    pub request_source: String,
    /// The entry point it started from; `None` on rows written before entry points existed.
    pub entry_point_id: Option<String>,
    /// Entry point visible → clicked, in ms (`decisionTime`), when measured.
    pub decision_ms: Option<u64>,
    pub survey_result: SurveyResult,
    pub survey_comment: String,
    pub rated_at: Option<u64>,
    /// The operator's outcome (see `parley_protocol::outcomes::Outcome`), who set it and when.
    pub success_code: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub category: Option<String>,
    pub sub_category: Option<String>,
    pub note: String,
    pub outcome_by: Option<OperatorId>,
    pub outcome_at: Option<u64>,
    /// Goals reached during the visitor's session, in the order reached.
    #[serde(default)]
    pub goals: Vec<ReachedGoal>,
    pub visitor_email: String,
    /// Verified id, else e-mail, else name, else the visitor id (see
    /// `parley_protocol::outcomes::visitor_identifier`); empty on rows written before migration 6.
    pub visitor_identifier: String,
    #[serde(default)]
    pub anonymous: bool,
    /// The pre-chat answers, as (key, answer).
    #[serde(default)]
    pub prechat: Vec<(String, String)>,
    /// The visitor's website session (`session_id`); `None` on rows written before migration 7.
    ///
    /// Choice (seed 001: a session "ends when an interaction is over (survey/chat is finished)
    /// or when a visitor leaves the page for more than 30 minutes"): the edge mints a fresh id
    /// (`ss_…`) when it creates a conversation. Both ends of a session are ends of its chat —
    /// the chat is finished, or the visitor was away longer than the session timeout (30 min by
    /// default), which closes the conversation (`closed_by = timeout`) — and a visitor's
    /// open conversation is resumed rather than a new one created, so a session holds exactly
    /// one conversation and two conversations never share a session. The widget sends nothing
    /// for it (no bytes added to its budget); visits without a chat have no row here.
    pub session_id: Option<String>,
    /// The host (website) the conversation started on (`host_id`: the `hosts` row the origin
    /// check matched); `None` on rows written before migration 7.
    pub host_id: Option<String>,
    /// Pages the visitor saw during the chat, oldest first.
    #[serde(default)]
    pub pages: Vec<PageFact>,
}

/// An empty record (empty ids, waiting, nothing recorded): a base for building one in tests.
impl Default for ConversationRecord {
    fn default() -> Self {
        ConversationRecord {
            id: ConversationId(String::new()),
            account_id: AccountId(String::new()),
            channel_id: ChannelId(String::new()),
            visitor_id: VisitorId(String::new()),
            status: Status::Waiting,
            created_at: 0,
            page_url: String::new(),
            message_count: 0,
            last_message_at: None,
            last_message_preview: String::new(),
            updated_at: 0,
            closed_at: None,
            closed_by: None,
            no_operator_response: false,
            operator_id: None,
            operator_name: String::new(),
            visitor_name: String::new(),
            visitor_language: String::new(),
            visitor_country: String::new(),
            current_page: String::new(),
            pages_visited: 0,
            request_type: RequestType::Button,
            request_source: String::new(),
            entry_point_id: None,
            decision_ms: None,
            survey_result: SurveyResult::Unanswered,
            survey_comment: String::new(),
            rated_at: None,
            success_code: None,
            tags: Vec::new(),
            category: None,
            sub_category: None,
            note: String::new(),
            outcome_by: None,
            outcome_at: None,
            goals: Vec::new(),
            visitor_email: String::new(),
            visitor_identifier: String::new(),
            anonymous: true,
            prechat: Vec::new(),
            session_id: None,
            host_id: None,
            pages: Vec::new(),
        }
    }
}

impl ConversationRecord {
    /// The console's view (`GET /api/v1/console/conversations`, transcripts): every column but
    /// the entry point, the outcome's author and time, the session, the host and the pages.
    pub fn summary(&self) -> ConversationSummary {
        ConversationSummary {
            id: self.id.0.clone(),
            account_id: self.account_id.0.clone(),
            channel_id: self.channel_id.0.clone(),
            visitor_id: self.visitor_id.0.clone(),
            status: self.status,
            created_at: self.created_at,
            page_url: self.page_url.clone(),
            message_count: self.message_count,
            last_message_at: self.last_message_at,
            last_message_preview: self.last_message_preview.clone(),
            updated_at: self.updated_at,
            closed_at: self.closed_at,
            closed_by: self.closed_by.map(|b| b.as_str().to_owned()),
            no_operator_response: u32::from(self.no_operator_response),
            operator_id: self.operator_id.as_ref().map(|o| o.0.clone()),
            operator_name: self.operator_name.clone(),
            visitor_name: self.visitor_name.clone(),
            visitor_language: self.visitor_language.clone(),
            visitor_country: self.visitor_country.clone(),
            current_page: self.current_page.clone(),
            pages_visited: self.pages_visited,
            request_type: self.request_type.as_str().to_owned(),
            request_source: self.request_source.clone(),
            decision_ms: self.decision_ms,
            survey_result: self.survey_result.as_str().to_owned(),
            survey_comment: self.survey_comment.clone(),
            rated_at: self.rated_at,
            success_code: self.success_code.clone(),
            tags: self.tags.clone(),
            category: self.category.clone(),
            sub_category: self.sub_category.clone(),
            note: self.note.clone(),
            goals: self.goals.clone(),
            visitor_email: self.visitor_email.clone(),
            visitor_identifier: self.visitor_identifier.clone(),
            anonymous: self.anonymous,
            prechat: self.prechat.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closed_sets_read_back_what_they_write() {
        for b in [ClosedBy::Visitor, ClosedBy::Operator, ClosedBy::Timeout] {
            assert_eq!(ClosedBy::parse(b.as_str()), Some(b));
            assert_eq!(serde_json::to_value(b).unwrap(), b.as_str());
        }
        for t in [RequestType::Button, RequestType::Invite] {
            assert_eq!(RequestType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        for r in SurveyResult::ALL {
            assert_eq!(SurveyResult::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(
            (ClosedBy::parse("admin"), RequestType::parse(""), SurveyResult::parse("great")),
            (None, None, None)
        );
        // What the survey endpoint stores is one of them.
        use parley_protocol::outcomes::{Rating, Survey};
        for s in [None, Some(Survey::Skipped), Some(Survey::Rated { rating: Rating::Moderate, comment: String::new() })]
        {
            assert!(SurveyResult::parse(Survey::result(s.as_ref())).is_some());
        }
        assert!(SurveyResult::Bad.is_rating() && !SurveyResult::NotRated.is_rating());
    }

    fn record() -> ConversationRecord {
        ConversationRecord {
            id: ConversationId("c_1".into()),
            account_id: AccountId("a_1".into()),
            channel_id: ChannelId("ch_1".into()),
            visitor_id: VisitorId("v_1".into()),
            status: Status::Closed,
            created_at: 1000,
            page_url: "https://shop.test/".into(),
            message_count: 3,
            last_message_at: Some(1500),
            last_message_preview: "thanks".into(),
            updated_at: 1600,
            closed_at: Some(1600),
            closed_by: Some(ClosedBy::Timeout),
            no_operator_response: true,
            operator_id: Some(OperatorId("op_1".into())),
            operator_name: "Sam".into(),
            request_type: RequestType::Invite,
            request_source: "Pricing".into(),
            entry_point_id: Some("inv_1".into()),
            decision_ms: Some(4000),
            survey_result: SurveyResult::NotRated,
            tags: vec!["vip".into()],
            goals: vec![ReachedGoal { goal_id: "g_1".into(), name: "Buy".into(), value: 9.5, at: 1550 }],
            anonymous: false,
            prechat: vec![("name".into(), "Ann".into())],
            session_id: Some("ss_1".into()),
            pages: vec![PageFact { url: "https://shop.test/cart".into(), title: String::new(), at: 1100 }],
            ..ConversationRecord::default()
        }
    }

    /// The API body the console has always read: every summary field, texts for the closed
    /// sets, the flag as 0/1, in the summary's field order.
    #[test]
    fn the_summary_is_the_api_body() {
        let json = serde_json::to_string(&record().summary()).unwrap();
        assert_eq!(
            json,
            r#"{"id":"c_1","account_id":"a_1","channel_id":"ch_1","visitor_id":"v_1","status":"closed","created_at":1000,"page_url":"https://shop.test/","message_count":3,"last_message_at":1500,"last_message_preview":"thanks","updated_at":1600,"closed_at":1600,"closed_by":"timeout","no_operator_response":1,"operator_id":"op_1","operator_name":"Sam","visitor_name":"","visitor_language":"","visitor_country":"","current_page":"","pages_visited":0,"request_type":"invite","request_source":"Pricing","decision_ms":4000,"survey_result":"not_rated","survey_comment":"","rated_at":null,"success_code":null,"tags":["vip"],"category":null,"sub_category":null,"note":"","goals":[{"goal_id":"g_1","name":"Buy","value":9.5,"at":1550}],"visitor_email":"","visitor_identifier":"","anonymous":false,"prechat":[["name","Ann"]]}"#
        );
        let open = ConversationRecord::default().summary();
        assert_eq!((open.closed_by, open.survey_result.as_str(), open.request_type.as_str()), (None, "", "button"));
        assert_eq!((open.no_operator_response, open.anonymous), (0, true));
    }

    #[test]
    fn a_record_reads_back_its_own_json() {
        let r = record();
        assert_eq!(serde_json::from_str::<ConversationRecord>(&serde_json::to_string(&r).unwrap()).unwrap(), r);
    }
}
