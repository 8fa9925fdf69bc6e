//! The widget's controller: the conversation's life (start on the first message, resume on
//! any page, end, start again), entry points and invites, over the state in one `St` and the
//! chat core's session; its I/O with the edge is `driver`.
//!
//! After a change `render` (`draw`) sets the views' signals (`ui::Ui`); the Leptos components
//! in `ui` show them. The controls carry a `data-act`: one listener per event type on the
//! container turns it into a typed `state::Act` (`act`).

use std::cell::RefCell;
use std::rc::Rc;

use parley_client::{post_js, ConnState, Connection, Delivery, Line, RatingStep, Session, Update};
use parley_protocol::api::{ChannelInfo, EntryChoice};
use parley_protocol::i18n::{fill, Lang, Texts};
use parley_protocol::invites::{self, FunnelEvent, Invite, Observed, Rule};
use parley_protocol::metrics::EventKind;
use parley_protocol::outcomes::{Goal, ReachedGoal, SessionGoals};
use parley_protocol::protocol::{Author, ClientMsg, Role, Routing, Status};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use wasm_bindgen_futures::spawn_local;
use web_sys::js_sys::{Array, Function, JSON};
use web_sys::{Element, Event, HtmlElement, KeyboardEvent, ShadowRoot};

use crate::invite::{self as page, Visits};
use crate::io::events::Events;
use crate::io::{emit, obj, prop, store, stringify, Call};
use crate::state::{Act, Offline};
use crate::ui::{self, put, Ui};

mod driver;
use driver::*;

/// The launcher's icon (the loader draws the same).
const ICON: &str = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";

/// The panel and the invite card once built (Leptos views: `ui::panel`, `ui::invite`), the
/// reactive owner of their views, and the elements the handlers use.
struct Dom {
    owner: leptos::prelude::Owner,
    panel: Element,
    /// The invite card: built after the panel when the panel was built ahead of need.
    invite: Option<Element>,
    log: Element,
    ended: Element,
    prechat: Element,
    input: HtmlElement,
    /// The transcript's rows on screen (key, element).
    rows: Vec<(String, Element)>,
    /// The pre-chat fields on screen and the reactive owner of their views.
    fields: Option<(Vec<ui::Field>, leptos::prelude::Owner)>,
}

/// One invite on this page: its rule (index in `rules`), its random id, its place in the
/// funnel, when it was shown.
struct Offer {
    rule: usize,
    id: String,
    state: Invite,
    shown_at: u64,
}

pub(crate) struct St {
    channel: String,
    base: String,
    lang: Lang,
    t: &'static Texts,
    /// The widget's container and the launcher (the loader's, taken over).
    top: HtmlElement,
    launcher: HtmlElement,
    /// What the views show (set by `draw`).
    ui: Ui,
    /// The panel and the invite card, once built.
    d: Option<Dom>,
    /// While the panel is open: it follows the phone's visual viewport (on-screen keyboard).
    vv: Option<crate::viewport::Follow>,
    // What the visitor sees.
    open: bool,
    info: Option<ChannelInfo>,
    /// Browser clock, refreshed while messages wait, to tell "sending" from "not sent yet".
    clock: u64,
    problem: Option<String>,
    offline: Offline,
    /// The invite on screen (its greeting), and the greeting that replaces the channel's
    /// after an invite was accepted.
    invite: Option<String>,
    greeting: Option<String>,
    conv: Option<String>,
    /// The pre-chat form is shown; the server's message about `err_field`.
    form: bool,
    form_err: Option<String>,
    err_field: String,
    // What the handlers need.
    creds: Option<(String, String)>,
    /// The conversation: its connection and the chat core's session behind it (transcript,
    /// status, routing, who types, the rating card).
    conn: Option<Connection>,
    /// Written before a conversation exists; sent once it does (kept in storage meanwhile),
    /// and since when it waits.
    queued: Vec<String>,
    queued_since: u64,
    creating: bool,
    events: Events,
    /// The entry point of the visitor's last click (button or invite), sent with the
    /// conversation when it is created (kept in storage meanwhile).
    entry: Option<EntryChoice>,
    button: String,
    rules: Vec<Rule>,
    time_zone: String,
    loaded: u64,
    visits: Visits,
    /// When the launcher first became visible in the viewport on this page.
    seen_at: Option<u64>,
    /// A click on the chat button made before the session said which entry point the button
    /// is (with its decision time when known): counted, and the entry of the next
    /// conversation, once the session is loaded.
    early: Option<Option<u64>>,
    offer: Option<Offer>,
    /// This page already had its (one) automatic invite.
    invited: bool,
    check_gen: u32,
    identified: bool,
    /// The pre-chat form's answers, once given (sent with the conversation).
    answers: Option<Vec<(String, String)>>,
    goals: Vec<Goal>,
    reached: SessionGoals,
    goals_sent: (String, usize),
    goals_busy: bool,
    /// "Email me this chat": its form is shown; the address the transcript was mailed to.
    mail_form: bool,
    mail_sent: Option<String>,
}

type Shared = Rc<RefCell<St>>;

/// The conversation's status: waiting from the moment its connection exists until the first
/// `welcome` says better; `None` without a conversation.
fn status(s: &St) -> Option<Status> {
    s.conn.as_ref().map(|c| c.with(|x| x.status().unwrap_or(Status::Waiting)))
}

fn doc() -> web_sys::Document {
    parley_client::window().document().unwrap_throw()
}

/// `<tag attr=value…>` appended to `parent`.
fn el(tag: &str, attrs: &[(&str, &str)], parent: &Element) -> Element {
    let e = doc().create_element(tag).unwrap_throw();
    for (k, v) in attrs {
        let _ = e.set_attribute(k, v);
    }
    let _ = parent.append_child(&e);
    e
}

fn attr(e: &Element, k: &str, v: &str) {
    if e.get_attribute(k).as_deref() != Some(v) {
        let _ = e.set_attribute(k, v);
    }
}

fn tf(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// The widget's container and launcher: the loader's (taken over) or new ones drawn the same way.
fn container(root: &ShadowRoot, look: &JsValue) -> (HtmlElement, HtmlElement) {
    let top = match root.query_selector(".parley").ok().flatten() {
        Some(e) => e,
        None => {
            let pos = prop(look, "position").as_string().filter(|p| p == "left").unwrap_or_else(|| "right".into());
            let e = doc().create_element("div").unwrap_throw();
            let _ = e.set_attribute("class", "parley");
            let _ = e.set_attribute("data-pos", &pos);
            let _ = root.append_child(&e);
            e
        }
    };
    let launcher = match top.query_selector(".launcher").ok().flatten() {
        Some(e) => e,
        None => {
            let b = el("button", &[("class", "launcher"), ("type", "button"), ("aria-expanded", "false")], &top);
            let ns = Some("http://www.w3.org/2000/svg");
            let svg = doc().create_element_ns(ns, "svg").unwrap_throw();
            for (k, v) in [("viewBox", "0 0 24 24"), ("aria-hidden", "true"), ("focusable", "false")] {
                let _ = svg.set_attribute(k, v);
            }
            let path = doc().create_element_ns(ns, "path").unwrap_throw();
            let _ = path.set_attribute("d", ICON);
            let _ = svg.append_child(&path);
            let _ = b.append_child(&svg);
            b
        }
    };
    let _ = launcher.set_attribute("data-act", "toggle");
    (top.unchecked_into(), launcher.unchecked_into())
}

/// The widget's own stylesheet, added to the loader's (constructable: strict CSP allows it).
fn adopt_css(root: &ShadowRoot) {
    let sheet = web_sys::CssStyleSheet::new().ok().filter(|s| s.replace_sync(crate::style::CSS).is_ok());
    let list = prop(root, "adoptedStyleSheets");
    match (sheet, list.dyn_into::<Array>()) {
        (Some(sheet), Ok(list)) => {
            let list = list.slice(0, list.length());
            list.push(&sheet);
            let _ = web_sys::js_sys::Reflect::set(root, &"adoptedStyleSheets".into(), &list);
        }
        _ => {
            let style = doc().create_element("style").unwrap_throw();
            style.set_text_content(Some(crate::style::CSS));
            let _ = root.append_child(&style);
        }
    }
}

/// Builds the panel (before the launcher) in the texts `t`; the invite card too with `invite`
/// (else [`add_invite`] adds it later).
fn build(top: &HtmlElement, launcher: &HtmlElement, t: &'static Texts, ui: Ui, invite: bool) -> Dom {
    let owner =
        ui::place(top, Some(launcher), move || (ui::panel::panel(ui, t), invite.then(|| ui::invite::invite(ui, t))));
    let find = |sel: &str| top.query_selector(sel).ok().flatten().unwrap_throw();
    Dom {
        owner,
        panel: find(".panel"),
        invite: invite.then(|| find(".invite")),
        log: find(".log"),
        ended: find(".ended"),
        prechat: find("[data-act=prechat]"),
        input: find("textarea[name=text]").unchecked_into(),
        rows: Vec::new(),
        fields: None,
    }
}

/// Builds the panel and the invite card now if they are not yet.
fn build_panel(s: &mut St) {
    match &mut s.d {
        None => {
            s.d = Some(build(&s.top, &s.launcher, s.t, s.ui, true));
            show_fields(s);
        }
        Some(d) => add_invite(d, &s.top, &s.launcher, s.t, s.ui),
    }
}

/// Adds the invite card (before the launcher, in the panel's reactive owner) if it is not there.
fn add_invite(d: &mut Dom, top: &HtmlElement, launcher: &HtmlElement, t: &'static Texts, ui: Ui) {
    if d.invite.is_none() {
        d.owner.with(|| {
            ui::place_here(top, Some(launcher), move || ui::invite::invite(ui, t));
        });
        d.invite = top.query_selector(".invite").ok().flatten();
    }
}

/// The pre-chat form's fields, from the channel (drawn again when they changed).
fn show_fields(s: &mut St) {
    let fields = s.info.as_ref().map(|i| i.prechat.as_slice()).unwrap_or_default();
    let fields: Vec<ui::Field> =
        fields.iter().map(|f| ui::Field { key: f.key.clone(), label: f.label.clone(), required: f.required }).collect();
    let ui = s.ui;
    let Some(d) = s.d.as_mut() else { return };
    if d.fields.as_ref().is_some_and(|(shown, _)| *shown == fields) {
        return;
    }
    if let Some((_, owner)) = d.fields.take() {
        owner.cleanup();
    }
    let owner = ui::forms::set_fields(&d.prechat, fields.clone(), ui);
    d.fields = Some((fields, owner));
}

pub fn mount(root: ShadowRoot, channel: String, base: String, look: JsValue) -> Result<(), JsValue> {
    // In two tasks of their own, so that no start-up task is long on a slow phone (each runs
    // functions for the first time: V8 compiles every wasm function at its first call, on the
    // main thread): the launcher taken over, then the state, stylesheet and listeners. A click
    // handed over by the loader meanwhile waits in `PENDING_CLICK`.
    parley_client::set_timeout(0, move || {
        let (top, launcher, lang, ui) = take_over(&root, &look);
        parley_client::set_timeout(0, move || start(root, top, launcher, lang, ui, channel, base));
    });
    Ok(())
}

/// The first step of [`mount`]: the loader's container and launcher (or new ones), in the
/// visitor's language.
#[inline(never)]
fn take_over(root: &ShadowRoot, look: &JsValue) -> (HtmlElement, HtmlElement, Lang, Ui) {
    let (top, launcher) = container(root, look);
    let nav = parley_client::window().navigator();
    let langs: Vec<String> = nav.languages().iter().filter_map(|l| l.as_string()).collect();
    let lang = Lang::pick(langs.iter().map(String::as_str), &prop(look, "language").as_string().unwrap_or_default());
    if let Some(accent) = prop(look, "accent").as_string() {
        let _ = top.style().set_property("--accent", safe_color(&accent));
    }
    let _ = top.set_attribute("lang", lang.code());
    let ui = Ui::new();
    ui::launcher::take_over(&top, &launcher, ui, lang.texts());
    (top, launcher, lang, ui)
}

thread_local! {
    /// A click the loader handed over before [`start`] ran (its `event.timeStamp`).
    static PENDING_CLICK: std::cell::Cell<Option<f64>> = const { std::cell::Cell::new(None) };
}

/// The second step of [`mount`]: the stylesheet, the state, the listeners; the session asked
/// for in the next task.
#[inline(never)]
fn start(root: ShadowRoot, top: HtmlElement, launcher: HtmlElement, lang: Lang, ui: Ui, channel: String, base: String) {
    adopt_css(&root);
    let t = lang.texts();
    let queued = store::load_json("queued").map(|q| strings(&q)).unwrap_or_default();
    let visits = page::load().page_view(parley_client::now_ms());
    page::save(&visits);
    let entry = store::load_json("entry").map(|e| EntryChoice {
        entry_point: prop(&e, "entry_point").as_string().unwrap_or_default(),
        invite: prop(&e, "invite").as_string().unwrap_or_default(),
        decision_ms: prop(&e, "decision_ms").as_f64().map(|n| n as u64),
    });
    let answers = store::load_json("prechat").filter(Array::is_array).map(|a| {
        Array::from(&a)
            .iter()
            .map(|p| strings(&p))
            .filter(|p| p.len() == 2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect()
    });
    let st = St {
        lang,
        t,
        top: top.clone(),
        launcher,
        ui,
        d: None,
        vv: None,
        open: store::load("open").as_deref() == Some("true"),
        info: None,
        clock: parley_client::now_ms(),
        problem: None,
        offline: Offline::Hidden,
        invite: None,
        greeting: None,
        conv: None,
        form: false,
        form_err: None,
        err_field: String::new(),
        creds: None,
        conn: None,
        queued,
        queued_since: parley_client::now_ms(),
        creating: false,
        events: Events::new(&base, &channel),
        entry,
        button: String::new(),
        rules: Vec::new(),
        time_zone: String::new(),
        loaded: page::page_loaded_at(),
        visits,
        seen_at: None,
        early: None,
        offer: None,
        invited: false,
        check_gen: 0,
        identified: false,
        answers,
        goals: Vec::new(),
        reached: load_goals(),
        goals_sent: (String::new(), 0),
        goals_busy: false,
        mail_form: false,
        mail_sent: None,
        channel,
        base,
    };
    let sh: Shared = Rc::new(RefCell::new(st));
    SH.with(|x| *x.borrow_mut() = Some(sh.clone()));
    for (ev, f) in [
        ("click", on_click as Handler),
        ("submit", on_submit),
        ("input", on_input),
        ("keydown", on_keydown),
        ("change", on_file),
        ("paste", on_file),
        ("drop", on_file),
        ("dragover", on_file),
    ] {
        listen(&top, ev, &sh, f);
    }
    let w = parley_client::window();
    listen(&w, "pagehide", &sh, on_pagehide);
    listen(&w, "visibilitychange", &sh, on_hidden);
    let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(&callback(&sh, on_tick), 2_000);
    // The session request leaves in the next task (measured: about 36 ms at 4x CPU, the first
    // time those functions run; in `mount`'s task it made that task long), the first render
    // (the launcher already shows the same) in the one after, so no start-up task is long on a
    // slow phone.
    let ses = sh.clone();
    parley_client::set_timeout(0, move || spawn_local(load_session(ses, true)));
    if let Some(at) = PENDING_CLICK.with(|c| c.take()) {
        pending_click(&sh, at);
    }
    parley_client::set_timeout(0, move || render(&mut sh.borrow_mut()));
}

type Handler = fn(&Shared, Event);

/// A JS function calling `f` with the state (one closure type for every listener).
fn callback(sh: &Shared, f: Handler) -> Function {
    let sh = sh.clone();
    Closure::<dyn FnMut(Event)>::new(move |e: Event| f(&sh, e)).into_js_value().unchecked_into()
}

/// Calls `f` with the state on every `ev` at `t`, for the page's life (gloo-events; one closure
/// type for every listener). Not passive (gloo's default): the handlers keep forms from
/// submitting and Enter from adding a line.
fn listen(t: &web_sys::EventTarget, ev: &'static str, sh: &Shared, f: Handler) {
    use gloo_events::{EventListener, EventListenerOptions};
    let sh = sh.clone();
    EventListener::new_with_options(t, ev, EventListenerOptions::enable_prevent_default(), move |e| f(&sh, e.clone()))
        .forget();
}

/// The strings of a JS array.
fn strings(a: &JsValue) -> Vec<String> {
    if !Array::is_array(a) {
        return Vec::new();
    }
    Array::from(a).iter().filter_map(|x| x.as_string()).collect()
}

fn target(e: &Event) -> Option<Element> {
    e.target()?.dyn_into::<Element>().ok()
}

/// What the element (or its nearest ancestor) with `data-act` does.
fn data_act(e: &Event) -> Option<(Element, String)> {
    let el = target(e)?.closest("[data-act]").ok()??;
    let a = el.get_attribute("data-act")?;
    Some((el, a))
}

fn on_click(sh: &Shared, e: Event) {
    let Some((el, a)) = data_act(&e) else { return };
    if el.tag_name() == "FORM" {
        return;
    }
    if a == "open" {
        // A file's link: asked for now (they expire), the download follows.
        e.prevent_default();
        let id = el.get_attribute("data-file").unwrap_or_default();
        let sh = sh.clone();
        spawn_local(async move {
            if let Some(url) = file_link(&sh, &id).await {
                let _ = parley_client::window().location().set_href(&url);
            }
        });
        return;
    }
    let a = match a.as_str() {
        "toggle" => Act::Toggle,
        "min" => Act::Minimize,
        "end" => Act::End,
        "accept" => Act::Accept,
        "decline" => Act::Decline,
        "pick" => Act::Pick(el.get_attribute("data-i").and_then(|i| i.parse::<u8>().ok()).unwrap_or(0).wrapping_sub(1)),
        "skip" => Act::Skip,
        "new" => Act::New,
        "retry" => Act::Retry,
        "mailme" => Act::MailMe,
        _ => return,
    };
    act(a);
}

thread_local! {
    /// The widget's state, for the views' handlers.
    static SH: RefCell<Option<Shared>> = const { RefCell::new(None) };
}

/// What the visitor's click on one of the widget's controls does.
pub(crate) fn act(a: Act) {
    let Some(sh) = SH.with(|x| x.borrow().clone()) else { return };
    let sh = &sh;
    if let Act::Toggle = a {
        // The panel shows in the click's task; the rest (consent, the click counted, storage,
        // focus, events) in the next (`set_open`): on a slow phone both halves in one task made
        // it long (the open panel's first render runs its functions for the first time).
        let (open, now) = (!sh.borrow().open, parley_client::now_ms());
        let later = sh.clone();
        parley_client::set_timeout(0, move || {
            store::consent();
            if open {
                clicked_button(&later, now);
            }
        });
        return set_open(sh, open);
    }
    // A click on one of the widget's buttons: the visitor interacted.
    store::consent();
    match a {
        Act::Toggle => {}
        Act::Minimize => set_open(sh, false),
        Act::End => {
            let conn = sh.borrow().conn.clone();
            if let Some(conn) = conn {
                conn.end();
            }
        }
        Act::Accept => accept(sh),
        Act::Decline => step(sh, Observed::Closed),
        Act::Pick(i) => {
            let mut s = sh.borrow_mut();
            if let (Some(conn), true) = (&s.conn, i < 3) {
                conn.with_mut(|x| x.rating.choose(i));
            }
            render(&mut s);
        }
        Act::Skip => {
            let conn = sh.borrow().conn.clone();
            if let Some(rating) = conn.and_then(|c| c.with_mut(|x| x.rating.skip())) {
                send_survey(sh, rating, String::new(), 1_000);
            }
        }
        Act::New => new_chat(sh),
        Act::MailMe => {
            let known = known_email(&sh.borrow());
            match known {
                Some(email) => send_transcript(sh, email),
                None => {
                    let mut s = sh.borrow_mut();
                    s.mail_form = !s.mail_form;
                    render(&mut s);
                    let input =
                        s.d.as_ref().and_then(|d| d.panel.query_selector("[data-act=mail] input").ok().flatten());
                    if let Some(i) = input.and_then(|i| i.dyn_into::<HtmlElement>().ok()) {
                        let _ = i.focus();
                    }
                }
            }
        }
        Act::Retry => {
            let conn = sh.borrow().conn.clone();
            if let Some(conn) = conn {
                conn.retry_now();
            }
        }
    }
}

/// The visitor's address when they gave one: `Parley.identify`'s, else the pre-chat form's
/// `email` answer.
fn known_email(s: &St) -> Option<String> {
    let identified = crate::io::identity().map(|i| i.email);
    let answered = s.answers.as_ref().and_then(|a| a.iter().find(|(k, _)| k == "email").map(|(_, v)| v.clone()));
    identified.into_iter().chain(answered).map(|e| e.trim().to_owned()).find(|e| e.contains('@'))
}

/// The value of the form control named `name` in `form`.
fn field(form: &Element, name: &str) -> String {
    form.query_selector(&["[name=", name, "]"].concat())
        .ok()
        .flatten()
        .map(|e| prop(&e, "value").as_string().unwrap_or_default())
        .unwrap_or_default()
}

fn on_submit(sh: &Shared, e: Event) {
    e.prevent_default();
    let Some((form, a)) = data_act(&e) else { return };
    store::consent();
    match a.as_str() {
        "send" => submit(sh),
        "mail" => send_transcript(sh, field(&form, "email")),
        "offline" => send_offline(sh, field(&form, "name"), field(&form, "email"), field(&form, "note")),
        "rate" => {
            let conn = sh.borrow().conn.clone();
            if let Some(rating) = conn.and_then(|c| c.with_mut(|x| x.rating.submit())) {
                send_survey(sh, rating, field(&form, "comment"), 1_000);
            }
        }
        "prechat" => {
            let answers: Vec<(String, String)> = {
                let mut s = sh.borrow_mut();
                // The fields' inputs, in the channel's order.
                let inputs = form.query_selector_all("input").ok();
                let inputs = (0..inputs.as_ref().map_or(0, |l| l.length())).filter_map(|i| inputs.as_ref()?.get(i));
                let keys = s.info.as_ref().map(|i| i.prechat.as_slice()).unwrap_or_default().iter();
                let answers: Vec<(String, String)> = keys
                    .map(|f| f.key.clone())
                    .zip(inputs.map(|i| prop(&i, "value").as_string().unwrap_or_default()))
                    .collect();
                // The visitor answered: kept for their next chats (the form again if refused).
                store::save_json("prechat", &answers_js(&answers));
                s.form = false;
                s.form_err = None;
                render(&mut s);
                answers
            };
            sh.borrow_mut().answers = Some(answers);
            create_conversation(sh.clone());
        }
        _ => {}
    }
}

fn on_input(sh: &Shared, e: Event) {
    store::consent();
    let input = composer(sh);
    let is_composer = target(&e).is_some_and(|t| t.is_same_node(input.as_ref().map(AsRef::as_ref)));
    if is_composer {
        typing_input(sh);
    }
}

fn on_keydown(sh: &Shared, e: Event) {
    let e: KeyboardEvent = e.unchecked_into();
    let key = e.key();
    let t = target(&e);
    let input = composer(sh);
    let within = |sel: &str| t.as_ref().is_some_and(|t| t.closest(sel).ok().flatten().is_some());
    if key == "Escape" && within(".panel") {
        set_open(sh, false);
    } else if key == "Escape" && within(".invite") {
        // Escape on the invite card declines it, as its close button does.
        store::consent();
        step(sh, Observed::Closed);
        let _ = sh.borrow().launcher.focus();
    } else if key == "Enter" && !e.shift_key() && t.is_some_and(|t| t.is_same_node(input.as_ref().map(AsRef::as_ref))) {
        e.prevent_default();
        store::consent();
        submit(sh);
    }
}

/// Files (issue 21): picked (`change` of the attach input), pasted into the composer or dropped
/// on the panel.
fn on_file(sh: &Shared, e: Event) {
    let ty = e.type_();
    if ty == "dragover" {
        e.prevent_default();
        return;
    }
    let file = match ty.as_str() {
        "change" => {
            let Some((el, a)) = data_act(&e) else { return };
            let Some(input) = el.dyn_into::<web_sys::HtmlInputElement>().ok().filter(|_| a == "file") else { return };
            // The list is live: take the file before clearing the input.
            let file = input.files().and_then(|f| f.get(0));
            input.set_value("");
            file
        }
        "paste" => {
            e.dyn_ref::<web_sys::ClipboardEvent>().and_then(|c| c.clipboard_data()).and_then(|d| d.files()?.get(0))
        }
        _ => e.dyn_ref::<web_sys::DragEvent>().and_then(|d| d.data_transfer()).and_then(|d| d.files()?.get(0)),
    };
    let Some(file) = file else { return };
    e.prevent_default();
    store::consent();
    attach(sh, file);
}

/// Uploads `file` and sends it as the visitor's message (refused here when over the size limit).
fn attach(sh: &Shared, file: web_sys::File) {
    let (url, creds) = {
        let mut s = sh.borrow_mut();
        if file.size() > parley_protocol::limits::MAX_ATTACHMENT_BYTES as f64 {
            s.problem = Some(s.t.file_too_large.to_owned());
            render(&mut s);
            return;
        }
        let (Some(conv), Some(creds)) = (s.conv.clone(), s.creds.clone()) else { return };
        let q = web_sys::js_sys::encode_uri_component(&file.name());
        let id = parley_client::random_id("m");
        let url = [s.base.as_str(), "/api/v1/conversations/", &conv, "/files?client_id=", &id, "&name="].concat();
        ((id, [url, String::from(q)].concat()), creds)
    };
    let sh = sh.clone();
    spawn_local(async move {
        let ((id, url), (vid, token)) = (url, creds);
        let headers = [("X-Parley-Visitor-Id", vid.as_str()), ("X-Parley-Visitor-Token", token.as_str())];
        let answer = parley_client::post_blob(&url, &file.into(), &headers).await;
        let mut s = sh.borrow_mut();
        let t = s.t;
        let up = answer.ok().and_then(|v| {
            Some((prop(&v, "token").as_string()?, parley_client::read_attachment(&prop(&v, "attachment"))?))
        });
        match (up, s.conn.clone()) {
            (Some((tok, file)), Some(conn)) => {
                s.problem = None;
                drop(s);
                conn.send_file(id, String::new(), tok, file);
                return;
            }
            _ => s.problem = Some(t.file_refused.to_owned()),
        }
        render(&mut s);
    });
}

/// A signed link reading file `id` of the conversation, asked for with the visitor's proof.
async fn file_link(sh: &Shared, id: &str) -> Option<String> {
    let (url, (vid, token)) = {
        let s = sh.borrow();
        let url = [s.base.as_str(), "/api/v1/conversations/", s.conv.as_deref()?, "/files/", id, "/link"].concat();
        (url, s.creds.clone()?)
    };
    let headers = [("X-Parley-Visitor-Id", vid.as_str()), ("X-Parley-Visitor-Token", token.as_str())];
    let v = parley_client::post_blob(&url, &JsValue::NULL, &headers).await.ok()?;
    prop(&v, "url").as_string()
}

/// Leaving the page: an invite on screen was ignored; unsent events go out as beacons.
fn on_pagehide(sh: &Shared, _: Event) {
    step(sh, Observed::Left);
    sh.borrow().events.beacon();
}

fn on_hidden(sh: &Shared, _: Event) {
    let mut s = sh.borrow_mut();
    if doc().hidden() {
        s.events.beacon();
    }
    // Reading or not any more (read receipts).
    render(&mut s);
}

/// Refreshes the clock while something waits, so a stuck message offers a retry.
fn on_tick(sh: &Shared, _: Event) {
    let mut s = sh.borrow_mut();
    let waiting = !s.queued.is_empty() || s.conn.as_ref().is_some_and(|c| c.with(Session::has_pending));
    if waiting {
        s.clock = parley_client::now_ms();
        render(&mut s);
    }
}

/// The composer's text box (once the panel is built).
fn composer(sh: &Shared) -> Option<HtmlElement> {
    sh.borrow().d.as_ref().map(|d| d.input.clone())
}

fn submit(sh: &Shared) {
    let Some(input) = composer(sh) else { return };
    let text = prop(&input, "value").as_string().unwrap_or_default();
    if text.trim().is_empty() {
        return;
    }
    let _ = web_sys::js_sys::Reflect::set(&input, &"value".into(), &"".into());
    send(sh, text);
}

/// Opens or closes the panel: shown in this task; what follows (storage, focus, events, the
/// availability check or the invite rules) in the next, so that this task stays short on a slow
/// phone. Opening, focus moves to the composer only after the panel's render (the views' effects
/// run in this task's microtasks), so nothing the render does can take it away; closing, it
/// returns to the launcher at once.
fn set_open(sh: &Shared, now_open: bool) {
    let changed = {
        let mut s = sh.borrow_mut();
        let changed = s.open != now_open;
        s.open = now_open;
        render(&mut s);
        changed
    };
    if !now_open {
        // Closing renders little: focus goes back to the launcher in this very task, so the
        // hidden panel never keeps it (nor does a key pressed before the next task land there).
        let _ = sh.borrow().launcher.focus();
    }
    let sh = sh.clone();
    parley_client::set_timeout(0, move || {
        let (open, focus) = {
            let s = sh.borrow();
            // Opened and closed again meanwhile: the later call does what follows.
            if s.open != now_open {
                return;
            }
            store::save("open", tf(now_open));
            // Keyboard users land in the composer when the panel opens.
            (now_open, s.d.as_ref().map(|d| d.input.clone()).filter(|_| now_open))
        };
        if let Some(input) = focus {
            let _ = input.focus();
        }
        if changed {
            emit(if open { "opened" } else { "closed" }, &JsValue::UNDEFINED);
        }
        if open {
            check_availability(&sh);
        } else {
            // Closed without a chat: the rules may still invite on this page.
            evaluate(&sh);
        }
    });
}

/// The invite's "Chat now".
fn accept(sh: &Shared) {
    let (entry, greeting) = {
        let s = sh.borrow();
        let entry = s.offer.as_ref().map(|o| EntryChoice {
            entry_point: s.rules[o.rule].id.clone(),
            invite: o.id.clone(),
            decision_ms: Some(parley_client::now_ms().saturating_sub(o.shown_at)),
        });
        (entry, s.invite.clone())
    };
    step(sh, Observed::Clicked);
    if let Some(entry) = entry {
        sh.borrow_mut().greeting = greeting;
        remember_entry(sh, entry);
        set_open(sh, true);
    }
}

fn new_chat(sh: &Shared) {
    // The ended conversation is done with; the next message starts a new one.
    let old = sh.borrow_mut().conn.take();
    if let Some(old) = old {
        old.close(true);
    }
    {
        let mut s = sh.borrow_mut();
        clear(&mut s);
        let comment = s.d.as_ref().and_then(|d| d.panel.query_selector("[name=comment]").ok().flatten());
        if let Some(comment) = comment {
            let _ = web_sys::js_sys::Reflect::set(&comment, &"value".into(), &"".into());
        }
        render(&mut s);
    }
    check_availability(sh);
}

/// The `Parley` calls once the session is loaded.
fn api(sh: &Shared, call: Call) {
    match call {
        Call::Open => set_open(sh, true),
        Call::Close => set_open(sh, false),
        Call::Invite(name) => invite_by_name(sh, &name),
        Call::Goal(name, value) => code_goal(sh, &name, value),
        Call::Identify => spawn_local(load_session(sh.clone(), false)),
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering.

/// Not inlined: called from many places, it would copy the read receipts' check into each.
#[inline(never)]
fn render(s: &mut St) {
    match s.conn.clone() {
        Some(conn) => {
            // The visitor reads only with the panel open on a visible page (read receipts): the
            // session then sends the read mark, when it moves.
            conn.reading(s.open && !doc().hidden());
            conn.with(|x| draw(s, Some(x)))
        }
        None => draw(s, None),
    }
}

/// Shows `s` and the conversation's session `x` (none yet: `None`): sets the views' signals.
fn draw(s: &mut St, x: Option<&Session>) {
    let (t, u) = (s.t, s.ui);
    put(u.open, s.open);
    // The operators' messages past the visitor's read mark (none while reading).
    put(u.unread, x.map_or(0, |x| x.unread() as u32));
    // The panel and the invite card wait until they are needed.
    if s.d.is_none() && !s.open && s.invite.is_none() {
        return;
    }
    // The open panel stays inside the phone's visual viewport; closed, nothing follows it (the
    // panel built closed is placed once, so that opening it changes no layout; read before the
    // panel is added, so that the read forces no layout).
    if s.d.is_none() && !s.open {
        crate::viewport::prime(&s.top);
    }
    build_panel(s);
    if s.open != s.vv.is_some() {
        s.vv = s.open.then(|| crate::viewport::follow(&s.top));
    }
    let status = x.map(|x| x.status().unwrap_or(Status::Waiting));
    let closed = status == Some(Status::Closed);
    let rating = x.map(|x| x.rating);
    let step = rating.map_or(RatingStep::Hidden, |r| r.step);
    let pick = rating.and_then(|r| r.pick);
    put(u.panel_off, !s.open);
    let name = s.info.as_ref().map_or(t.chat, |i| i.name.as_str());
    put(u.title, name.to_owned());
    put(u.sub, subtitle(t, x));
    put(u.end_off, status.is_none() || closed);
    let retrying = x.is_some_and(|x| x.state() == ConnState::Retrying);
    let notice = s.problem.as_deref().or(retrying.then_some(t.reconnecting));
    put(u.notice_off, notice.is_none());
    put(u.notice, notice.unwrap_or_default().to_owned());
    let greeting = s.greeting.as_deref().or_else(|| {
        let i = s.info.as_ref()?;
        let code = s.lang.code();
        Some(i.greetings.iter().find(|g| g.language == code).map_or(i.greeting.as_str(), |g| g.text.as_str()))
    });
    put(u.greet, greeting.unwrap_or_default().to_owned());
    put(u.ended_off, !closed);
    put(u.typing, x.and_then(Session::typist).map(|n| fill(t.typing, &[("name", n)])).unwrap_or_default());
    put(u.offline_off, s.offline != Offline::Shown);
    put(u.offline_thanks_off, s.offline != Offline::Sent);
    let sending = step == RatingStep::Sending;
    put(u.rate_off, !matches!(step, RatingStep::Asking | RatingStep::Sending));
    for (i, p) in u.picked.iter().enumerate() {
        put(*p, pick.is_some_and(|p| usize::from(p) == i));
    }
    put(u.rate_send_off, pick.is_none() || sending);
    put(u.rate_skip_off, sending);
    put(u.rate_thanks_off, step != RatingStep::Thanked);
    put(u.prechat_off, !s.form);
    put(u.err_key, s.err_field.clone());
    put(u.err, s.form_err.clone().unwrap_or_default());
    put(u.new_off, !closed);
    put(u.mailme_off, s.conv.is_none() || s.form);
    put(u.mail_off, !s.mail_form);
    put(u.mail_note_off, s.mail_sent.is_none());
    put(u.mail_note, s.mail_sent.as_deref().map(|e| fill(t.chat_emailed, &[("email", e)])).unwrap_or_default());
    put(u.compose_off, closed || s.offline != Offline::Hidden || s.form);
    put(u.invite_off, s.invite.is_none() || s.open);
    put(u.invite_text, s.invite.clone().unwrap_or_default());
    let rows = rows(s, x);
    if let Some(d) = s.d.as_mut() {
        if ui::transcript::sync(&d.log, &d.ended, &mut d.rows, &rows, t) {
            // Keep the newest message in view.
            d.log.set_scroll_top(d.log.scroll_height());
            // New images ask for their links (once each).
            if let (Ok(imgs), Some(sh)) =
                (d.log.query_selector_all("img[data-file]:not([src])"), SH.with(|x| x.borrow().clone()))
            {
                for i in 0..imgs.length() {
                    let Some(img) = imgs.get(i).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
                    attr(&img, "src", "");
                    let sh = sh.clone();
                    spawn_local(async move {
                        if let Some(url) = file_link(&sh, &img.get_attribute("data-file").unwrap_or_default()).await {
                            attr(&img, "src", &url);
                        }
                    });
                }
            }
        }
    }
}

/// The transcript: stored messages in `seq` order, then the visitor's own on their way
/// (written before the conversation existed, too) or refused.
fn rows(s: &St, x: Option<&Session>) -> Vec<ui::Row> {
    let t = s.t;
    let lines: &[Line] = x.map_or(&[], Session::lines);
    let mut rows = Vec::new();
    // Nothing goes stale behind the pre-chat form.
    let (form, now) = (s.form, s.clock);
    let stale = |since: u64| !form && parley_client::is_stale(since, now);
    let mine = |key: String, class, text: &str, meta: String, retry| ui::Row {
        key,
        class,
        who: None,
        text: text.to_owned(),
        meta,
        retry,
        file: String::new(),
        image: false,
        label: String::new(),
    };
    // A line's file (issue 21): its id, whether an image, its name (and size for a file).
    let with_file = |mut r: ui::Row, l: &Line| {
        if let Some(a) = &l.attachment {
            r.file = a.id.clone();
            r.image = a.is_image();
            let kb = a.size.div_ceil(1_000).to_string();
            r.label = if r.image { a.name.clone() } else { [a.name.as_str(), " (", &kb, " KB)"].concat() };
        }
        r
    };
    let (stored, tail) = lines.split_at(lines.iter().position(|l| l.seq.is_none()).unwrap_or(lines.len()));
    // Read receipts: "Seen" instead of "Sent" under the last message the operators have read
    // (its key changes with it, so that row alone is drawn again).
    let seen = x.and_then(Session::seen);
    for l in stored {
        let me = l.author.role == Role::Visitor;
        let read = me && l.seq == seen;
        let said = if read { t.seen } else { t.sent };
        let meta = [clock(l.at).as_str(), if me { " · " } else { "" }, if me { said } else { "" }].concat();
        let row = ui::Row {
            // Odd when "Seen": a key of its own (the keys of the others are not numbers).
            key: (l.seq.unwrap_or_default() * 2 + u64::from(read)).to_string(),
            class: if me { "msg mine" } else { "msg theirs" },
            who: (!me).then(|| l.author.name.clone()),
            text: l.text.clone(),
            meta,
            retry: false,
            file: String::new(),
            image: false,
            label: String::new(),
        };
        rows.push(with_file(row, l));
    }
    for l in tail {
        match &l.delivery {
            Delivery::Stored => {}
            Delivery::Refused(code, _) => rows.push(mine(
                ["x", &l.client_id].concat(),
                "msg mine failed",
                &l.text,
                fill(t.not_sent, &[("why", t.refusal(*code))]),
                false,
            )),
            Delivery::Sending => rows.push(with_file(pending(&l.client_id, &l.text, stale(l.at), t), l)),
        }
    }
    let queued_stale = stale(s.queued_since);
    for (i, q) in s.queued.iter().enumerate() {
        rows.push(pending(&["q", &i.to_string()].concat(), q, queued_stale, t));
    }
    rows
}

/// The visitor's message on its way: "sending", or "not sent yet · Retry" once stale.
fn pending(id: &str, text: &str, stale: bool, t: &Texts) -> ui::Row {
    ui::Row {
        key: [if stale { "!" } else { "." }, id].concat(),
        class: "msg mine pending",
        who: None,
        text: text.to_owned(),
        meta: if stale { [t.not_sent_yet, " · "].concat() } else { t.sending.to_owned() },
        retry: stale,
        file: String::new(),
        image: false,
        label: String::new(),
    }
}

/// The header's second line: the operator, the place in line, or the default.
fn subtitle(t: &Texts, x: Option<&Session>) -> String {
    match x.and_then(Session::routing) {
        Some(Routing::Assigned { name }) => fill(t.chatting_with, &[("name", name)]),
        Some(Routing::Queued { position, estimated_wait_ms: Some(ms) }) => {
            fill(t.in_line, &[("position", &position.to_string()), ("minutes", &ms.div_ceil(60_000).to_string())])
        }
        Some(Routing::Queued { estimated_wait_ms: None, .. }) => t.nobody_reply_here.into(),
        None => match x.and_then(Session::last_operator) {
            Some(name) => fill(t.chatting_with, &[("name", name)]),
            None => t.reply_soon.into(),
        },
    }
}

/// `#rgb`/`#rrggbb` only: a channel colour never becomes arbitrary CSS.
fn safe_color(c: &str) -> &str {
    let ok = c.starts_with('#') && matches!(c.len(), 4 | 7) && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        c
    } else {
        "#2f5bea"
    }
}

/// Local `HH:MM` of a timestamp.
fn clock(ms: u64) -> String {
    let d = web_sys::js_sys::Date::new(&(ms as f64).into());
    let two = |n: u32| [char::from(b'0' + (n / 10 % 10) as u8), char::from(b'0' + (n % 10) as u8)];
    let (h, m) = (two(d.get_hours()), two(d.get_minutes()));
    [h[0], h[1], ':', m[0], m[1]].iter().collect()
}

/// Forgets the conversation (another comes, or none); its connection was closed.
fn clear(s: &mut St) {
    s.conn = None;
    s.conv = None;
    s.mail_form = false;
    s.mail_sent = None;
}

// ---------------------------------------------------------------------------------------------
// Entry points: the chat button's views and clicks, automatic invites, decision time.

/// `EntryChoice` as JSON.
fn entry_js(e: &EntryChoice) -> JsValue {
    let mut pairs = vec![("entry_point", e.entry_point.as_str().into()), ("invite", e.invite.as_str().into())];
    if let Some(ms) = e.decision_ms {
        pairs.push(("decision_ms", (ms as f64).into()));
    }
    obj(&pairs)
}

/// The pre-chat answers as `[key, value]` pairs.
fn answers_js(a: &[(String, String)]) -> JsValue {
    a.iter()
        .map(|(k, v)| -> JsValue { [JsValue::from_str(k), JsValue::from_str(v)].iter().collect::<Array>().into() })
        .collect::<Array>()
        .into()
}

fn href() -> String {
    parley_client::window().location().href().unwrap_or_default()
}

/// Keeps the entry point of the visitor's last click until the conversation is created. The
/// visitor interacted, so it is stored (it survives a page change before they write).
fn remember_entry(sh: &Shared, entry: EntryChoice) {
    let mut s = sh.borrow_mut();
    store::save_json("entry", &entry_js(&entry));
    s.entry = Some(entry);
}

/// The launcher was clicked to open the panel: a click on the chat button, decided in the time
/// since the button became visible (the entry point of the next conversation, unless one is
/// under way).
/// `now`: when it was clicked (ms since the epoch).
fn clicked_button(sh: &Shared, now: u64) {
    let entry = {
        let mut s = sh.borrow_mut();
        if s.button.is_empty() {
            // Before the session: counted when it tells the button's entry point.
            let decision = s.seen_at.map(|t| now.saturating_sub(t));
            s.early.get_or_insert(decision);
            return;
        }
        s.events.push(EventKind::Click, &s.button, "", 0);
        if status(&s).is_some_and(|st| st != Status::Closed) {
            return;
        }
        EntryChoice {
            entry_point: s.button.clone(),
            invite: String::new(),
            decision_ms: s.seen_at.map(|t| now.saturating_sub(t)),
        }
    };
    remember_entry(sh, entry);
}

/// The loader's launcher was clicked at `at` (the page's clock, ms) before [`start`] put the
/// app's listener on it: the click waits in `PENDING_CLICK` for `start`. (After `start` the
/// app's own listener has the click; the loader hands clicks over until it knows, so none falls
/// between the loader's `mount` call and `start`.)
pub(crate) fn early_click(at: f64) {
    if SH.with(|x| x.borrow().is_none()) {
        PENDING_CLICK.with(|c| c.set(Some(at)));
    }
}

/// The click that waited for [`start`]: the panel opens now, and the click counts for the chat
/// button with its decision time (from the loader's `parley:launcher` mark, when the visitor
/// first saw the button).
fn pending_click(sh: &Shared, at: f64) {
    store::consent();
    if sh.borrow().open {
        return;
    }
    let perf = parley_client::window().performance();
    let seen = perf.and_then(|p| prop(&p.get_entries_by_name("parley:launcher").get(0), "startTime").as_f64());
    sh.borrow_mut().early = Some(seen.map(|t| (at - t).max(0.0) as u64));
    clicked_button(sh, parley_client::now_ms());
    set_open(sh, true);
}

/// When the visitor first saw the chat button (ms since the epoch): the loader's
/// `parley:launcher` mark, set when it drew the launcher, fixed in the viewport (the decision
/// time runs from there; the view itself is counted by the edge from the look request).
pub(super) fn launcher_seen() -> Option<u64> {
    let p = parley_client::window().performance()?;
    let at = prop(&p.get_entries_by_name("parley:launcher").get(0), "startTime").as_f64()?;
    Some((p.time_origin() + at) as u64)
}

/// A chat is under way (or about to start): no invites then.
fn busy(s: &St) -> bool {
    s.open || s.creating || !s.queued.is_empty() || status(s).is_some_and(|st| st != Status::Closed)
}

/// Evaluates the channel's rules on this page's signals: invites on a match, otherwise sets one
/// timer for when waiting could make a rule match. One automatic invite per page at most.
fn evaluate(sh: &Shared) {
    let s = sh.borrow();
    if s.invited || s.offer.is_some() || s.rules.is_empty() || busy(&s) {
        return;
    }
    let now = parley_client::now_ms();
    let here = page::Page::read();
    let signals = here.signals(&s.visits, s.loaded, now, &s.time_zone);
    let shown = |id: &str| s.visits.shown(id);
    if let Some(rule) = invites::first_match(&s.rules, &signals, shown) {
        let rule = s.rules.iter().position(|r| std::ptr::eq(r, rule)).unwrap_or(0);
        drop(s);
        offer(sh, rule);
    } else if let Some(ms) = invites::next_check_ms(&s.rules, &signals, shown) {
        drop(s);
        let gen = {
            let mut s = sh.borrow_mut();
            s.check_gen += 1;
            s.check_gen
        };
        let sh = sh.clone();
        parley_client::set_timeout(ms.clamp(100, i32::MAX as u64) as i32, move || {
            if sh.borrow().check_gen == gen {
                evaluate(&sh);
            }
        });
    }
}

/// `Parley.invite(name)`: the rule named `name` (case-insensitive) invites now, whatever its
/// conditions; availability is still asked.
fn invite_by_name(sh: &Shared, name: &str) {
    let rule = sh.borrow().rules.iter().position(|r| r.name.eq_ignore_ascii_case(name));
    match rule {
        Some(rule) => offer(sh, rule),
        None => web_sys::console::warn_2(&"Parley: no invite named".into(), &name.into()),
    }
}

/// A rule matched: asks whether an operator can take a chat, then shows the invite or
/// cancels it.
fn offer(sh: &Shared, rule: usize) {
    let (base, channel_id, always_show) = {
        let mut s = sh.borrow_mut();
        if s.offer.is_some() || busy(&s) {
            return;
        }
        s.invited = true;
        let always_show = s.rules[rule].invite.always_show;
        s.offer = Some(Offer { rule, id: parley_client::random_id("i"), state: Invite::matched().0, shown_at: 0 });
        (s.base.clone(), s.channel.clone(), always_show)
    };
    let sh = sh.clone();
    spawn_local(async move {
        let available = available(&base, channel_id).await == Some(true);
        step(&sh, Observed::Availability { available, always_show, now_ms: parley_client::now_ms() });
    });
}

/// Whether an operator can take a chat in the channel now (`None` when the edge cannot say).
async fn available(base: &str, channel_id: String) -> Option<bool> {
    let url = [base, "/api/v1/widget/availability"].concat();
    let body = stringify(&obj(&[("channel_id", channel_id.into())]));
    post_js(&url, body).await.ok().and_then(|a| prop(&a, "available").as_bool())
}

/// Moves this page's invite through its funnel (`invites::Invite`, so it ends once) and
/// reports each step.
fn step(sh: &Shared, observed: Observed) {
    let mut guard = sh.borrow_mut();
    let s = &mut *guard;
    let Some(offer) = s.offer.as_mut() else { return };
    let rule = &s.rules[offer.rule];
    let (next, steps) = offer.state.on(observed);
    offer.state = next;
    for st in steps {
        let kind = match st {
            FunnelEvent::Proactive => EventKind::Shown,
            FunnelEvent::Cancelled => EventKind::Cancelled,
            FunnelEvent::Accepted => EventKind::Accepted,
            FunnelEvent::Declined => EventKind::Declined,
            FunnelEvent::Ignored => EventKind::Ignored,
            FunnelEvent::Expired => EventKind::Expired,
            FunnelEvent::Match | FunnelEvent::NoAvailability => continue,
        };
        let timeout_ms = rule.invite.display_timeout_ms;
        s.events.push(kind, &rule.id, &offer.id, if kind == EventKind::Shown { timeout_ms } else { 0 });
        if kind == EventKind::Shown {
            offer.shown_at = parley_client::now_ms();
            s.visits.count_shown(&rule.id);
            page::save(&s.visits);
            s.invite = Some(rule.invite.greeting_for(s.lang.code()).to_owned());
            let sh = sh.clone();
            parley_client::set_timeout(timeout_ms.min(i32::MAX as u64) as i32 + 50, move || {
                step(&sh, Observed::Tick { now_ms: parley_client::now_ms(), timeout_ms });
            });
        }
    }
    if next == Invite::Done {
        s.offer = None;
        s.invite = None;
    }
    render(s);
}
