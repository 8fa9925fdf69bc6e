//! Data rights (issue 18): what an admin gets when exporting a visitor's data, what an erasure
//! removed, and each account's retention period — with the retention job's one decision, which
//! conversations are old enough to purge, as a pure function of the time it runs at.

use serde::{Deserialize, Serialize};

use crate::admin::{FieldError, OfflineMessage};
use crate::api::{ConversationEvent, ConversationSummary};
use crate::limits::{MAX_RETENTION_DAYS, MIN_RETENTION_DAYS};
use crate::outcomes::ReachedGoal;
use crate::{ConversationId, VisitorId};

/// One day in ms.
pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// `GET` / `POST /api/v1/console/account/retention` (changes: admins): conversations (and
/// offline messages) older than `days` are purged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionSettings {
    pub days: u32,
}

impl RetentionSettings {
    /// Refuses a period outside [`MIN_RETENTION_DAYS`]..=[`MAX_RETENTION_DAYS`] (`field`: `days`).
    pub fn validate(&self) -> Result<(), FieldError> {
        if (MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&self.days) {
            Ok(())
        } else {
            Err(FieldError::new("days", format!("must be between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS} days")))
        }
    }
}

/// The retention job run at `now` (ms) with a period of `days`: a closed conversation whose
/// close (and an offline message whose creation) is before the returned time is purged.
pub fn retention_cutoff(now: u64, days: u32) -> u64 {
    now.saturating_sub(u64::from(days) * DAY_MS)
}

/// `POST /api/v1/console/visitors/:id/erase` (admins): what was removed. Aggregate tallies
/// (hourly counts without any visitor in them) stay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReport {
    pub visitor_id: VisitorId,
    /// Conversations erased (their object's storage, D1 rows, messages, events and goals).
    pub conversations: u32,
    pub offline_messages: u32,
    /// Identities stored by `Parley.identify` (0 or 1).
    pub identities: u32,
    /// Blocks naming the visitor (active or lifted).
    pub blocks: u32,
    /// Conversations still to erase: one request erases at most
    /// [`crate::limits::cloudflare::MAX_ERASED_CONVERSATIONS_PER_REQUEST`] (each is a call to
    /// its object, and Cloudflare caps the subrequests of a request); the caller repeats the
    /// request until this is 0. The offline messages, identity and blocks go with the last
    /// conversations. Absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub remaining: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// `GET /api/v1/console/visitors/:id/export` (admins): everything held about one visitor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisitorExport {
    pub visitor_id: VisitorId,
    /// When the export was made (ms).
    pub exported_at: u64,
    pub identity: Option<ExportIdentity>,
    pub conversations: Vec<ExportConversation>,
    pub offline_messages: Vec<OfflineMessage>,
    pub blocks: Vec<ExportBlock>,
}

/// What `Parley.identify` stored about the visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportIdentity {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub updated_at: u64,
}

/// One conversation of the visitor: its record, transcript, state changes and goals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportConversation {
    pub summary: ConversationSummary,
    pub messages: Vec<ExportMessage>,
    pub events: Vec<ConversationEvent>,
    pub goals: Vec<ReachedGoal>,
    /// The files uploaded to it (issue 21): what they were; their bytes are read through the
    /// console's signed links while the conversation exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<crate::protocol::AttachmentView>,
}

/// A message of the transcript (`role`: visitor, operator or system).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportMessage {
    pub seq: u64,
    pub role: String,
    pub author_name: String,
    pub text: String,
    pub at: u64,
}

/// A block that names the visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportBlock {
    pub id: String,
    pub conversation_id: ConversationId,
    pub reason: String,
    pub created_at: u64,
    pub lifted_at: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retention_period_has_bounds() {
        assert_eq!(crate::limits::RETENTION_DAYS, 365);
        for days in [MIN_RETENTION_DAYS, crate::limits::RETENTION_DAYS, MAX_RETENTION_DAYS] {
            assert_eq!(RetentionSettings { days }.validate(), Ok(()), "{days}");
        }
        for days in [0, MAX_RETENTION_DAYS + 1, u32::MAX] {
            let e = RetentionSettings { days }.validate().unwrap_err();
            assert_eq!(e.field, "days", "{days}");
        }
    }

    #[test]
    fn the_cutoff_is_the_period_before_now() {
        let now = 1_795_000_000_000;
        assert_eq!(retention_cutoff(now, 1), now - 86_400_000);
        assert_eq!(retention_cutoff(now, 365), now - 365 * 86_400_000);
        // Early clocks never wrap around.
        assert_eq!(retention_cutoff(5, 365), 0);
        assert_eq!(retention_cutoff(u64::MAX, MAX_RETENTION_DAYS), u64::MAX - 3_650 * DAY_MS);
    }

    #[test]
    fn settings_read_the_wire_body() {
        let s: RetentionSettings = serde_json::from_str(r#"{"days":30}"#).unwrap();
        assert_eq!(s, RetentionSettings { days: 30 });
        assert!(serde_json::from_str::<RetentionSettings>(r#"{"days":-1}"#).is_err());
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"days":30}"#);
    }
}
