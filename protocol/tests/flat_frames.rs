//! The widget's serde-free reader of server frames (`parley_protocol::flat`) accepts exactly
//! what serde accepts, and reads the same value: every server wire fixture, and frames that are
//! wrong in every way serde can see. (Arrays standing for structs are left out: serde_json reads
//! them by position, the browser's `serde_wasm_bindgen` — the widget's serde today — refuses
//! them, and so does the reader.)

use parley_protocol::flat::read_server;
use parley_protocol::protocol::{Hidden, ServerMsg};
use serde_json::Value;

fn both(json: &str) -> (Option<ServerMsg<Hidden>>, Option<ServerMsg<Hidden>>) {
    let value: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    (read_server(&value), serde_json::from_value::<ServerMsg<Hidden>>(value).ok())
}

#[test]
fn every_server_fixture_reads_as_serde_reads_it() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    let mut accepted = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("server_") {
            continue;
        }
        let json = std::fs::read_to_string(&path).unwrap();
        let (flat, serde) = both(&json);
        assert_eq!(flat, serde, "{name}");
        seen += 1;
        accepted += usize::from(serde.is_some());
    }
    assert_eq!(seen, 20, "every server fixture");
    // Only the operators' two (a visitor's details) are refused on the visitor's side.
    assert_eq!(accepted, 18);
}

const MALFORMED: &[&str] = &[
    // Not a frame.
    r#"null"#,
    r#""pong""#,
    r#"7"#,
    r#"{}"#,
    r#"{"type":null}"#,
    r#"{"type":7}"#,
    r#"{"type":"shout"}"#,
    r#"{"type":"Pong"}"#,
    r#"{"status":"closed"}"#,
    // Missing required fields.
    r#"{"type":"ack","client_id":"m1"}"#,
    r#"{"type":"ack","client_id":"m1","seq":1}"#,
    r#"{"type":"ack","client_id":"m1","seq":null,"at":1}"#,
    r#"{"type":"incompatible","reason":"old"}"#,
    r#"{"type":"status"}"#,
    r#"{"type":"routing"}"#,
    r#"{"type":"typing","typing":true}"#,
    r#"{"type":"typing","author":{"role":"operator","name":"Sam"}}"#,
    r#"{"type":"typing","author":{"role":"operator"},"typing":true}"#,
    r#"{"type":"error","message":"no code"}"#,
    r#"{"type":"error","code":"malformed"}"#,
    r#"{"type":"welcome","protocol":1,"conversation_id":"c","status":"active","you":{"role":"visitor","name":"V"},"history":[]}"#,
    r#"{"type":"welcome","protocol":1,"conversation_id":"c","status":"active","you":{"role":"visitor","name":"V"},"last_seq":0}"#,
    r#"{"type":"message","message":{"seq":1,"client_id":"m","author":{"role":"visitor","name":"V"},"text":"t"}}"#,
    r#"{"type":"visitor"}"#,
    r#"{"type":"read","visitor_read":"3"}"#,
    r#"{"type":"read","operator_read":null,"visitor_read":-3}"#,
    // Wrong shapes.
    r#"{"type":"message","message":"text, not a message"}"#,
    r#"{"type":"message","message":[1]}"#,
    r#"{"type":"error","code":"malformed","message":{"seq":1}}"#,
    r#"{"type":"error","code":"slow","message":"x"}"#,
    r#"{"type":"error","code":7,"message":"x"}"#,
    r#"{"type":"error","code":"malformed","message":7}"#,
    r#"{"type":"error","code":"malformed","message":"x","client_id":5}"#,
    r#"{"type":"status","status":"open"}"#,
    r#"{"type":"status","status":{"closed":1}}"#,
    r#"{"type":"status","status":{"closed":null,"active":null}}"#,
    r#"{"type":"status","status":{}}"#,
    r#"{"type":"status","status":["closed"]}"#,
    r#"{"type":"routing","routing":"queued"}"#,
    r#"{"type":"routing","routing":{"queued":{}}}"#,
    r#"{"type":"routing","routing":{"queued":{"position":-1}}}"#,
    r#"{"type":"routing","routing":{"queued":{"position":4294967296}}}"#,
    r#"{"type":"routing","routing":{"queued":{"position":1,"estimated_wait_ms":"soon"}}}"#,
    r#"{"type":"routing","routing":{"queued":null}}"#,
    r#"{"type":"routing","routing":{"assigned":{"name":null}}}"#,
    r#"{"type":"routing","routing":{"assigned":{"name":"Sam"},"queued":{"position":1}}}"#,
    r#"{"type":"routing","routing":{"transferred":{"name":"Sam"}}}"#,
    r#"{"type":"ack","client_id":"m1","seq":1.5,"at":1}"#,
    r#"{"type":"ack","client_id":"m1","seq":1,"at":-3}"#,
    r#"{"type":"ack","client_id":7,"seq":1,"at":1}"#,
    r#"{"type":"incompatible","reason":"old","supported":4294967296}"#,
    r#"{"type":"typing","author":{"role":"robot","name":"R"},"typing":true}"#,
    r#"{"type":"typing","author":"Sam","typing":true}"#,
    r#"{"type":"typing","author":{"role":"operator","name":"Sam"},"typing":"yes"}"#,
    r#"{"type":"welcome","protocol":1,"conversation_id":"c","status":"active","you":{"role":"visitor","name":"V"},"history":{},"last_seq":0}"#,
    r#"{"type":"welcome","protocol":1,"conversation_id":"c","status":"active","you":{"role":"visitor","name":"V"},"history":[{"seq":1}],"last_seq":0}"#,
    r#"{"type":"welcome","protocol":1,"conversation_id":"c","status":"active","you":{"role":"visitor","name":"V"},"history":"none","last_seq":0}"#,
    // Operators only: a visitor's frame cannot carry the visitor's details.
    r#"{"type":"visitor","visitor":{"name":"","language":"","country":"","pages":[]}}"#,
    r#"{"type":"visitor","visitor":1}"#,
    r#"{"type":"pong","visitor":{}}"#,
    // A field another frame type knows, of the wrong shape, refuses any frame (serde reads
    // them all).
    r#"{"type":"pong","seq":"x"}"#,
    r#"{"type":"pong","status":"open"}"#,
    r#"{"type":"read","visitor_read":1.5}"#,
    r#"{"type":"pong","visitor_read":"x"}"#,
    r#"{"type":"welcome","protocol":3,"conversation_id":"c","status":"active","you":{"role":"visitor","name":"V"},"history":[],"last_seq":0,"operator_read":-2}"#,
    r#"{"type":"status","status":"closed","message":false}"#,
    r#"{"type":"ack","client_id":"m1","seq":1,"at":1,"typing":1}"#,
];

/// Frames serde accepts beyond the fixtures: nulls for optional fields, fields of other frame
/// types, unknown fields, unit variants written as `{"name": null}`.
const ACCEPTED: &[&str] = &[
    r#"{"type":"pong"}"#,
    r#"{"type":"pong","extra":[1,{"a":2}]}"#,
    r#"{"type":"pong","visitor":null,"routing":null,"message":null}"#,
    r#"{"type":"pong","seq":3,"status":"closed","message":"hi"}"#,
    r#"{"type":"status","status":{"closed":null}}"#,
    r#"{"type":"status","status":"waiting","author":{"role":{"operator":null},"name":"x"}}"#,
    r#"{"type":"error","code":"rate_limited","message":"slow","client_id":null}"#,
    r#"{"type":"error","code":"rate_limited","message":"slow","client_id":"m2"}"#,
    r#"{"type":"routing","routing":{"queued":{"position":1,"estimated_wait_ms":null}}}"#,
    r#"{"type":"routing","routing":{"queued":{"position":4294967295,"estimated_wait_ms":0,"x":1}}}"#,
    r#"{"type":"routing","routing":{"assigned":{"name":"Sam"}}}"#,
    r#"{"type":"message","message":{"seq":1,"client_id":"m","author":{"role":"visitor","name":"V"},"text":"t","at":2,"extra":true}}"#,
    r#"{"type":"welcome","protocol":1,"conversation_id":"c","status":"active","you":{"role":"visitor","name":"V"},"history":[],"last_seq":0,"routing":null,"visitor":null}"#,
    r#"{"type":"welcome","protocol":3,"conversation_id":"c","status":"active","you":{"role":"visitor","name":"V"},"history":[],"last_seq":5,"visitor_read":null,"operator_read":5}"#,
    r#"{"type":"read","operator_read":0,"visitor_read":null}"#,
    r#"{"type":"read","visitor_read":4,"role":"robot"}"#,
];

#[test]
fn malformed_frames_are_refused_by_both() {
    for json in MALFORMED {
        assert_eq!(both(json), (None, None), "{json}");
    }
}

#[test]
fn other_frames_serde_accepts_read_the_same() {
    for json in ACCEPTED {
        let (flat, serde) = both(json);
        assert!(serde.is_some(), "serde accepts {json}");
        assert_eq!(flat, serde, "{json}");
    }
}
