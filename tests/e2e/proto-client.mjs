// A small protocol-v1 client for the end-to-end fault, bad-input and benchmark scripts. It is
// NOT the product's client (that is client/, in Rust): it exists to drive the server hard and
// to observe exactly what comes back.
//
// Layers, bottom up:
//   - `upgrade()` / `RawSocket`: a minimal RFC 6455 WebSocket client on node:http. Written here
//     (instead of Node's global WebSocket) because the tests need what browsers hide: the HTTP
//     status and JSON body of a refused upgrade, binary and oversized frames, the close code the
//     server sent, and an abrupt drop (TCP destroyed, no closing handshake).
//   - HTTP helpers: `postJson`, `newVisitor`, `newConversation`, `login`.
//   - `ProtoClient`: a resilient participant. It says hello with the last contiguous seq it
//     holds, keeps an OUTBOX of unacknowledged sends (client_id → text) that it resends after
//     every (re)connect, reconnects with exponential backoff and jitter, dedupes received
//     messages by seq, reads a replay split over a welcome and `history` frames, retries `rate_limited` sends after
//     a short delay, and offers promise helpers resolved by incoming frames (no sleeps).
//   - `readTranscript()` and `audit()`: read back a whole conversation and check it.
import { request } from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";

export const PROTOCOL = 3;
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// ---------------------------------------------------------------------------------------------
// Raw WebSocket

/**
 * Opens a WebSocket to `url` (ws:// or http://) with extra request `headers`.
 * Resolves `{ status: 101, ws }` on success, or `{ status, body, json, headers }` when the server
 * answered the upgrade with a plain HTTP response (a refusal). Rejects on network errors.
 */
export async function upgrade(url, headers = {}, { timeoutMs = 10_000, raw = false } = {}) {
  const key = randomBytes(16).toString("base64");
  const target = new URL(url.replace(/^ws/, "http"));
  // A visitor's socket opens with a ticket, never with the permanent token in its URL: the
  // credentials `wsUrl` put in the URL are traded first for a ticket, with the same Origin, as
  // the widget does (`raw`: send the URL as is, e.g. to check the old style is refused).
  const q = target.searchParams;
  if (!raw && q.get("role") === "visitor" && (q.has("visitor_id") || q.has("visitor_token"))) {
    const conversation = target.pathname.split("/").at(-2);
    const body = {};
    if (q.has("visitor_id")) body.visitor_id = q.get("visitor_id");
    if (q.has("visitor_token")) body.visitor_token = q.get("visitor_token");
    const minted = await mintTicket(target.origin, conversation, body, headers);
    if (minted.status !== 200) return minted;
    q.delete("visitor_id");
    q.delete("visitor_token");
    q.set("ticket", minted.json.ticket);
  }
  return new Promise((resolve, reject) => {
    const req = request(target, {
      agent: false,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
        ...headers,
      },
      timeout: timeoutMs,
    });
    req.on("timeout", () => req.destroy(new Error(`upgrade to ${target.pathname} timed out`)));
    req.on("error", reject);
    req.on("upgrade", (res, socket, head) => {
      const expected = createHash("sha1").update(key + WS_GUID).digest("base64");
      if (res.headers["sec-websocket-accept"] !== expected) {
        socket.destroy();
        reject(new Error("bad Sec-WebSocket-Accept"));
        return;
      }
      resolve({ status: 101, ws: new RawSocket(socket, head) });
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        let json = null;
        try { json = JSON.parse(body); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, body, json, headers: res.headers });
      });
    });
    req.end();
  });
}

/**
 * One client WebSocket over a connected socket. Events: `text` (string), `binary` (Buffer),
 * `close` ({ code, reason, clean }). For scripted tests, `next()` returns the next text frame
 * parsed as JSON and `closed` resolves when the connection is gone.
 */
export class RawSocket extends EventEmitter {
  constructor(socket, head) {
    super();
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.fragments = null; // { opcode, parts } while a fragmented message arrives
    this.closeInfo = null; // { code, reason } from the server's close frame
    this.gone = false;
    this.buffered = true; // keep text frames for next(); ProtoClient turns this off
    this.inbox = []; // text frames not yet taken by next()
    this.takers = []; // pending next() calls
    this.closed = new Promise((resolve) => this.once("close", resolve));
    socket.setNoDelay(true);
    socket.on("data", (d) => this.#onData(d));
    socket.on("error", () => {}); // the close event reports it
    socket.on("close", () => this.#finish(false));
    this.on("text", (t) => this.#deliver(t));
    if (head?.length) this.#onData(head);
  }

  get isOpen() {
    return !this.gone && !this.closeInfo;
  }

  /** Sends a text frame. */
  sendText(text) {
    this.sendFrame(0x1, Buffer.from(text, "utf8"));
  }

  /** Sends a binary frame. */
  sendBinary(bytes) {
    this.sendFrame(0x2, Buffer.from(bytes));
  }

  /** Sends one masked frame (`fin` false starts/continues a fragmented message). */
  sendFrame(opcode, payload, fin = true) {
    if (this.gone) return;
    const len = payload.length;
    const header = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    header[0] = (fin ? 0x80 : 0) | opcode;
    if (len < 126) header[1] = 0x80 | len;
    else if (len < 65536) { header[1] = 0x80 | 126; header.writeUInt16BE(len, 2); }
    else { header[1] = 0x80 | 127; header.writeBigUInt64BE(BigInt(len), 2); }
    const mask = randomBytes(4);
    const body = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
    this.socket.write(Buffer.concat([header, mask, body]));
  }

  /** Starts the closing handshake. */
  close(code = 1000, reason = "") {
    if (this.gone) return;
    const r = Buffer.from(reason, "utf8");
    const p = Buffer.alloc(2 + r.length);
    p.writeUInt16BE(code, 0);
    r.copy(p, 2);
    this.sendFrame(0x8, p);
    // Do not wait forever for the server's half of the handshake.
    setTimeout(() => this.socket.destroy(), 2_000).unref();
  }

  /** Drops the connection abruptly: the TCP socket is destroyed, no close frame is sent. */
  destroy() {
    this.socket.destroy();
  }

  /** The next text frame, parsed as JSON (raw string when not JSON). Rejects on timeout/close. */
  next(timeoutMs = 10_000) {
    if (this.inbox.length) return Promise.resolve(this.inbox.shift());
    if (this.gone) return Promise.reject(new Error(`socket closed (${JSON.stringify(this.closeInfo)})`));
    return new Promise((resolve, reject) => {
      const taker = { resolve, reject };
      taker.timer = setTimeout(() => {
        this.takers = this.takers.filter((t) => t !== taker);
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.takers.push(taker);
    });
  }

  /** Skips frames until one matches `pred` (e.g. of a given type); returns it. */
  async nextMatching(pred, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (pred(f)) return f;
    }
  }

  #deliver(text) {
    if (!this.buffered && !this.takers.length) return;
    let v;
    try { v = JSON.parse(text); } catch { v = text; }
    const taker = this.takers.shift();
    if (taker) {
      clearTimeout(taker.timer);
      taker.resolve(v);
    } else {
      this.inbox.push(v);
    }
  }

  #finish(clean) {
    if (this.gone) return;
    this.gone = true;
    for (const t of this.takers.splice(0)) {
      clearTimeout(t.timer);
      t.reject(new Error(`socket closed (${JSON.stringify(this.closeInfo)})`));
    }
    this.emit("close", { code: this.closeInfo?.code ?? 1006, reason: this.closeInfo?.reason ?? "", clean });
  }

  #onData(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0], b1 = this.buf[1];
      let len = b1 & 0x7f, off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0; // servers do not mask, but be lenient
      const maskOff = off;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      let payload = this.buf.subarray(off, off + len);
      if (masked) {
        const m = this.buf.subarray(maskOff, maskOff + 4);
        payload = Buffer.from(payload.map((x, i) => x ^ m[i & 3]));
      }
      this.buf = this.buf.subarray(off + len);
      this.#onFrame(b0 & 0x80, b0 & 0x0f, Buffer.from(payload));
    }
  }

  #onFrame(fin, opcode, payload) {
    switch (opcode) {
      case 0x0: // continuation
        if (!this.fragments) return;
        this.fragments.parts.push(payload);
        if (fin) {
          const { opcode: op, parts } = this.fragments;
          this.fragments = null;
          this.#onMessage(op, Buffer.concat(parts));
        }
        return;
      case 0x1:
      case 0x2:
        if (fin) this.#onMessage(opcode, payload);
        else this.fragments = { opcode, parts: [payload] };
        return;
      case 0x8: { // close: remember the code, answer, and let TCP close
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        const reason = payload.length > 2 ? payload.subarray(2).toString("utf8") : "";
        const first = !this.closeInfo;
        this.closeInfo = { code, reason };
        if (first && !this.gone) {
          const echo = Buffer.alloc(2);
          echo.writeUInt16BE(code === 1005 ? 1000 : code, 0);
          try { this.sendFrame(0x8, echo); } catch { /* gone */ }
        }
        this.socket.end();
        setTimeout(() => this.socket.destroy(), 100).unref();
        return;
      }
      case 0x9: // ping → pong
        this.sendFrame(0xa, payload);
        return;
      default: // pong and reserved opcodes: ignore
    }
  }

  #onMessage(opcode, payload) {
    if (opcode === 0x1) this.emit("text", payload.toString("utf8"));
    else this.emit("binary", payload);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

/** POSTs JSON; resolves `{ status, json, headers }`. `origin: null` sends no Origin header. */
export async function postJson(base, path, body, { origin = base, cookie, raw } = {}) {
  const headers = { "content-type": "application/json" };
  if (origin) headers.origin = origin;
  if (cookie) headers.cookie = cookie;
  const res = await fetch(base + path, { method: "POST", headers, body: raw ?? JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, headers: res.headers };
}

/** GETs `path` with an optional session cookie; resolves `{ status, json, text }`. */
export async function getJson(base, path, cookie) {
  const res = await fetch(base + path, { headers: cookie ? { cookie } : {} });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

/**
 * `POST /api/v1/conversations/:id/ticket` with `{visitor_id, visitor_token}` and the given
 * headers (their `Origin`); resolves `{status, body, json}` (`json.ticket` when 200).
 */
export async function mintTicket(base, conversationId, body, headers = {}) {
  const h = { "content-type": "application/json" };
  for (const [k, v] of Object.entries(headers)) {
    if (/^(origin|cookie)$/i.test(k)) h[k.toLowerCase()] = v;
  }
  const res = await fetch(`${base}/api/v1/conversations/${conversationId}/ticket`,
    { method: "POST", headers: h, body: JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: text, json, headers: res.headers };
}

/** A fresh visitor identity from `POST /api/v1/widget/session`. */
export async function newVisitor(base, { channel = "demo" } = {}) {
  const r = await postJson(base, "/api/v1/widget/session", { channel_id: channel });
  if (r.status !== 200) throw new Error(`widget session: ${r.status} ${JSON.stringify(r.json)}`);
  return { visitorId: r.json.visitor_id, visitorToken: r.json.visitor_token };
}

/** A fresh visitor with a new conversation: `{ conversationId, visitorId, visitorToken }`. */
export async function newConversation(base, { channel = "demo", pageUrl } = {}) {
  const v = await newVisitor(base, { channel });
  const r = await postJson(base, "/api/v1/conversations", {
    channel_id: channel, visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: pageUrl ?? `${base}/`,
  });
  if (r.status !== 200) throw new Error(`create conversation: ${r.status} ${JSON.stringify(r.json)}`);
  return { conversationId: r.json.conversation_id, ...v };
}

/** Logs the demo operator in; resolves the `parley_session=…` cookie pair. */
export async function login(base, { username = "demo", password = "parley-demo" } = {}) {
  const r = await postJson(base, "/api/v1/auth/login", { username, password });
  if (r.status !== 200) throw new Error(`login: ${r.status} ${JSON.stringify(r.json)}`);
  const setCookie = r.headers.getSetCookie?.() ?? [r.headers.get("set-cookie")];
  const pair = setCookie.map((c) => c?.split(";")[0]).find((c) => c?.startsWith("parley_session="));
  if (!pair) throw new Error("login set no parley_session cookie");
  return pair;
}

/**
 * The WebSocket URL of a conversation for a visitor (`{visitorId, visitorToken}`: `upgrade`
 * trades them for a ticket before connecting; `{ticket}`: that ticket) or an operator.
 */
export function wsUrl(base, conversationId, role, visitor = {}) {
  const q = new URLSearchParams({ role });
  if (visitor.visitorId !== undefined) q.set("visitor_id", visitor.visitorId);
  if (visitor.visitorToken !== undefined) q.set("visitor_token", visitor.visitorToken);
  if (visitor.ticket !== undefined) q.set("ticket", visitor.ticket);
  return `${base.replace(/^http/, "ws")}/api/v1/conversations/${encodeURIComponent(conversationId)}/ws?${q}`;
}

// ---------------------------------------------------------------------------------------------
// ProtoClient

let clientCounter = 0;

/** `{assigned:{name}}` / `{queued:{position,…}}` (the wire form) as `{state, …fields}`. */
export function flatRouting(r) {
  if (!r) return null;
  const [state, fields] = Object.entries(r)[0];
  return { state, ...fields };
}

/**
 * A resilient protocol participant.
 *
 * ```js
 * const c = new ProtoClient({ base, conversationId, role: "visitor", visitorId, visitorToken });
 * await c.start();             // resolves on the first welcome
 * const id = c.send("hello");  // queued in the outbox, sent now if connected
 * await c.waitForAck(id);      // resolves { seq, at }
 * await c.allAcked();          // the outbox is empty
 * c.drop();                    // abrupt disconnect; it reconnects and resends by itself
 * await c.close();
 * ```
 *
 * Options: `base`, `conversationId`, `role` ("visitor" | "operator"), `visitorId`,
 * `visitorToken`, `cookie` (operator), `origin` (default `base`), `label` (client_id prefix),
 * `repeatSends` (write every send frame this many times, default 1), `backoffMinMs` (25),
 * `backoffMaxMs` (1000), `retryRateLimited` (true), `rateLimitRetryMs` (600),
 * `timeoutMs` (default for waits, 60000), `onFrame(frame, client)` (every parsed frame, before it
 * is handled), `onMessage(message, client)` (each new message, once), `onAck(ack, client)`.
 *
 * Ordering note: the outbox is resent in send order, so a sender's order survives drops and
 * restarts. Under rate limiting it does not: a limited send is retried later while later sends
 * may already have been accepted.
 */
export class ProtoClient {
  constructor(opts) {
    this.opts = opts;
    this.base = opts.base;
    this.conversationId = opts.conversationId;
    this.role = opts.role ?? "visitor";
    this.label = opts.label ?? `${this.role}${++clientCounter}`;
    this.repeatSends = opts.repeatSends ?? 1;
    this.backoffMinMs = opts.backoffMinMs ?? 25;
    this.backoffMaxMs = opts.backoffMaxMs ?? 1_000;
    this.retryRateLimited = opts.retryRateLimited ?? true;
    this.rateLimitRetryMs = opts.rateLimitRetryMs ?? 600;
    this.timeoutMs = opts.timeoutMs ?? 60_000;

    this.outbox = new Map(); // client_id → text, unacknowledged, in send order
    this.sentOrder = []; // every client_id ever sent, in order
    this.texts = new Map(); // client_id → text, every send
    this.acks = new Map(); // client_id → { seq, at } (first ack)
    this.ackLog = []; // every ack frame received, repeats included
    this.rejected = new Map(); // client_id → error code, for sends the server refused for good
    this.messages = new Map(); // seq → message view, deduped
    this.contiguous = 0; // highest seq such that 1..seq are all held
    this.serverLastSeq = 0; // highest last_seq announced by a welcome
    this.status = null; // conversation status from welcome/status frames
    this.routing = null; // where the conversation stands in routing (welcome/routing frames)
    this.routings = []; // every routing frame, in order
    this.visitor = null; // what operators see of the visitor (welcome/visitor frames)
    this.errors = []; // every error frame
    this.frames = 0; // frames received
    this.duplicateDeliveries = 0; // message frames for a seq already held (normal after reconnects)
    this.ownFromAck = 0; // our own messages held from their ack (no message frame comes back)
    this.ownEchoes = 0; // message frames of our own sends on the socket that sent them (none: v2)
    this.you = null; // how the server shows us (welcome)
    this.rateLimited = 0; // rate_limited errors seen
    this.pongs = 0;
    this.connects = 0; // successful upgrades
    this.welcomes = 0; // welcome frames
    this.historyFrames = 0; // history frames (a replay too large for the welcome alone)
    this.drops = 0; // drop() calls
    this.refusal = null; // a permanent HTTP refusal of the upgrade
    this.incompatible = null;
    this.lastConnectError = null;

    this.ws = null;
    this.ready = false; // welcomed on the current socket
    this.stopped = false;
    this.attempt = 0; // reconnect attempt since the last welcome
    this.waiters = new Set();
    this.limitedIds = new Set(); // sends to retry after rate limiting
    this.retryTimer = null;
    this.loop = null;
  }

  /** Starts connecting (and reconnecting); resolves on the first welcome. */
  start() {
    this.loop ??= this.#connectLoop();
    return this.waitFor(() => this.welcomes > 0, "first welcome");
  }

  /** Queues a message in the outbox and sends it now when connected. Returns its client_id. */
  send(text, clientId = `${this.label}-${this.sentOrder.length + 1}`) {
    this.outbox.set(clientId, text);
    this.texts.set(clientId, text);
    this.sentOrder.push(clientId);
    if (this.ready) this.#transmit(clientId, text);
    return clientId;
  }

  /** Sends any frame object as is (e.g. `{type:"typing",typing:true}`, `{type:"end"}`). */
  sendFrame(frame) {
    if (!this.ws?.isOpen) throw new Error(`${this.label}: not connected`);
    // A send written by hand is still ours: its ack makes it a held message (protocol v2).
    if (frame?.type === "send" && typeof frame.client_id === "string") {
      if (!this.texts.has(frame.client_id)) this.texts.set(frame.client_id, frame.text);
      this.sentOnThisSocket.add(frame.client_id);
    }
    this.ws.sendText(JSON.stringify(frame));
  }

  /** Drops the socket abruptly (no close frame); the client reconnects with backoff. */
  drop() {
    this.drops++;
    this.ws?.destroy();
  }

  /** Stops for good: no more reconnects. Resolves once the socket is gone. */
  async close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (ws?.isOpen) {
      ws.close(1000, "bye");
      await ws.closed;
    } else {
      ws?.destroy();
    }
    await this.loop;
    for (const w of [...this.waiters]) w.reject(new Error(`${this.label}: closed while waiting for ${w.label}`));
  }

  /** Messages 1..contiguous, in seq order. */
  transcript() {
    const out = [];
    for (let s = 1; s <= this.contiguous; s++) out.push(this.messages.get(s));
    return out;
  }

  /** Resolves when `pred()` holds; re-checked after every frame and connection change. */
  waitFor(pred, label = "condition", timeoutMs = this.timeoutMs) {
    return waitUntil([this], pred, label, timeoutMs);
  }

  /** Resolves `{seq, at}` once `clientId` is acknowledged; rejects if the server refused it. */
  async waitForAck(clientId, timeoutMs) {
    await this.waitFor(() => this.acks.has(clientId) || this.rejected.has(clientId), `ack of ${clientId}`, timeoutMs);
    if (this.rejected.has(clientId)) throw new Error(`${clientId} refused: ${this.rejected.get(clientId)}`);
    return this.acks.get(clientId);
  }

  /** Resolves once at least `n` sends are acknowledged. */
  waitForAcks(n, timeoutMs) {
    return this.waitFor(() => this.acks.size >= n, `${n} acks`, timeoutMs);
  }

  /** Resolves once every send so far is acknowledged or refused (the outbox is empty). */
  allAcked(timeoutMs) {
    return this.waitFor(() => this.outbox.size === 0, "empty outbox", timeoutMs);
  }

  /** Resolves once messages 1..n are all held. */
  waitForMessages(n, timeoutMs) {
    return this.waitFor(() => this.contiguous >= n, `messages 1..${n}`, timeoutMs);
  }

  /** Resolves once everything the server announced in welcomes is held (history paged in). */
  caughtUp(timeoutMs) {
    return this.waitFor(() => this.ready && this.contiguous >= this.serverLastSeq, "caught up", timeoutMs);
  }

  describe() {
    return `connected=${this.ready} acks=${this.acks.size}/${this.sentOrder.length} outbox=${this.outbox.size} ` +
      `held=${this.contiguous}/${this.serverLastSeq} connects=${this.connects} welcomes=${this.welcomes} ` +
      `errors=${JSON.stringify(this.errors.slice(-3).map((e) => e.code))} ` +
      `refusal=${this.refusal ? this.refusal.status : "-"} lastConnectError=${this.lastConnectError ?? "-"}`;
  }

  // --- internals ---------------------------------------------------------------------------

  #url() {
    return wsUrl(this.base, this.conversationId, this.role,
      this.role === "visitor" ? { visitorId: this.opts.visitorId, visitorToken: this.opts.visitorToken } : {});
  }

  #headers() {
    const h = { Origin: this.opts.origin ?? this.base };
    if (this.opts.cookie) h.Cookie = this.opts.cookie;
    return h;
  }

  /** Why this client gave up for good (an HTTP refusal of the upgrade, incompatible), if it did. */
  get fatal() {
    if (this.refusal) return `upgrade refused: ${this.refusal.status} ${this.refusal.body}`;
    if (this.incompatible) return `incompatible: ${JSON.stringify(this.incompatible)}`;
    return null;
  }

  #check() {
    for (const w of this.waiters) {
      if (w.pred()) w.settle();
      else if (this.fatal) w.reject(new Error(`${this.label} gave up while waiting for ${w.label}: ${this.fatal}`));
    }
  }

  async #connectLoop() {
    while (!this.stopped) {
      let res = null;
      try {
        res = await upgrade(this.#url(), this.#headers());
      } catch (e) {
        this.lastConnectError = e.code ?? e.message; // e.g. ECONNREFUSED while the edge restarts
      }
      if (this.stopped) {
        res?.ws?.destroy();
        return;
      }
      if (res?.ws) {
        this.connects++;
        await this.#session(res.ws);
      } else if (res && res.status >= 400 && res.status < 500) {
        // Refused for good (origin, token, unknown conversation…): retrying cannot help.
        this.refusal = res;
        this.#check();
        return;
      } else if (res) {
        this.lastConnectError = `HTTP ${res.status}`;
      }
      if (this.stopped || this.incompatible) return;
      // Exponential backoff with jitter; reset after each welcome.
      const cap = Math.min(this.backoffMaxMs, this.backoffMinMs * 2 ** this.attempt++);
      await sleep(cap / 2 + Math.random() * cap / 2);
    }
  }

  /** Runs one connection until it closes. */
  #session(ws) {
    this.ws = ws;
    this.sentOnThisSocket = new Set();
    ws.buffered = false; // frames are handled right here, not queued for next()
    ws.inbox.length = 0;
    let welcomedHere = false;
    ws.on("text", (text) => {
      let f;
      try { f = JSON.parse(text); } catch { return; }
      this.frames++;
      this.opts.onFrame?.(f, this);
      switch (f.type) {
        case "welcome": {
          this.welcomes++;
          this.you = f.you;
          this.status = f.status;
          this.routing = flatRouting(f.routing);
          this.visitor = f.visitor ?? null;
          this.serverLastSeq = Math.max(this.serverLastSeq, f.last_seq);
          for (const m of f.history) this.#ingest(m);
          if (!welcomedHere) {
            welcomedHere = true;
            this.ready = true;
            this.attempt = 0;
            // Resend everything not yet acknowledged, in send order.
            for (const [id, t] of this.outbox) this.#transmit(id, t);
          }
          break;
        }
        case "history": // the rest of the welcome's replay, in order, before any other frame
          this.historyFrames++;
          for (const m of f.history) this.#ingest(m);
          break;
        case "ack":
          this.ackLog.push({ client_id: f.client_id, seq: f.seq });
          if (!this.acks.has(f.client_id)) this.acks.set(f.client_id, { seq: f.seq, at: f.at });
          // Protocol v2: no `message` frame of our own send comes back; its ack makes it one
          // (as the chat client does), held like any other.
          if (this.you && this.texts.has(f.client_id) && !this.messages.has(f.seq)) {
            this.ownFromAck++;
            this.#ingest({ seq: f.seq, client_id: f.client_id, author: this.you, text: this.texts.get(f.client_id), at: f.at });
          }
          this.outbox.delete(f.client_id);
          this.limitedIds.delete(f.client_id);
          this.opts.onAck?.(f, this);
          break;
        case "message":
          if (f.message.author.role === this.role && this.sentOnThisSocket?.has(f.message.client_id)) this.ownEchoes++;
          this.#ingest(f.message);
          break;
        case "status":
          this.status = f.status;
          break;
        case "routing":
          this.routing = flatRouting(f.routing);
          this.routings.push(this.routing);
          break;
        case "visitor":
          this.visitor = f.visitor;
          break;
        case "pong":
          this.pongs++;
          break;
        case "incompatible":
          this.incompatible = f;
          break;
        case "error":
          this.#onError(f);
          break;
        default: // typing and future frames
      }
      this.#check();
    });
    return new Promise((resolve) => {
      ws.once("close", (info) => {
        this.lastClose = info;
        if (this.ws === ws) this.ws = null;
        this.ready = false;
        this.#check();
        resolve();
      });
      // Hello first, with the last seq we hold without gaps.
      ws.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL, last_seq: this.contiguous }));
    });
  }

  #transmit(id, text) {
    const frame = JSON.stringify({ type: "send", client_id: id, text });
    this.sentOnThisSocket.add(id);
    for (let i = 0; i < this.repeatSends; i++) this.ws.sendText(frame);
  }

  #ingest(m) {
    if (this.messages.has(m.seq)) {
      this.duplicateDeliveries++;
      return;
    }
    this.messages.set(m.seq, m);
    while (this.messages.has(this.contiguous + 1)) this.contiguous++;
    this.serverLastSeq = Math.max(this.serverLastSeq, m.seq);
    this.opts.onMessage?.(m, this);
  }

  #onError(f) {
    this.errors.push(f);
    if (f.code === "rate_limited") {
      this.rateLimited++;
      if (!this.retryRateLimited) {
        if (f.client_id) this.#refuse(f.client_id, f.code);
        return;
      }
      // Not stored, not acked: retry after a short delay. Without a client_id in the error
      // we cannot tell which send it was, so the whole outbox is resent (sends are idempotent).
      if (f.client_id) this.limitedIds.add(f.client_id);
      else for (const id of this.outbox.keys()) this.limitedIds.add(id);
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = null;
        const ids = [...this.outbox.keys()].filter((id) => this.limitedIds.has(id));
        this.limitedIds.clear();
        if (this.ready) for (const id of ids) this.#transmit(id, this.outbox.get(id));
      }, this.rateLimitRetryMs);
      return;
    }
    // Any other error naming a send refuses it for good (empty, too long, closed…).
    if (f.client_id && this.outbox.has(f.client_id)) this.#refuse(f.client_id, f.code);
  }

  #refuse(id, code) {
    this.rejected.set(id, code);
    this.outbox.delete(id);
  }
}

/**
 * Resolves when `pred()` holds, re-checked after every frame or connection change of any of
 * `clients` (e.g. "visitor and operator together acknowledged 500"). Rejects after
 * `timeoutMs` with the clients' state in the message.
 */
export function waitUntil(clients, pred, label = "condition", timeoutMs = 60_000) {
  if (pred()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const w = { pred, label };
    const detach = () => {
      clearTimeout(w.timer);
      for (const c of clients) c.waiters.delete(w);
    };
    w.settle = () => { detach(); resolve(); };
    w.reject = (e) => { detach(); reject(e); };
    w.timer = setTimeout(() => {
      w.reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}: ` +
        clients.map((c) => `[${c.label}: ${c.describe()}]`).join(" ")));
    }, timeoutMs);
    for (const c of clients) c.waiters.add(w);
  });
}

// ---------------------------------------------------------------------------------------------
// Read-back and audit

/**
 * Reads a conversation's whole transcript with a fresh client (hello last_seq 0: the welcome
 * and the `history` frames after it). `who` is `{ role: "visitor", visitorId, visitorToken }`
 * or `{ role: "operator", cookie }`.
 */
export async function readTranscript(base, conversationId, who, { timeoutMs = 60_000 } = {}) {
  const c = new ProtoClient({ base, conversationId, ...who, label: "reader", timeoutMs });
  try {
    await c.start();
    await c.caughtUp();
    return c.transcript();
  } finally {
    await c.close();
  }
}

/**
 * Checks a transcript against what each sender sent. `senders` is a list of
 * `{ role, sent: [{ clientId, text }] in send order }`. Returns counts and a list of problems:
 * every sent text stored exactly once, each sender's order kept, seqs dense 1..N, nothing
 * stored that nobody sent.
 */
export function audit(transcript, senders) {
  const problems = [];
  transcript.forEach((m, i) => {
    if (m?.seq !== i + 1) problems.push(`seq at position ${i + 1} is ${m?.seq}`);
  });
  let sent = 0, lost = 0, duplicated = 0, outOfOrder = 0;
  const known = new Set();
  for (const s of senders) {
    const byKey = new Map(); // text → seqs of this role
    for (const m of transcript) {
      if (m.author.role !== s.role) continue;
      const seqs = byKey.get(m.text) ?? [];
      seqs.push(m.seq);
      byKey.set(m.text, seqs);
    }
    let prevSeq = 0;
    for (const { clientId, text } of s.sent) {
      sent++;
      known.add(`${s.role}\u0000${text}`);
      const seqs = byKey.get(text) ?? [];
      if (seqs.length === 0) {
        lost++;
        if (lost <= 5) problems.push(`lost: ${s.role} ${clientId}`);
        continue;
      }
      if (seqs.length > 1) {
        duplicated += seqs.length - 1;
        problems.push(`duplicated: ${s.role} ${clientId} at seqs ${seqs}`);
      }
      const stored = transcript[seqs[0] - 1];
      if (stored && stored.client_id !== clientId) problems.push(`${clientId} stored under client_id ${stored.client_id}`);
      if (seqs[0] < prevSeq) {
        outOfOrder++;
        if (outOfOrder <= 5) problems.push(`out of order: ${s.role} ${clientId} at seq ${seqs[0]} after seq ${prevSeq}`);
      }
      prevSeq = Math.max(prevSeq, seqs[0]);
    }
  }
  const strangers = transcript.filter((m) => !known.has(`${m.author.role}\u0000${m.text}`));
  if (strangers.length) problems.push(`${strangers.length} stored messages nobody sent, e.g. seq ${strangers[0].seq}`);
  return { sent, stored: transcript.length, lost, duplicated, outOfOrder, problems };
}

/** The `sent` list of a ProtoClient, for `audit()`: its sends in order, refused ones excluded. */
export function sentBy(client) {
  return client.sentOrder.filter((id) => !client.rejected.has(id)).map((id) => ({ clientId: id, text: client.texts.get(id) }));
}
