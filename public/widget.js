/* Parley loader (classic script; README "JS API"): early calls queue in order, listeners live here. */
(function (w, d) {
  var s = d.currentScript;
  if (!s || w.__parley) return;
  w.__parley = 1;
  var ch = s.getAttribute("data-channel"), base = new URL(s.src).origin, p = base + "/pkg/widget/parley_widget", q = [], L = {}, P = w.Parley = w.Parley || {}, up, m;
  P.on = function (e, f) { (L[e] = L[e] || []).push(f); };
  P.off = function (e, f) { L[e] = (L[e] || []).filter(function (g) { return g !== f; }); };
  function emit(e, x) {
    (L[e] || []).slice().forEach(function (f) { try { f(x); } catch (err) { console.error("Parley: " + e + " listener failed", err); } });
  }
  "open close goal identify invite".split(" ").forEach(function (n) {
    P[n] = function () { if (m) m[n].apply(0, arguments); else { q.push([n, arguments]); (n == "open" || n == "invite") && d.body && boot(); } };
  });
  function boot() {
    if (up) return;
    up = 1;
    var h = d.createElement("parley-chat");
    h.setAttribute("style", "all:initial!important;position:fixed!important;right:0!important;bottom:0!important;width:0!important;height:0!important;z-index:2147483000!important;display:block!important");
    d.body.appendChild(h);
    var r = h.attachShadow({ mode: "open" });
    import(p + ".js").then(function (x) {
      return x.default({ module_or_path: p + "_bg.wasm" }).then(function () {
        x.mount(r, ch, base, emit);
        m = x;
        q.forEach(function (c) { x[c[0]].apply(0, c[1]); });
      });
    }).catch(function (e) { console.error("Parley: widget failed to load", e); });
  }
  function idle() { (w.requestIdleCallback || setTimeout)(boot, { timeout: 2000 }); }
  d.readyState === "loading" ? d.addEventListener("DOMContentLoaded", idle) : idle();
})(window, document);
