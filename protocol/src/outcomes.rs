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
    /// the account's success codes and categories (with their sub-categories).
    pub fn validate(&self, settings: &OutcomeSettings) -> Valid<Outcome> {
        let (success_codes, categories) = (&settings.success_codes, &settings.categories);
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
                let Some(Category { name, subs }) = categories.iter().find(|k| k.name.eq_ignore_ascii_case(c)) else {
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
    pub visitor_id: crate::ids::VisitorId,
    pub conversation_id: crate::ids::ConversationId,
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

/// Most success codes, categories, sub-categories of one category and goals an account keeps.
pub const MAX_SUCCESS_CODES: usize = 50;
pub const MAX_CATEGORIES: usize = 50;
pub const MAX_SUB_CATEGORIES: usize = 30;
pub const MAX_GOALS: usize = 50;
/// Largest `POST /api/v1/console/outcome-settings` body, in bytes: the lists at their limits
/// (with long goal URL rules) exceed the API's usual 16 KiB.
pub const MAX_OUTCOME_SETTINGS_BYTES: usize = 256 * 1024;
/// Largest goal value (in the account's currency units).
pub const MAX_GOAL_VALUE: f64 = 1e9;
/// Most goals in one `POST /api/v1/widget/goals`.
pub const MAX_GOALS_PER_REQUEST: usize = 50;
/// Most fields of a channel's pre-chat form; longest field key and label, in characters.
pub const MAX_PRECHAT_FIELDS: usize = 10;
pub const MAX_PRECHAT_KEY_CHARS: usize = 30;
pub const MAX_PRECHAT_LABEL_CHARS: usize = 60;

impl OutcomeSettings {
    /// Trims every name and checks the lists: names 1..=[`MAX_LABEL_CHARS`] of plain text, no
    /// name twice (case-insensitively) in one list or among one category's subs, the limits
    /// above, goal values finite in `0..=`[`MAX_GOAL_VALUE`], URL rules at most
    /// [`MAX_PAGE_URL_CHARS`](crate::limits::MAX_PAGE_URL_CHARS) (blank → none). The error names
    /// the list (`success_codes`, `categories`, `goals`) and says which entry is wrong.
    pub fn validate(&self) -> Valid<OutcomeSettings> {
        let success_codes = names("success_codes", "success code", &self.success_codes, MAX_SUCCESS_CODES)?;
        if self.categories.len() > MAX_CATEGORIES {
            return Err(FieldError::new("categories", format!("At most {MAX_CATEGORIES} categories.")));
        }
        let cat_names: Vec<String> = self.categories.iter().map(|c| c.name.clone()).collect();
        let cat_names = names("categories", "category", &cat_names, MAX_CATEGORIES)?;
        let mut categories = Vec::with_capacity(cat_names.len());
        for (name, c) in cat_names.into_iter().zip(&self.categories) {
            if c.subs.len() > MAX_SUB_CATEGORIES {
                return Err(FieldError::new(
                    "categories",
                    format!("{name}: at most {MAX_SUB_CATEGORIES} sub-categories."),
                ));
            }
            let subs = names("categories", &format!("sub-category of {name}"), &c.subs, MAX_SUB_CATEGORIES)?;
            categories.push(Category { name, subs });
        }
        if self.goals.len() > MAX_GOALS {
            return Err(FieldError::new("goals", format!("At most {MAX_GOALS} goals.")));
        }
        let goal_names: Vec<String> = self.goals.iter().map(|g| g.name.clone()).collect();
        let goal_names = names("goals", "goal", &goal_names, MAX_GOALS)?;
        let mut goals = Vec::with_capacity(goal_names.len());
        for (name, g) in goal_names.into_iter().zip(&self.goals) {
            if !g.value.is_finite() || g.value < 0.0 || g.value > MAX_GOAL_VALUE {
                return Err(FieldError::new(
                    "goals",
                    format!("{name}: the value must be a number from 0 to 1000000000."),
                ));
            }
            let id = g.id.trim();
            if !id.is_empty() && !crate::ids::is_valid_id(id) {
                return Err(FieldError::new("goals", format!("{name}: unknown goal id.")));
            }
            if !id.is_empty() && goals.iter().any(|o: &Goal| o.id == id) {
                return Err(FieldError::new("goals", format!("{name}: the same goal is listed twice.")));
            }
            let url_glob = match g.url_glob.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                None => None,
                Some(u) if u.chars().count() > crate::limits::MAX_PAGE_URL_CHARS => {
                    return Err(FieldError::new(
                        "goals",
                        format!(
                            "{name}: the page URL rule must be at most {} characters.",
                            crate::limits::MAX_PAGE_URL_CHARS
                        ),
                    ));
                }
                Some(u) if u.chars().any(char::is_control) => {
                    return Err(FieldError::new("goals", format!("{name}: the page URL rule must be one line.")));
                }
                Some(u) => Some(u.to_owned()),
            };
            goals.push(Goal { id: id.to_owned(), name, value: g.value, url_glob });
        }
        Ok(OutcomeSettings { success_codes, categories, goals })
    }

    /// The categories as [`Outcome::validate`] takes them.
    pub fn category_pairs(&self) -> Vec<(String, Vec<String>)> {
        self.categories.iter().map(|c| (c.name.clone(), c.subs.clone())).collect()
    }
}

/// How a saved goal list maps onto the stored goals (see [`plan_goals`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoalPlan {
    /// The id of each sent goal, in order: its own, a revived stored goal's, or a fresh one.
    pub ids: Vec<String>,
    /// Stored goals that stay (updated in place).
    pub kept: Vec<String>,
    /// Stored goals left out whose name a sent goal now uses: (id, the name they move to,
    /// `"<name> (<id>)"`), since names stay unique per account, disabled goals included.
    pub renamed_away: Vec<(String, String)>,
}

/// Matches validated `sent` goals with the account's `stored` goals (`(id, name)`, disabled
/// ones included): a goal with an id keeps it (it must be stored, else an error on `goals`); a
/// goal without an id revives a stored goal of the same name (case-insensitive) that nothing
/// else claims, else takes `fresh[i]` (one fresh id per sent goal, drawn by the caller). Stored
/// goals not in the result are to be disabled.
pub fn plan_goals(sent: &[Goal], stored: &[(String, String)], fresh: &[String]) -> Valid<GoalPlan> {
    if let Some(g) = sent.iter().find(|g| !g.id.is_empty() && !stored.iter().any(|(id, _)| *id == g.id)) {
        return Err(FieldError::new("goals", format!("{}: unknown goal (reload the page).", g.name)));
    }
    let mut ids: Vec<String> = Vec::with_capacity(sent.len());
    let mut kept: Vec<String> = Vec::new();
    for (i, g) in sent.iter().enumerate() {
        let id = if !g.id.is_empty() {
            g.id.clone()
        } else {
            let free = |id: &String| !sent.iter().any(|o| o.id == *id) && !ids.contains(id);
            match stored.iter().find(|(id, name)| name.to_lowercase() == g.name.to_lowercase() && free(id)) {
                Some((id, _)) => id.clone(),
                None => fresh.get(i).cloned().unwrap_or_default(),
            }
        };
        if stored.iter().any(|(s, _)| *s == id) {
            kept.push(id.clone());
        }
        ids.push(id);
    }
    let renamed_away = stored
        .iter()
        .filter(|(id, name)| !ids.contains(id) && sent.iter().any(|g| g.name.to_lowercase() == name.to_lowercase()))
        .map(|(id, name)| (id.clone(), format!("{name} ({id})")))
        .collect();
    Ok(GoalPlan { ids, kept, renamed_away })
}

/// A list of names: each trimmed, 1..=[`MAX_LABEL_CHARS`] of plain text, none twice
/// (case-insensitively), at most `max`.
fn names(field: &str, what: &str, list: &[String], max: usize) -> Valid<Vec<String>> {
    if list.len() > max {
        return Err(FieldError::new(field, format!("At most {max} entries.")));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for n in list {
        let t = n.trim();
        if t.is_empty() {
            return Err(FieldError::new(field, format!("A {what} needs a name.")));
        }
        if t.chars().count() > MAX_LABEL_CHARS {
            return Err(FieldError::new(field, format!("A {what} name must be at most {MAX_LABEL_CHARS} characters.")));
        }
        if t.chars().any(char::is_control) {
            return Err(FieldError::new(field, format!("A {what} name must be a single line of plain text.")));
        }
        if out.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
            return Err(FieldError::new(field, format!("\"{t}\" is listed twice.")));
        }
        out.push(t.to_owned());
    }
    Ok(out)
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

/// A channel's pre-chat form as admins set it: at most [`MAX_PRECHAT_FIELDS`] fields; keys
/// trimmed, lowercased, 1..=[`MAX_PRECHAT_KEY_CHARS`] of `a-z 0-9 _`, unique; labels trimmed,
/// 1..=[`MAX_PRECHAT_LABEL_CHARS`] of plain text. Errors name the field `prechat`.
pub fn prechat_form(fields: &[FormField]) -> Valid<Vec<FormField>> {
    let err = |m: String| FieldError::new("prechat", m);
    if fields.len() > MAX_PRECHAT_FIELDS {
        return Err(err(format!("At most {MAX_PRECHAT_FIELDS} pre-chat fields.")));
    }
    let mut out: Vec<FormField> = Vec::with_capacity(fields.len());
    for f in fields {
        let label = f.label.trim();
        if label.is_empty() {
            return Err(err("Every pre-chat field needs a label.".into()));
        }
        if label.chars().count() > MAX_PRECHAT_LABEL_CHARS || label.chars().any(char::is_control) {
            return Err(err(format!("{label}: a label is one line of at most {MAX_PRECHAT_LABEL_CHARS} characters.")));
        }
        let key = f.key.trim().to_ascii_lowercase();
        if key.is_empty()
            || key.len() > MAX_PRECHAT_KEY_CHARS
            || !key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(err(format!(
                "{label}: the key must be 1 to {MAX_PRECHAT_KEY_CHARS} characters of a-z, 0-9 and _ (e.g. name, email, order_no)."
            )));
        }
        if out.iter().any(|o| o.key == key) {
            return Err(err(format!("The key \"{key}\" is used twice.")));
        }
        out.push(FormField { key, label: label.to_owned(), required: f.required });
    }
    Ok(out)
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

/// Which of the goals a visitor sent may be recorded: each must be one of the account's enabled
/// goals (`enabled`: `(id, name)`), with a value from 0 to [`MAX_GOAL_VALUE`], at most
/// [`MAX_GOALS_PER_REQUEST`] of them. All are checked before any is accepted (one bad goal
/// refuses the request, naming `goals`). The names are the account's, never the visitor's.
pub fn accept_goals<'a>(sent: &[ReachedGoal], enabled: &'a [(String, String)]) -> Valid<Vec<(&'a str, &'a str, f64)>> {
    if sent.len() > MAX_GOALS_PER_REQUEST {
        return Err(FieldError::new("goals", format!("At most {MAX_GOALS_PER_REQUEST} goals.")));
    }
    sent.iter()
        .map(|g| {
            let (id, name) = enabled
                .iter()
                .find(|(id, _)| *id == g.goal_id)
                .ok_or_else(|| FieldError::new("goals", "Unknown goal."))?;
            if !g.value.is_finite() || g.value < 0.0 || g.value > MAX_GOAL_VALUE {
                return Err(FieldError::new(
                    "goals",
                    format!("A goal's value is a number from 0 to {MAX_GOAL_VALUE}."),
                ));
            }
            Ok((id.as_str(), name.as_str(), g.value))
        })
        .collect()
}

/// A rating arriving for a chat that already has one (`stored`: its result and comment): the
/// first answer wins; the same answer again is a retry and is acknowledged (`Ok`); a different
/// one is refused (the edge answers 409 `already_rated`).
pub fn survey_again(stored: (&str, &str), sent: (&str, &str)) -> Valid<()> {
    if stored == sent {
        Ok(())
    } else {
        Err(FieldError::new("survey", "This chat has already been rated."))
    }
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
        let cats = vec![Category { name: "Billing".to_owned(), subs: vec!["Refund".to_owned(), "Invoice".to_owned()] }];
        let settings = OutcomeSettings { success_codes: codes, categories: cats, goals: Vec::new() };
        let o = Outcome {
            success_code: Some(" sale ".into()),
            tags: vec![" vip ".into(), "VIP".into(), "".into(), "pricing".into()],
            category: Some("billing".into()),
            sub_category: Some("refund".into()),
            note: " called back ".into(),
        };
        let v = o.validate(&settings).unwrap();
        assert_eq!(v.success_code.as_deref(), Some("Sale"));
        assert_eq!(v.tags, vec!["vip", "pricing"]);
        assert_eq!((v.category.as_deref(), v.sub_category.as_deref()), (Some("Billing"), Some("Refund")));
        assert_eq!(v.note, "called back");
        let bad = |o: Outcome| o.validate(&settings).unwrap_err().field;
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
        assert_eq!(Outcome::default().validate(&settings).unwrap(), Outcome::default());
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
    fn outcome_settings() {
        let goal = |id: &str, name: &str, value: f64, url: Option<&str>| Goal {
            id: id.into(),
            name: name.into(),
            value,
            url_glob: url.map(Into::into),
        };
        let ok = OutcomeSettings {
            success_codes: vec![" Sale ".into(), "Resolved".into()],
            categories: vec![Category { name: " Billing".into(), subs: vec!["Refund ".into(), "Invoice".into()] }],
            goals: vec![
                goal("", " Signed up ", 49.0, Some("  ")),
                goal("g_1", "Saw pricing", 5.0, Some(" */pricing* ")),
            ],
        };
        let v = ok.validate().unwrap();
        assert_eq!(v.success_codes, vec!["Sale", "Resolved"]);
        assert_eq!(
            v.categories,
            vec![Category { name: "Billing".into(), subs: vec!["Refund".into(), "Invoice".into()] }]
        );
        assert_eq!(
            v.goals,
            vec![goal("", "Signed up", 49.0, None), goal("g_1", "Saw pricing", 5.0, Some("*/pricing*"))]
        );
        assert_eq!(v.category_pairs(), vec![("Billing".to_owned(), vec!["Refund".to_owned(), "Invoice".to_owned()])]);
        assert_eq!(OutcomeSettings::default().validate().unwrap(), OutcomeSettings::default());

        let field = |s: OutcomeSettings| s.validate().unwrap_err().field;
        let codes = |c: Vec<String>| OutcomeSettings { success_codes: c, ..ok.clone() };
        assert_eq!(field(codes(vec!["Sale".into(), " sale".into()])), "success_codes", "case-insensitive twice");
        assert_eq!(field(codes(vec!["  ".into()])), "success_codes", "blank");
        assert_eq!(field(codes(vec!["x".repeat(MAX_LABEL_CHARS + 1)])), "success_codes", "long");
        assert_eq!(field(codes(vec!["a\nb".into()])), "success_codes", "control");
        assert_eq!(field(codes((0..=MAX_SUCCESS_CODES).map(|i| format!("c{i}")).collect())), "success_codes");
        assert!(codes(vec!["x".repeat(MAX_LABEL_CHARS)]).validate().is_ok());

        let cats = |c: Vec<Category>| OutcomeSettings { categories: c, ..ok.clone() };
        let cat =
            |n: &str, subs: &[&str]| Category { name: n.into(), subs: subs.iter().map(|s| (*s).into()).collect() };
        assert_eq!(field(cats(vec![cat("Billing", &[]), cat("BILLING", &[])])), "categories");
        assert_eq!(field(cats(vec![cat("", &[])])), "categories");
        assert_eq!(field(cats(vec![cat("Billing", &["Refund", "refund"])])), "categories", "subs twice");
        assert_eq!(field(cats(vec![cat("Billing", &[" "])])), "categories", "blank sub");
        assert!(
            cats(vec![cat("Billing", &["Other"]), cat("Sales", &["Other"])]).validate().is_ok(),
            "same sub, two parents"
        );
        let many_subs: Vec<String> = (0..=MAX_SUB_CATEGORIES).map(|i| format!("s{i}")).collect();
        assert_eq!(field(cats(vec![Category { name: "B".into(), subs: many_subs }])), "categories");
        assert_eq!(field(cats((0..=MAX_CATEGORIES).map(|i| cat(&format!("c{i}"), &[])).collect())), "categories");

        let goals = |g: Vec<Goal>| OutcomeSettings { goals: g, ..ok.clone() };
        assert_eq!(field(goals(vec![goal("", "A", -1.0, None)])), "goals", "negative");
        assert_eq!(field(goals(vec![goal("", "A", f64::NAN, None)])), "goals", "NaN");
        assert_eq!(field(goals(vec![goal("", "A", f64::INFINITY, None)])), "goals", "infinite");
        assert_eq!(field(goals(vec![goal("", "A", MAX_GOAL_VALUE * 2.0, None)])), "goals", "too big");
        assert!(goals(vec![goal("", "A", MAX_GOAL_VALUE, None)]).validate().is_ok());
        assert_eq!(field(goals(vec![goal("", "A", 1.0, None), goal("", " a", 1.0, None)])), "goals", "name twice");
        assert_eq!(field(goals(vec![goal("", "", 1.0, None)])), "goals", "no name");
        assert_eq!(field(goals(vec![goal("g_1", "A", 1.0, None), goal("g_1", "B", 1.0, None)])), "goals", "id twice");
        assert_eq!(field(goals(vec![goal("bad id!", "A", 1.0, None)])), "goals", "id shape");
        let long = format!("*{}", "x".repeat(crate::limits::MAX_PAGE_URL_CHARS));
        assert_eq!(field(goals(vec![goal("", "A", 1.0, Some(&long))])), "goals", "long URL rule");
        assert_eq!(field(goals((0..=MAX_GOALS).map(|i| goal("", &format!("g{i}"), 1.0, None)).collect())), "goals");
        let msg = goals(vec![goal("", "Checkout", -1.0, None)]).validate().unwrap_err().message;
        assert!(msg.starts_with("Checkout:"), "{msg}");
    }

    #[test]
    fn goal_plans() {
        let goal = |id: &str, name: &str| Goal { id: id.into(), name: name.into(), value: 1.0, url_glob: None };
        let stored: Vec<(String, String)> = [("g_a", "Signed up"), ("g_b", "Saw pricing"), ("g_old", "Newsletter")]
            .map(|(i, n)| (i.into(), n.into()))
            .to_vec();
        let fresh: Vec<String> = (0..4).map(|i| format!("g_new{i}")).collect();
        // Renamed (id kept), dropped (g_b), new, and a new one named like a disabled goal (revived).
        let p = plan_goals(&[goal("g_a", "Registered"), goal("", "Lead"), goal("", "newsletter")], &stored, &fresh)
            .unwrap();
        assert_eq!(p.ids, vec!["g_a", "g_new1", "g_old"]);
        assert_eq!(p.kept, vec!["g_a", "g_old"]);
        assert_eq!(p.renamed_away, vec![]);
        // Names swapped between two kept goals: nothing renamed away (both stay).
        let p = plan_goals(&[goal("g_a", "Saw pricing"), goal("g_b", "Signed up")], &stored, &fresh).unwrap();
        assert_eq!((p.kept.len(), p.renamed_away.len()), (2, 0));
        // A kept goal takes the name of a goal left out: that one moves out of the way.
        let p = plan_goals(&[goal("g_a", "Saw Pricing")], &stored, &fresh).unwrap();
        assert_eq!(p.renamed_away, vec![("g_b".to_owned(), "Saw pricing (g_b)".to_owned())]);
        // A revived goal is claimed once: a second new goal of that name would be a duplicate
        // (validate refuses it), and a goal whose id is sent is never revived for another.
        let p = plan_goals(&[goal("g_b", "Other"), goal("", "Saw pricing")], &stored, &fresh).unwrap();
        assert_eq!(p.ids, vec!["g_b", "g_new1"]);
        assert_eq!(plan_goals(&[goal("g_zzz", "X")], &stored, &fresh).unwrap_err().field, "goals");
        assert_eq!(
            plan_goals(&[], &stored, &fresh).unwrap(),
            GoalPlan { ids: vec![], kept: vec![], renamed_away: vec![] }
        );
    }

    #[test]
    fn prechat_forms() {
        let f = |k: &str, l: &str, r: bool| FormField { key: k.into(), label: l.into(), required: r };
        assert_eq!(
            prechat_form(&[f(" Name ", " Your name ", true), f("order_no2", "Order", false)]).unwrap(),
            vec![f("name", "Your name", true), f("order_no2", "Order", false)]
        );
        assert_eq!(prechat_form(&[]).unwrap(), vec![]);
        let field = |fs: &[FormField]| prechat_form(fs).unwrap_err().field;
        assert_eq!(field(&[f("", "Name", false)]), "prechat", "no key");
        assert_eq!(field(&[f("first-name", "Name", false)]), "prechat", "dash");
        assert_eq!(field(&[f("näme", "Name", false)]), "prechat", "non-ascii");
        assert_eq!(field(&[f(&"k".repeat(MAX_PRECHAT_KEY_CHARS + 1), "Name", false)]), "prechat", "long key");
        assert!(prechat_form(&[f(&"k".repeat(MAX_PRECHAT_KEY_CHARS), "Name", false)]).is_ok());
        assert_eq!(field(&[f("name", " ", false)]), "prechat", "no label");
        assert_eq!(field(&[f("name", &"l".repeat(MAX_PRECHAT_LABEL_CHARS + 1), false)]), "prechat", "long label");
        assert_eq!(field(&[f("name", "a\nb", false)]), "prechat", "two lines");
        assert_eq!(field(&[f("name", "A", false), f("NAME", "B", false)]), "prechat", "key twice");
        let many: Vec<FormField> = (0..=MAX_PRECHAT_FIELDS).map(|i| f(&format!("k{i}"), "L", false)).collect();
        assert_eq!(field(&many), "prechat", "too many");
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

    #[test]
    fn goals_accepted_only_when_all_are_enabled_and_sane() {
        let enabled = vec![("g1".to_owned(), "Signed up".to_owned()), ("g2".to_owned(), "Saw pricing".to_owned())];
        let g = |id: &str, value: f64| ReachedGoal { goal_id: id.into(), name: "forged".into(), value, at: 0 };
        let ok = accept_goals(&[g("g2", 5.0), g("g1", 0.0)], &enabled).unwrap();
        assert_eq!(ok, vec![("g2", "Saw pricing", 5.0), ("g1", "Signed up", 0.0)]);
        assert!(accept_goals(&[], &enabled).unwrap().is_empty());
        for bad in [
            vec![g("g1", 1.0), g("nope", 1.0)],
            vec![g("g1", -1.0)],
            vec![g("g1", f64::NAN)],
            vec![g("g1", f64::INFINITY)],
            vec![g("g1", MAX_GOAL_VALUE * 2.0)],
            vec![g("g1", 1.0); MAX_GOALS_PER_REQUEST + 1],
        ] {
            assert_eq!(accept_goals(&bad, &enabled).unwrap_err().field, "goals");
        }
        assert!(accept_goals(&[g("g1", MAX_GOAL_VALUE)], &enabled).is_ok());
    }

    #[test]
    fn a_second_rating_is_a_retry_only_when_identical() {
        assert!(survey_again(("bad", "too slow"), ("bad", "too slow")).is_ok());
        assert_eq!(survey_again(("bad", "too slow"), ("good", "too slow")).unwrap_err().field, "survey");
        assert!(survey_again(("bad", "too slow"), ("bad", "")).is_err());
        assert!(survey_again(("not_rated", ""), ("not_rated", "")).is_ok());
    }
}
