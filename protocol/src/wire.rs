//! Small pieces for reading tagged enums through flat structs (`#[serde(try_from = ..)]`): the
//! derived code of internally tagged enums buffers every value in serde's `Content` first, and
//! that machinery alone is tens of kilobytes of the widget. The wire format does not change.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A required field of the variant named by the tag.
pub fn need<T>(v: Option<T>, field: &str) -> Result<T, String> {
    v.ok_or_else(|| ["missing field `", field, "`"].concat())
}

/// A list item that is a string in one variant and a small number in another (`any_of`).
#[derive(Debug)]
pub enum StrOrNum {
    Str(String),
    Num(u64),
}

impl StrOrNum {
    pub fn into_str(self) -> Result<String, String> {
        match self {
            StrOrNum::Str(s) => Ok(s),
            StrOrNum::Num(_) => Err("expected a string".into()),
        }
    }

    pub fn into_u8(self) -> Result<u8, String> {
        match self {
            StrOrNum::Num(n) => u8::try_from(n).map_err(|_| "number out of range".into()),
            StrOrNum::Str(_) => Err("expected a number".into()),
        }
    }
}

impl<'de> de::Deserialize<'de> for StrOrNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StrOrNum;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a whole number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StrOrNum, E> {
                Ok(StrOrNum::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<StrOrNum, E> {
                Ok(StrOrNum::Str(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StrOrNum, E> {
                Ok(StrOrNum::Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StrOrNum, E> {
                u64::try_from(v).map(StrOrNum::Num).map_err(|_| E::custom("a negative number"))
            }
            // JavaScript numbers (the widget reads through the browser's JSON.parse).
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<StrOrNum, E> {
                if v >= 0.0 && v.fract() == 0.0 && v < 9.0e15 {
                    Ok(StrOrNum::Num(v as u64))
                } else {
                    Err(E::custom("not a whole number"))
                }
            }
        }
        d.deserialize_any(V)
    }
}
