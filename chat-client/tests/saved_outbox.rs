//! The driver's serde-free reader of a saved outbox (`parley_chat_client::read_outbox`) accepts
//! exactly what serde accepts for `Vec<Pending>` and reads the same value: what the driver
//! writes, and saved values corrupted in every way serde can see. None of them panics. (Arrays
//! standing for a `Pending` are left out of the comparison: serde_json reads them by position,
//! the browser's `serde_wasm_bindgen` — what read the outbox before — finds none of the fields
//! by name in them and refuses them, and so does the reader; `arrays_for_entries_are_refused`.)

use parley_chat_client::{read_outbox, Pending};
use serde_json::Value;

fn both(json: &str) -> (Option<Vec<Pending>>, Option<Vec<Pending>>) {
    let value: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    (read_outbox(&value), serde_json::from_value::<Vec<Pending>>(value).ok())
}

fn pending(client_id: &str, text: &str, since: u64) -> Pending {
    Pending { client_id: client_id.into(), text: text.into(), since, attachment: None, file: None }
}

#[test]
fn what_the_driver_writes_reads_back() {
    let outboxes = [
        vec![],
        vec![pending("m_1", "hello", 1_700_000_000_000)],
        vec![
            pending("m_1", "first", 0),
            pending("m_2", "«ünïcödé» \"quoted\"\nline\u{1F600}", 9_007_199_254_740_991),
            pending("", "", 1),
        ],
    ];
    for outbox in outboxes {
        let json = serde_json::to_string(&outbox).unwrap();
        let (flat, serde) = both(&json);
        assert_eq!(flat.as_ref(), Some(&outbox), "{json}");
        assert_eq!(flat, serde, "{json}");
    }
}

const ACCEPTED: &[&str] = &[
    r#"[]"#,
    r#"[{"client_id":"m","text":"t","since":5}]"#,
    // Unknown fields are ignored, order does not matter.
    r#"[{"since":5,"extra":[1,{"a":null}],"text":"t","client_id":"m"}]"#,
    r#"[{"client_id":"m","text":"t","since":5},{"client_id":"n","text":"u","since":6}]"#,
];

const REFUSED: &[&str] = &[
    // Not an outbox.
    r#"null"#,
    r#"true"#,
    r#"7"#,
    r#""m_1""#,
    r#"{}"#,
    r#"{"client_id":"m","text":"t","since":5}"#,
    r#"{"0":{"client_id":"m","text":"t","since":5}}"#,
    // Entries that are not messages.
    r#"[null]"#,
    r#"[7]"#,
    r#"["m"]"#,
    r#"[{}]"#,
    r#"[{"client_id":"m","text":"t","since":5},null]"#,
    // Missing fields.
    r#"[{"text":"t","since":5}]"#,
    r#"[{"client_id":"m","since":5}]"#,
    r#"[{"client_id":"m","text":"t"}]"#,
    // Null or wrong types.
    r#"[{"client_id":null,"text":"t","since":5}]"#,
    r#"[{"client_id":"m","text":null,"since":5}]"#,
    r#"[{"client_id":"m","text":"t","since":null}]"#,
    r#"[{"client_id":7,"text":"t","since":5}]"#,
    r#"[{"client_id":"m","text":["t"],"since":5}]"#,
    r#"[{"client_id":"m","text":{"t":1},"since":5}]"#,
    r#"[{"client_id":"m","text":"t","since":"5"}]"#,
    r#"[{"client_id":"m","text":"t","since":-1}]"#,
    r#"[{"client_id":"m","text":"t","since":1.5}]"#,
    r#"[{"client_id":"m","text":"t","since":true}]"#,
    // One bad entry refuses the whole outbox, as serde does.
    r#"[{"client_id":"m","text":"t","since":5},{"client_id":"n","text":"u"}]"#,
];

#[test]
fn accepts_what_serde_accepts() {
    for json in ACCEPTED {
        let (flat, serde) = both(json);
        assert!(serde.is_some(), "serde accepts {json}");
        assert_eq!(flat, serde, "{json}");
    }
}

#[test]
fn refuses_what_serde_refuses() {
    for json in REFUSED {
        let (flat, serde) = both(json);
        assert_eq!(serde, None, "serde refuses {json}");
        assert_eq!(flat, None, "{json}");
    }
}

#[test]
fn arrays_for_entries_are_refused() {
    // serde_json reads a struct from an array by position; the browser's deserializer (and
    // the reader) look fields up by name and find none.
    let value: Value = serde_json::from_str(r#"[["m","t",5]]"#).unwrap();
    assert!(serde_json::from_value::<Vec<Pending>>(value.clone()).is_ok());
    assert_eq!(read_outbox(&value), None);
}
