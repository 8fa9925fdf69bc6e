// The ratings report (GET /api/v1/console/reports/ratings[.csv]) at the protocol level, on a
// day of facts seeded in D1: operators' online/offline intervals (a break inside Dana's shift)
// and closed conversations rated good / moderate / bad, skipped or never answered, one closed
// after the shift ended, one before Sam's shift began; open, unassigned, out-of-period and
// other-account conversations are not counted. The flow through the widget is in
// outcomes-flow.test.mjs; the shift rules themselves in reports/src/ratings.rs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getJson } from "./proto-client.mjs";
import { useEdge, secondAccount } from "./fixtures.mjs";

const R = "/api/v1/console/reports/ratings";
/** 2026-11-18 00:00:00 UTC. */
const D = Date.UTC(2026, 10, 18);
const H = 3_600_000;
const DAY = 24 * H;
async function extraSql() {
  const at = (h) => D + Math.round(h * H);
  const act = (id, acc, op, state, s, e) =>
    `('${id}', '${acc}', '${op}', '${state}', ${at(s)}, ${e === null ? "NULL" : at(e)})`;
  const conv = (id, acc, ch, op, status, closed, result) =>
    `('${id}', '${acc}', '${ch}', 'v_${id}', '${status}', ${at(closed ?? 0) - H}, ${at(closed ?? 0)}, `
    + `${closed === null ? "NULL" : at(closed)}, ${op ? `'${op}'` : "NULL"}, '${result}')`;
  const other = await secondAccount({
    channels: [{ id: "other_ch", name: "Other channel" }],
    operators: [{ id: "op_olga", username: "olga", first_name: "Olga", last_name: "Other", email: "olga@other.example",
      chat_name: "Olga", role: "admin", password_hash: "x" }],
  });
  return `${other}
INSERT INTO channels (id, account_id, name, created_at) VALUES ('demo_b', 'acc_demo', 'Second channel', 1);
INSERT INTO activity_intervals (activity_id, account_id, operator_id, state, start_at, end_at) VALUES
  ${act("a1", "acc_demo", "op_demo", "online", 9, 12)},
  ${act("a2", "acc_demo", "op_demo", "offline", 12, 13)},
  ${act("a3", "acc_demo", "op_demo", "online", 13, 17)},
  ${act("a4", "acc_demo", "op_demo", "offline", 17, 32)},
  ${act("a5", "acc_demo", "op_sam", "online", 10, 14)},
  ${act("a6", "acc_other", "op_olga", "online", 9, 17)};
INSERT INTO conversations (id, account_id, channel_id, visitor_id, status, created_at, updated_at, closed_at, operator_id, survey_result) VALUES
  ${conv("c1", "acc_demo", "demo", "op_demo", "closed", 10, "good")},
  ${conv("c2", "acc_demo", "demo", "op_demo", "closed", 12.5, "bad")},
  ${conv("c3", "acc_demo", "demo", "op_demo", "closed", 16, "not_rated")},
  ${conv("c4", "acc_demo", "demo", "op_demo", "closed", 18, "")},
  ${conv("c5", "acc_demo", "demo_b", "op_demo", "closed", 15, "good")},
  ${conv("c6", "acc_demo", "demo", "op_sam", "closed", 11, "moderate")},
  ${conv("c7", "acc_demo", "demo", "op_sam", "closed", 7, "good")},
  ${conv("c8", "acc_demo", "demo", null, "closed", 11, "")},
  ${conv("c9", "acc_demo", "demo", "op_demo", "active", null, "")},
  ${conv("c10", "acc_demo", "demo", "op_demo", "closed", 25, "bad")},
  ${conv("c11", "acc_other", "other_ch", "op_olga", "closed", 10, "good")};
`;
}

const { edge } = useEdge({
  extraSql,
  setup: async () => {
    admin = await edge.login();
  },
});
let admin;

const get = (query, cookie = admin, path = R) => getJson(edge.base, `${path}?${query}`, cookie);

const brief = (rows) => rows.map((r) => [r.agent_id, r.agent_name, r.workshift_start, r.workshift_end,
  r.survey_num_good, r.survey_num_moderate, r.survey_num_bad, r.survey_num_not_rated, r.happy_percent]);

test("ratings per operator and work shift for a day, as JSON and CSV", async () => {
  const r = await get(`from=${D}&to=${D + DAY}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(brief(r.json.rows), [
    // Good 10:00, bad in the break, skipped, never answered (closed at 18:00, after the shift),
    // good on the second channel; her open chat and tomorrow's bad one are not counted.
    ["op_demo", "Dana Demo", "2026-11-18 09:00:00", "2026-11-18 17:00:00", 2, 0, 1, 2, 67],
    ["op_sam", "Sam Sample", "2026-11-18 10:00:00", "2026-11-18 14:00:00", 0, 1, 0, 0, 0],
    // Closed at 07:00, before Sam's shift began.
    ["op_sam", "Sam Sample", "", "", 1, 0, 0, 0, 100],
  ]);

  const csv = await get(`from=${D}&to=${D + DAY}`, admin, `${R}.csv`);
  assert.equal(csv.status, 200);
  assert.equal(csv.text,
    "agent_id,agent_name,workshift_start,workshift_end,survey_num_good,survey_num_moderate,survey_num_bad,"
    + "survey_num_not_rated,happy_percent\n"
    + "op_demo,Dana Demo,2026-11-18 09:00:00,2026-11-18 17:00:00,2,0,1,2,67\n"
    + "op_sam,Sam Sample,2026-11-18 10:00:00,2026-11-18 14:00:00,0,1,0,0,0\n"
    + "op_sam,Sam Sample,,,1,0,0,0,100\n");
  const res = await fetch(`${edge.base}${R}.csv?from=${D}&to=${D + DAY}`, { headers: { cookie: admin } });
  assert.match(res.headers.get("content-type"), /^text\/csv/);
  assert.match(res.headers.get("content-disposition"), /filename="ratings\.csv"/);
});

test("the channel narrows the conversations counted; shifts stay", async () => {
  const r = await get(`from=${D}&to=${D + DAY}&channel=demo_b`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(brief(r.json.rows), [
    ["op_demo", "Dana Demo", "2026-11-18 09:00:00", "2026-11-18 17:00:00", 1, 0, 0, 0, 100],
    ["op_sam", "Sam Sample", "2026-11-18 10:00:00", "2026-11-18 14:00:00", 0, 0, 0, 0, null],
  ]);
  // The next day: tomorrow's bad rating has no shift that day (Dana was offline).
  const next = await get(`from=${D + DAY}&to=${D + 2 * DAY}`);
  assert.deepEqual(brief(next.json.rows), [["op_demo", "Dana Demo", "", "", 0, 0, 1, 0, 0]]);
});

test("only admins of the account; a bad period is a 400", async () => {
  assert.equal((await get(`from=${D}&to=${D + DAY}`, null)).status, 401);
  const sam = await edge.login("sam");
  const refused = await get(`from=${D}&to=${D + DAY}`, sam);
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.code, "forbidden");
  assert.equal((await get(`from=${D}&to=${D + DAY}`, sam, `${R}.csv`)).status, 403);
  for (const q of [`from=${D}&to=${D}`, "from=yesterday", `from=0&to=${D}`, "channel=../x"]) {
    const r = await get(q);
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assert.equal(r.json.error.code, "malformed");
  }
});
