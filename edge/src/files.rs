//! Files in the chat (issue 21): the upload, the signed link, the read. The decisions are
//! `parley_core::attachments`' (type by content, name, JPEG metadata, token, link); this module
//! carries them out against R2 (`cost::files`, the `FILES` bucket) and D1 (`store::attachments`).
//!
//! - `POST /api/v1/conversations/:id/files?client_id=…&name=…`, the body the file's bytes: a
//!   participant of the conversation (`guard::file_participant`: the visitor with its id and
//!   token in headers, or an operator of its account). Refused by `Content-Length` before the
//!   body is read when it is over `MAX_ATTACHMENT_BYTES`, and on the bytes read in any case. The
//!   same (conversation, client id) answers the same file: a retry stores nothing more. The
//!   bytes are put in R2 first (atomic), the row written after: a failed upload leaves no row,
//!   and a row always has its bytes. The answer carries the token a `send` names the file with.
//! - `POST /api/v1/conversations/:id/files/:file/link`: the same participants get a link that
//!   reads the file for `ATTACHMENT_LINK_TTL_MS`.
//! - `GET /api/v1/files/:account/:conversation/:file?e=…&s=…`: the link. Forged or for another
//!   file: 403 `bad_file_link`; expired: 410 `file_link_expired`; erased: 404 `unknown_file`.
//!   Served with the detected type, `nosniff`, `attachment` for anything but an image, and a
//!   sandboxing CSP.

use parley_core::attachments::{self, LinkRefusal, Refusal};
use parley_core::keys::Purpose;
use parley_protocol::api::{FileLink, UploadedFile};
use parley_protocol::error::{ApiError, ErrorCode};
use parley_protocol::ids::is_valid_id;
use parley_protocol::limits::{
    ATTACHMENT_LINK_TTL_MS, MAX_ATTACHMENTS_PER_CONVERSATION, MAX_ATTACHMENT_BYTES, REPORT_MEDIA_LINK_TTL_MS,
};
use parley_protocol::protocol::AttachmentView;
use parley_reports::facts::MessageFact;
use worker::{Env, Request, Response, Result};

use crate::guard::{self, WsRole};
use crate::http::{self, fail};
use crate::store::attachments::AttachmentRow;
use crate::util::{new_id, now};

fn query(req: &Request, key: &str) -> Result<Option<String>> {
    Ok(req.url()?.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned()))
}

/// The answer for a participant: with CORS for a visitor's page.
fn answer(resp: Response, req: &Request, role: WsRole) -> Result<Response> {
    match (role, guard::origin(req)) {
        (WsRole::Visitor, Some(o)) => http::with_cors(resp, &o),
        _ => Ok(resp),
    }
}

fn uploaded(env: &Env, conversation_id: &str, view: AttachmentView) -> Result<Response> {
    let token = attachments::attachment_token(&guard::keys(env, Purpose::AttachmentToken)?, conversation_id, &view);
    http::json(&UploadedFile { attachment: view, token })
}

fn too_large() -> Result<Response> {
    fail(ErrorCode::FileTooLarge, format!("a file may have at most {MAX_ATTACHMENT_BYTES} bytes"))
}

/// The conversation's account and the caller, a participant of it (its visitor, by the headers,
/// or an operator of its account), or the refusal.
async fn participant(req: &Request, env: &Env, id: &str) -> Result<guard::Checked<(String, guard::Participant)>> {
    let (account_id, channel_id, visitor_id) = match crate::api::conversation_parties(env, id).await? {
        Ok(c) => c,
        Err(resp) => return Ok(Err(resp)),
    };
    let conv = (id, account_id.as_str(), channel_id.as_str(), visitor_id.as_str());
    Ok(guard::file_participant(req, env, conv).await?.map(|who| (account_id, who)))
}

/// `POST /api/v1/conversations/:id/files`.
pub(crate) async fn upload(mut req: Request, env: &Env, id: &str) -> Result<Response> {
    let (account_id, who) = match participant(&req, env, id).await? {
        Ok(p) => p,
        Err(resp) => return Ok(resp),
    };
    let role = who.role;
    let client_id = query(&req, "client_id")?.unwrap_or_default();
    if !is_valid_id(&client_id) {
        return fail(ErrorCode::Malformed, "?client_id= must be 1-64 characters of A-Z a-z 0-9 _ -");
    }
    let name = query(&req, "name")?.unwrap_or_default();
    let length = req.headers().get("Content-Length")?.and_then(|v| v.trim().parse::<u64>().ok());
    if length.is_some_and(|n| n > MAX_ATTACHMENT_BYTES as u64) {
        return too_large();
    }
    let shard = crate::store::shard(env, &account_id).await?;
    if let Some(row) = crate::store::attachments::by_client_id(&shard, id, &client_id).await? {
        return answer(uploaded(env, id, row.into_api())?, &req, role);
    }
    if crate::store::attachments::count(&shard, id).await? >= MAX_ATTACHMENTS_PER_CONVERSATION as u64 {
        let e = format!("this conversation holds its most files ({MAX_ATTACHMENTS_PER_CONVERSATION})");
        return fail(ErrorCode::TooManyFiles, e);
    }
    let bytes = req.bytes().await?;
    let accepted = match attachments::inspect(&name, &bytes) {
        Ok(a) => a,
        Err(Refusal::TooLarge) => return too_large(),
        Err(Refusal::NotAllowed) => {
            return fail(
                ErrorCode::FileTypeNotAllowed,
                "only images (PNG, JPEG, GIF, WebP), PDF, plain text and office documents can be sent",
            )
        }
        Err(Refusal::Mismatch { claimed }) => {
            let ext = claimed.extensions()[0];
            return fail(ErrorCode::FileTypeMismatch, format!("the file is named .{ext} but its content is not"));
        }
    };
    let file_id = new_id("f");
    let key = attachments::object_key(&account_id, id, &file_id);
    let content_type = accepted.kind.content_type();
    let disposition = attachments::content_disposition(accepted.kind.is_image(), &accepted.name);
    let files = crate::cost::files(env)?;
    let size = accepted.bytes.len() as u64;
    files.put(&key, accepted.bytes, content_type, &disposition).await?;
    let row = AttachmentRow {
        id: file_id,
        account_id: account_id.clone(),
        conversation_id: id.to_owned(),
        client_id: client_id.clone(),
        uploader_role: match role {
            WsRole::Visitor => "visitor".to_owned(),
            WsRole::Operator => "operator".to_owned(),
        },
        uploader_id: who.id,
        name: accepted.name,
        content_type: content_type.to_owned(),
        size,
        width: accepted.width,
        height: accepted.height,
        object_key: key.clone(),
        created_at: now().0,
    };
    let view = if crate::store::attachments::insert(&shard, &row).await? {
        row.into_api()
    } else {
        // A retry raced this upload and recorded first: answer its file, drop these bytes.
        files.delete(vec![key]).await?;
        match crate::store::attachments::by_client_id(&shard, id, &client_id).await? {
            Some(first) => first.into_api(),
            None => return http::refuse(ApiError::new(ErrorCode::Internal, "upload raced and lost")),
        }
    };
    answer(uploaded(env, id, view)?, &req, role)
}

/// `POST /api/v1/conversations/:id/files/:file/link`.
pub(crate) async fn link(req: Request, env: &Env, id: &str, file: &str) -> Result<Response> {
    let (account_id, who) = match participant(&req, env, id).await? {
        Ok(p) => p,
        Err(resp) => return Ok(resp),
    };
    let shard = crate::store::shard(env, &account_id).await?;
    if !is_valid_id(file) || crate::store::attachments::by_id(&shard, id, file).await?.is_none() {
        return fail(ErrorCode::UnknownFile, "no such file in this conversation");
    }
    let ring = guard::keys(env, Purpose::FileLink)?;
    let (q, expires_at) = attachments::file_link_query(&ring, &account_id, id, file, now().0, ATTACHMENT_LINK_TTL_MS);
    let origin = req.url()?.origin().ascii_serialization();
    let url = format!("{origin}/api/v1/files/{account_id}/{id}/{file}?{q}");
    answer(http::json(&FileLink { url, expires_at })?, &req, who.role)
}

/// Signs the link of every message's file (`Link media` of the Message history report), valid
/// `REPORT_MEDIA_LINK_TTL_MS` from now, at `origin`.
pub(crate) fn sign_media_links(env: &Env, origin: &str, account_id: &str, messages: &mut [MessageFact]) -> Result<()> {
    if messages.iter().all(|m| m.attachment.is_none()) {
        return Ok(());
    }
    let ring = guard::keys(env, Purpose::FileLink)?;
    let at = now().0;
    for m in messages {
        if let Some(file) = &m.attachment {
            let conversation = m.conversation_id.as_str();
            let (q, _) =
                attachments::file_link_query(&ring, account_id, conversation, &file.id, at, REPORT_MEDIA_LINK_TTL_MS);
            m.media_link = format!("{origin}/api/v1/files/{account_id}/{conversation}/{}?{q}", file.id);
        }
    }
    Ok(())
}

/// `GET /api/v1/files/:account/:conversation/:file?e=…&s=…`.
pub(crate) async fn read(
    req: Request,
    env: &Env,
    account_id: &str,
    conversation_id: &str,
    file: &str,
) -> Result<Response> {
    let (e, s) = (query(&req, "e")?.unwrap_or_default(), query(&req, "s")?.unwrap_or_default());
    let ring = guard::keys(env, Purpose::FileLink)?;
    match attachments::check_file_link(&ring, (account_id, conversation_id, file), &e, &s, now().0) {
        Ok(()) => {}
        Err(LinkRefusal::Bad) => return fail(ErrorCode::BadFileLink, "this file link does not check out"),
        Err(LinkRefusal::Expired) => return fail(ErrorCode::FileLinkExpired, "this file link expired"),
    }
    let key = attachments::object_key(account_id, conversation_id, file);
    let Some(object) = crate::cost::files(env)?.get(&key).await? else {
        return fail(ErrorCode::UnknownFile, "no such file in this conversation");
    };
    let meta = object.http_metadata();
    let size = object.size();
    let Some(body) = object.body() else {
        return fail(ErrorCode::UnknownFile, "no such file in this conversation");
    };
    let headers = worker::Headers::new();
    let content_type = meta.content_type.unwrap_or_else(|| "application/octet-stream".to_owned());
    let image = content_type.starts_with("image/");
    headers.set("Content-Type", &content_type)?;
    // Stored with the name; never `inline` for anything but an image.
    let disposition = meta.content_disposition.filter(|d| image || d.starts_with("attachment"));
    headers.set("Content-Disposition", disposition.as_deref().unwrap_or("attachment"))?;
    headers.set("Content-Length", &size.to_string())?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Content-Security-Policy", "default-src 'none'; sandbox")?;
    headers.set("Cache-Control", "private, max-age=300")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    Ok(Response::from_body(body.response_body()?)?.with_headers(headers))
}
