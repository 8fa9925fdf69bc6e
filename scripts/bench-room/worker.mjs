// The reference the delivery benchmark compares Parley with (issue 19): the plainest chat room a
// Durable Object can be — every message stored with one SQLite insert (unique per sender and
// client id, as Parley's), acknowledged to its sender and broadcast to the others; no auth, no
// routing, no D1. `node scripts/bench-delivery.mjs` runs it under the same `wrangler dev`.
import { DurableObject } from "cloudflare:workers";

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, client_id TEXT NOT NULL,
      author TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL, UNIQUE (author, client_id))`);
    this.seq = this.sql.exec("SELECT coalesce(max(seq), 0) AS s FROM messages").one().s;
  }
  async fetch(request) {
    const role = new URL(request.url).searchParams.get("role") ?? "visitor";
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server, [role]);
    return new Response(null, { status: 101, webSocket: client });
  }
  webSocketMessage(ws, data) {
    const m = JSON.parse(data);
    if (m.type === "ping") return ws.send('{"type":"pong"}');
    const author = this.ctx.getTags(ws)[0];
    const at = Date.now();
    const seq = ++this.seq;
    this.sql.exec("INSERT INTO messages (seq, client_id, author, text, at) VALUES (?, ?, ?, ?, ?)", seq, m.client_id, author, m.text, at);
    ws.send(JSON.stringify({ type: "ack", client_id: m.client_id, seq, at }));
    const frame = JSON.stringify({ type: "message", seq, client_id: m.client_id, author: { role: author }, text: m.text, at });
    for (const peer of this.ctx.getWebSockets()) if (peer !== ws) peer.send(frame);
  }
}

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    const room = url.pathname.split("/")[2];
    if (!url.pathname.startsWith("/room/") || !room) return new Response("not found", { status: 404 });
    return env.ROOMS.get(env.ROOMS.idFromName(room)).fetch(request);
  },
};
