//! Pins wire protocol v3 (v1's frames; v2: senders no longer get their own message back; v3: read receipts): every fixture decodes to the expected value and re-encodes to the
//! very same JSON. A change that breaks a fixture breaks deployed widgets: bump
//! `PROTOCOL_VERSION` instead of editing a fixture.

use parley_protocol::protocol::{
    decode_client, decode_server, encode_client, encode_server, AttachmentView, Author, ClientMsg, ErrorCode, Hidden,
    MessageView, OperatorMsg, PageVisit, Role, Routing, ServerMsg, Status, VisitorInfo,
};
use parley_protocol::Millis;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")).trim().to_owned()
}

fn client(name: &str, expected: ClientMsg) {
    let json = fixture(name);
    assert_eq!(decode_client(&json).unwrap(), expected, "{name} decodes");
    assert_eq!(encode_client(&expected), json, "{name} encodes byte for byte");
}

/// Pins a server frame as operators read it ([`OperatorMsg`]) and, unless it carries what
/// only operators see, as visitors read it ([`ServerMsg`]): the same bytes on both sides.
fn server(name: &str, expected: OperatorMsg) {
    let json = fixture(name);
    assert_eq!(decode_server::<VisitorInfo>(&json).unwrap(), expected, "{name} decodes");
    assert_eq!(encode_server(&expected), json, "{name} encodes byte for byte");
    let operators_only = matches!(expected, ServerMsg::Visitor { .. } | ServerMsg::Welcome { visitor: Some(_), .. });
    let visitor_side = decode_server::<Hidden>(&json);
    if operators_only {
        assert!(visitor_side.is_err(), "{name} is refused on the visitor's side");
    } else {
        let msg: ServerMsg = visitor_side.unwrap_or_else(|e| panic!("{name} decodes on the visitor's side: {e}"));
        assert_eq!(encode_server(&msg), json, "{name} encodes byte for byte on the visitor's side");
    }
}

fn dana() -> Author {
    Author { role: Role::Operator, name: "Dana".into() }
}

fn shopper() -> VisitorInfo {
    VisitorInfo {
        name: String::new(),
        language: "es-ES".into(),
        country: "ES".into(),
        pages: vec![PageVisit {
            url: "https://shop.example/pricing".into(),
            title: "Pricing".into(),
            at: Millis(1_700_000_000_000),
        }],
    }
}

#[test]
fn client_frames() {
    client("client_hello", ClientMsg::Hello { protocol: 2, last_seq: 42 });
    client(
        "client_send",
        ClientMsg::Send { client_id: "m_01".into(), text: "Do you ship to Norway?".into(), attachment: None },
    );
    // Issue 21: a file (the upload's token), no words needed.
    client(
        "client_send_attachment",
        ClientMsg::Send {
            client_id: "m_02".into(),
            text: String::new(),
            attachment: Some("eyJpZCI6ImZfMDEifQ.0a1b2c3d.c2ln".into()),
        },
    );
    client("client_typing", ClientMsg::Typing { typing: true });
    client("client_ping", ClientMsg::Ping);
    client("client_end", ClientMsg::End);
    client("client_page", ClientMsg::Page { url: "https://shop.example/pricing".into(), title: "Pricing".into() });
    // v3: read receipts.
    client("client_read", ClientMsg::Read { seq: 4 });
}

/// v3 (issue 21): how far each side has read, in its own frame and in the `welcome`.
#[test]
fn read_receipt_frames() {
    server("server_read", ServerMsg::Read { visitor_read: 4, operator_read: 0 });
    server("server_read_operator", ServerMsg::Read { visitor_read: 0, operator_read: 3 });
    server(
        "server_welcome_read",
        ServerMsg::Welcome {
            protocol: 3,
            conversation_id: "c_01".into(),
            status: Status::Active,
            you: Author { role: Role::Visitor, name: "Visitor".into() },
            history: vec![],
            last_seq: 4,
            routing: None,
            visitor: None,
            visitor_read: 4,
            operator_read: 3,
        },
    );
}

#[test]
fn server_frames() {
    let visitor = Author { role: Role::Visitor, name: "Visitor".into() };
    server(
        "server_welcome",
        ServerMsg::Welcome {
            protocol: 2,
            conversation_id: "c_01".into(),
            status: Status::Active,
            you: visitor.clone(),
            history: vec![
                MessageView {
                    seq: 1,
                    client_id: "m_01".into(),
                    author: visitor,
                    text: "Hi".into(),
                    at: Millis(1_700_000_000_000),
                    attachment: None,
                },
                MessageView {
                    seq: 2,
                    client_id: "m_02".into(),
                    author: dana(),
                    text: "Hello!".into(),
                    at: Millis(1_700_000_001_000),
                    attachment: None,
                },
            ],
            last_seq: 2,
            routing: None,
            visitor: None,
            visitor_read: 0,
            operator_read: 0,
        },
    );
    server(
        "server_history",
        ServerMsg::History {
            history: vec![
                MessageView {
                    seq: 3,
                    client_id: "m_03".into(),
                    author: Author { role: Role::Visitor, name: "Visitor".into() },
                    text: "Norway, then?".into(),
                    at: Millis(1_700_000_002_000),
                    attachment: None,
                },
                MessageView {
                    seq: 4,
                    client_id: "m_04".into(),
                    author: dana(),
                    text: "Yes, to Norway too.".into(),
                    at: Millis(1_700_000_003_000),
                    attachment: None,
                },
            ],
        },
    );
    server(
        "server_welcome_operator",
        ServerMsg::Welcome {
            protocol: 2,
            conversation_id: "c_01".into(),
            status: Status::Waiting,
            you: dana(),
            history: vec![],
            last_seq: 0,
            routing: Some(Routing::Assigned { name: "Dana".into() }),
            visitor: Some(shopper()),
            visitor_read: 0,
            operator_read: 0,
        },
    );
    server(
        "server_routing_queued",
        ServerMsg::Routing { routing: Routing::Queued { position: 2, estimated_wait_ms: Some(300_000) } },
    );
    server(
        "server_routing_offline",
        ServerMsg::Routing { routing: Routing::Queued { position: 1, estimated_wait_ms: None } },
    );
    server("server_routing_assigned", ServerMsg::Routing { routing: Routing::Assigned { name: "Sam".into() } });
    server("server_visitor", ServerMsg::Visitor { visitor: shopper() });
    server(
        "server_incompatible",
        ServerMsg::Incompatible { reason: "protocol 1 is not supported; this server speaks 2".into(), supported: 2 },
    );
    server("server_ack", ServerMsg::Ack { client_id: "m_01".into(), seq: 7, at: Millis(1_700_000_000_000) });
    server(
        "server_message",
        ServerMsg::Message {
            message: MessageView {
                seq: 7,
                client_id: "m_01".into(),
                author: dana(),
                text: "<b>not bold</b>".into(),
                at: Millis(1_700_000_000_000),
                attachment: None,
            },
        },
    );
    // Issue 21: a message with a file.
    server(
        "server_message_attachment",
        ServerMsg::Message {
            message: MessageView {
                seq: 8,
                client_id: "m_02".into(),
                author: Author { role: Role::Visitor, name: "Visitor".into() },
                text: String::new(),
                at: Millis(1_700_000_001_000),
                attachment: Some(AttachmentView {
                    id: "f_01".into(),
                    name: "screenshot.png".into(),
                    content_type: "image/png".into(),
                    size: 48_213,
                    width: Some(1280),
                    height: Some(720),
                }),
            },
        },
    );
    server("server_typing", ServerMsg::Typing { author: dana(), typing: false });
    server("server_status", ServerMsg::Status { status: Status::Closed });
    server(
        "server_error",
        ServerMsg::Error {
            code: ErrorCode::MessageTooLong,
            message: "message of 4001 characters exceeds the limit of 4000".into(),
            client_id: None,
        },
    );
    server(
        "server_error_send",
        ServerMsg::Error {
            code: ErrorCode::RateLimited,
            message: "too many messages, slow down and retry".into(),
            client_id: Some("m_09".into()),
        },
    );
    server(
        "server_error_full",
        ServerMsg::Error {
            code: ErrorCode::ConversationFull,
            message: "this conversation holds its most messages".into(),
            client_id: Some("m_10".into()),
        },
    );
    server("server_pong", ServerMsg::Pong);
}
