//! The deployment's settings, read once per isolate from the worker's variables and secrets
//! and parsed by [`parley_core::config::Config::parse`]. A malformed value fails every call
//! that needs the configuration (500; the log names the variable) instead of being ignored.

use std::cell::RefCell;

use parley_core::config::Config;
use worker::{Env, Result};

thread_local! {
    static CONFIG: RefCell<Option<Config>> = const { RefCell::new(None) };
}

/// The settings (parsed at the first call of this isolate; an error is not kept, so a fixed
/// variable takes effect with the next isolate and every call meanwhile says what is wrong).
pub fn get(env: &Env) -> Result<Config> {
    if let Some(c) = CONFIG.with(|c| c.borrow().clone()) {
        return Ok(c);
    }
    let lookup =
        |name: &str| env.secret(name).map(|s| s.to_string()).or_else(|_| env.var(name).map(|v| v.to_string())).ok();
    let config = Config::parse(lookup).map_err(|e| worker::Error::RustError(e.to_string()))?;
    CONFIG.with(|c| *c.borrow_mut() = Some(config.clone()));
    Ok(config)
}
