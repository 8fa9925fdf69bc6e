// The operator side in Chromium: two operators go online and join the channel in the console,
// a Spanish-speaking visitor reaches Sam (sound/title alert, visitor's language and pages,
// canned response, transfer by hand to Dana), a visitor beyond capacity sees their place in
// line and then the operator, live; with nobody online the widget offers the offline form and
// the message lands in the console.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step } from "./harness.mjs";
import { newVisitor, postJson, ProtoClient } from "./proto-client.mjs";
import { useEdge, consolePage, widgetPage } from "./fixtures.mjs";

const { edge, browser } = useEdge({ browser: true, online: [] });
const consoleAs = (username) => consolePage(browser, edge, username);

async function goOnlineInUi(page) {
  await page.getByRole("button", { name: "Go online" }).click();
  await page.getByText("You are online").waitFor();
  await page.getByRole("checkbox", { name: "Demo channel" }).check();
  await page.getByRole("checkbox", { name: "Demo channel" }).and(page.locator(":checked")).waitFor();
}

// The widget speaks the visitor's browser language (protocol/src/i18n.rs).
const WORDS = {
  "es-ES": { open: "Abrir chat", message: "Mensaje", send: "Enviar mensaje", log: "Mensajes", with: "Estás chateando con " },
  "fr-FR": { open: "Ouvrir le chat", message: "Message", send: "Envoyer le message", log: "Messages", with: "Vous discutez avec ",
    inLine: /Vous êtes n° 1 dans la file · environ \d+ min/ },
  "en-GB": { open: "Open chat", message: "Message", send: "Send message", log: "Messages", with: "You are chatting with " },
};

async function visitorPage(locale) {
  const t = WORDS[locale];
  return { ...(await widgetPage(browser, edge, { contextOptions: { locale }, open: t.open })), t };
}

const header = (page) => page.getByRole("dialog", { name: "Chat" }).getByRole("status").first();

test("routing, alerts, visitor details, canned responses and transfer in the console", async () => {
  const dana = await consoleAs("demo");
  const sam = await consoleAs("sam");
  await step(sam.page, "operators-go-online", async () => {
    await goOnlineInUi(dana.page);
    await goOnlineInUi(sam.page);
  });

  const v = await visitorPage("es-ES");
  await step(v.page, "spanish-visitor-reaches-sam", async () => {
    await v.page.getByRole("textbox", { name: v.t.message }).fill("Hola, ¿tienen tallas grandes?");
    await v.page.getByRole("button", { name: v.t.send }).click();
    await header(v.page).getByText(v.t.with + "Sam").waitFor();
  });

  await step(sam.page, "sam-is-alerted-and-sees-the-visitor", async () => {
    await sam.page.waitForFunction(() => Number(document.body.dataset.alerts ?? 0) >= 1);
    assert.match(await sam.page.title(), /New chat/);
    await sam.page.getByRole("button", { name: /^Mine/ }).click();
    await sam.page.getByRole("button", { name: /Open conversation: Hola/ }).click();
    const box = sam.page.getByRole("complementary", { name: "Visitor" });
    await box.locator(".visitor-language").getByText("es-ES").waitFor();
    await box.getByText(/Pages visited \(1\)/).waitFor();
    await sam.page.getByText("Assigned to Sam").waitFor();
    // Any key clears the title alert.
    await sam.page.getByRole("textbox", { name: "Reply" }).press("Shift");
    await sam.page.waitForFunction(() => !document.title.includes("New chat"));
  });

  await step(sam.page, "canned-response-by-shortcut", async () => {
    const cookie = await edge.login("sam");
    const r = await postJson(edge.base, "/api/v1/console/canned", { shortcut: "tallas", text: "Sí, de la S a la XXL." }, { cookie });
    assert.ok([200, 201].includes(r.status), JSON.stringify(r.json));
    // Canned responses load at login: reload the console.
    await sam.page.reload();
    await sam.page.getByRole("button", { name: /Open conversation: Hola/ }).click();
    const reply = sam.page.getByRole("textbox", { name: "Reply" });
    await reply.fill("/tal");
    await sam.page.getByRole("button", { name: "Use canned response /tallas" }).waitFor();
    await reply.press("Tab");
    assert.equal(await reply.inputValue(), "Sí, de la S a la XXL.");
    await sam.page.getByRole("button", { name: "Send reply" }).click();
    await v.page.getByRole("log", { name: v.t.log }).getByText("Sí, de la S a la XXL.").waitFor();
  });

  await step(sam.page, "transfer-to-dana", async () => {
    await sam.page.getByRole("combobox", { name: "Transfer to" }).selectOption({ label: "Dana (0/3)" });
    await sam.page.getByRole("button", { name: "Transfer", exact: true }).click();
    await sam.page.getByText("Transferred.").waitFor();
    await header(v.page).getByText(v.t.with + "Dana").waitFor();
    await dana.page.getByRole("button", { name: /^Mine/ }).click();
    await dana.page.getByRole("button", { name: /Open conversation/ }).first().click();
    await dana.page.getByText("Assigned to Dana").waitFor();
    // Dana answers, so the chat stays hers even when she goes offline below.
    await dana.page.getByRole("textbox", { name: "Reply" }).fill("Hola, soy Dana.");
    await dana.page.getByRole("button", { name: "Send reply" }).click();
    await v.page.getByRole("log", { name: v.t.log }).getByText("Hola, soy Dana.").waitFor();
  });

  await step(v.page, "visitor-beyond-capacity-waits-then-connects", async () => {
    // Dana goes offline; Sam gets two chats by the API (his limit).
    await dana.page.getByRole("button", { name: "Go offline" }).click();
    await dana.page.getByText("You are offline").waitFor();
    const busy = [];
    for (let i = 0; i < 2; i++) {
      const vis = await newVisitor(edge.base);
      const r = await postJson(edge.base, "/api/v1/conversations", { channel_id: "demo", visitor_id: vis.visitorId, visitor_token: vis.visitorToken, language: "es" });
      busy.push(new ProtoClient({ base: edge.base, conversationId: r.json.conversation_id, role: "visitor", ...vis }));
    }
    await Promise.all(busy.map((c) => c.start()));
    assert.deepEqual(busy.map((c) => c.routing?.name), ["Sam", "Sam"]);
    const w = await visitorPage("fr-FR");
    await w.page.getByRole("textbox", { name: w.t.message }).fill("Bonjour");
    await w.page.getByRole("button", { name: w.t.send }).click();
    await header(w.page).getByText(w.t.inLine).waitFor();
    busy[0].sendFrame({ type: "end" });
    await header(w.page).getByText(w.t.with + "Sam").waitFor();
    await Promise.all(busy.map((c) => c.close()));
    await w.ctx.close();
  });

  await step(v.page, "offline-form-when-nobody-is-online", async () => {
    await sam.page.getByRole("button", { name: "Go offline" }).click();
    await sam.page.getByText("You are offline").waitFor();
    const o = await visitorPage("en-GB");
    await o.page.getByRole("textbox", { name: "Your name" }).fill("Olivia");
    await o.page.getByRole("textbox", { name: "Your email" }).fill("olivia@example.com");
    await o.page.getByRole("textbox", { name: "Your message" }).fill("Please call me back about a bulk order.");
    await o.page.getByRole("button", { name: "Leave a message" }).click();
    await o.page.getByText("Thank you! We got your message").waitFor();
    await dana.page.getByRole("button", { name: "Admin" }).click();
    await dana.page.getByRole("tab", { name: "Offline messages" }).click();
    await dana.page.getByText("Please call me back about a bulk order.").waitFor();
    await o.ctx.close();
  });

  await v.ctx.close();
  await dana.ctx.close();
  await sam.ctx.close();
});
