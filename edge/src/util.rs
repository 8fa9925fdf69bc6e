//! The edge's only sources of time and randomness, passed into `parley_protocol` as arguments.

use parley_protocol::ids::mint_id;
use parley_protocol::Millis;

pub fn now() -> Millis {
    Millis(worker::Date::now().as_millis())
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).expect("crypto.getRandomValues is available in workers");
    buf
}

/// A fresh random id with a readable prefix (`c_…` conversation, `v_…` visitor…).
pub fn new_id(prefix: &str) -> String {
    mint_id(prefix, &random_bytes::<12>())
}
