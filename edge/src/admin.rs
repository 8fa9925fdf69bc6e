//! Accounts and people: operators (admin CRUD), the operator's own settings, channels and
//! their hosts and entry points (chat button, auto-invites), canned responses, and offline
//! messages ("leave a message").
//!
//! Console routes: a live session is required (401 `unauthenticated`), changes must come from
//! the console's own origin (403 `bad_origin`), admin-only routes answer 403 `forbidden` to
//! operators, and every query is filtered by the session's account, so another account's id
//! answers 404 exactly like a missing one. Bodies and validation: `parley_protocol::admin`.

use std::collections::HashMap;

use parley_core::throttle::Door;
use parley_protocol::admin::{
    self, AccountUpdate, AccountView, CannedList, CannedRequest, CannedResponse, ChannelList, ChannelView,
    CreateChannelRequest, CreateOperatorRequest, FieldError, OfflineMessageList, OfflineMessageStored, OperatorList,
    OperatorView, Profile, Role, Settings, SettingsUpdate, UpdateChannelRequest, UpdateOperatorRequest, ValidChannel,
};
use parley_protocol::api::OfflineMessageRequest;
use parley_protocol::entry_points::{EntryPointList, EntryPointRequest};
use parley_protocol::ids::is_valid_id;
use parley_protocol::limits::{MAX_INVITES_PER_CHANNEL, OFFLINE_DEDUP_MS};
use wasm_bindgen::JsValue;
use worker::{Env, Request, Response, Result};

use crate::dispatch;
use crate::guard::{self, Admin, Visitor};
use crate::http::{self, fail, invalid, invalid_with};
use crate::store::channels::ChannelRow as ChannelFull;
use crate::store::operators::{OperatorFull, OperatorRow};
use crate::util::{new_id, now, random_bytes};
use parley_protocol::error::ErrorCode;

/// Most offline messages listed at once.
const OFFLINE_LIST_LIMIT: u32 = 200;

fn created<T: serde::Serialize>(value: &T) -> Result<Response> {
    Ok(http::json(value)?.with_status(201))
}

// ---------------------------------------------------------------------------------------------
// Operators

fn view_of(o: OperatorFull) -> OperatorView {
    let languages = serde_json::from_str(&o.languages).unwrap_or_default();
    OperatorView {
        id: o.id,
        username: o.username,
        first_name: o.first_name,
        last_name: o.last_name,
        email: o.email,
        chat_name: o.chat_name,
        role: Role::parse(&o.role).unwrap_or(Role::Operator),
        languages,
        max_chats: o.max_chats,
        disabled: o.disabled != 0,
        created_at: o.created_at,
    }
}

fn profile_of(o: &OperatorFull) -> Profile {
    Profile {
        first_name: o.first_name.clone(),
        last_name: o.last_name.clone(),
        email: o.email.clone(),
        chat_name: o.chat_name.clone(),
        role: Role::parse(&o.role).unwrap_or(Role::Operator),
        languages: serde_json::from_str(&o.languages).unwrap_or_default(),
        max_chats: o.max_chats,
        disabled: o.disabled != 0,
    }
}

/// Tells the routing object about the operator's fresh row. A failure there must not undo
/// a change already stored: it is logged.
async fn notify_changed(env: &Env, account_id: &str, id: &str) -> Result<()> {
    if let Some(row) = crate::store::operators::operator_row(&crate::store::directory(env)?, account_id, id).await? {
        if let Err(e) = dispatch::operator_changed(env, &row).await {
            worker::console_error!("operator_changed failed for {id}: {e}");
        }
    }
    Ok(())
}

/// `GET /api/v1/console/operators`: the account's operators (any operator may list them, to
/// see colleagues and transfer chats). Disabled ones stay in the list, flagged.
pub(crate) async fn list_operators(env: &Env, me: &OperatorRow) -> Result<Response> {
    let rows = crate::store::operators::operators(&crate::store::directory(env)?, &me.account_id).await?;
    http::json(&OperatorList { operators: rows.into_iter().map(view_of).collect() })
}

/// `POST /api/v1/console/operators` (admin): [`CreateOperatorRequest`] → 201 [`OperatorView`].
pub(crate) async fn create_operator(mut req: Request, env: &Env, me: &OperatorRow) -> Result<Response> {
    let body: CreateOperatorRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let new = match body.validate() {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    let d1 = crate::store::directory(env)?;
    let taken = || FieldError::new("username", "This username is taken; choose another.");
    if crate::store::operators::username_taken(&d1, &new.username).await? {
        return invalid_with(ErrorCode::UsernameTaken, taken());
    }
    let id = new_id("op");
    let hash = crate::auth::new_password_hash(env, &new.password).await?;
    let row = crate::store::operators::NewOperatorRow {
        id: &id,
        account_id: &me.account_id,
        username: &new.username,
        password_hash: &hash,
        profile: &new.profile,
        now: now().0,
    };
    if let Err(e) = crate::store::operators::insert_operator(&d1, &row).await {
        // Lost a race for the username (UNIQUE): the same answer as the check above.
        if crate::store::operators::username_taken(&d1, &new.username).await? {
            return invalid_with(ErrorCode::UsernameTaken, taken());
        }
        return Err(e);
    }
    notify_changed(env, &me.account_id, &id).await?;
    let full = crate::store::operators::operator(&d1, &me.account_id, &id).await?.ok_or("operator vanished")?;
    created(&view_of(full))
}

/// The answer of a new operator (made here or invited: `links::invite`): the dispatcher is
/// told, then 201 with the operator's view.
pub(crate) async fn operator_created(env: &Env, account_id: &str, id: &str) -> Result<Response> {
    notify_changed(env, account_id, id).await?;
    let full = crate::store::operators::operator(&crate::store::directory(env)?, account_id, id)
        .await?
        .ok_or("operator vanished")?;
    created(&view_of(full))
}

/// `POST /api/v1/console/operators/:id` (admin): [`UpdateOperatorRequest`] → [`OperatorView`].
/// Disabling or a new password ends the operator's other sessions at once.
pub(crate) async fn update_operator(mut req: Request, env: &Env, me: &Admin, id: &str) -> Result<Response> {
    let body: UpdateOperatorRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::directory(env)?;
    let current = match is_valid_id(id) {
        true => crate::store::operators::operator(&d1, &me.account_id, id).await?,
        false => None,
    };
    let Some(current) = current else {
        return fail(ErrorCode::UnknownOperator, "no such operator");
    };
    let is_self = current.id == me.id;
    let before = profile_of(&current);
    if is_self {
        if let Some(e) = body.self_lockout(&before) {
            return invalid_with(ErrorCode::CannotChangeSelf, e);
        }
    }
    let (after, password) = match body.apply(&before, is_self) {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    let hash = match password.as_deref() {
        Some(p) => Some(crate::auth::new_password_hash(env, p).await?),
        None => None,
    };
    if !crate::store::operators::update_operator(&d1, &me.account_id, id, &after, hash.as_deref(), now().0).await? {
        return fail(ErrorCode::UnknownOperator, "no such operator");
    }
    if (after.disabled && !before.disabled) || hash.is_some() {
        let keep = if is_self { Some(me.0.session_digest.as_str()) } else { None };
        crate::auth::end_operator_sessions(env, &me.account_id, id, keep).await?;
    }
    notify_changed(env, &me.account_id, id).await?;
    let full = crate::store::operators::operator(&d1, &me.account_id, id).await?.ok_or("operator vanished")?;
    http::json(&view_of(full))
}

// ---------------------------------------------------------------------------------------------
// My settings

fn settings_of(o: OperatorFull) -> Settings {
    Settings {
        languages: serde_json::from_str(&o.languages).unwrap_or_default(),
        username: o.username,
        first_name: o.first_name,
        last_name: o.last_name,
        chat_name: o.chat_name,
        max_chats: o.max_chats,
    }
}

/// The operator's account as [`AccountView`].
async fn account_view(env: &Env, account_id: &str) -> Result<Option<AccountView>> {
    Ok(crate::store::accounts::account(&crate::store::directory(env)?, account_id).await?.map(|a| a.into_api()))
}

/// `GET /api/v1/console/account` (any operator): name and report time zone.
pub(crate) async fn get_account(env: &Env, me: &OperatorRow) -> Result<Response> {
    match account_view(env, &me.account_id).await? {
        Some(a) => http::json(&a),
        None => fail(ErrorCode::Unauthenticated, "log in first"),
    }
}

/// `POST /api/v1/console/account` (admins): [`AccountUpdate`] → [`AccountView`]. The zone must
/// be one the runtime knows (`Intl`) — reports compute in it.
pub(crate) async fn save_account(mut req: Request, env: &Env, me: &OperatorRow) -> Result<Response> {
    let body: AccountUpdate = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let valid = match body.validate().and_then(|v| known_time_zone(&v.time_zone).map(|_| v)) {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    crate::store::accounts::update(&crate::store::directory(env)?, &me.account_id, &valid.name, &valid.time_zone)
        .await?;
    get_account(env, me).await
}

/// `GET /api/v1/console/settings`: the logged-in operator's own [`Settings`].
pub(crate) async fn get_settings(env: &Env, me: &OperatorRow) -> Result<Response> {
    match crate::store::operators::operator(&crate::store::directory(env)?, &me.account_id, &me.id).await? {
        Some(full) => http::json(&settings_of(full)),
        None => fail(ErrorCode::Unauthenticated, "log in first"),
    }
}

/// `POST /api/v1/console/settings`: [`SettingsUpdate`] → the new [`Settings`].
pub(crate) async fn save_settings(mut req: Request, env: &Env, me: &OperatorRow) -> Result<Response> {
    let body: SettingsUpdate = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::directory(env)?;
    let Some(full) = crate::store::operators::operator(&d1, &me.account_id, &me.id).await? else {
        return fail(ErrorCode::Unauthenticated, "log in first");
    };
    let valid = match body.validate(&full.first_name, &full.last_name) {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    crate::store::operators::update_settings(
        &d1,
        &me.account_id,
        &me.id,
        &valid.chat_name,
        &valid.languages,
        valid.max_chats,
        now().0,
    )
    .await?;
    notify_changed(env, &me.account_id, &me.id).await?;
    let full = crate::store::operators::operator(&d1, &me.account_id, &me.id).await?.ok_or("operator vanished")?;
    http::json(&settings_of(full))
}

// ---------------------------------------------------------------------------------------------
// Channels

/// The identity secret is shown to admins only.
fn channel_view(c: ChannelFull, hosts: Vec<String>, is_admin: bool) -> ChannelView {
    ChannelView {
        id: c.id,
        name: c.name,
        greeting: c.greeting,
        accent: c.accent,
        hosts,
        time_zone: c.time_zone,
        created_at: c.created_at,
        prechat: crate::outcome_settings::prechat_of(&c.prechat_form),
        identity_secret: is_admin.then_some(c.identity_secret),
        language: c.language,
        position: c.position,
        greetings: crate::store::channels::greetings_of(&c.greetings),
    }
}

/// A fresh identity secret: 32 random bytes, lowercase hex (64 characters).
fn new_identity_secret() -> String {
    random_bytes::<32>().iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /api/v1/console/channels`: the account's channels with their hostnames.
pub(crate) async fn list_channels(env: &Env, me: &OperatorRow) -> Result<Response> {
    let d1 = crate::store::directory(env)?;
    let channels = crate::store::channels::channels(&d1, &me.account_id).await?;
    let mut hosts: HashMap<String, Vec<String>> = HashMap::new();
    for h in crate::store::channels::channel_hosts(&d1, &me.account_id, None).await? {
        hosts.entry(h.channel_id.0).or_default().push(h.hostname);
    }
    let channels = channels
        .into_iter()
        .map(|c| {
            let h = hosts.remove(&c.id).unwrap_or_default();
            channel_view(c, h, guard::is_admin(me))
        })
        .collect();
    http::json(&ChannelList { channels })
}

async fn one_channel(env: &Env, account_id: &str, id: &str) -> Result<Option<ChannelView>> {
    let d1 = crate::store::directory(env)?;
    let Some(c) = crate::store::channels::account_channel(&d1, account_id, id).await? else { return Ok(None) };
    let hosts = crate::store::channels::channel_hosts(&d1, account_id, Some(id))
        .await?
        .into_iter()
        .map(|h| h.hostname)
        .collect();
    // Only admins reach the callers (channel changes).
    Ok(Some(channel_view(c, hosts, true)))
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `new Intl.DateTimeFormat(locale, options)`, which throws a RangeError for an unknown
    /// `timeZone` (js_sys's binding does not catch it).
    #[wasm_bindgen(catch, js_namespace = Intl, js_name = DateTimeFormat)]
    fn intl_date_time_format(locale: &str, options: &js_sys::Object) -> std::result::Result<JsValue, JsValue>;
}

/// Whether the runtime's `Intl` knows the zone (the shape was checked by `parley_protocol`).
fn known_time_zone(zone: &str) -> std::result::Result<(), FieldError> {
    let options = js_sys::Object::new();
    let known = js_sys::Reflect::set(&options, &"timeZone".into(), &zone.into()).is_ok()
        && intl_date_time_format("en", &options).is_ok();
    if known {
        Ok(())
    } else {
        Err(FieldError::new(
            "time_zone",
            format!("\"{zone}\" is not a time zone this server knows; use a name such as UTC or Europe/Berlin."),
        ))
    }
}

fn fresh_host_ids(hosts: &[String]) -> Vec<String> {
    hosts.iter().map(|_| new_id("h")).collect()
}

/// `POST /api/v1/console/channels` (admin): [`CreateChannelRequest`] → 201 [`ChannelView`].
pub(crate) async fn create_channel(mut req: Request, env: &Env, me: &OperatorRow) -> Result<Response> {
    let body: CreateChannelRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let valid = match body.validate().and_then(|v| known_time_zone(&v.time_zone).map(|_| v)) {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    let id = new_id("ch");
    let button_id = new_id("btn");
    let secret = new_identity_secret();
    let host_ids = fresh_host_ids(&valid.hosts);
    // The account's shard first gets the channel's anchor row (its conversations' foreign key),
    // then the directory the channel itself: a channel is never usable before its anchor.
    let shard = crate::store::shard(env, &me.account_id).await?;
    crate::store::directory::anchor(&shard, &me.account_id, Some(&id), now().0).await?;
    crate::store::channels::create_channel(
        &crate::store::directory(env)?,
        &me.account_id,
        &id,
        &button_id,
        &secret,
        &valid,
        &host_ids,
        now().0,
    )
    .await?;
    let view = one_channel(env, &me.account_id, &id).await?.ok_or("channel vanished")?;
    created(&view)
}

/// `POST /api/v1/console/channels/:id` (admin): [`UpdateChannelRequest`] → [`ChannelView`].
pub(crate) async fn update_channel(mut req: Request, env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    let body: UpdateChannelRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let current = match is_valid_id(id) {
        true => one_channel(env, &me.account_id, id).await?,
        false => None,
    };
    let Some(current) = current else {
        return fail(ErrorCode::UnknownChannel, "no such channel");
    };
    let before = ValidChannel {
        name: current.name,
        greeting: current.greeting,
        accent: current.accent,
        hosts: current.hosts,
        time_zone: current.time_zone,
        prechat: current.prechat,
        language: current.language,
        position: current.position,
        greetings: current.greetings,
    };
    let after = match body.apply(&before) {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    if let Err(e) = known_time_zone(&after.time_zone) {
        return invalid(e);
    }
    crate::store::channels::update_channel(
        &crate::store::directory(env)?,
        &me.account_id,
        id,
        &after,
        &fresh_host_ids(&after.hosts),
        now().0,
    )
    .await?;
    let view = one_channel(env, &me.account_id, id).await?.ok_or("channel vanished")?;
    http::json(&view)
}

/// `POST /api/v1/console/channels/:id/identity-secret` (admin): a new identity secret (hashes
/// made with the old one stop verifying at once) → [`ChannelView`].
pub(crate) async fn rotate_identity_secret(env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    let found = is_valid_id(id)
        && crate::store::channels::set_identity_secret(
            &crate::store::directory(env)?,
            &me.account_id,
            id,
            &new_identity_secret(),
        )
        .await?;
    if !found {
        return fail(ErrorCode::UnknownChannel, "no such channel");
    }
    let view = one_channel(env, &me.account_id, id).await?.ok_or("channel vanished")?;
    http::json(&view)
}

// ---------------------------------------------------------------------------------------------
// Entry points: a channel's chat button and its auto-invites

fn name_taken(name: &str) -> FieldError {
    FieldError::new("name", format!("This channel already has an entry point named \"{name}\"."))
}

/// `GET /api/v1/console/channels/:id/entry-points`: [`EntryPointList`], the button first, then
/// the invites in the order they are tried (any operator of the account may read it).
pub(crate) async fn list_entry_points(env: &Env, me: &OperatorRow, channel_id: &str) -> Result<Response> {
    let d1 = crate::store::directory(env)?;
    if !is_valid_id(channel_id)
        || crate::store::channels::account_channel(&d1, &me.account_id, channel_id).await?.is_none()
    {
        return fail(ErrorCode::UnknownChannel, "no such channel");
    }
    let rows = crate::store::entry_points::entry_points(&d1, Some(&me.account_id), channel_id).await?;
    http::json(&EntryPointList {
        entry_points: rows.into_iter().map(crate::store::entry_points::EntryPointRow::view).collect(),
    })
}

/// `POST /api/v1/console/channels/:id/entry-points` (admin): [`EntryPointRequest`] with its
/// `invite` → 201 [`EntryPointView`] (a new auto-invite, tried after the others). A name the
/// channel already uses answers 409 `name_taken`; a channel with the most invites allowed 409
/// `too_many_invites`.
pub(crate) async fn create_invite(mut req: Request, env: &Env, me: &OperatorRow, channel_id: &str) -> Result<Response> {
    let body: EntryPointRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::directory(env)?;
    if !is_valid_id(channel_id)
        || crate::store::channels::account_channel(&d1, &me.account_id, channel_id).await?.is_none()
    {
        return fail(ErrorCode::UnknownChannel, "no such channel");
    }
    let valid = match body.validate_new() {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    if crate::store::entry_points::entry_point_name_taken(&d1, channel_id, &valid.name, None).await? {
        return invalid_with(ErrorCode::NameTaken, name_taken(&valid.name));
    }
    let id = new_id("ep");
    let invite = valid.invite.as_ref().ok_or("validated invite without settings")?;
    let new = crate::store::entry_points::NewInvite {
        id: &id,
        account_id: &me.account_id,
        channel_id,
        name: &valid.name,
        enabled: valid.enabled,
        invite,
        now: now().0,
    };
    match crate::store::entry_points::insert_invite(&d1, &new, MAX_INVITES_PER_CHANNEL).await {
        Ok(true) => {}
        Ok(false) => {
            let e = FieldError::new("", format!("A channel has at most {MAX_INVITES_PER_CHANNEL} auto-invites."));
            return invalid_with(ErrorCode::TooManyInvites, e);
        }
        // Lost a race for the name (UNIQUE): the same answer as the check above.
        Err(e) => match crate::store::entry_points::entry_point_name_taken(&d1, channel_id, &valid.name, None).await? {
            true => return invalid_with(ErrorCode::NameTaken, name_taken(&valid.name)),
            false => return Err(e),
        },
    }
    let row = crate::store::entry_points::entry_point(&d1, &me.account_id, &id).await?.ok_or("entry point vanished")?;
    created(&row.view())
}

/// `POST /api/v1/console/entry-points/:id` (admin): [`EntryPointRequest`] → [`EntryPointView`].
/// Absent `enabled` / `invite` stay as they are; the chat button takes only a new name.
pub(crate) async fn update_entry_point(mut req: Request, env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    let body: EntryPointRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::directory(env)?;
    let current = match is_valid_id(id) {
        true => crate::store::entry_points::entry_point(&d1, &me.account_id, id).await?,
        false => None,
    };
    let Some(current) = current else {
        return fail(ErrorCode::UnknownEntryPoint, "no such entry point");
    };
    let channel_id = current.channel_id.clone();
    let after = match body.apply(&current.view()) {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    if crate::store::entry_points::entry_point_name_taken(&d1, channel_id.as_str(), &after.name, Some(id)).await? {
        return invalid_with(ErrorCode::NameTaken, name_taken(&after.name));
    }
    let stored = crate::store::entry_points::update_entry_point(
        &d1,
        &me.account_id,
        id,
        &after.name,
        after.enabled,
        after.invite.as_ref(),
        now().0,
    )
    .await;
    match stored {
        Ok(true) => {}
        Ok(false) => return fail(ErrorCode::UnknownEntryPoint, "no such entry point"),
        Err(e) => {
            match crate::store::entry_points::entry_point_name_taken(&d1, channel_id.as_str(), &after.name, Some(id))
                .await?
            {
                true => return invalid_with(ErrorCode::NameTaken, name_taken(&after.name)),
                false => return Err(e),
            }
        }
    }
    let row = crate::store::entry_points::entry_point(&d1, &me.account_id, id).await?.ok_or("entry point vanished")?;
    http::json(&row.view())
}

// ---------------------------------------------------------------------------------------------
// Canned responses

/// `GET /api/v1/console/canned`: [`CannedList`], by shortcut.
pub(crate) async fn list_canned(env: &Env, me: &OperatorRow) -> Result<Response> {
    http::json(&CannedList {
        canned: crate::store::canned::canned(&crate::store::directory(env)?, &me.account_id).await?,
    })
}

/// `POST /api/v1/console/canned` (create, 201) and `/canned/:id` (edit): [`CannedRequest`] →
/// [`CannedResponse`]. A shortcut the account already uses answers 409 `shortcut_taken`.
pub(crate) async fn save_canned(mut req: Request, env: &Env, me: &OperatorRow, id: Option<&str>) -> Result<Response> {
    let body: CannedRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::directory(env)?;
    let existing = match id {
        Some(id) if is_valid_id(id) => crate::store::canned::canned_one(&d1, &me.account_id, id).await?,
        _ => None,
    };
    if id.is_some() && existing.is_none() {
        return fail(ErrorCode::UnknownCanned, "no such canned response");
    }
    let (shortcut, text) = match body.validate() {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    let taken = || FieldError::new("shortcut", format!("The shortcut /{shortcut} is already in use."));
    if crate::store::canned::shortcut_taken(&d1, &me.account_id, &shortcut, id).await? {
        return invalid_with(ErrorCode::ShortcutTaken, taken());
    }
    let result = match existing {
        Some(c) => crate::store::canned::update_canned(&d1, &me.account_id, &c.id, &shortcut, &text)
            .await
            .map(|_| (CannedResponse { shortcut: shortcut.clone(), text: text.clone(), ..c }, 200)),
        None => {
            let c = CannedResponse {
                id: new_id("cr"),
                shortcut: shortcut.clone(),
                text: text.clone(),
                created_at: now().0,
            };
            crate::store::canned::insert_canned(&d1, &me.account_id, &c).await.map(|_| (c, 201))
        }
    };
    match result {
        Ok((c, status)) => Ok(http::json(&c)?.with_status(status)),
        // Lost a race for the shortcut (UNIQUE): the same answer as the check above.
        Err(e) => match crate::store::canned::shortcut_taken(&d1, &me.account_id, &shortcut, id).await? {
            true => invalid_with(ErrorCode::ShortcutTaken, taken()),
            false => Err(e),
        },
    }
}

/// `POST /api/v1/console/canned/:id/delete` → `{"ok":true}`.
pub(crate) async fn delete_canned(env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    if !is_valid_id(id)
        || !crate::store::canned::delete_canned(&crate::store::directory(env)?, &me.account_id, id).await?
    {
        return fail(ErrorCode::UnknownCanned, "no such canned response");
    }
    http::json(&serde_json::json!({ "ok": true }))
}

// ---------------------------------------------------------------------------------------------
// Offline messages

/// `GET /api/v1/console/offline-messages`: [`OfflineMessageList`], newest first.
pub(crate) async fn list_offline(env: &Env, me: &OperatorRow) -> Result<Response> {
    let shard = crate::store::shard(env, &me.account_id).await?;
    let mut messages =
        crate::store::offline_messages::offline_messages(&shard, &me.account_id, OFFLINE_LIST_LIMIT).await?;
    // The channels' names are in the directory, the messages on the account's shard.
    if !messages.is_empty() {
        let names = crate::store::channels::channel_names(&crate::store::directory(env)?, &me.account_id).await?;
        crate::store::offline_messages::name_channels(&mut messages, &names);
    }
    http::json(&OfflineMessageList { messages })
}

/// `POST /api/v1/widget/offline-message` (the widget, cross-origin from a registered host of
/// the channel, with the visitor's token): [`OfflineMessageRequest`] → 201
/// [`OfflineMessageStored`].
pub(crate) async fn offline_message(mut req: Request, env: &Env, ctx: &worker::Context) -> Result<Response> {
    let Visitor { body, origin } = match guard::visitor::<OfflineMessageRequest>(&mut req, env).await? {
        Ok(v) => v,
        Err(resp) => return Ok(resp),
    };
    let msg = match admin::offline_message(&body) {
        Ok(m) => m,
        Err(e) => return http::with_cors(invalid(e)?, &origin),
    };
    let d1 = crate::store::directory(env)?;
    let channel = crate::store::channels::channel(&d1, body.channel_id.as_str()).await?.ok_or("channel vanished")?;
    let d1 = crate::store::shard(env, channel.account_id.as_str()).await?;
    // A blocked visitor cannot leave messages either (told as politely as a chat is refused).
    if crate::store::blocks::is_blocked(&d1, channel.account_id.as_str(), body.visitor_id.as_str()).await? {
        let resp = http::fail(ErrorCode::VisitorBlocked, parley_protocol::outcomes::VISITOR_BLOCKED_MESSAGE)?;
        return http::with_cors(resp, &origin);
    }
    // Floods: offline messages per visitor and per client address (429 + Retry-After).
    let address = guard::address(&req);
    let doors = [(Door::OfflineVisitor, Some(body.visitor_id.as_str())), (Door::OfflineAddress, address.as_deref())];
    if let Err(resp) = guard::throttle(env, &doors).await? {
        return http::with_cors(resp, &origin);
    }
    // The same text again (a resent form, a second click) is answered as stored, stored once.
    let since = now().0.saturating_sub(OFFLINE_DEDUP_MS);
    if let Some(id) =
        crate::store::offline_messages::same_message_since(&d1, &channel.id, body.visitor_id.as_str(), &msg.text, since)
            .await?
    {
        // Its mail is queued under the message's id: nothing more if it was (a sender that died
        // before queueing it is made good here).
        mail_offline(env, ctx, &channel.id, &id, &msg, now().0).await;
        return http::with_cors(created(&OfflineMessageStored { id })?, &origin);
    }
    let id = new_id("om");
    crate::store::offline_messages::insert_offline_message(
        &d1,
        &crate::store::offline_messages::NewOfflineMessage {
            id: &id,
            account_id: channel.account_id.as_str(),
            channel_id: &channel.id,
            visitor_id: body.visitor_id.as_str(),
            msg: &msg,
            now: now().0,
        },
    )
    .await?;
    mail_offline(env, ctx, &channel.id, &id, &msg, now().0).await;
    http::with_cors(created(&OfflineMessageStored { id })?, &origin)
}

/// Queues the offline message's mail to the channel's addresses and sends it after the answer;
/// a failure is logged (the message is stored: the console shows it whatever the mail does).
async fn mail_offline(
    env: &Env,
    ctx: &worker::Context,
    channel_id: &str,
    id: &str,
    msg: &parley_protocol::admin::ValidOfflineMessage,
    at: u64,
) {
    match crate::mail_out::offline_message(env, channel_id, id, msg, at).await {
        Ok(Some((account, queued))) => crate::mail_out::send_after(ctx, env, account, queued),
        Ok(None) => {}
        Err(e) => worker::console_error!("offline message {id}: mail not queued: {e}"),
    }
}

/// `GET /api/v1/console/channels/:id/mail`: the channel's mail settings (issue 20).
pub(crate) async fn channel_mail(env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    let row = match is_valid_id(id) {
        true => crate::store::channels::channel_mail(&crate::store::directory(env)?, id).await?,
        false => None,
    };
    match row.filter(|r| r.account_id.as_str() == me.account_id) {
        Some(r) => http::json(&r.into_api()),
        None => fail(ErrorCode::UnknownChannel, "no such channel"),
    }
}

/// `POST /api/v1/console/channels/:id/mail`: sets the channel's mail settings (admins).
pub(crate) async fn set_channel_mail(mut req: Request, env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    let body: parley_protocol::admin::ChannelMail = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let valid = match body.validate() {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    let db = crate::store::directory(env)?;
    if !is_valid_id(id) || !crate::store::channels::set_channel_mail(&db, &me.account_id, id, &valid).await? {
        return fail(ErrorCode::UnknownChannel, "no such channel");
    }
    http::json(&valid)
}
