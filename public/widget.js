// Parley loader (README "JS API"): draws the launcher, loads the app at first intent (when idle: invites, API, stored keys).
((w, d) => {
  const s = d.currentScript;
  if (!s || w.__parley) return;
  w.__parley = 1;
  const ch = s.getAttribute("data-channel"), base = new URL(s.src).origin, p = base + "/pkg/widget/parley_widget",
    q = [], L = {}, P = w.Parley = w.Parley || {}, pm = performance, codes = ["en", "es", "fr", "de", "vi"],
    look = { accent: "#2f5bea", position: "right", language: "en" },
    lang = (t) => codes.indexOf(String(t).split(/[-_]/)[0].trim().toLowerCase()),
    el = (t, a, ns) => {
      const e = ns ? d.createElementNS("http://www.w3.org/2000/svg", t) : d.createElement(t);
      for (const k in a) e.setAttribute(k, a[k]);
      return e;
    },
    emit = (e, x) => (L[e] || []).slice().forEach((f) => {
      try { f(x); } catch (err) { console.error("Parley: " + e + " listener failed", err); }
    });
  let root, up, m;
  // The look (else defaults), then the launcher (XHR: a first fetch() costs more).
  const x = new XMLHttpRequest(), lp = new Promise((r) => x.onloadend = () => r(x.status == 200 && x.response || {}))
    .then((j) => {
      if (/^#([0-9a-f]{3}){1,2}$/i.test(j.accent)) look.accent = j.accent;
      if (j.position == "left") look.position = "left";
      if (lang(j.language) >= 0) look.language = j.language;
      let k;
      try { k = Object.keys(localStorage).some((x) => !x.indexOf("parley:" + ch + ":")); } catch {}
      if (j.invites || k) idle();
      return new Promise((r) => d.body ? r() : d.addEventListener("DOMContentLoaded", r));
    }).then(() => {
      const h = d.createElement("parley-chat"), i = [...navigator.languages, look.language, "en"].map(lang).find((x) => x >= 0),
        css = ":host{all:initial!important;position:fixed!important;right:0!important;bottom:0!important;width:0!important;height:0!important;z-index:2147483000!important;display:block!important}" +
          ".launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:28px;border:0;background:var(--accent,#2f5bea);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;padding:0;margin:0}" +
          "[data-pos=left] .launcher{right:auto;left:20px}.launcher svg{width:26px;height:26px;fill:#fff}.launcher:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}",
        btn = el("button", { class: "launcher", type: "button", "aria-expanded": "false",
          "aria-label": ["Open chat", "Abrir chat", "Ouvrir le chat", "Chat öffnen", "Mở trò chuyện"][i] }),
        svg = el("svg", { viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" }, 1);
      root = h.attachShadow({ mode: "open" });
      try {
        const sh = new CSSStyleSheet();
        sh.replaceSync(css);
        root.adoptedStyleSheets = [sh];
      } catch {
        const st = el("style"); // no constructable stylesheets
        st.textContent = css;
        root.append(st);
      }
      const par = el("div", { class: "parley", "data-pos": look.position, lang: codes[i] });
      par.style.setProperty("--accent", look.accent);
      svg.append(el("path", { d: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" }, 1));
      btn.append(svg);
      root.append(par);
      par.append(btn);
      "pointerenter pointerdown touchstart focus".split(" ").forEach((e) => btn.addEventListener(e, boot, { passive: true }));
      // A click before the app listens is handed to it with its time (consent, entry point, decision time).
      btn.addEventListener("click", (e) => m ? m.click(e.timeStamp) : (q.push(["click", [e.timeStamp]]), boot()));
      d.body.append(h);
      pm.mark("parley:launcher");
    });
  P.on = (e, f) => { (L[e] = L[e] || []).push(f); e == "ready" && idle(); };
  P.off = (e, f) => L[e] = (L[e] || []).filter((g) => g !== f);
  // `invite` is assigned last (tests hook it).
  "open close goal identify consent invite".split(" ").forEach((k) => P[k] = (...a) => {
    if (m) m[k] && m[k](...a);
    else { q.push([k, a]); k == "open" || k == "invite" ? queueMicrotask(boot) : idle(); }
  });
  x.open("GET", base + "/api/v1/widget/look?channel=" + encodeURIComponent(ch));
  x.responseType = "json";
  x.send();
  function idle() {
    lp.then(() => {
      const r = () => (w.requestIdleCallback || setTimeout)(boot, { timeout: 3000 });
      d.readyState == "complete" ? r() : w.addEventListener("load", r);
    });
  }
  function boot() {
    if (up) return;
    up = 1;
    lp.then(() => import(p + ".js")).then((x) => x.default({ module_or_path: p + "_bg.wasm" }).then(() => new Promise((r) => setTimeout(r))).then(() => {
      x.mount(root, ch, base, emit, look);
      m = x;
      q.forEach(([k, a]) => x[k](...a));
      pm.mark("parley:ready");
    })).catch((e) => console.error("Parley: widget failed to load", e));
  }
})(window, document);
