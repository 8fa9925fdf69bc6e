// The console's service worker (scope /console, registered by the console when the operator
// turns on "Also when the console is closed"): shows the notifications the edge pushes while no
// console runs (issue 20). The push service hands it the message the browser already decrypted
// (RFC 8291); its JSON is `parley_protocol::api::PushPayload`: { kind, conversation_id, title,
// body, url, tag }. A click focuses an open console (or opens one) at that chat.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

/** Only this origin's console: a payload never sends the operator elsewhere. */
function consoleUrl(url) {
  const u = new URL(typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : "/console", self.location.origin);
  return u.origin === self.location.origin && u.pathname === "/console" ? u.href : new URL("/console", self.location.origin).href;
}

self.addEventListener("push", (event) => {
  let p = {};
  try { p = event.data ? event.data.json() : {}; } catch { p = {}; }
  const title = typeof p.title === "string" && p.title ? p.title : "Parley";
  const options = {
    body: typeof p.body === "string" ? p.body : "",
    // One notification per event: a repeat replaces it.
    tag: typeof p.tag === "string" && p.tag ? p.tag : undefined,
    data: { url: consoleUrl(p.url), conversationId: p.conversation_id ?? null, kind: p.kind ?? null },
    requireInteraction: p.kind === "new_chat" || p.kind === "waiting",
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = consoleUrl(event.notification.data?.url);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((w) => new URL(w.url).pathname === "/console");
    if (open) {
      await open.focus();
      // Same document, another fragment: the console opens the chat without reloading.
      if ("navigate" in open) await open.navigate(url).catch(() => {});
      return;
    }
    await self.clients.openWindow(url);
  })());
});
