//! Conversations: the D1 copy of each conversation (`conversations`, `conversation_events`,
//! `messages`), written by the conversation's object and read by the console.

use super::Shard;
use parley_core::record::{ConversationRecord, PageFact};
use parley_protocol::api::{ConversationEvent, ConversationSummary};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Result;

use super::{n, s};

/// A `conversations` row as D1 returns it (with [`CONVERSATION_COLS`]). Every column D1 stores
/// as the record types it (ids, texts, numbers, NULLs, and the closed sets `status`,
/// `closed_by`, `request_type`, `survey_result` as their text) is read straight into the record;
/// the columns named here are stored differently and mapped by [`Self::into_record`].
#[derive(Clone, Debug, Deserialize)]
pub struct ConversationRow {
    #[serde(flatten)]
    pub columns: ConversationRecord,
    /// 0/1.
    #[serde(default)]
    pub no_operator_response: u32,
    /// JSON `["tag", …]`.
    #[serde(default)]
    pub tags: Option<String>,
    /// JSON `[{"goal_id","name","value","at"}]` (the `conversation_goals` rows, in order).
    #[serde(default)]
    pub goals: Option<String>,
    /// JSON `[["key","answer"], …]`.
    #[serde(default)]
    pub prechat: Option<String>,
    /// 0/1; absent or NULL reads as anonymous.
    #[serde(default)]
    pub anonymous: Option<u32>,
    /// `''` on rows written before migration 7.
    #[serde(default)]
    pub session_id: Option<String>,
    /// JSON `[{"url","title","at"}]`.
    #[serde(default)]
    pub pages: Option<String>,
}

/// A list stored as JSON text; NULL or blank is the empty list.
fn json_list<T: serde::de::DeserializeOwned + Default>(text: Option<&str>) -> serde_json::Result<T> {
    match text.map(str::trim) {
        None | Some("") => Ok(T::default()),
        Some(json) => serde_json::from_str(json),
    }
}

impl ConversationRow {
    /// The conversation record. An unreadable list (`tags`, `goals`, `prechat`) is an error;
    /// unreadable `pages` are none (as the reports always read them), an empty `session_id` is
    /// none, a NULL `anonymous` is anonymous. (Decision: a text of a closed set that the edge
    /// never writes — `status 'archived'` — is a damaged row, refused when the row is read.)
    pub fn into_record(self) -> serde_json::Result<ConversationRecord> {
        Ok(ConversationRecord {
            no_operator_response: self.no_operator_response != 0,
            tags: json_list(self.tags.as_deref())?,
            goals: json_list(self.goals.as_deref())?,
            prechat: json_list(self.prechat.as_deref())?,
            anonymous: self.anonymous.is_none_or(|a| a != 0),
            session_id: self.session_id.filter(|s| !s.is_empty()),
            pages: json_list::<Vec<PageFact>>(self.pages.as_deref()).unwrap_or_default(),
            ..self.columns
        })
    }
}

/// Rows to records.
pub fn records(rows: Vec<ConversationRow>) -> Result<Vec<ConversationRecord>> {
    Ok(rows.into_iter().map(ConversationRow::into_record).collect::<serde_json::Result<_>>()?)
}

/// Records to the console's view of each.
pub fn summaries(records: &[ConversationRecord]) -> Vec<ConversationSummary> {
    records.iter().map(ConversationRecord::summary).collect()
}

pub const CONVERSATION_COLS: &str = "id, account_id, channel_id, visitor_id, status, created_at, page_url, \
     message_count, last_message_at, last_message_preview, updated_at, closed_at, closed_by, no_operator_response, \
     operator_id, operator_name, visitor_name, visitor_language, visitor_country, current_page, pages_visited, \
     request_type, request_source, decision_ms, survey_result, survey_comment, rated_at, success_code, tags, \
     category, sub_category, note, visitor_email, visitor_identifier, anonymous, prechat, \
     entry_point_id, outcome_by, outcome_at, session_id, host_id, pages, \
     (SELECT json_group_array(json_object('goal_id', g.goal_id, 'name', g.name, 'value', g.value, 'at', g.reached_at)) \
      FROM (SELECT * FROM conversation_goals WHERE conversation_id = conversations.id ORDER BY reached_at, goal_id) g) \
     AS goals";

/// One row, mapped.
fn record(row: Option<ConversationRow>) -> Result<Option<ConversationRecord>> {
    Ok(row.map(ConversationRow::into_record).transpose()?)
}

pub async fn conversation(db: &Shard, id: &str) -> Result<Option<ConversationRecord>> {
    let sql = format!("SELECT {CONVERSATION_COLS} FROM conversations WHERE id = ?1");
    record(db.prepare(sql).bind(&[s(id)])?.first(None).await?)
}

/// The conversation `id` when it belongs to `account_id` (an invalid or foreign id is `None`).
pub async fn account_conversation(db: &Shard, id: &str, account_id: &str) -> Result<Option<ConversationRecord>> {
    if !parley_protocol::ids::is_valid_id(id) {
        return Ok(None);
    }
    Ok(conversation(db, id).await?.filter(|c| *c.account_id == *account_id))
}

/// The visitor's latest conversation in the channel that is not closed.
pub async fn open_conversation_for(
    db: &Shard,
    channel_id: &str,
    visitor_id: &str,
) -> Result<Option<ConversationRecord>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLS} FROM conversations \
         WHERE visitor_id = ?1 AND channel_id = ?2 AND status != 'closed' ORDER BY created_at DESC LIMIT 1"
    );
    record(db.prepare(sql).bind(&[s(visitor_id), s(channel_id)])?.first(None).await?)
}

/// Stores a new conversation's record (its first state, from `parley_core::start`; the
/// pages are the object's to copy).
pub async fn insert_conversation(db: &Shard, row: &ConversationRecord) -> Result<()> {
    db.prepare(
        "INSERT INTO conversations (id, account_id, channel_id, visitor_id, status, created_at, page_url, updated_at, \
         operator_id, operator_name, visitor_language, visitor_country, current_page, pages_visited, \
         request_type, request_source, entry_point_id, decision_ms, visitor_name, visitor_email, prechat, \
         visitor_identifier, anonymous, session_id, host_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?7, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, \
         ?22, ?23, ?24)",
    )
    .bind(&[
        s(&row.id),
        s(&row.account_id),
        s(&row.channel_id),
        s(&row.visitor_id),
        s(row.status.as_str()),
        n(row.created_at),
        s(&row.page_url),
        n(row.updated_at),
        row.operator_id.as_deref().map_or(JsValue::NULL, s),
        s(&row.operator_name),
        s(&row.visitor_language),
        s(&row.visitor_country),
        n(u64::from(row.pages_visited)),
        s(row.request_type.as_str()),
        s(&row.request_source),
        row.entry_point_id.as_deref().map_or(JsValue::NULL, s),
        row.decision_ms.map_or(JsValue::NULL, n),
        s(&row.visitor_name),
        s(&row.visitor_email),
        s(&serde_json::to_string(&row.prechat)?),
        s(&row.visitor_identifier),
        n(u64::from(row.anonymous)),
        s(row.session_id.as_deref().unwrap_or_default()),
        row.host_id.as_deref().map_or(JsValue::NULL, s),
    ])?
    .run()
    .await?;
    Ok(())
}

pub async fn list_conversations(db: &Shard, account_id: &str, limit: u32) -> Result<Vec<ConversationRecord>> {
    let rows = db
        .prepare(format!(
            "SELECT {CONVERSATION_COLS} FROM conversations WHERE account_id = ?1 \
             ORDER BY updated_at DESC LIMIT ?2"
        ))
        .bind(&[s(account_id), n(u64::from(limit))])?
        .all()
        .await?
        .results()?;
    records(rows)
}

/// One visitor's conversations in the account, newest first (past conversations follow an
/// identified visitor, whose id is the same on every device).
pub async fn visitor_conversations(
    db: &Shard,
    account_id: &str,
    visitor_id: &str,
    limit: u32,
) -> Result<Vec<ConversationRecord>> {
    let rows = db
        .prepare(format!(
            "SELECT {CONVERSATION_COLS} FROM conversations WHERE account_id = ?1 AND visitor_id = ?2 \
             ORDER BY created_at DESC LIMIT ?3"
        ))
        .bind(&[s(account_id), s(visitor_id), n(u64::from(limit))])?
        .all()
        .await?
        .results()?;
    records(rows)
}

/// The summary a conversation's object keeps current in D1.
pub struct Summary<'a> {
    pub id: &'a str,
    pub status: &'a str,
    pub message_count: u64,
    pub last_message_at: Option<u64>,
    pub last_message_preview: &'a str,
    pub closed_at: Option<u64>,
    pub closed_by: Option<&'a str>,
    pub no_operator_response: bool,
    pub operator_id: Option<&'a str>,
    pub operator_name: &'a str,
    pub current_page: &'a str,
    pub pages_visited: u64,
    /// The pages the visitor saw, oldest first, as JSON `[{"url","title","at"}]`.
    pub pages: &'a str,
    pub updated_at: u64,
}

/// One state change to copy into D1.
pub struct EventRow {
    pub seq: u64,
    pub at: u64,
    pub kind: String,
    pub detail: String,
}

/// One stored message to copy into D1 `messages` (keyed by the object's sequence).
pub struct MessageRow {
    pub seq: u64,
    /// `visitor`, `operator` or `system`.
    pub role: String,
    /// The operator who wrote it (operator messages).
    pub operator_id: Option<String>,
    pub author_name: String,
    pub text: String,
    pub at: u64,
    /// The file it carries, as JSON (issue 21; NULL for text).
    pub attachment: Option<String>,
}

/// Where a conversation's messages belong (copied onto each `messages` row).
pub struct Scope<'a> {
    pub account_id: &'a str,
    pub channel_id: &'a str,
}

/// Bytes of the JSON array of messages bound to one INSERT (D1 takes strings of up to
/// [`MAX_D1_STRING_BYTES`](parley_protocol::limits::cloudflare::MAX_D1_STRING_BYTES); a
/// message's row is at most a few tens of KB: 4,000 characters, escaped).
pub(crate) const MESSAGES_JSON_BYTES: usize = 1_000_000;

/// The rows of `messages` as JSON arrays `[[seq, role, operator_id, author_name, text, at], …]`
/// of at most [`MESSAGES_JSON_BYTES`] each (one INSERT each: ~440 ordinary messages fit one).
pub(crate) fn message_chunks(messages: &[MessageRow]) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut chunk = String::from("[");
    for m in messages {
        let row =
            serde_json::json!([m.seq, m.role, m.operator_id, m.author_name, m.text, m.at, m.attachment]).to_string();
        if chunk.len() > 1 && chunk.len() + row.len() + 2 > MESSAGES_JSON_BYTES {
            chunk.push(']');
            chunks.push(std::mem::replace(&mut chunk, String::from("[")));
        }
        if chunk.len() > 1 {
            chunk.push(',');
        }
        chunk.push_str(&row);
    }
    if chunk.len() > 1 {
        chunk.push(']');
        chunks.push(chunk);
    }
    chunks
}

/// Writes the summary (unless D1 already holds a newer one: a late retry never goes back),
/// copies the events (a retried copy is ignored) and upserts the messages (keyed by
/// `(conversation_id, seq)`: a retried copy overwrites the same rows), in one batch — a D1
/// batch is one transaction, so either all of it lands or none. `sum` None: messages only.
/// Answers the number of statements run.
pub async fn sync_conversation(
    db: &Shard,
    id: &str,
    sum: Option<&Summary<'_>>,
    events: &[EventRow],
    scope: &Scope<'_>,
    messages: &[MessageRow],
) -> Result<usize> {
    let mut batch = Vec::new();
    if let Some(sum) = sum {
        batch.push(summary_statement(db, sum)?);
    }
    for e in events {
        batch.push(
            db.prepare(
                "INSERT OR IGNORE INTO conversation_events (conversation_id, seq, at, kind, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[s(id), n(e.seq), n(e.at), s(&e.kind), s(&e.detail)])?,
        );
    }
    // Every message of a chunk in one statement: its rows travel as one JSON parameter.
    for chunk in message_chunks(messages) {
        batch.push(
            db.prepare(
                "INSERT INTO messages (conversation_id, seq, account_id, channel_id, role, operator_id, author_name, \
                 text, at, attachment) \
                 SELECT ?1, json_extract(value, '$[0]'), ?2, ?3, json_extract(value, '$[1]'), \
                 json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), \
                 json_extract(value, '$[5]'), json_extract(value, '$[6]') FROM json_each(?4) WHERE true \
                 ON CONFLICT (conversation_id, seq) DO UPDATE SET role = excluded.role, \
                 operator_id = excluded.operator_id, author_name = excluded.author_name, text = excluded.text, \
                 at = excluded.at, attachment = excluded.attachment",
            )
            .bind(&[s(id), s(scope.account_id), s(scope.channel_id), s(&chunk)])?,
        );
    }
    let statements = batch.len();
    if !batch.is_empty() {
        db.batch(batch).await?;
    }
    Ok(statements)
}

fn summary_statement(db: &Shard, sum: &Summary<'_>) -> Result<worker::D1PreparedStatement> {
    db.prepare(
        "UPDATE conversations SET status = ?2, message_count = ?3, last_message_at = ?4, \
             last_message_preview = ?5, closed_at = ?6, closed_by = ?7, no_operator_response = ?8, updated_at = ?9, \
             operator_id = ?10, operator_name = ?11, current_page = ?12, pages_visited = ?13, pages = ?14 \
             WHERE id = ?1 AND (message_count < ?3 OR (message_count = ?3 AND updated_at <= ?9))",
    )
    .bind(&[
        s(sum.id),
        s(sum.status),
        n(sum.message_count),
        sum.last_message_at.map_or(JsValue::NULL, n),
        s(sum.last_message_preview),
        sum.closed_at.map_or(JsValue::NULL, n),
        sum.closed_by.map_or(JsValue::NULL, s),
        n(u64::from(sum.no_operator_response)),
        n(sum.updated_at),
        sum.operator_id.map_or(JsValue::NULL, s),
        s(sum.operator_name),
        s(sum.current_page),
        n(sum.pages_visited),
        s(sum.pages),
    ])
}

/// A `conversation_events` row as the console reads it.
#[derive(Clone, Debug, Deserialize)]
pub struct EventReadRow {
    pub seq: u64,
    pub at: u64,
    pub kind: String,
    pub detail: String,
}

impl EventReadRow {
    pub fn into_api(self) -> ConversationEvent {
        ConversationEvent { seq: self.seq, at: self.at, kind: self.kind, detail: self.detail }
    }
}

/// A conversation's recorded state changes, oldest first.
pub async fn conversation_events(db: &Shard, conversation_id: &str) -> Result<Vec<ConversationEvent>> {
    let rows: Vec<EventReadRow> = db
        .prepare("SELECT seq, at, kind, detail FROM conversation_events WHERE conversation_id = ?1 ORDER BY seq")
        .bind(&[s(conversation_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(EventReadRow::into_api).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_core::record::{ClosedBy, RequestType, SurveyResult};
    use parley_protocol::protocol::Status;

    fn d1_row() -> serde_json::Value {
        let mut row = serde_json::json!({
            "id": "c_1", "account_id": "a_1", "channel_id": "ch_1", "visitor_id": "v_1", "status": "closed",
            "created_at": 1000, "page_url": "https://shop.test/", "message_count": 3, "last_message_at": 1500,
            "last_message_preview": "thanks", "updated_at": 1600, "closed_at": 1600, "closed_by": "visitor",
            "no_operator_response": 0, "operator_id": "op_1", "operator_name": "Sam", "visitor_name": "Ann",
            "visitor_language": "fr", "visitor_country": "FR", "current_page": "https://shop.test/cart",
            "pages_visited": 2, "request_type": "invite", "request_source": "Pricing", "decision_ms": 4000,
            "survey_result": "good", "survey_comment": "fast", "rated_at": 1700, "success_code": "sale",
            "tags": "[\"vip\",\"fr\"]", "category": "Billing", "sub_category": "Refund", "note": "ok",
            "visitor_email": "ann@shop.test", "visitor_identifier": "ann@shop.test", "anonymous": 0,
            "prechat": "[[\"name\",\"Ann\"],[\"email\",\"ann@shop.test\"]]",
            "goals": "[{\"goal_id\":\"g_1\",\"name\":\"Buy\",\"value\":9.5,\"at\":1550}]"
        });
        // The columns the console's summary does not carry.
        let extra = serde_json::json!({
            "entry_point_id": "inv_1", "outcome_by": "op_2", "outcome_at": 1800, "session_id": "ss_1",
            "host_id": "h_1", "pages": "[{\"url\":\"https://shop.test/cart\",\"title\":\"Cart\",\"at\":1100}]"
        });
        row.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        row
    }

    fn record(row: serde_json::Value) -> serde_json::Result<ConversationRecord> {
        serde_json::from_value::<ConversationRow>(row)?.into_record()
    }

    /// The record's summary is byte for byte what the console got when the API body was read
    /// straight from D1 (`ConversationSummary`'s own lenient reading of JSON text and 0/1 flags,
    /// before the record: these two bodies were printed by that path for these rows).
    #[test]
    fn a_conversation_row_maps_to_the_summary_the_api_always_sent() {
        let mut bare = d1_row();
        for k in ["tags", "prechat", "anonymous", "closed_at", "closed_by", "success_code"] {
            bare[k] = serde_json::Value::Null;
        }
        bare["goals"] = serde_json::json!("[]");
        bare["survey_result"] = serde_json::json!("");
        let full = r#"{"id":"c_1","account_id":"a_1","channel_id":"ch_1","visitor_id":"v_1","status":"closed","created_at":1000,"page_url":"https://shop.test/","message_count":3,"last_message_at":1500,"last_message_preview":"thanks","updated_at":1600,"closed_at":1600,"closed_by":"visitor","no_operator_response":0,"operator_id":"op_1","operator_name":"Sam","visitor_name":"Ann","visitor_language":"fr","visitor_country":"FR","current_page":"https://shop.test/cart","pages_visited":2,"request_type":"invite","request_source":"Pricing","decision_ms":4000,"survey_result":"good","survey_comment":"fast","rated_at":1700,"success_code":"sale","tags":["vip","fr"],"category":"Billing","sub_category":"Refund","note":"ok","goals":[{"goal_id":"g_1","name":"Buy","value":9.5,"at":1550}],"visitor_email":"ann@shop.test","visitor_identifier":"ann@shop.test","anonymous":false,"prechat":[["name","Ann"],["email","ann@shop.test"]]}"#;
        let bare_json = r#"{"id":"c_1","account_id":"a_1","channel_id":"ch_1","visitor_id":"v_1","status":"closed","created_at":1000,"page_url":"https://shop.test/","message_count":3,"last_message_at":1500,"last_message_preview":"thanks","updated_at":1600,"closed_at":null,"closed_by":null,"no_operator_response":0,"operator_id":"op_1","operator_name":"Sam","visitor_name":"Ann","visitor_language":"fr","visitor_country":"FR","current_page":"https://shop.test/cart","pages_visited":2,"request_type":"invite","request_source":"Pricing","decision_ms":4000,"survey_result":"","survey_comment":"fast","rated_at":1700,"success_code":null,"tags":[],"category":"Billing","sub_category":"Refund","note":"ok","goals":[],"visitor_email":"ann@shop.test","visitor_identifier":"ann@shop.test","anonymous":true,"prechat":[]}"#;
        for (row, sent) in [(d1_row(), full), (bare, bare_json)] {
            assert_eq!(serde_json::to_string(&record(row).unwrap().summary()).unwrap(), sent);
        }
        let s = record(d1_row()).unwrap().summary();
        assert_eq!(s.tags, ["vip", "fr"]);
        assert_eq!((s.goals.len(), s.goals[0].value, s.anonymous), (1, 9.5, false));
        assert_eq!(s.prechat[1], ("email".to_owned(), "ann@shop.test".to_owned()));
    }

    #[test]
    fn a_conversation_row_maps_to_the_typed_record() {
        let r = record(d1_row()).unwrap();
        assert_eq!(
            (r.id.as_str(), r.account_id.as_str(), r.channel_id.as_str(), r.visitor_id.as_str()),
            ("c_1", "a_1", "ch_1", "v_1")
        );
        assert_eq!(
            (r.status, r.closed_by, r.request_type, r.survey_result),
            (Status::Closed, Some(ClosedBy::Visitor), RequestType::Invite, SurveyResult::Good)
        );
        assert_eq!((r.operator_id.as_deref(), r.no_operator_response, r.anonymous), (Some("op_1"), false, false));
        assert_eq!(
            (r.entry_point_id.as_deref(), r.outcome_by.as_deref(), r.outcome_at),
            (Some("inv_1"), Some("op_2"), Some(1800))
        );
        assert_eq!((r.session_id.as_deref(), r.host_id.as_deref()), (Some("ss_1"), Some("h_1")));
        assert_eq!(r.pages, [PageFact { url: "https://shop.test/cart".into(), title: "Cart".into(), at: 1100 }]);
        // Rows from before migrations 2, 6 and 7: no closing, no survey, no session, no pages.
        let mut old = d1_row();
        for (k, v) in [
            ("closed_by", serde_json::Value::Null),
            ("survey_result", "".into()),
            ("session_id", "".into()),
            ("no_operator_response", 1.into()),
        ] {
            old[k] = v;
        }
        for k in ["entry_point_id", "outcome_by", "outcome_at", "host_id", "pages"] {
            old.as_object_mut().unwrap().remove(k);
        }
        let r = record(old).unwrap();
        assert_eq!(
            (r.closed_by, r.survey_result, r.session_id, r.no_operator_response),
            (None, SurveyResult::Unanswered, None, true)
        );
        assert!(r.entry_point_id.is_none() && r.outcome_by.is_none() && r.host_id.is_none() && r.pages.is_empty());
        // Unreadable pages are none (as the reports always read them).
        let mut bad_pages = d1_row();
        bad_pages["pages"] = "not json".into();
        assert!(record(bad_pages).unwrap().pages.is_empty());
    }

    /// Decision: a text of a closed set that the edge never writes is a damaged row — an error
    /// naming the text, never a guess.
    #[test]
    fn an_unknown_text_of_a_closed_set_is_an_error() {
        for (column, text) in
            [("status", "archived"), ("closed_by", "admin"), ("request_type", "email"), ("survey_result", "great")]
        {
            let mut r = d1_row();
            r[column] = text.into();
            let e = record(r).unwrap_err().to_string();
            assert!(e.contains(&format!("unknown variant `{text}`")), "{column}: {e}");
        }
    }

    #[test]
    fn missing_or_blank_lists_are_empty_and_a_missing_flag_is_anonymous() {
        let mut r = d1_row();
        r["tags"] = serde_json::json!("  ");
        r.as_object_mut().unwrap().remove("anonymous");
        r.as_object_mut().unwrap().remove("prechat");
        let s = record(r).unwrap();
        assert!(s.tags.is_empty() && s.prechat.is_empty() && s.anonymous);
        let mut bad = d1_row();
        bad["tags"] = serde_json::json!("not json");
        assert!(record(bad).is_err());
    }

    /// The console's events list: the same JSON as when the row was sent as it came.
    fn msg(seq: u64, text: &str) -> MessageRow {
        MessageRow {
            seq,
            role: "visitor".into(),
            operator_id: None,
            author_name: "Visitor".into(),
            text: text.into(),
            at: 1_000 + seq,
            attachment: None,
        }
    }

    #[test]
    fn messages_go_to_d1_as_json_rows_in_chunks_below_the_string_limit() {
        let mut op = msg(2, "a \"quote\", é");
        (op.role, op.operator_id) = ("operator".into(), Some("op_1".into()));
        let chunks = message_chunks(&[msg(1, "hi"), op]);
        assert_eq!(chunks.len(), 1);
        let rows: serde_json::Value = serde_json::from_str(&chunks[0]).unwrap();
        assert_eq!(
            rows,
            serde_json::json!([
                [1, "visitor", null, "Visitor", "hi", 1001, null],
                [2, "operator", "op_1", "Visitor", "a \"quote\", é", 1002, null]
            ])
        );
        assert!(message_chunks(&[]).is_empty(), "no messages, no statement");
        // 440 of the longest messages (4,000 characters of 4 bytes) are cut into chunks that fit.
        let long = "😀".repeat(4_000);
        let many: Vec<MessageRow> = (1..=440).map(|i| msg(i, &long)).collect();
        let chunks = message_chunks(&many);
        assert!(chunks.iter().all(|c| c.len() <= MESSAGES_JSON_BYTES));
        let back: Vec<u64> = chunks
            .iter()
            .flat_map(|c| serde_json::from_str::<Vec<serde_json::Value>>(c).unwrap())
            .map(|r| r[0].as_u64().unwrap())
            .collect();
        assert_eq!(back, (1..=440).collect::<Vec<_>>(), "every message once, in order");
        assert_eq!(message_chunks(&many[..20]).len(), 1, "a chat's 20 messages: one statement");
    }

    #[test]
    fn an_event_row_maps_to_the_api_event() {
        let row = serde_json::json!({"seq": 2, "at": 1200, "kind": "assigned", "detail": "{\"operator_id\":\"op_1\"}"});
        let e = serde_json::from_value::<EventReadRow>(row.clone()).unwrap().into_api();
        assert_eq!(serde_json::to_value(&e).unwrap(), row);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"seq":2,"at":1200,"kind":"assigned","detail":"{\"operator_id\":\"op_1\"}"}"#
        );
    }
}
