//! Reading server frames: the visitors' ([`Hidden`]) with the flat reader of
//! `parley_protocol::flat` over the value `JSON.parse` gave (no serde in the widget for them),
//! the operators' ([`VisitorInfo`]) with serde (the console has it anyway). The saved outbox is
//! read through the same [`Json`] view.

use js_sys::{Array, Number, Object, Reflect};
use parley_protocol::flat::{read_server, Json};
use parley_protocol::protocol::{Hidden, ServerMsg, VisitorInfo, VisitorPart};
use wasm_bindgen::{JsCast, JsValue};

/// A side of the protocol: how its server frames are read.
pub trait Side: VisitorPart {
    /// The frame in `text`, or `None` when it is not one this side accepts.
    fn read_frame(text: &str) -> Option<ServerMsg<Self>>;
}

impl Side for Hidden {
    fn read_frame(text: &str) -> Option<ServerMsg<Hidden>> {
        read_server(&Js(js_sys::JSON::parse(text).ok()?))
    }
}

impl Side for VisitorInfo {
    fn read_frame(text: &str) -> Option<ServerMsg<VisitorInfo>> {
        crate::from_json(text)
    }
}

/// A value from `JSON.parse`, read as `serde_wasm_bindgen` reads it.
pub(crate) struct Js(pub(crate) JsValue);

impl Json for Js {
    fn field(&self, k: &str) -> Option<Self> {
        if !self.0.is_object() {
            return None;
        }
        let v = Reflect::get(&self.0, &JsValue::from_str(k)).ok()?;
        (!v.is_undefined()).then_some(Js(v))
    }
    fn is_null(&self) -> bool {
        self.0.is_null() || self.0.is_undefined()
    }
    fn is_object(&self) -> bool {
        self.0.is_object()
    }
    fn is_array(&self) -> bool {
        Array::is_array(&self.0)
    }
    fn string(&self) -> Option<String> {
        self.0.as_string()
    }
    fn boolean(&self) -> Option<bool> {
        self.0.as_bool()
    }
    fn uint(&self) -> Option<u64> {
        let n = self.0.as_f64()?;
        (Number::is_safe_integer(&self.0) && n >= 0.0).then_some(n as u64)
    }
    fn items(&self) -> Option<Vec<Self>> {
        let a = self.0.dyn_ref::<Array>()?;
        Some(a.iter().map(Js).collect())
    }
    fn entries(&self) -> Option<Vec<(String, Self)>> {
        if !self.0.is_object() {
            return None;
        }
        let entries = Object::entries(self.0.unchecked_ref());
        entries
            .iter()
            .map(|pair| {
                let pair: Array = pair.unchecked_into();
                Some((pair.get(0).as_string()?, Js(pair.get(1))))
            })
            .collect()
    }
}
