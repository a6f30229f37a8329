//! The key that seals listing cursors. A cursor is the listing's position, which anyone can
//! read (base64), followed by an HMAC-SHA256 tag of it under this key: a cursor the API did not
//! write, edited or made up, is a 400 like any other bad cursor, rather than a listing started
//! wherever it points. HMAC-SHA256 through `hmac` and `sha2`, the code the SDK signs every
//! request with, so the check adds no code of its own to a function.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The shortest key accepted, in bytes of its text.
pub const CURSOR_KEY_MIN_BYTES: usize = 32;

/// Between a cursor's position and its tag; never part of base64url.
const SEPARATOR: char = '.';

/// The secret every function of a stage seals and opens cursors with. Its text is the key
/// (whoever configures the stage writes it, [`CursorKey::random`] makes one).
#[derive(Clone)]
pub struct CursorKey {
    text: String,
    /// HMAC keyed once, cloned for each cursor.
    keyed: Hmac<Sha256>,
}

impl CursorKey {
    /// A key from its text; `None` when shorter than [`CURSOR_KEY_MIN_BYTES`].
    pub fn new(text: impl Into<String>) -> Option<Self> {
        let text = text.into();
        if text.len() < CURSOR_KEY_MIN_BYTES {
            return None;
        }
        let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(text.as_bytes()).ok()?;
        Some(Self { text, keyed })
    }

    /// A fresh key of 244 random bits, for a stage that sets none (one process, or processes
    /// all given its text).
    #[allow(
        clippy::expect_used,
        reason = "43 bytes of base64, over the minimum; HMAC takes a key of any length"
    )]
    pub fn random() -> Self {
        let bits = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()];
        Self::new(URL_SAFE_NO_PAD.encode(bits.map(|u| u.into_bytes()).concat()))
            .expect("a random key is long enough")
    }

    /// The key's text, for whoever passes it on to a function.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// `position` followed by its tag: the cursor callers see.
    pub fn seal(&self, position: &str) -> String {
        let tag = URL_SAFE_NO_PAD.encode(self.mac(position).finalize().into_bytes());
        format!("{position}{SEPARATOR}{tag}")
    }

    /// The position a cursor sealed with this key holds; `None` for anything else.
    pub fn open<'a>(&self, cursor: &'a str) -> Option<&'a str> {
        let (position, tag) = cursor.rsplit_once(SEPARATOR)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        // Compared in constant time.
        self.mac(position).verify_slice(&tag).ok()?;
        Some(position)
    }

    fn mac(&self, position: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(position.as_bytes());
        mac
    }
}

impl PartialEq for CursorKey {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for CursorKey {}

/// Never printed: a log line or a test failure must not carry it.
impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> CursorKey {
        CursorKey::new(text.repeat(CURSOR_KEY_MIN_BYTES)).expect("long enough")
    }

    #[test]
    fn a_sealed_cursor_opens_to_its_position_with_the_same_key_only() {
        let sealed = key("a").seal("MWF8c29tZXdoZXJl");
        assert_eq!(key("a").open(&sealed), Some("MWF8c29tZXdoZXJl"));
        assert_eq!(key("b").open(&sealed), None, "another stage's key");
    }

    #[test]
    fn an_edited_or_made_up_cursor_does_not_open() {
        let key = key("a");
        let sealed = key.seal("MWF8c29tZXdoZXJl");
        let (position, tag) = sealed.rsplit_once('.').expect("two parts");
        for cursor in [
            format!("MWF8c29tZXdoZXJm.{tag}"),
            format!("{position}.{}", tag.replace(&tag[..1], "Z")),
            format!("{position}.{}", &tag[1..]),
            position.to_owned(),
            format!("{position}."),
            format!(".{tag}"),
            "MWF8MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAw".to_owned(),
        ] {
            assert_eq!(key.open(&cursor), None, "{cursor}");
        }
    }

    #[test]
    fn a_key_must_be_long_enough_and_is_never_printed() {
        assert_eq!(CursorKey::new("k".repeat(CURSOR_KEY_MIN_BYTES - 1)), None);
        let random = CursorKey::random();
        assert!(random.text().len() >= CURSOR_KEY_MIN_BYTES);
        assert_ne!(random, CursorKey::random());
        assert_eq!(format!("{random:?}"), "CursorKey(..)");
    }
}
