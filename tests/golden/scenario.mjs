// The golden reports scenario (issue 7, point 3): one day of facts with exact timestamps,
// written straight into the local D1 (after the migrations and the demo seed) as the edge's
// own syncs would have left them. The expected CSVs in this folder were written by hand from
// the seeds' definitions and the interpretation notes in reports/src/*.rs; the story
// each row tells is in the comments below. All times are UTC on Wednesday 2026-11-18.
//
// People (demo seed + this file): Dana (op_demo, admin), Sam (op_sam), Kim (op_kim, added),
// Lee (op_lee, added, disabled). Channels: `demo` (chat button btn_demo, auto-invite
// ep_welcome "Welcome invite", both from the demo seed) and `sales` (chat button btn_sales,
// added). Hosts: h_demo_ip (127.0.0.1) and h_demo_local (localhost) from the demo seed.
//
// Shifts (activity_intervals):
//   Dana online 09:00–12:00, offline 12:00–13:00 (a pause), online 13:00–21:00, offline
//        21:00–08:00 next day;
//   Sam  online 09:30–16:30, offline 16:30–09:00 next day;
//   Kim  online 12:00–14:00, offline 14:00–14:30 (a pause), online 14:30–18:00, offline
//        18:00–08:00 next day.
//
// Conversations (created in the period unless said otherwise):
//   c01 09:10 demo, button, decision 3.5 s: opening text, Dana (routed 09:10:02) answers two
//       runs, the visitor's last message is unanswered, Dana closes at 09:12; rated good with a
//       comment holding a comma; success code Sale; goal "Signed up" (49); identified visitor
//       (Ann, DE); pages: pricing (where it started), then checkout at 09:11:40; tag sales.
//   c02 10:00 demo, Welcome invite, decision 12.4 s: Dana (routed) passes the chat to Sam
//       (transferred 10:02:00); Sam answers; the visitor closes at 10:06; rated bad with a
//       comment holding a comma and quotes; Spanish text (non-ASCII lengths); country ES;
//       the visitor went on to "Precios, planes" at 10:03:30; tags billing, spanish saved by
//       Dana (outcome_by) although the chat ended with Sam.
//   c03 13:30 sales, button, no decision time: Kim (routed) answers once and closes at 13:35
//       (before her 14:00 pause); the visitor skipped the survey (not_rated); success code
//       Resolved (saved by Kim); tag shipping.
//   c04 15:00 demo, button, decision 0.8 s: Dana (dequeued at 15:00:02), two visitor runs
//       (the second of two messages), an operator message at a half second, timed out at
//       15:10; never answered the survey; goals "Saw pricing" (5, first) and "Signed up" (49);
//       tags sales, trial.
//   c05 16:00 demo, Welcome invite, decision 5 s: routed to Sam, who never writes (visitor
//       only); the visitor closes at 16:05; Sam blocks the visitor from this chat at 16:05:30
//       ("Spam, repeated"); Dana lifts the block the next morning; tag spam.
//   c06 17:00 sales, button: nobody was assigned, no messages; the visitor leaves at 17:00:30;
//       tag spam (nobody's: no operator, no outcome saved).
//   c07 20:00 demo, button, decision 2 s: Dana answers; still open.
//   c00 created 2026-11-17 23:59:59 (the day before; 00:59:59 on the 18th in Berlin: only the
//       Berlin day's golden, by_hour@berlin, has it) and c98 of another account: in no report.
//
// Hourly tallies: traffic of btn_demo and ep_welcome at 09:00 and btn_sales at 13:00; the
// Welcome invite's funnel at 09:00 and 10:00; one tally the hour before the period and one the
// hour after it (in no report).

/** 2026-11-18 00:00:00 UTC. */
export const D = Date.UTC(2026, 10, 18);
export const FROM = D;
export const TO = D + 24 * 3_600_000;

/** ms of `hh:mm:ss(.mmm)` on the scenario's day (hours past 24 reach the next day). */
export function at(hms) {
  const [h, m, s] = hms.split(":").map(Number);
  return D + Math.round(((h * 60 + m) * 60 + s) * 1000);
}

const q = (v) => (v === null || v === undefined ? "NULL" : typeof v === "number" ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
const values = (rows) => rows.map((r) => `(${r.map(q).join(", ")})`).join(",\n  ");

// id, channel, visitor, status, created, page_url, closed, closed_by, no_operator_response,
// operator_id, operator_name, request_type, request_source, entry_point_id, decision_ms,
// survey_result, survey_comment, success_code, tags, visitor_email, visitor_identifier,
// anonymous, session_id, host_id
export const CONVERSATIONS = [
  ["c01", "demo", "v_01", "closed", at("09:10:00"), "https://shop.example/pricing", at("09:12:00"), "operator", 0,
    "op_demo", "Dana", "button", "Chat button", "btn_demo", 3500, "good", "Fast, thanks", "Sale", '["sales"]',
    "ann@example.com", "ann@example.com", 0, "ses_01", "h_demo_local"],
  ["c02", "demo", "v_02", "closed", at("10:00:00"), "https://shop.example/es/factura", at("10:06:00"), "visitor", 0,
    "op_sam", "Sam", "invite", "Welcome invite", "ep_welcome", 12400, "bad", 'Too slow, "really"', null, '["billing","spanish"]',
    "", "", 1, "ses_02", "h_demo_ip"],
  ["c03", "sales", "v_03", "closed", at("13:30:00"), "https://shop.example/shipping", at("13:35:00"), "operator", 0,
    "op_kim", "Kim", "button", "Chat button", "btn_sales", null, "not_rated", "", "Resolved", '["shipping"]',
    "", "v_03", 1, "ses_03", "h_demo_local"],
  ["c04", "demo", "v_04", "closed", at("15:00:00"), "https://shop.example/trial", at("15:10:00"), "timeout", 0,
    "op_demo", "Dana", "button", "Chat button", "btn_demo", 800, "", "", null, '["sales","trial"]',
    "", "v_04", 1, "ses_04", "h_demo_local"],
  ["c05", "demo", "v_05", "closed", at("16:00:00"), "https://shop.example/", at("16:05:00"), "visitor", 1,
    "op_sam", "Sam", "invite", "Welcome invite", "ep_welcome", 5000, "", "", null, '["spam"]',
    "", "v_05", 1, "ses_05", "h_demo_ip"],
  ["c06", "sales", "v_06", "closed", at("17:00:00"), "https://shop.example/contact", at("17:00:30"), "visitor", 0,
    null, "", "button", "Chat button", "btn_sales", null, "", "", null, '["spam"]',
    "", "v_06", 1, "ses_06", "h_demo_local"],
  ["c07", "demo", "v_07", "active", at("20:00:00"), "https://shop.example/pricing", null, null, 0,
    "op_demo", "Dana", "button", "Chat button", "btn_demo", 2000, "", "", null, "[]",
    "", "v_07", 1, "ses_07", "h_demo_local"],
  // Created one second before the period (closed in it): in no report.
  ["c00", "demo", "v_00", "closed", D - 1000, "https://shop.example/", at("00:10:00"), "operator", 0,
    "op_demo", "Dana", "button", "Chat button", "btn_demo", 1000, "good", "", null, "[]",
    "", "v_00", 1, "ses_00", "h_demo_local"],
];

// id, visitor_name, visitor_country, outcome_by, pages seen during the chat [url, title, hh:mm:ss]
// (conversations without a row here: no name, no country, nobody saved an outcome, no pages).
export const DETAILS = [
  ["c01", "Ann", "DE", "op_demo", [["https://shop.example/pricing", "Pricing", "09:10:00"],
    ["https://shop.example/checkout", "Checkout", "09:11:40"]]],
  ["c02", "", "ES", "op_demo", [["https://shop.example/es/precios", "Precios, planes", "10:03:30"]]],
  ["c03", "", "", "op_kim", []],
];

// conversation, seq, role, operator_id, author_name, text, at
export const MESSAGES = [
  ["c01", 1, "system", null, "Demo channel", "Hi! Ask us anything about Parley.", at("09:10:00")],
  ["c01", 2, "visitor", null, "Ann", "Hello, I need a price", at("09:10:05")],
  ["c01", 3, "operator", "op_demo", "Dana", "Hi, Dana here. Which plan?", at("09:10:25")],
  ["c01", 4, "visitor", null, "Ann", "Pro", at("09:10:40")],
  ["c01", 5, "operator", "op_demo", "Dana", "Pro is 49 € a month", at("09:11:10")],
  ["c01", 6, "visitor", null, "Ann", "Thanks, bye", at("09:11:30")],

  ["c02", 1, "visitor", null, "Visitor", "Hola, ¿hablan español?", at("10:00:10")],
  ["c02", 2, "operator", "op_demo", "Dana", "One moment, I'll pass you to Sam", at("10:00:40")],
  ["c02", 3, "operator", "op_sam", "Sam", "¡Hola! Soy Sam.", at("10:02:30")],
  ["c02", 4, "visitor", null, "Visitor", "Necesito ayuda con mi factura", at("10:03:00")],
  ["c02", 5, "operator", "op_sam", "Sam", "Claro, ¿cuál es el número?", at("10:04:00")],
  ["c02", 6, "visitor", null, "Visitor", "F-2026-118", at("10:05:00")],

  ["c03", 1, "visitor", null, "Visitor", "Do you ship to Vietnam?", at("13:30:10")],
  ["c03", 2, "operator", "op_kim", "Kim", "Yes, in 5 days", at("13:30:50")],

  ["c04", 1, "visitor", null, "Visitor", "Is there a free trial?", at("15:00:05")],
  ["c04", 2, "operator", "op_demo", "Dana", "Yes, 14 days", at("15:01:05")],
  ["c04", 3, "visitor", null, "Visitor", "Great", at("15:01:20")],
  ["c04", 4, "visitor", null, "Visitor", "How do I start?", at("15:01:25")],
  ["c04", 5, "operator", "op_demo", "Dana", "Click Sign up", at("15:02:00.5")],

  ["c05", 1, "visitor", null, "Visitor", "Hello?", at("16:00:10")],
  ["c05", 2, "visitor", null, "Visitor", "Anyone there?", at("16:01:10")],

  ["c07", 1, "visitor", null, "Visitor", "Hi", at("20:00:05")],
  ["c07", 2, "operator", "op_demo", "Dana", "Hello!", at("20:00:20")],

  ["c00", 1, "visitor", null, "Visitor", "Late question", D - 500],
];

const assigned = (conv, seq, op, how, t, from) => [conv, seq, t, "assigned",
  JSON.stringify({ kind: "assigned", operator_id: op, how, ...(from ? { from } : {}) })];
// conversation, seq, at, kind, detail (conversation_events; only `assigned` rows are read)
export const EVENTS = [
  ["c01", 1, at("09:10:00"), "created", '{"kind":"created"}'],
  assigned("c01", 2, "op_demo", "routed", at("09:10:02")),
  ["c01", 3, at("09:12:00"), "closed", '{"kind":"closed","by":"operator"}'],
  assigned("c02", 1, "op_demo", "routed", at("10:00:01")),
  assigned("c02", 2, "op_sam", "transferred", at("10:02:00"), "op_demo"),
  assigned("c03", 1, "op_kim", "routed", at("13:30:03")),
  assigned("c04", 1, "op_demo", "dequeued", at("15:00:02")),
  assigned("c05", 1, "op_sam", "routed", at("16:00:01")),
  assigned("c07", 1, "op_demo", "routed", at("20:00:01")),
  assigned("c00", 1, "op_demo", "routed", D - 900),
];

// activity_id, account, operator, state, start, end
export const ACTIVITY = [
  ["act_d1", "acc_demo", "op_demo", "online", at("09:00:00"), at("12:00:00")],
  ["act_d2", "acc_demo", "op_demo", "offline", at("12:00:00"), at("13:00:00")],
  ["act_d3", "acc_demo", "op_demo", "online", at("13:00:00"), at("21:00:00")],
  ["act_d4", "acc_demo", "op_demo", "offline", at("21:00:00"), at("32:00:00")],
  ["act_s1", "acc_demo", "op_sam", "online", at("09:30:00"), at("16:30:00")],
  ["act_s2", "acc_demo", "op_sam", "offline", at("16:30:00"), at("33:00:00")],
  ["act_k1", "acc_demo", "op_kim", "online", at("12:00:00"), at("14:00:00")],
  ["act_k2", "acc_demo", "op_kim", "offline", at("14:00:00"), at("14:30:00")],
  ["act_k3", "acc_demo", "op_kim", "online", at("14:30:00"), at("18:00:00")],
  ["act_k4", "acc_demo", "op_kim", "offline", at("18:00:00"), at("32:00:00")],
];

// account, channel, entry point, hour, metric, n
const H9 = at("09:00:00"), H10 = at("10:00:00"), H13 = at("13:00:00");
export const TALLIES = [
  ...[["visits", 40], ["views", 30], ["clicks", 3], ["chats", 2]].map(([m, n]) => ["acc_demo", "demo", "btn_demo", H9, m, n]),
  ...[["views", 4], ["clicks", 1], ["chats", 1]].map(([m, n]) => ["acc_demo", "demo", "ep_welcome", H9, m, n]),
  ...[["match", 5], ["cancelled", 1], ["proactive", 4], ["accepted", 1], ["declined", 1], ["ignored", 1], ["expired", 1]]
    .map(([m, n]) => ["acc_demo", "demo", "ep_welcome", H9, m, n]),
  ...[["match", 2], ["proactive", 2], ["accepted", 1], ["no_availability", 1], ["expired", 1]]
    .map(([m, n]) => ["acc_demo", "demo", "ep_welcome", H10, m, n]),
  ...[["visits", 12], ["views", 10], ["clicks", 2], ["chats", 1]].map(([m, n]) => ["acc_demo", "sales", "btn_sales", H13, m, n]),
  // The hour before and the hour after the period.
  ["acc_demo", "demo", "btn_demo", D - 3_600_000, "visits", 7],
  ["acc_demo", "demo", "ep_welcome", at("24:00:00"), "match", 3],
];

export const extraSql = `
INSERT INTO operators (id, account_id, username, first_name, last_name, email, chat_name, role, password_hash, max_chats, created_at) VALUES
  ('op_kim', 'acc_demo', 'kim', 'Kim', 'Keller', 'kim@parley.invalid', 'Kim', 'operator', 'x', 2, 1),
  ('op_lee', 'acc_demo', 'lee', 'Lee', 'Left', 'lee@parley.invalid', 'Lee', 'operator', 'x', 2, 1);
UPDATE operators SET disabled = 1 WHERE id = 'op_lee';
INSERT INTO channels (id, account_id, name, created_at) VALUES ('sales', 'acc_demo', 'Sales channel', 1);
INSERT INTO channel_hosts (channel_id, host_id) VALUES ('sales', 'h_demo_local');
INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, updated_at)
  VALUES ('btn_sales', 'acc_demo', 'sales', 'button', 'Chat button', 1, 0, 1, 1);
INSERT INTO accounts (id, name, created_at) VALUES ('acc_other', 'Other account (test)', 1);
INSERT INTO account_shards (account_id, shard) VALUES ('acc_other', 0);
INSERT INTO channels (id, account_id, name, created_at) VALUES ('other_ch', 'acc_other', 'Other channel', 1);
INSERT INTO conversations (id, account_id, channel_id, visitor_id, status, created_at, updated_at, closed_at, closed_by, survey_result)
  VALUES ('c98', 'acc_other', 'other_ch', 'v_98', 'closed', ${at("12:00:00")}, ${at("12:05:00")}, ${at("12:05:00")}, 'visitor', 'good');
INSERT INTO conversations (id, account_id, channel_id, visitor_id, status, created_at, page_url, closed_at, closed_by,
  no_operator_response, operator_id, operator_name, request_type, request_source, entry_point_id, decision_ms,
  survey_result, survey_comment, success_code, tags, visitor_email, visitor_identifier, anonymous, session_id, host_id,
  message_count, updated_at) VALUES
  ${CONVERSATIONS.map((c) => `(${[c[0], "acc_demo", ...c.slice(1), MESSAGES.filter((m) => m[0] === c[0]).length,
    c[6] ?? c[4]].map(q).join(", ")})`).join(",\n  ")};
${DETAILS.map(([id, name, country, by, pages]) => `UPDATE conversations SET visitor_name = ${q(name)}, visitor_country = ${q(country)},
  outcome_by = ${q(by)}, pages = ${q(JSON.stringify(pages.map(([url, title, t]) => ({ url, title, at: at(t) }))))} WHERE id = ${q(id)};`).join("\n")}
INSERT INTO messages (conversation_id, seq, account_id, channel_id, role, operator_id, author_name, text, at) VALUES
  ${MESSAGES.map((m) => `(${[m[0], m[1], "acc_demo", CONVERSATIONS.find((c) => c[0] === m[0])[1], ...m.slice(2)].map(q).join(", ")})`).join(",\n  ")};
INSERT INTO conversation_events (conversation_id, seq, at, kind, detail) VALUES
  ${values(EVENTS)};
INSERT INTO conversation_goals (conversation_id, goal_id, name, value, reached_at) VALUES
  ('c01', 'g_demo_signup', 'Signed up', 49, ${at("09:11:50")}),
  ('c04', 'g_demo_signup', 'Signed up', 49, ${at("15:05:00")}),
  ('c04', 'g_demo_pricing', 'Saw pricing', 5, ${at("15:00:30")});
INSERT INTO visitor_blocks (id, account_id, visitor_id, conversation_id, reason, blocked_by, created_at, lifted_at, lifted_by) VALUES
  ('blk_1', 'acc_demo', 'v_05', 'c05', 'Spam, repeated', 'op_sam', ${at("16:05:30")}, ${at("33:00:00")}, 'op_demo');
INSERT INTO activity_intervals (activity_id, account_id, operator_id, state, start_at, end_at) VALUES
  ${values(ACTIVITY)};
INSERT INTO hourly_tallies (account_id, channel_id, entry_point_id, hour, metric, n) VALUES
  ${values(TALLIES)};
`;
