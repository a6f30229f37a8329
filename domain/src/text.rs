//! Finding the bytes that text rules care about, eight at a time.
//!
//! The field rules reject control characters; the adapters apply the same kind of check to
//! header values, and escape the same bytes (plus a delimiter or two) when they write JSON text
//! themselves (log lines, a response body placed in its proxy response). That text is nearly
//! always plain, so the checks look at a whole 64-bit word at once and go byte by byte only
//! within a word that holds a byte of interest. At 128 MB a function has 7 % of a CPU, and a
//! byte-by-byte loop over every header and field of a request shows.

/// The first byte of every lane.
const ONES: u64 = u64::from_ne_bytes([1; 8]);
/// The top bit of every lane.
const TOPS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether any byte of `word` is below `limit` (at most 0x80). Exact as a yes/no answer: a
/// borrow can only mark a byte wrongly when a lower byte is truly below `limit`.
const fn has_byte_below(word: u64, limit: u8) -> bool {
    word.wrapping_sub(ONES * limit as u64) & !word & TOPS != 0
}

/// Whether any byte of `word` equals `byte`.
const fn has_byte(word: u64, byte: u8) -> bool {
    has_byte_below(word ^ (ONES * byte as u64), 1)
}

/// The index of the first byte of `bytes` that is an ASCII control character below 0x20 or one
/// of `also`; `None` when there is none.
#[inline]
pub fn find_control_or<const N: usize>(bytes: &[u8], also: [u8; N]) -> Option<usize> {
    let wanted = |byte: &u8| *byte < 0x20 || also.contains(byte);
    let (words, tail) = bytes.as_chunks::<8>();
    for (index, word) in words.iter().enumerate() {
        let value = u64::from_ne_bytes(*word);
        if has_byte_below(value, 0x20) || also.iter().any(|&byte| has_byte(value, byte)) {
            if let Some(offset) = word.iter().position(wanted) {
                return Some(index * 8 + offset);
            }
        }
    }
    tail.iter()
        .position(wanted)
        .map(|offset| words.len() * 8 + offset)
}

/// Whether `bytes` holds an ASCII control character (below 0x20, or DEL) other than those
/// `allowed`. Bytes above ASCII are not looked at.
pub fn has_ascii_control_other_than(bytes: &[u8], allowed: &[u8]) -> bool {
    let mut rest = bytes;
    while let Some((control, after)) = find_control_or(rest, [0x7f])
        .and_then(|at| rest.get(at..))
        .and_then(<[u8]>::split_first)
    {
        if !allowed.contains(control) {
            return true;
        }
        rest = after;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `find_control_or` must answer, a byte at a time.
    fn byte_by_byte(bytes: &[u8], also: &[u8]) -> Option<usize> {
        bytes.iter().position(|b| *b < 0x20 || also.contains(b))
    }

    #[test]
    fn finds_the_first_control_character_or_listed_byte_in_any_lane() {
        let plain = b"0123456789abcdef0123456789abcdef-";
        for at in 0..plain.len() {
            for byte in [0x00, 0x09, 0x1f, b'"', b'\\', 0x7f] {
                let mut text = plain.to_vec();
                text[at] = byte;
                let found = find_control_or(&text, [b'"', b'\\', 0x7f]);
                assert_eq!(found, Some(at), "{byte:#04x} at {at}");
            }
        }
        assert_eq!(find_control_or(plain, [b'"', b'\\', 0x7f]), None);
    }

    #[test]
    fn bytes_just_past_the_control_range_and_utf8_are_plain() {
        let text = "  !~ é日本語 ~! 0123456789 ".as_bytes();
        assert_eq!(find_control_or(text, []), None);
        assert_eq!(find_control_or(text, [0x7f]), None);
        // Lanes at the limit itself and with their top bit set, around the one that is below.
        let mut text = [0x20u8; 16];
        text[8] = 0xa0;
        text[10] = 0x1f;
        assert_eq!(find_control_or(&text, []), Some(10));
        text[10] = 0x80;
        assert_eq!(find_control_or(&text, []), None);
    }

    #[test]
    fn a_control_character_is_allowed_only_when_listed() {
        assert!(!has_ascii_control_other_than(
            b"tab\there\tand there",
            b"\t"
        ));
        assert!(has_ascii_control_other_than(
            b"tab\there, then a\nnewline",
            b"\t"
        ));
        assert!(has_ascii_control_other_than(b"a delete \x7f", b"\t\n"));
        assert!(!has_ascii_control_other_than(
            "é, no control".as_bytes(),
            b""
        ));
        assert!(!has_ascii_control_other_than(b"", b""));
    }

    proptest! {
        #[test]
        fn agrees_with_a_byte_by_byte_search(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            plain in proptest::collection::vec(0x20u8..0x7f, 0..40),
        ) {
            // Mostly plain text with arbitrary bytes around it, as a request would have it.
            let mut text = plain.clone();
            text.extend(&bytes);
            text.extend(&plain);
            prop_assert_eq!(find_control_or(&text, []), byte_by_byte(&text, &[]));
            prop_assert_eq!(
                find_control_or(&text, [b'"', b'\\']),
                byte_by_byte(&text, b"\"\\")
            );
            prop_assert_eq!(find_control_or(&text, [0x7f]), byte_by_byte(&text, &[0x7f]));
            prop_assert_eq!(
                has_ascii_control_other_than(&text, b"\t"),
                text.iter().any(|b| (*b < 0x20 || *b == 0x7f) && *b != b'\t')
            );
        }
    }
}
