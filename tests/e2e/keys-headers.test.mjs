// Keys, tickets and headers through the real edge (issue 18, points 5 and 6):
// - a visitor's socket opens with a short-lived ticket (POST /api/v1/conversations/:id/ticket),
//   once; the old style, with the permanent visitor token in the URL, is refused;
// - every token carries its key id: a tampered kid is refused (visitor token, ticket, report
//   link);
// - the console and its assets carry CSP (frame-ancestors), nosniff and Referrer-Policy; the
//   widget's refusals carry CORS for the calling origin;
// - a body whose Content-Length is above its door's limit is refused before it is read;
// - a report link without an expiry gets the default lifetime, and no more than the maximum;
// - operators' passwords follow a rotation of PARLEY_SECRET (PARLEY_SECRET_PREVIOUS): a hash
//   peppered under the previous secret logs in and is upgraded to the new pepper.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { upgrade, wsUrl, mintTicket, newConversation, newVisitor, postJson } from "./proto-client.mjs";
import { useEdge, assertError, C } from "./fixtures.mjs";

const { edge } = useEdge();

const DAY = 24 * 3_600_000;
/** `kid.rest` with another kid of the same length. */
const otherKid = (token) => {
  const dot = token.indexOf(".");
  const kid = token.slice(0, dot);
  return `${kid.startsWith("0") ? "1" : "0"}${kid.slice(1)}${token.slice(dot)}`;
};

test("the visitor's socket opens with a ticket, once; the token in the URL is refused", async () => {
  const conv = await newConversation(edge.base);
  const origin = { Origin: edge.base };

  // The old style: the permanent token in the URL.
  const old = await upgrade(wsUrl(edge.base, conv.conversationId, "visitor", conv), origin, { raw: true });
  assertError(old, 403, "bad_visitor_token", "token in the URL");
  assert.match(old.json.error.message, /ticket/);
  // No ticket at all.
  const none = await upgrade(wsUrl(edge.base, conv.conversationId, "visitor"), origin, { raw: true });
  assertError(none, 403, "bad_visitor_token", "no ticket");

  const minted = await mintTicket(edge.base, conv.conversationId,
    { visitor_id: conv.visitorId, visitor_token: conv.visitorToken }, origin);
  assert.equal(minted.status, 200, minted.body);
  assert.equal(minted.headers.get("access-control-allow-origin"), edge.base);
  const { ticket, expires_at: expiresAt } = minted.json;
  assert.ok(Math.abs(expiresAt - (Date.now() + 60_000)) < 10_000, `a minute to use it: ${expiresAt}`);
  assert.ok(!ticket.includes(conv.visitorToken.split(".")[1]), "the ticket is not the token");

  // A tampered ticket (later expiry, another kid) is refused; the real one opens once.
  const [exp, ...rest] = ticket.split(".");
  const later = [String(Number(exp) + DAY), ...rest].join(".");
  const parts = ticket.split(".");
  const forgedKid = [parts[0], parts[1], otherKid(`${parts[2]}.x`).split(".")[0], parts[3]].join(".");
  for (const [label, t] of [["later expiry", later], ["other kid", forgedKid], ["garbage", "1.2.3.4"]]) {
    const r = await upgrade(wsUrl(edge.base, conv.conversationId, "visitor", { ticket: t }), origin, { raw: true });
    assertError(r, 403, "bad_visitor_token", label);
  }
  // Another conversation's ticket does not open this one.
  const other = await newConversation(edge.base);
  const r = await upgrade(wsUrl(edge.base, other.conversationId, "visitor", { ticket }), origin, { raw: true });
  assertError(r, 403, "bad_visitor_token", "another conversation");

  const first = await upgrade(wsUrl(edge.base, conv.conversationId, "visitor", { ticket }), origin, { raw: true });
  assert.equal(first.status, 101, first.body);
  first.ws.destroy();
  const again = await upgrade(wsUrl(edge.base, conv.conversationId, "visitor", { ticket }), origin, { raw: true });
  assertError(again, 403, "bad_visitor_token", "spent ticket");
  assert.equal(again.json.error.message, "the ticket was already used");

  // A ticket is minted only for the conversation's own visitor, from a registered host.
  const stranger = await newVisitor(edge.base);
  const foreign = await mintTicket(edge.base, conv.conversationId,
    { visitor_id: stranger.visitorId, visitor_token: stranger.visitorToken }, origin);
  assertError(foreign, 403, "not_your_conversation", "another visitor's ticket");
  assert.equal(foreign.headers.get("access-control-allow-origin"), edge.base, "the refusal carries CORS");
  const evil = await mintTicket(edge.base, conv.conversationId,
    { visitor_id: conv.visitorId, visitor_token: conv.visitorToken }, { Origin: "http://evil.example" });
  assertError(evil, 403, "origin_not_allowed", "foreign origin");
  const unknown = await mintTicket(edge.base, "c_000000000000000000000000",
    { visitor_id: conv.visitorId, visitor_token: conv.visitorToken }, origin);
  assertError(unknown, 404, "unknown_conversation", "unknown conversation");
  assert.equal(unknown.headers.get("access-control-allow-origin"), edge.base, "the 404 carries CORS");
});

test("tokens carry their key id: a tampered kid is refused", async () => {
  const v = await newVisitor(edge.base);
  assert.match(v.visitorToken, /^[0-9a-f]{8}\.[A-Za-z0-9_-]{43}$/, "KID.SIG");
  const forged = otherKid(v.visitorToken);
  const body = { channel_id: "demo", visitor_id: v.visitorId, visitor_token: forged, page_url: `${edge.base}/` };
  const created = await postJson(edge.base, "/api/v1/conversations", body);
  assertError(created, 403, "bad_visitor_token", "tampered kid");
  assert.equal(created.headers.get("access-control-allow-origin"), edge.base, "the refusal carries CORS");
  // The widget session does not keep a visitor whose token does not check out.
  const session = await postJson(edge.base, "/api/v1/widget/session",
    { channel_id: "demo", visitor_id: v.visitorId, visitor_token: forged });
  assert.equal(session.status, 200);
  assert.notEqual(session.json.visitor_id, v.visitorId);
  const kept = await postJson(edge.base, "/api/v1/widget/session",
    { channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken });
  assert.equal(kept.json.visitor_id, v.visitorId);
  // The old format (a bare signature, no kid) is refused too.
  const bare = await postJson(edge.base, "/api/v1/conversations",
    { ...body, visitor_token: v.visitorToken.split(".")[1] });
  assertError(bare, 403, "bad_visitor_token", "no kid");

  // Report links: the signature is `kid.hex`; another kid is a bad signature.
  const admin = await edge.login();
  const link = await edge.post(`${C}/report-links`, { report: "conversations", query: "from=0&to=86400000" }, admin);
  assert.equal(link.status, 200, JSON.stringify(link.json));
  const sig = new URL(link.json.api_url, edge.base).searchParams.get("sig");
  assert.match(sig, /^[0-9a-f]{8}\.[0-9a-f]{64}$/);
  const ok = await edge.get(link.json.api_url);
  assert.equal(ok.status, 200, ok.text);
  const tampered = await edge.get(link.json.api_url.replace(`sig=${sig.slice(0, 8)}`, `sig=${otherKid(sig).slice(0, 8)}`));
  assertError(tampered, 403, "bad_signature", "report link with another kid");
});

test("report links: a default lifetime, and a maximum", async () => {
  const admin = await edge.login();
  const before = Date.now();
  const link = await edge.post(`${C}/report-links`, { report: "conversations", query: "from=0&to=86400000" }, admin);
  assert.equal(link.status, 200, JSON.stringify(link.json));
  assert.ok(link.json.expires_at >= before + 30 * DAY && link.json.expires_at <= Date.now() + 30 * DAY,
    `30 days by default: ${link.json.expires_at}`);
  const far = await edge.post(`${C}/report-links`,
    { report: "conversations", query: "from=0&to=86400000", expires_at: Date.now() + 400 * DAY }, admin);
  assertError(far, 400, "invalid", "past the maximum", "expires_at");
});

test("the console carries CSP, frame-ancestors, nosniff and Referrer-Policy; the API nosniff", async () => {
  for (const path of ["/console", "/console.html"]) {
    const res = await fetch(edge.base + path);
    assert.equal(res.status, 200, path);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /frame-ancestors 'none'/, `${path}: ${csp}`);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/, csp);
    assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/, "no inline scripts");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(res.headers.get("referrer-policy"), "no-referrer", path);
    assert.equal(res.headers.get("x-frame-options"), "DENY", path);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "every script of the console is a file");
  }
  for (const path of ["/console-boot.js", "/pkg/console/parley_console.js"]) {
    const res = await fetch(edge.base + path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(res.headers.get("referrer-policy"), "no-referrer", path);
    await res.arrayBuffer();
  }
  // The widget's files can be fetched from any site.
  const loader = await fetch(`${edge.base}/widget.js`, { headers: { origin: "http://shop.example" } });
  assert.equal(loader.headers.get("access-control-allow-origin"), "*");
  await loader.arrayBuffer();
  const health = await fetch(`${edge.base}/api/v1/health`);
  assert.equal(health.headers.get("x-content-type-options"), "nosniff");
  await health.arrayBuffer();
});

test("widget refusals carry CORS for the caller", async () => {
  const cases = [
    ["unknown channel", "/api/v1/widget/session", { channel_id: "nope" }, 404, "unknown_channel"],
    ["foreign origin", "/api/v1/widget/session", { channel_id: "demo" }, 403, "origin_not_allowed"],
    ["broken body", "/api/v1/conversations", null, 400, "malformed"],
  ];
  for (const [label, path, body, status, code] of cases) {
    const origin = code === "origin_not_allowed" ? "http://evil.example" : edge.base;
    const r = await postJson(edge.base, path, body, { origin, raw: body === null ? "{" : undefined });
    assertError(r, status, code, label);
    assert.equal(r.headers.get("access-control-allow-origin"), origin, label);
  }
});

/**
 * A POST of `length` bytes (a JSON string of spaces); resolves `{status, json, headers}`.
 * `wrangler dev`'s local proxy buffers a request's body before workerd sees it, so "before it is
 * read" shows here as the Content-Length refusal's own message (`at most N bytes`), which the
 * body reader never gives; the order itself is `routes::route`'s (the length check runs before
 * any handler).
 */
async function oversized(path, length, headers = {}) {
  const raw = `"${" ".repeat(length - 2)}"`;
  const res = await fetch(edge.base + path, {
    method: "POST", body: raw, headers: { "content-type": "application/json", origin: edge.base, ...headers },
  });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

test("a body above its door's limit is refused by its Content-Length, before it is read", async () => {
  const admin = await edge.login();
  const cases = [
    ["/api/v1/widget/session", 16 * 1024 + 1, {}],
    ["/api/v1/conversations", 1_000_000, {}],
    ["/api/v1/auth/login", 1025, {}],
    [`${C}/settings`, 16 * 1024 + 1, { cookie: admin }],
  ];
  for (const [path, length, headers] of cases) {
    const r = await oversized(path, length, headers);
    assert.equal(r.status, 413, `${path}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.code, "too_large", path);
    assert.match(r.json.error.message, /at most \d+ bytes/, `${path}: refused by its Content-Length`);
    if (!path.startsWith("/api/v1/console") && !path.startsWith("/api/v1/auth")) {
      assert.equal(r.headers.get("access-control-allow-origin"), edge.base, `${path}: CORS on the refusal`);
    }
  }
  // The login door takes 1 KB: a body the general reader would take is refused there.
  const login = await oversized("/api/v1/auth/login", 2048);
  assert.equal(login.status, 413, JSON.stringify(login.json));
  // At the limit the request is read as usual (here: a malformed body, 400).
  const ok = await postJson(edge.base, "/api/v1/widget/session", null, { raw: `{"channel_id":"demo"${" ".repeat(100)}` });
  assertError(ok, 400, "malformed", "a small body is read");
});

// Last in the file: it restarts the edge with other secrets.
test("the password pepper follows a rotation of PARLEY_SECRET: the previous secret's hash logs in and is upgraded", async () => {
  const admin = await edge.login();
  const PASSWORD = "rotate-me-please";
  for (const username of ["rota", "stale"]) {
    const r = await edge.post(`${C}/operators`, {
      username, first_name: username, email: `${username}@rotation.example`, password: PASSWORD,
    }, admin);
    assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.json));
  }
  const attempt = (username) => postJson(edge.base, "/api/v1/auth/login", { username, password: PASSWORD });
  // Both hashes are peppered under secret A, the harness's.
  assert.equal((await attempt("rota")).status, 200, "rota logs in under A");
  const secretA = edge.secret;
  const secretB = randomBytes(24).toString("hex");
  const vars = edge.vars; // the harness passes them again at each restart (the last --var wins)
  try {
    // The rotation: B is the secret, A the previous one.
    vars.PARLEY_SECRET = secretB;
    vars.PARLEY_SECRET_PREVIOUS = secretA;
    await edge.restart();
    const during = await attempt("rota");
    assert.equal(during.status, 200, `rota logs in during the rotation: ${JSON.stringify(during.json)}`);
    assertError(await postJson(edge.base, "/api/v1/auth/login", { username: "rota", password: "not-" + PASSWORD }),
      401, "bad_credentials", "a wrong password during the rotation");
    // A is forgotten: rota's hash was upgraded to B's pepper at that login; stale never logged
    // in during the rotation, so its hash (A's) cannot be checked any more.
    delete vars.PARLEY_SECRET_PREVIOUS;
    await edge.restart();
    const after = await attempt("rota");
    assert.equal(after.status, 200, `rota logs in after the rotation: ${JSON.stringify(after.json)}`);
    assertError(await attempt("stale"), 401, "bad_credentials", "a hash of the forgotten secret");
  } finally {
    delete vars.PARLEY_SECRET;
    delete vars.PARLEY_SECRET_PREVIOUS;
  }
});
