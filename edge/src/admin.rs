//! Accounts and people: operators (admin CRUD), the operator's own settings, channels and
//! their hosts, canned responses, and offline messages ("leave a message").

use worker::{Env, Request, Response, Result};

use crate::http::error;

pub async fn route(_req: Request, _env: &Env) -> Result<Response> {
    error(404, "not_found", "no such API route")
}
