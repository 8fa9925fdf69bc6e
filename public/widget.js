/* Parley loader: a classic script. Never blocks the page; the app loads when the browser is idle. */
(function (w, d) {
  var s = d.currentScript;
  if (!s || w.__parley) return;
  w.__parley = 1;
  var ch = s.getAttribute("data-channel"), base = new URL(s.src).origin, p = base + "/pkg/widget/parley_widget", q = [], P = w.Parley = w.Parley || {}, up;
  /* Parley.invite(name): queued until the app has loaded (and loads it now), then the app's own. */
  P.invite = function (n) { q.push(n); d.body && boot(); };
  function boot() {
    if (up) return;
    up = 1;
    var h = d.createElement("parley-chat");
    h.setAttribute("style", "all:initial!important;position:fixed!important;right:0!important;bottom:0!important;width:0!important;height:0!important;z-index:2147483000!important;display:block!important");
    d.body.appendChild(h);
    var r = h.attachShadow({ mode: "open" });
    import(p + ".js").then(function (m) {
      return m.default({ module_or_path: p + "_bg.wasm" }).then(function () { m.mount(r, ch, base); P.invite = m.invite; q.forEach(m.invite); });
    }).catch(function (e) { console.error("Parley: widget failed to load", e); });
  }
  function idle() { (w.requestIdleCallback || setTimeout)(boot, { timeout: 2000 }); }
  d.readyState === "loading" ? d.addEventListener("DOMContentLoaded", idle) : idle();
})(window, document);
