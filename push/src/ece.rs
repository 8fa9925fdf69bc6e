//! RFC 8188, "Encrypted Content-Encoding for HTTP": the `aes128gcm` content coding.
//!
//! A body is a header (salt, record size, key id) and records of at most `rs` octets, each
//! AES-128-GCM over its data, a delimiter (1 for every record but the last, 2 for the last) and
//! optional zero padding. The content-encryption key and the nonce are derived from the input
//! keying material and the salt with HKDF-SHA-256; record `i` uses the nonce XOR `i`.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

/// Octets of the salt that starts every header.
pub const SALT_LEN: usize = 16;
/// Octets of AES-GCM's authentication tag at the end of every record.
pub const TAG_LEN: usize = 16;
/// The smallest record size the coding allows (one octet of data, the delimiter, the tag).
pub const MIN_RS: u32 = 18;

/// Why a body could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EceError {
    /// The header is cut short or its record size is below [`MIN_RS`].
    Header,
    /// A key id longer than 255 octets cannot be written in the header.
    KeyId,
    /// A record failed authentication (wrong key, altered or truncated body).
    Record,
    /// The records' delimiters or padding are not as the coding requires (a truncated body).
    Padding,
}

/// The parts of a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    pub salt: [u8; SALT_LEN],
    pub rs: u32,
    pub key_id: &'a [u8],
    /// Where the records start.
    pub len: usize,
}

/// Reads a body's header.
pub fn header(body: &[u8]) -> Result<Header<'_>, EceError> {
    if body.len() < SALT_LEN + 5 {
        return Err(EceError::Header);
    }
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&body[..SALT_LEN]);
    let rs = u32::from_be_bytes([body[16], body[17], body[18], body[19]]);
    let id_len = body[20] as usize;
    let len = SALT_LEN + 5 + id_len;
    if rs < MIN_RS || body.len() < len {
        return Err(EceError::Header);
    }
    Ok(Header { salt, rs, key_id: &body[SALT_LEN + 5..len], len })
}

/// The content-encryption key and the nonce base for this input keying material and salt.
pub fn derive(ikm: &[u8], salt: &[u8; SALT_LEN]) -> ([u8; 16], [u8; 12]) {
    let hk = Hkdf::<Sha256>::new(Some(salt), ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    // Both lengths are far below HKDF-SHA-256's 8,160-octet output limit.
    hk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).expect("16 octets");
    hk.expand(b"Content-Encoding: nonce\0", &mut nonce).expect("12 octets");
    (cek, nonce)
}

fn record_nonce(base: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut n = *base;
    for (i, b) in seq.to_be_bytes().iter().enumerate() {
        n[4 + i] ^= b;
    }
    n
}

/// Encrypts `plaintext` into a whole body: as many records of `rs` octets as it needs, no
/// padding.
pub fn encrypt(
    ikm: &[u8],
    salt: &[u8; SALT_LEN],
    key_id: &[u8],
    rs: u32,
    plaintext: &[u8],
) -> Result<Vec<u8>, EceError> {
    if rs < MIN_RS {
        return Err(EceError::Header);
    }
    let id_len = u8::try_from(key_id.len()).map_err(|_| EceError::KeyId)?;
    let (cek, base) = derive(ikm, salt);
    let cipher = Aes128Gcm::new(&cek.into());
    let per_record = rs as usize - TAG_LEN - 1;
    let chunks: Vec<&[u8]> = if plaintext.is_empty() { vec![&[]] } else { plaintext.chunks(per_record).collect() };
    let mut out = Vec::with_capacity(SALT_LEN + 5 + key_id.len() + plaintext.len() + chunks.len() * (TAG_LEN + 1));
    out.extend_from_slice(salt);
    out.extend_from_slice(&rs.to_be_bytes());
    out.push(id_len);
    out.extend_from_slice(key_id);
    let last = chunks.len() - 1;
    for (seq, chunk) in chunks.into_iter().enumerate() {
        let mut record = Vec::with_capacity(chunk.len() + 1);
        record.extend_from_slice(chunk);
        record.push(if seq == last { 2 } else { 1 });
        let sealed = cipher
            .encrypt(Nonce::from_slice(&record_nonce(&base, seq as u64)), record.as_slice())
            .map_err(|_| EceError::Record)?;
        out.extend_from_slice(&sealed);
    }
    Ok(out)
}

/// Decrypts a whole body with the input keying material its key id names.
pub fn decrypt(ikm: &[u8], body: &[u8]) -> Result<Vec<u8>, EceError> {
    let h = header(body)?;
    let (cek, base) = derive(ikm, &h.salt);
    let cipher = Aes128Gcm::new(&cek.into());
    let records: Vec<&[u8]> = body[h.len..].chunks(h.rs as usize).collect();
    if records.is_empty() {
        return Err(EceError::Padding);
    }
    let last = records.len() - 1;
    let mut out = Vec::new();
    for (seq, record) in records.into_iter().enumerate() {
        if record.len() <= TAG_LEN {
            return Err(EceError::Record);
        }
        let plain = cipher
            .decrypt(Nonce::from_slice(&record_nonce(&base, seq as u64)), record)
            .map_err(|_| EceError::Record)?;
        // Padding is zeros after the delimiter; the delimiter says whether more records follow.
        let end = plain.iter().rposition(|&b| b != 0).ok_or(EceError::Padding)?;
        match (plain[end], seq == last) {
            (2, true) | (1, false) => out.extend_from_slice(&plain[..end]),
            _ => return Err(EceError::Padding),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64;

    /// RFC 8188 §3.1, "Encryption of a Response": one record, no key id.
    #[test]
    fn rfc8188_example_1_byte_for_byte() {
        let ikm = b64("yqdlZ-tYemfogSmv7Ws5PQ");
        let salt: [u8; 16] = b64("I1BsxtFttlv3u_Oo94xnmw").try_into().unwrap();
        let body = encrypt(&ikm, &salt, b"", 4096, b"I am the walrus").unwrap();
        assert_eq!(body, b64("I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg"));
        let (cek, nonce) = derive(&ikm, &salt);
        assert_eq!(cek.to_vec(), b64("_wniytB-ofscZDh4tbSjHw"));
        assert_eq!(nonce.to_vec(), b64("Bcs8gkIRKLI8GeI8"));
        assert_eq!(decrypt(&ikm, &body).unwrap(), b"I am the walrus");
    }

    /// RFC 8188 §3.2, "Encryption with Multiple Records": key id "a1", records of 25 octets,
    /// padding in the first record.
    #[test]
    fn rfc8188_example_2_multiple_records_and_padding() {
        let body =
            b64("uNCkWiNYzKTnBN9ji3-qWAAAABkCYTHOG8chz_gnvgOqdGYovxyjuqRyJFjEDyoF1Fvkj6hQPdPHI51OEUKEpgz3SsLWIqS_uA");
        let h = header(&body).unwrap();
        assert_eq!((h.rs, h.key_id), (25, &b"a1"[..]));
        assert_eq!(decrypt(&b64("BO3ZVPxUlnLORbVGMpbT1Q"), &body).unwrap(), b"I am the walrus");
    }

    #[test]
    fn round_trips_across_record_boundaries() {
        let ikm = [7u8; 16];
        let salt = [9u8; 16];
        for len in [0usize, 1, 6, 7, 8, 14, 100] {
            let text: Vec<u8> = (0..len as u8).collect();
            let body = encrypt(&ikm, &salt, b"k", 24, &text).unwrap();
            assert_eq!(decrypt(&ikm, &body).unwrap(), text, "len {len}");
        }
    }

    #[test]
    fn refuses_altered_truncated_or_foreign_bodies() {
        let ikm = [7u8; 16];
        let salt = [9u8; 16];
        let body = encrypt(&ikm, &salt, b"", 24, b"three records of text").unwrap();
        let mut altered = body.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(decrypt(&ikm, &altered), Err(EceError::Record));
        // Dropping the last record leaves a body whose last record says "more follow".
        let h = header(&body).unwrap();
        assert_eq!(decrypt(&ikm, &body[..h.len + 24]), Err(EceError::Padding));
        assert_eq!(decrypt(&[8u8; 16], &body), Err(EceError::Record));
        assert_eq!(decrypt(&ikm, &body[..10]), Err(EceError::Header));
        assert_eq!(encrypt(&ikm, &salt, b"", 17, b"x"), Err(EceError::Header));
        assert_eq!(encrypt(&ikm, &salt, &[0u8; 256], 4096, b"x"), Err(EceError::KeyId));
    }
}
