//! How a conversation ends (pure): the visitor's rating, the operator's outcome fields (success
//! code, tags, category, note), goals reached during the visitor's session, blocking, and the
//! pre-chat form. Wired: widget (survey, goals, pre-chat), edge (`edge/src/outcomes.rs`,
//! `edge/src/outcome_settings.rs`), console (close form, Admin → Outcomes).
//!
//! Columns of the seed's Conversations report this serves: `survey_result`, `survey_comment`,
//! `successcode`, `goals` (names joined with a comma), `totalGoalValue` (empty when no goal),
//! `blocked` (yes/no), `block_reason`, `visitor_identifier`.

use serde::{Deserialize, Serialize};

use crate::admin::FieldError;
use crate::invites::glob_match;

type Valid<T> = Result<T, FieldError>;

/// Longest rating comment, block reason and operator note, in characters.
pub const MAX_COMMENT_CHARS: usize = 1_000;
/// Longest success code, tag, category or goal name, in characters.
pub const MAX_LABEL_CHARS: usize = 60;
/// Most tags on one conversation.
pub const MAX_TAGS: usize = 20;

/// The visitor's post-chat rating. "Happy" means good; moderate and bad are unhappy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Good,
    Moderate,
    Bad,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Good => "good",
            Rating::Moderate => "moderate",
            Rating::Bad => "bad",
        }
    }

    pub fn is_happy(self) -> bool {
        self == Rating::Good
    }
}

/// The survey's answer: a rating and an optional comment, or skipped ("not rated", recorded as
/// such so reports can tell it from "not asked yet").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "survey", rename_all = "snake_case")]
pub enum Survey {
    Rated {
        rating: Rating,
        #[serde(default)]
        comment: String,
    },
    Skipped,
}

impl Survey {
    /// Trims the comment and checks its length; a comment without a rating is not possible by
    /// construction.
    pub fn validate(&self) -> Valid<Survey> {
        match self {
            Survey::Rated { rating, comment } => {
                Ok(Survey::Rated { rating: *rating, comment: text("comment", comment, MAX_COMMENT_CHARS, false)? })
            }
            Survey::Skipped => Ok(Survey::Skipped),
        }
    }

    /// `survey_result` as the Conversations report writes it: the rating, `not_rated` when
    /// skipped (and empty while the visitor was never asked).
    pub fn result(s: Option<&Survey>) -> &'static str {
        match s {
            Some(Survey::Rated { rating, .. }) => rating.as_str(),
            Some(Survey::Skipped) => "not_rated",
            None => "",
        }
    }
}

/// Counts of ratings (per operator and work shift, or any grouping a report needs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingCounts {
    pub good: u64,
    pub moderate: u64,
    pub bad: u64,
    pub not_rated: u64,
}

impl RatingCounts {
    pub fn add(&mut self, s: Option<&Survey>) {
        match s {
            Some(Survey::Rated { rating: Rating::Good, .. }) => self.good += 1,
            Some(Survey::Rated { rating: Rating::Moderate, .. }) => self.moderate += 1,
            Some(Survey::Rated { rating: Rating::Bad, .. }) => self.bad += 1,
            Some(Survey::Skipped) | None => self.not_rated += 1,
        }
    }

    /// Share of rated conversations that were good, in whole percent (None when none rated).
    pub fn happy_percent(&self) -> Option<u64> {
        let rated = self.good + self.moderate + self.bad;
        (rated > 0).then(|| (self.good * 200 + rated) / (rated * 2))
    }
}

/// What the operator sets when closing (every field optional; the success code must be one the
/// admins defined).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    #[serde(default)]
    pub success_code: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub sub_category: Option<String>,
    #[serde(default)]
    pub note: String,
}

impl Outcome {
    /// Normalises (trims, drops blank and repeated tags, case-insensitively) and checks against
    /// the account's success codes and categories (`categories`: category → sub-categories).
    pub fn validate(&self, success_codes: &[String], categories: &[(String, Vec<String>)]) -> Valid<Outcome> {
        let success_code = match self.success_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => {
                Some(success_codes.iter().find(|s| s.eq_ignore_ascii_case(c)).cloned().ok_or_else(|| {
                    FieldError::new("success_code", format!("\"{c}\" is not one of the success codes."))
                })?)
            }
        };
        let mut tags: Vec<String> = Vec::new();
        for t in self.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            let t = text("tags", t, MAX_LABEL_CHARS, false)?;
            if !tags.iter().any(|o| o.eq_ignore_ascii_case(&t)) {
                tags.push(t);
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(FieldError::new("tags", format!("At most {MAX_TAGS} tags.")));
        }
        let (category, sub_category) = match self.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None if self.sub_category.as_deref().is_some_and(|s| !s.trim().is_empty()) => {
                return Err(FieldError::new("sub_category", "Choose a category first."));
            }
            None => (None, None),
            Some(c) => {
                let Some((name, subs)) = categories.iter().find(|(n, _)| n.eq_ignore_ascii_case(c)) else {
                    return Err(FieldError::new("category", format!("\"{c}\" is not one of the categories.")));
                };
                let sub = match self.sub_category.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    None => None,
                    Some(s) => Some(subs.iter().find(|x| x.eq_ignore_ascii_case(s)).cloned().ok_or_else(|| {
                        FieldError::new("sub_category", format!("\"{s}\" is not a sub-category of {name}."))
                    })?),
                };
                (Some(name.clone()), sub)
            }
        };
        Ok(Outcome {
            success_code,
            tags,
            category,
            sub_category,
            note: text("note", &self.note, MAX_COMMENT_CHARS, true)?,
        })
    }
}

/// A block: the reason is required (the visitor never sees it).
pub fn block_reason(s: &str) -> Valid<String> {
    text("reason", s, MAX_COMMENT_CHARS, false).and_then(|r| {
        if r.is_empty() {
            Err(FieldError::new("reason", "Say why the visitor is blocked."))
        } else {
            Ok(r)
        }
    })
}

/// What a blocked visitor is told on trying to start a chat (never the reason).
pub const VISITOR_BLOCKED_MESSAGE: &str = "Sorry, you cannot start a chat here.";

/// `POST /api/v1/console/conversations/:id/block`: blocks that conversation's visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRequest {
    #[serde(default)]
    pub reason: String,
}

/// An active block as admins see it (`GET /api/v1/console/blocks`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockView {
    pub id: String,
    pub visitor_id: String,
    pub conversation_id: String,
    pub reason: String,
    /// The operator who blocked (id and chat name).
    pub blocked_by: String,
    #[serde(default)]
    pub blocked_by_name: String,
    pub created_at: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockList {
    pub blocks: Vec<BlockView>,
}

/// `GET /api/v1/console/outcome-settings` (any operator of the account: the close form needs
/// it) and `POST` of the same body (admins; replaces the lists, answered with the stored
/// settings; 400 naming the field on bad input, nothing changed). Goals sent with an empty `id` are
/// new; goals left out are disabled, not deleted (conversations name them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OutcomeSettings {
    #[serde(default)]
    pub success_codes: Vec<String>,
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub goals: Vec<Goal>,
}

/// A category with its sub-categories (names, in the admins' order).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub name: String,
    #[serde(default)]
    pub subs: Vec<String>,
}

/// A goal as admins define it: reached on a page whose URL matches `url_glob` (when set) or
/// when the site's code says so (`Parley.goal(name, value)`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    /// Empty for a new goal in an [`OutcomeSettings`] body.
    #[serde(default)]
    pub id: String,
    pub name: String,
    /// In the account's currency units (e.g. 49.90).
    pub value: f64,
    #[serde(default)]
    pub url_glob: Option<String>,
}

/// One goal reached in a visitor's session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReachedGoal {
    pub goal_id: String,
    pub name: String,
    pub value: f64,
    pub at: u64,
}

/// Goals reached during one session: each goal counts once (the first time), whether by URL or
/// by code; a value given by code replaces the goal's default value (finite, not negative).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionGoals(pub Vec<ReachedGoal>);

impl SessionGoals {
    /// A page view: every URL goal matching it is reached. Answers the goals newly reached.
    pub fn on_page(&mut self, goals: &[Goal], url: &str, at: u64) -> Vec<ReachedGoal> {
        let url = url.to_ascii_lowercase();
        let hits: Vec<&Goal> = goals
            .iter()
            .filter(|g| g.url_glob.as_deref().is_some_and(|glob| glob_match(&glob.to_ascii_lowercase(), &url)))
            .collect();
        hits.into_iter().filter_map(|g| self.reach(g, g.value, at)).collect()
    }

    /// `Parley.goal(name, value)`: the goal named so (case-insensitive), once per session.
    /// `Err` for an unknown name or a value that is not a finite, non-negative number.
    pub fn on_code(
        &mut self,
        goals: &[Goal],
        name: &str,
        value: Option<f64>,
        at: u64,
    ) -> Result<Option<ReachedGoal>, &'static str> {
        let Some(goal) = goals.iter().find(|g| g.name.eq_ignore_ascii_case(name.trim())) else {
            return Err("unknown_goal");
        };
        let value = value.unwrap_or(goal.value);
        if !value.is_finite() || value < 0.0 {
            return Err("bad_goal_value");
        }
        Ok(self.reach(goal, value, at))
    }

    fn reach(&mut self, goal: &Goal, value: f64, at: u64) -> Option<ReachedGoal> {
        if self.0.iter().any(|r| r.goal_id == goal.id) {
            return None;
        }
        let r = ReachedGoal { goal_id: goal.id.clone(), name: goal.name.clone(), value, at };
        self.0.push(r.clone());
        Some(r)
    }

    /// The report's `goals` column: names in the order reached, comma-separated.
    pub fn names(&self) -> String {
        self.0.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(",")
    }

    /// `totalGoalValue`: the sum, or `None` (an empty cell) when no goal was reached.
    pub fn total(&self) -> Option<f64> {
        (!self.0.is_empty()).then(|| self.0.iter().map(|r| r.value).sum())
    }
}

/// One field of a channel's pre-chat form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    /// `name`, `email`, `phone` or a custom key.
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub required: bool,
}

/// Checks the visitor's answers against the channel's form: required fields filled, e-mail
/// fields shaped like an address, nothing longer than a label allows; unknown keys dropped.
pub fn prechat_answers(form: &[FormField], answers: &[(String, String)]) -> Valid<Vec<(String, String)>> {
    let mut out = Vec::new();
    for f in form {
        let given = answers.iter().find(|(k, _)| *k == f.key).map_or("", |(_, v)| v.as_str());
        let v = text(&f.key, given, 200, true)?;
        if v.is_empty() {
            if f.required {
                return Err(FieldError::new(&f.key, format!("{} is required.", f.label)));
            }
            continue;
        }
        if f.key == "email" {
            crate::admin::email(&f.key, &v)?;
        }
        out.push((f.key.clone(), v));
    }
    Ok(out)
}

/// `visitor_identifier` of the report: the site's id of a visitor proven by `Parley.identify`
/// (see `auth::identify_hash`), else their e-mail or name from the pre-chat form, else the
/// anonymous visitor id. Anonymous = none of the first three.
pub fn visitor_identifier<'a>(
    verified_id: Option<&'a str>,
    email: &'a str,
    name: &'a str,
    visitor_id: &'a str,
) -> (&'a str, bool) {
    match (verified_id, email.trim(), name.trim()) {
        (Some(id), _, _) if !id.is_empty() => (id, false),
        (_, e, _) if !e.is_empty() => (e, false),
        (_, _, n) if !n.is_empty() => (n, false),
        _ => (visitor_id, true),
    }
}

fn text(field: &str, s: &str, max: usize, allow_empty: bool) -> Valid<String> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(FieldError::new(field, format!("At most {max} characters.")));
    }
    if t.is_empty() && !allow_empty && field != "comment" {
        return Err(FieldError::new(field, "This cannot be empty."));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surveys() {
        let s = Survey::Rated { rating: Rating::Bad, comment: "  too slow ".into() }.validate().unwrap();
        assert_eq!(s, Survey::Rated { rating: Rating::Bad, comment: "too slow".into() });
        assert_eq!(
            Survey::Rated { rating: Rating::Good, comment: String::new() }.validate().unwrap(),
            Survey::Rated { rating: Rating::Good, comment: String::new() }
        );
        let long = Survey::Rated { rating: Rating::Good, comment: "x".repeat(MAX_COMMENT_CHARS + 1) };
        assert_eq!(long.validate().unwrap_err().field, "comment");
        assert_eq!(Survey::result(Some(&s)), "bad");
        assert_eq!(Survey::result(Some(&Survey::Skipped)), "not_rated");
        assert_eq!(Survey::result(None), "");
        let json: Survey = serde_json::from_str(r#"{"survey":"rated","rating":"moderate"}"#).unwrap();
        assert_eq!(json, Survey::Rated { rating: Rating::Moderate, comment: String::new() });
        let mut c = RatingCounts::default();
        for x in [Some(&s), Some(&Survey::Skipped), None, Some(&json)] {
            c.add(x);
        }
        c.add(Some(&Survey::Rated { rating: Rating::Good, comment: String::new() }));
        assert_eq!(c, RatingCounts { good: 1, moderate: 1, bad: 1, not_rated: 2 });
        assert_eq!(c.happy_percent(), Some(33));
        assert_eq!(RatingCounts::default().happy_percent(), None);
        assert!(Rating::Good.is_happy() && !Rating::Moderate.is_happy());
    }

    #[test]
    fn outcomes() {
        let codes = vec!["Sale".to_owned(), "Lead".to_owned()];
        let cats = vec![("Billing".to_owned(), vec!["Refund".to_owned(), "Invoice".to_owned()])];
        let o = Outcome {
            success_code: Some(" sale ".into()),
            tags: vec![" vip ".into(), "VIP".into(), "".into(), "pricing".into()],
            category: Some("billing".into()),
            sub_category: Some("refund".into()),
            note: " called back ".into(),
        };
        let v = o.validate(&codes, &cats).unwrap();
        assert_eq!(v.success_code.as_deref(), Some("Sale"));
        assert_eq!(v.tags, vec!["vip", "pricing"]);
        assert_eq!((v.category.as_deref(), v.sub_category.as_deref()), (Some("Billing"), Some("Refund")));
        assert_eq!(v.note, "called back");
        let bad = |o: Outcome| o.validate(&codes, &cats).unwrap_err().field;
        assert_eq!(bad(Outcome { success_code: Some("Win".into()), ..Default::default() }), "success_code");
        assert_eq!(bad(Outcome { category: Some("Sales".into()), ..Default::default() }), "category");
        assert_eq!(bad(Outcome { sub_category: Some("Refund".into()), ..Default::default() }), "sub_category");
        assert_eq!(
            bad(Outcome { category: Some("Billing".into()), sub_category: Some("Other".into()), ..Default::default() }),
            "sub_category"
        );
        assert_eq!(
            bad(Outcome { tags: (0..=MAX_TAGS).map(|i| format!("t{i}")).collect(), ..Default::default() }),
            "tags"
        );
        assert_eq!(Outcome::default().validate(&codes, &cats).unwrap(), Outcome::default());
        assert_eq!(block_reason("  ").unwrap_err().field, "reason");
        assert_eq!(block_reason(" spam ").unwrap(), "spam");
        // No reason at all reads as an empty one, so the edge answers 400 naming `reason`.
        let body: BlockRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(block_reason(&body.reason).unwrap_err().field, "reason");
        assert!(!VISITOR_BLOCKED_MESSAGE.to_lowercase().contains("reason"));
    }

    #[test]
    fn goals_once_per_session() {
        let goals = vec![
            Goal { id: "g1".into(), name: "Checkout".into(), value: 49.9, url_glob: Some("*/checkout/done*".into()) },
            Goal { id: "g2".into(), name: "Newsletter".into(), value: 0.0, url_glob: None },
        ];
        let mut s = SessionGoals::default();
        assert_eq!(s.total(), None);
        assert_eq!(s.on_page(&goals, "https://shop.example/pricing", 1).len(), 0);
        assert_eq!(s.on_page(&goals, "https://shop.example/Checkout/Done?o=1", 2).len(), 1);
        assert_eq!(s.on_page(&goals, "https://shop.example/checkout/done", 3).len(), 0, "once per session");
        assert_eq!(s.on_code(&goals, "newsletter", Some(5.0), 4).unwrap().map(|r| r.value), Some(5.0));
        assert_eq!(s.on_code(&goals, "Newsletter", None, 5), Ok(None));
        assert_eq!(s.on_code(&goals, "Nope", None, 6), Err("unknown_goal"));
        assert_eq!(s.on_code(&goals, "Checkout", Some(f64::NAN), 6), Err("bad_goal_value"));
        assert_eq!(s.names(), "Checkout,Newsletter");
        assert_eq!(s.total(), Some(54.9));
    }

    #[test]
    fn prechat_and_identifier() {
        let form = vec![
            FormField { key: "name".into(), label: "Your name".into(), required: true },
            FormField { key: "email".into(), label: "Your email".into(), required: false },
        ];
        let a = |v: &[(&str, &str)]| v.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
        assert_eq!(prechat_answers(&form, &a(&[("name", " Ann "), ("x", "y")])).unwrap(), a(&[("name", "Ann")]));
        assert_eq!(prechat_answers(&form, &a(&[("email", "a@b.example")])).unwrap_err().field, "name");
        assert_eq!(
            prechat_answers(&form, &a(&[("name", "Ann"), ("email", "not-an-address")])).unwrap_err().field,
            "email"
        );
        assert_eq!(visitor_identifier(Some("u-42"), "a@b.example", "Ann", "v_1"), ("u-42", false));
        assert_eq!(visitor_identifier(None, " ", "Ann", "v_1"), ("Ann", false));
        assert_eq!(visitor_identifier(None, "", "", "v_1"), ("v_1", true));
    }
}
