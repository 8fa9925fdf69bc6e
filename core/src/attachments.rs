//! Files in a conversation (issue 21), as pure decisions: what an upload's bytes are (by their
//! content, never by the name's or the browser's claim), whether its name agrees, the name kept,
//! a JPEG's metadata stripped, an image's size read from its header; the token a `send` frame
//! names an uploaded file with; the signed, expiring link a file is read through; the key it is
//! stored under. No I/O, no clock, no randomness: ids and `now` come in as arguments.
//!
//! Office documents: `.docx`/`.xlsx`/`.pptx` are ZIP archives. They are accepted on the ZIP
//! signature plus the name's extension (the archive's entries are not opened: a ZIP named
//! `.docx` is taken for one). Legacy `.doc`/`.xls`/`.ppt` on the OLE compound-file signature plus
//! the extension. A ZIP or OLE file with any other name is refused: arbitrary archives are not
//! accepted.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use parley_protocol::limits::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_NAME_CHARS};
use parley_protocol::protocol::AttachmentView;

use crate::keys::Keyring;

/// What the bytes of a file are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
    Text,
    Docx,
    Xlsx,
    Pptx,
    Doc,
    Xls,
    Ppt,
}

const ALL: [Kind; 12] = [
    Kind::Png,
    Kind::Jpeg,
    Kind::Gif,
    Kind::Webp,
    Kind::Pdf,
    Kind::Text,
    Kind::Docx,
    Kind::Xlsx,
    Kind::Pptx,
    Kind::Doc,
    Kind::Xls,
    Kind::Ppt,
];

impl Kind {
    /// The type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Gif => "image/gif",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
            Kind::Text => "text/plain; charset=utf-8",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            Kind::Doc => "application/msword",
            Kind::Xls => "application/vnd.ms-excel",
            Kind::Ppt => "application/vnd.ms-powerpoint",
        }
    }

    /// The extensions a name of this kind may have (the first is added to a name without one).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Png => &["png"],
            Kind::Jpeg => &["jpg", "jpeg", "jfif", "jpe"],
            Kind::Gif => &["gif"],
            Kind::Webp => &["webp"],
            Kind::Pdf => &["pdf"],
            Kind::Text => &["txt", "text", "log", "csv", "md", "json"],
            Kind::Docx => &["docx"],
            Kind::Xlsx => &["xlsx"],
            Kind::Pptx => &["pptx"],
            Kind::Doc => &["doc"],
            Kind::Xls => &["xls"],
            Kind::Ppt => &["ppt"],
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Kind::Png | Kind::Jpeg | Kind::Gif | Kind::Webp)
    }

    /// The kind whose extensions include `ext` (lower case).
    fn of_extension(ext: &str) -> Option<Kind> {
        ALL.into_iter().find(|k| k.extensions().contains(&ext))
    }
}

/// Why an upload is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// More than [`MAX_ATTACHMENT_BYTES`].
    TooLarge,
    /// Not one of the accepted kinds.
    NotAllowed,
    /// The name says one kind and the bytes are another (or none).
    Mismatch { claimed: Kind },
}

/// An accepted upload: what is stored and shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub kind: Kind,
    /// The sanitised name, with an extension of its kind.
    pub name: String,
    /// The bytes to store (a JPEG's without its metadata).
    pub bytes: Vec<u8>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

const ZIP: &[u8] = b"PK\x03\x04";
const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// What the bytes are by their signature (magic bytes), the name's extension deciding only
/// between the office formats that share one container (ZIP, OLE).
pub fn detect(bytes: &[u8], ext: Option<&str>) -> Option<Kind> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Kind::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Kind::Jpeg);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some(Kind::Gif);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some(Kind::Webp);
    }
    if bytes.starts_with(b"%PDF-") {
        return Some(Kind::Pdf);
    }
    if bytes.starts_with(ZIP) {
        return match ext {
            Some("docx") => Some(Kind::Docx),
            Some("xlsx") => Some(Kind::Xlsx),
            Some("pptx") => Some(Kind::Pptx),
            _ => None,
        };
    }
    if bytes.starts_with(OLE) {
        return match ext {
            Some("doc") => Some(Kind::Doc),
            Some("xls") => Some(Kind::Xls),
            Some("ppt") => Some(Kind::Ppt),
            _ => None,
        };
    }
    if !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        return Some(Kind::Text);
    }
    None
}

/// A file name as kept: the last path segment, without control characters, characters that
/// mean something to a file system or a header (`/ \ : * ? " < > |`), leading dots and
/// surrounding spaces, at most [`MAX_ATTACHMENT_NAME_CHARS`] characters with its extension kept;
/// `file` when nothing is left.
pub fn sanitize_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        last.chars().filter(|c| !c.is_control() && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|')).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    let cleaned = if cleaned.is_empty() { "file".to_owned() } else { cleaned };
    if cleaned.chars().count() <= MAX_ATTACHMENT_NAME_CHARS {
        return cleaned;
    }
    let (stem, ext) = split_ext(&cleaned);
    let ext: String = ext.map(|e| format!(".{e}")).unwrap_or_default();
    let ext: String = ext.chars().take(16).collect();
    let keep = MAX_ATTACHMENT_NAME_CHARS - ext.chars().count();
    let stem: String = stem.chars().take(keep).collect();
    format!("{}{ext}", stem.trim_end())
}

/// `(stem, extension)` of a name (`a.tar.gz` → `("a.tar", Some("gz"))`; `.x` has none).
fn split_ext(name: &str) -> (&str, Option<&str>) {
    match name.rfind('.') {
        Some(i) if i > 0 && i + 1 < name.len() => (&name[..i], Some(&name[i + 1..])),
        _ => (name, None),
    }
}

/// Checks an upload: size, kind by content, name against kind; strips a JPEG's metadata and
/// reads an image's size. A name without an extension, or with one no accepted kind has, gets
/// its kind's (`notes` → `notes.txt`, `x.html` of text → `x.html.txt`): what is downloaded opens
/// as what it is.
pub fn inspect(name: &str, bytes: &[u8]) -> Result<Accepted, Refusal> {
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(Refusal::TooLarge);
    }
    let name = sanitize_name(name);
    let ext = split_ext(&name).1.map(str::to_ascii_lowercase);
    let claimed = ext.as_deref().and_then(Kind::of_extension);
    let Some(kind) = detect(bytes, ext.as_deref()) else {
        return Err(match claimed {
            Some(claimed) => Refusal::Mismatch { claimed },
            None => Refusal::NotAllowed,
        });
    };
    let name = match claimed {
        Some(c) if c == kind => name,
        Some(claimed) => return Err(Refusal::Mismatch { claimed }),
        None => sanitize_name(&format!("{name}.{}", kind.extensions()[0])),
    };
    let bytes =
        if kind == Kind::Jpeg { strip_jpeg_metadata(bytes).ok_or(Refusal::NotAllowed)? } else { bytes.to_vec() };
    let (width, height) = image_size(kind, &bytes).map_or((None, None), |(w, h)| (Some(w), Some(h)));
    Ok(Accepted { kind, name, bytes, width, height })
}

// ---------------------------------------------------------------------------------------------
// JPEG.

/// A JPEG without its metadata: every APPn segment but APP0 (JFIF) and APP2 (the ICC colour
/// profile) — so APP1's Exif (camera, GPS location, thumbnail) and XMP — and every COM comment
/// are dropped; the image data after the start of scan is kept byte for byte. `None` when the
/// segments before the scan cannot be walked (not a JPEG that could be cleaned).
pub fn strip_jpeg_metadata(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut i = 2;
    loop {
        // Fill bytes (0xFF repeated) may precede a marker.
        if *bytes.get(i)? != 0xFF {
            return None;
        }
        while bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let marker = *bytes.get(i + 1)?;
        // Markers without a length.
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            out.extend_from_slice(&[0xFF, marker]);
            i += 2;
            continue;
        }
        if marker == 0xD9 {
            out.extend_from_slice(&[0xFF, 0xD9]);
            return Some(out);
        }
        let len = u16::from_be_bytes([*bytes.get(i + 2)?, *bytes.get(i + 3)?]) as usize;
        if len < 2 {
            return None;
        }
        let end = i + 2 + len;
        let segment = bytes.get(i..end)?;
        if marker == 0xDA {
            // Start of scan: the entropy-coded data and everything after it, as it is.
            out.extend_from_slice(&bytes[i..]);
            return Some(out);
        }
        let metadata = (0xE1..=0xEF).contains(&marker) && marker != 0xE2 || marker == 0xFE;
        if !metadata {
            out.extend_from_slice(segment);
        }
        i = end;
    }
}

/// An image's width and height from its header (PNG IHDR, GIF screen, JPEG SOFn, WebP VP8/VP8L/VP8X).
pub fn image_size(kind: Kind, b: &[u8]) -> Option<(u32, u32)> {
    let be32 = |i: usize| Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?));
    let le16 = |i: usize| Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?) as u32);
    let le24 = |i: usize| Some(u32::from_le_bytes([*b.get(i)?, *b.get(i + 1)?, *b.get(i + 2)?, 0]));
    match kind {
        Kind::Png if b.get(12..16) == Some(b"IHDR") => Some((be32(16)?, be32(20)?)),
        Kind::Gif => Some((le16(6)?, le16(8)?)),
        Kind::Jpeg => {
            let mut i = 2;
            while i + 9 < b.len() {
                if b[i] != 0xFF {
                    return None;
                }
                let m = b[i + 1];
                if m == 0xFF {
                    i += 1;
                    continue;
                }
                let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
                if (0xC0..=0xCF).contains(&m) && !matches!(m, 0xC4 | 0xC8 | 0xCC) {
                    let h = u16::from_be_bytes([b[i + 5], b[i + 6]]) as u32;
                    let w = u16::from_be_bytes([b[i + 7], b[i + 8]]) as u32;
                    return Some((w, h));
                }
                if m == 0xDA {
                    return None;
                }
                i += 2 + len;
            }
            None
        }
        Kind::Webp => match b.get(12..16)? {
            b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
            b"VP8 " => Some((le16(26)? & 0x3FFF, le16(28)? & 0x3FFF)),
            b"VP8L" => {
                let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
                Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
            }
            _ => None,
        },
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Where a file is stored, how a message names it, how it is read.

/// The R2 key of a file: scoped by account and conversation, so a conversation's files are one
/// prefix ([`conversation_prefix`]) to list and delete.
pub fn object_key(account_id: &str, conversation_id: &str, file_id: &str) -> String {
    format!("{}{file_id}", conversation_prefix(account_id, conversation_id))
}

/// The prefix of every file of a conversation.
pub fn conversation_prefix(account_id: &str, conversation_id: &str) -> String {
    format!("files/{account_id}/{conversation_id}/")
}

fn token_data(conversation_id: &str, payload: &str) -> String {
    format!("attachment\n{conversation_id}\n{payload}")
}

/// The token a `send` frame names an uploaded file with: the file as the message will carry it
/// (base64url JSON) and its signature under the attachment key, for this conversation only.
pub fn attachment_token(ring: &Keyring, conversation_id: &str, view: &AttachmentView) -> String {
    let payload = B64.encode(serde_json::to_vec(view).expect("a view serialises"));
    let sig = ring.sign(&token_data(conversation_id, &payload));
    format!("{payload}.{sig}")
}

/// The file a token made by [`attachment_token`] for `conversation_id` names, or `None` for a
/// token of another conversation, another deployment, or altered in any way.
pub fn read_attachment_token(ring: &Keyring, conversation_id: &str, token: &str) -> Option<AttachmentView> {
    let (payload, sig) = token.split_once('.')?;
    if !ring.verify(&token_data(conversation_id, payload), sig) {
        return None;
    }
    serde_json::from_slice(&B64.decode(payload).ok()?).ok()
}

/// Why a file link is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Malformed, forged, or for another file, conversation or account.
    Bad,
    Expired,
}

fn link_data(account_id: &str, conversation_id: &str, file_id: &str, expires_at: u64) -> String {
    format!("file\n{account_id}\n{conversation_id}\n{file_id}\n{expires_at}")
}

/// The query of a link reading one file until `now + ttl_ms`: `e=EXPIRES&s=KID.SIG`, the
/// signature over the account, conversation, file and expiry under the file-link key.
pub fn file_link_query(
    ring: &Keyring,
    account_id: &str,
    conversation_id: &str,
    file_id: &str,
    now: u64,
    ttl_ms: u64,
) -> (String, u64) {
    let expires_at = now + ttl_ms;
    let sig = ring.sign(&link_data(account_id, conversation_id, file_id, expires_at));
    (format!("e={expires_at}&s={sig}"), expires_at)
}

/// Checks a file link's expiry `e` and signature `s` for the file it names (signature first:
/// a forged link is `Bad` whatever its expiry).
pub fn check_file_link(
    ring: &Keyring,
    (account_id, conversation_id, file_id): (&str, &str, &str),
    e: &str,
    s: &str,
    now: u64,
) -> Result<(), LinkRefusal> {
    let Ok(expires_at) = e.parse::<u64>() else { return Err(LinkRefusal::Bad) };
    if e != expires_at.to_string() || !ring.verify(&link_data(account_id, conversation_id, file_id, expires_at), s) {
        return Err(LinkRefusal::Bad);
    }
    if now >= expires_at {
        return Err(LinkRefusal::Expired);
    }
    Ok(())
}

/// The `Content-Disposition` a file is served with: `inline` for an image (shown in the
/// transcript), `attachment` for anything else (downloaded, never rendered by the browser in
/// the deployment's origin); the name as ASCII (others replaced) and as RFC 5987 UTF-8.
pub fn content_disposition(kind_is_image: bool, name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let how = if kind_is_image { "inline" } else { "attachment" };
    format!("{how}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Purpose;

    const TINY_JPEG: &[u8] = include_bytes!("../testdata/tiny.jpg");
    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 3, 0, 0, 0, 2, 8,
        6, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// An APP1 Exif segment whose IFD0 points to a GPS IFD with a latitude
    /// (GPSLatitudeRef "N", GPSLatitude 48/1 51/1 2964/100): what a phone writes.
    fn exif_with_gps() -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\x00\x2A\x00\x00\x00\x08"); // big-endian TIFF, IFD0 at 8
        tiff.extend_from_slice(&[0, 1]); // one entry
        tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26]); // GPSInfo → 26
        tiff.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
        tiff.extend_from_slice(&[0, 2]); // GPS IFD: two entries
        tiff.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]); // GPSLatitudeRef
        tiff.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 56]); // GPSLatitude → 56
        tiff.extend_from_slice(&[0, 0, 0, 0]);
        for (n, d) in [(48u32, 1u32), (51, 1), (2964, 100)] {
            tiff.extend_from_slice(&n.to_be_bytes());
            tiff.extend_from_slice(&d.to_be_bytes());
        }
        let mut body = b"Exif\x00\x00".to_vec();
        body.extend_from_slice(&tiff);
        let mut seg = vec![0xFF, 0xE1];
        seg.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        seg.extend_from_slice(&body);
        seg
    }

    fn with_metadata(jpeg: &[u8]) -> Vec<u8> {
        // SOI, APP0 (JFIF, 18 bytes with its marker) then Exif, an XMP APP1, a comment, the rest.
        let mut out = jpeg[..20].to_vec();
        out.extend_from_slice(&exif_with_gps());
        let xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPS 48.85</x:xmpmeta>";
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((xmp.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(xmp);
        let com = b"taken at home";
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&((com.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(com);
        out.extend_from_slice(&jpeg[20..]);
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_jpegs_exif_gps_xmp_and_comments_are_stripped_and_the_image_kept() {
        assert_eq!(&TINY_JPEG[..4], &[0xFF, 0xD8, 0xFF, 0xE0], "the fixture starts with JFIF");
        let tagged = with_metadata(TINY_JPEG);
        assert!(contains(&tagged, b"Exif") && contains(&tagged, &[0x88, 0x25]) && contains(&tagged, b"taken at home"));
        let clean = strip_jpeg_metadata(&tagged).expect("a walkable JPEG");
        assert!(!contains(&clean, b"Exif"), "no Exif left");
        assert!(!contains(&clean, b"xmpmeta") && !contains(&clean, b"GPS 48"), "no XMP left");
        assert!(!contains(&clean, b"taken at home"), "no comment left");
        // What is left is exactly the image the browser made: JFIF, ICC profile, tables, scan.
        assert_eq!(clean, TINY_JPEG);
        assert!(contains(&clean, b"ICC_PROFILE"), "the colour profile is kept");
        assert_eq!(image_size(Kind::Jpeg, &clean), Some((4, 3)));
        // Through the upload's check, too.
        let ok = inspect("IMG_0001.JPG", &tagged).unwrap();
        assert_eq!((ok.kind, ok.bytes.as_slice(), ok.width, ok.height), (Kind::Jpeg, TINY_JPEG, Some(4), Some(3)));
        // A JPEG whose segments cannot be walked is not stored as it is.
        assert_eq!(strip_jpeg_metadata(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00]), None);
        assert_eq!(inspect("x.jpg", &[0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0, 1]), Err(Refusal::NotAllowed));
    }

    #[test]
    fn types_are_told_by_their_bytes() {
        assert_eq!(detect(PNG_1X1, None), Some(Kind::Png));
        assert_eq!(detect(TINY_JPEG, None), Some(Kind::Jpeg));
        assert_eq!(detect(b"GIF89a\x02\x00\x03\x00", None), Some(Kind::Gif));
        assert_eq!(detect(b"RIFF\x10\x00\x00\x00WEBPVP8L", None), Some(Kind::Webp));
        assert_eq!(detect(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", None), Some(Kind::Pdf));
        assert_eq!(detect("héllo\nworld".as_bytes(), Some("txt")), Some(Kind::Text));
        assert_eq!(detect(b"a\x00b", None), None, "a NUL is not text");
        assert_eq!(detect(b"\xC3\x28", None), None, "invalid UTF-8 is not text");
        assert_eq!(detect(b"", None), None);
        assert_eq!(detect(b"PK\x03\x04rest", Some("docx")), Some(Kind::Docx));
        assert_eq!(detect(b"PK\x03\x04rest", Some("xlsx")), Some(Kind::Xlsx));
        assert_eq!(detect(b"PK\x03\x04rest", Some("zip")), None, "a bare archive is not accepted");
        assert_eq!(detect(&[OLE, b"rest"].concat(), Some("doc")), Some(Kind::Doc));
        assert_eq!(detect(&[OLE, b"rest"].concat(), Some("exe")), None);
        assert_eq!(image_size(Kind::Png, PNG_1X1), Some((3, 2)));
        assert_eq!(image_size(Kind::Gif, b"GIF89a\x02\x00\x03\x00"), Some((2, 3)));
    }

    #[test]
    fn a_name_that_claims_another_type_is_refused() {
        assert_eq!(inspect("shot.png", b"MZ\x90\x00 not an image\x00"), Err(Refusal::Mismatch { claimed: Kind::Png }));
        assert_eq!(inspect("shot.png", b"just text"), Err(Refusal::Mismatch { claimed: Kind::Png }));
        assert_eq!(inspect("shot.PNG", TINY_JPEG), Err(Refusal::Mismatch { claimed: Kind::Png }));
        assert_eq!(inspect("report.pdf", PNG_1X1), Err(Refusal::Mismatch { claimed: Kind::Pdf }));
        assert_eq!(inspect("setup.exe", b"MZ\x90\x00\x00"), Err(Refusal::NotAllowed));
        assert_eq!(inspect("a.zip", b"PK\x03\x04"), Err(Refusal::NotAllowed));
        // No extension, or one of no accepted kind: the kind's is added.
        assert_eq!(inspect("screenshot", PNG_1X1).unwrap().name, "screenshot.png");
        assert_eq!(inspect("page.html", b"<script>x</script>").unwrap().name, "page.html.txt");
        assert_eq!(inspect("page.html", b"<b>x</b>").unwrap().kind.content_type(), "text/plain; charset=utf-8");
        let ok = inspect("Shot.Png", PNG_1X1).unwrap();
        assert_eq!((ok.name.as_str(), ok.kind, ok.width, ok.height), ("Shot.Png", Kind::Png, Some(3), Some(2)));
    }

    #[test]
    fn sizes_are_counted_on_the_bytes() {
        let big = vec![b'a'; MAX_ATTACHMENT_BYTES + 1];
        assert_eq!(inspect("a.txt", &big), Err(Refusal::TooLarge));
        assert!(inspect("a.txt", &big[1..]).is_ok());
    }

    #[test]
    fn names_are_sanitised() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("C:\\Users\\me\\Desktop\\cv.pdf"), "cv.pdf");
        assert_eq!(sanitize_name("a\u{0}b\r\nc\u{7}.txt"), "abc.txt");
        assert_eq!(sanitize_name("  .hidden  "), "hidden");
        assert_eq!(sanitize_name("what?<is>|this*\".pdf"), "whatisthis.pdf");
        assert_eq!(sanitize_name("..."), "file");
        assert_eq!(sanitize_name(""), "file");
        assert_eq!(sanitize_name("dir/"), "file");
        let long = format!("{}.pdf", "é".repeat(300));
        let kept = sanitize_name(&long);
        assert_eq!(kept.chars().count(), MAX_ATTACHMENT_NAME_CHARS);
        assert!(kept.ends_with("é.pdf"));
        assert_eq!(sanitize_name("日本語のファイル.txt"), "日本語のファイル.txt");
    }

    fn view() -> AttachmentView {
        AttachmentView {
            id: "f_1".into(),
            name: "shot.png".into(),
            content_type: "image/png".into(),
            size: 33,
            width: Some(3),
            height: Some(2),
        }
    }

    #[test]
    fn an_attachment_token_names_its_file_in_its_conversation_only() {
        let ring = Keyring::new(b"0123456789abcdef-current", None, Purpose::AttachmentToken);
        let t = attachment_token(&ring, "c_1", &view());
        assert_eq!(read_attachment_token(&ring, "c_1", &t), Some(view()));
        assert_eq!(read_attachment_token(&ring, "c_2", &t), None, "another conversation");
        let other = Keyring::new(b"0123456789abcdef-another", None, Purpose::AttachmentToken);
        assert_eq!(read_attachment_token(&other, "c_1", &t), None, "another deployment");
        let links = Keyring::new(b"0123456789abcdef-current", None, Purpose::FileLink);
        assert_eq!(read_attachment_token(&links, "c_1", &t), None, "another purpose's key");
        // An altered view (a bigger size, another id) does not verify.
        let (payload, sig) = t.split_once('.').unwrap();
        let mut v = view();
        v.id = "f_2".into();
        let forged = format!("{}.{sig}", B64.encode(serde_json::to_vec(&v).unwrap()));
        assert_ne!(payload, forged.split_once('.').unwrap().0);
        assert_eq!(read_attachment_token(&ring, "c_1", &forged), None);
        assert_eq!(read_attachment_token(&ring, "c_1", "garbage"), None);
    }

    #[test]
    fn a_file_link_reads_its_file_until_it_expires_and_nothing_else() {
        let ring = Keyring::new(b"0123456789abcdef-current", None, Purpose::FileLink);
        let (q, expires) = file_link_query(&ring, "a_1", "c_1", "f_1", 1_000, 600_000);
        assert_eq!(expires, 601_000);
        let e = q.strip_prefix("e=").unwrap().split('&').next().unwrap();
        let s = q.split("&s=").nth(1).unwrap();
        let at = |now| check_file_link(&ring, ("a_1", "c_1", "f_1"), e, s, now);
        assert_eq!(at(1_000), Ok(()));
        assert_eq!(at(600_999), Ok(()));
        assert_eq!(at(601_000), Err(LinkRefusal::Expired));
        for other in [("a_2", "c_1", "f_1"), ("a_1", "c_2", "f_1"), ("a_1", "c_1", "f_2")] {
            assert_eq!(check_file_link(&ring, other, e, s, 1_000), Err(LinkRefusal::Bad), "{other:?}");
        }
        // A later expiry with the old signature, a malformed expiry, another key: forged.
        assert_eq!(check_file_link(&ring, ("a_1", "c_1", "f_1"), "999999999", s, 1_000), Err(LinkRefusal::Bad));
        assert_eq!(check_file_link(&ring, ("a_1", "c_1", "f_1"), "0601000", s, 1_000), Err(LinkRefusal::Bad));
        let other = Keyring::new(b"0123456789abcdef-another", None, Purpose::FileLink);
        assert_eq!(check_file_link(&other, ("a_1", "c_1", "f_1"), e, s, 1_000), Err(LinkRefusal::Bad));
        // An expired forgery is still a forgery.
        assert_eq!(check_file_link(&ring, ("a_1", "c_1", "f_2"), e, s, 700_000), Err(LinkRefusal::Bad));
    }

    #[test]
    fn files_are_keyed_under_their_account_and_conversation() {
        assert_eq!(object_key("a_1", "c_1", "f_1"), "files/a_1/c_1/f_1");
        assert!(object_key("a_1", "c_1", "f_1").starts_with(&conversation_prefix("a_1", "c_1")));
    }

    #[test]
    fn images_are_shown_inline_and_other_files_downloaded() {
        assert_eq!(
            content_disposition(false, "Rapport été.pdf"),
            "attachment; filename=\"Rapport _t_.pdf\"; filename*=UTF-8''Rapport%20%C3%A9t%C3%A9.pdf"
        );
        assert!(content_disposition(true, "a.png").starts_with("inline;"));
        assert!(!content_disposition(false, "a\"b.pdf").contains("a\"b"));
    }
}
