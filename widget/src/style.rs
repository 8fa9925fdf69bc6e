//! The widget's stylesheet, adopted by the shadow root next to the loader's (a constructable
//! stylesheet: strict CSP `style-src 'self'` allows it; no `<style>`, no `style=`). The host
//! element is placed by the loader's `:host` rules. `all: initial` on the root cuts inheritance
//! from the host page and sizes are in px because host pages set `html { font-size }`. The
//! launcher's rules are the loader's too (it draws the launcher before the app loads): keep
//! them identical. The `[data-vv] .panel` rules place the panel in the visual viewport
//! (`viewport.rs` sets its rectangle on the root while the panel is open: the on-screen keyboard
//! of phones); without `data-vv` the panel keeps the layout viewport's placement. Colours: text
//! contrast at least 4.5:1 (WCAG AA) on their backgrounds.

pub const CSS: &str = r#"
.parley{all:initial;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330}
.parley *{box-sizing:border-box;font:inherit;color:inherit;margin:0}
.parley [hidden]{display:none!important}
.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:28px;border:0;
 background:var(--accent,#2f5bea);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);
 display:flex;align-items:center;justify-content:center;padding:0}
.launcher svg{width:26px;height:26px;fill:#fff}
[data-pos=left] .launcher{right:auto;left:20px}
.parley :focus-visible{outline:3px solid #ffbf47;outline-offset:2px;box-shadow:0 0 0 2px #1d2330}
.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#c4321a;
 color:#fff;font-size:12px;line-height:20px;text-align:center;padding:0 5px}
.panel{position:fixed;right:20px;bottom:88px;width:360px;max-width:calc(100vw - 24px);height:520px;
 max-height:calc(100vh - 110px);max-height:calc(100dvh - 110px);background:#fff;border-radius:14px;
 box-shadow:0 8px 30px rgba(0,0,0,.22);display:flex;flex-direction:column;overflow:hidden}
.panel.off{visibility:hidden}
[data-pos=left] .panel,[data-pos=left] .invite{right:auto;left:20px}
@media (max-width:480px){.parley .panel{inset:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0}
 [data-open] .launcher{display:none}}
[data-vv] .panel{--parley-pw:min(360px,calc(var(--parley-vvw) - 24px));--parley-ph:min(520px,calc(var(--parley-vvh) - 110px));
 width:var(--parley-pw);max-width:none;height:var(--parley-ph);max-height:none;right:auto;bottom:auto;
 left:calc(var(--parley-vv-left) + var(--parley-vvw) - 20px - var(--parley-pw));
 top:calc(var(--parley-vv-top) + var(--parley-vvh) - 88px - var(--parley-ph))}
[data-pos=left][data-vv] .panel{left:calc(var(--parley-vv-left) + 20px)}
@media (max-width:480px){.parley[data-vv] .panel{inset:auto;top:var(--parley-vv-top);left:var(--parley-vv-left);
 width:var(--parley-vvw);height:var(--parley-vvh)}}
.head{background:var(--accent,#2f5bea);color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}
.head>div{flex:1;min-width:0}
.head h2{font-size:15px;font-weight:600}
.head p{font-size:12px}
.close{background:transparent;border:0;color:#fff;cursor:pointer;font-size:20px;line-height:1;padding:4px 8px}
.log{flex:1;min-height:0;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f7f9}
.log:focus-visible{outline-offset:-3px;box-shadow:none}
.greet{color:#4a4f5a;font-size:13px;text-align:center;padding:6px}
.msg{max-width:80%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}
.msg .who{display:block;font-size:11px;font-weight:600;margin-bottom:2px}
.msg .meta{display:block;font-size:11px;margin-top:2px;text-align:right}
.theirs .meta{color:#4a4f5a}
.mine{align-self:flex-end;background:var(--accent,#2f5bea);color:#fff}
.theirs{align-self:flex-start;background:#fff;border:1px solid #e1e4ea}
.typing{font-size:12px;color:#4a4f5a;padding:0 14px 6px;min-height:18px;background:#f6f7f9}
.status{font-size:12px;color:#7a4200;background:#fff4e5;padding:6px 12px}
.compose{display:flex;gap:8px;padding:10px;border-top:1px solid #e1e4ea;background:#fff}
.compose textarea,.offline input,.offline textarea{flex:1;resize:none;border:1px solid #6b7280;border-radius:8px;padding:8px;height:40px;color:#1d2330;background:#fff}
.parley ::placeholder{color:#5f6573;opacity:1}
.send{border:0;border-radius:8px;background:var(--accent,#2f5bea);color:#fff;padding:0 14px;cursor:pointer;font-weight:600;min-height:40px}
.send:disabled,.pick:disabled{opacity:.6;cursor:default}
.att{position:relative;display:flex;align-items:center;padding:0 8px;border:1px solid #6b7280;border-radius:8px;cursor:pointer;font-weight:600}
.att input{position:absolute;inset:0;opacity:0;width:100%;cursor:pointer}
.msg .img{display:block;max-width:200px;max-height:200px;margin-top:4px;border-radius:8px}
.msg .file{display:block;margin-top:4px;color:inherit}
.end{background:transparent;border:1px solid #fff;color:#fff;border-radius:6px;padding:4px 8px;cursor:pointer;font-size:12px}
.link{background:none;border:0;color:inherit;text-decoration:underline;cursor:pointer;padding:0;font-size:11px}
.failed{background:#fdecea;color:#8a1c0d;border:1px solid #f5c2bb}
.ended{text-align:center;font-size:12px;color:#4a4f5a;padding:6px}
.wide{flex:1;height:40px}
.offline{display:flex;flex-direction:column;gap:8px;padding:10px;border-top:1px solid #e1e4ea;background:#fff;font-size:13px}
.offline textarea{height:70px}
.invite{position:fixed;right:20px;bottom:88px;width:280px;max-width:calc(100vw - 40px);background:#fff;
 border-radius:12px;box-shadow:0 6px 24px rgba(0,0,0,.22);padding:14px 14px 12px;display:flex;flex-direction:column;gap:10px}
.invite p{padding-right:22px;white-space:pre-wrap;overflow-wrap:anywhere}
.invite .close{position:absolute;top:4px;right:4px;color:#4a4f5a}
.invite .send{height:36px}
.picks{display:flex;gap:6px}
.pick{flex:1;height:36px;border:1px solid #6b7280;border-radius:8px;background:#fff;cursor:pointer}
.pick[aria-pressed=true]{background:var(--accent,#2f5bea);color:#fff;border-color:transparent}
.offline label{display:flex;flex-direction:column;gap:4px}
.err{color:#8a1c0d;font-size:12px}
.err:empty{display:none}
.req>span::after{content:" *"}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
"#;
