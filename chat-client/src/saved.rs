//! Reads the outbox a page saved ([`Pending`]s, written as JSON by the driver) back from a
//! parsed JSON value one field at a time, without serde, through the same
//! [`parley_protocol::flat::Json`] view the widget reads its server frames with: in the browser
//! the value is what `JSON.parse` gave, and `serde_wasm_bindgen`'s deserializer for
//! `Vec<Pending>` was the last thing linking it into the widget (issue 17).
//!
//! Acceptance is the same as `serde_wasm_bindgen::from_value::<Vec<Pending>>` on the same value:
//! an array of objects, each with a string `client_id`, a string `text` and a whole `since`
//! (unknown fields ignored); anything else is refused as a whole, never half-read and never a
//! panic. `tests/saved_outbox.rs` compares it with serde on the same inputs.

use parley_protocol::flat::Json;

use crate::Pending;

/// The saved outbox in `v`; `None` exactly when serde would refuse it.
pub fn read_outbox<J: Json>(v: &J) -> Option<Vec<Pending>> {
    if !v.is_array() {
        return None;
    }
    v.items()?.iter().map(pending).collect()
}

fn pending<J: Json>(v: &J) -> Option<Pending> {
    // An object; an array is one too for the browser's deserializer, which then finds none of
    // the fields by name (serde_json would read it by position: see the tests).
    if !v.is_object() {
        return None;
    }
    Some(Pending {
        client_id: v.field("client_id")?.string()?,
        text: v.field("text")?.string()?,
        since: v.field("since")?.uint()?,
        // Issue 21: absent, or null, is none (as serde's `default`); present, it must read.
        attachment: match v.field("attachment") {
            Some(a) if !a.is_null() => Some(a.string()?),
            _ => None,
        },
        file: match v.field("file") {
            Some(f) if !f.is_null() => Some(parley_protocol::flat::read_attachment(&f)?),
            _ => None,
        },
    })
}
