//! The inside of a JSON string (RFC 8259 §7), written once for every adapter that writes JSON
//! text itself: the log lines, and a response body placed as a string into its proxy response.
//! Plain runs are found a word at a time (see [`text`](items_domain::text)) and written whole.

use std::fmt;

use items_domain::text::find_control_or;

/// Writes `text` to `out` as the inside of a JSON string: `"` and `\` escaped, control
/// characters as `\n`, `\r`, `\t` or `\u00XX`, everything else as it is.
pub fn write_escaped(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    let mut rest = text;
    while let Some((plain, tail)) =
        find_control_or(rest.as_bytes(), [b'"', b'\\']).and_then(|at| rest.split_at_checked(at))
    {
        // The byte found is ASCII: one byte, and a character starts right after it.
        let (Some(&byte), Some(after)) = (tail.as_bytes().first(), tail.get(1..)) else {
            break;
        };
        out.write_str(plain)?;
        match byte {
            b'"' => out.write_str("\\\"")?,
            b'\\' => out.write_str("\\\\")?,
            b'\n' => out.write_str("\\n")?,
            b'\r' => out.write_str("\\r")?,
            b'\t' => out.write_str("\\t")?,
            control => write!(out, "\\u{control:04x}")?,
        }
        rest = after;
    }
    out.write_str(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut out = String::new();
        write_escaped(&mut out, text).unwrap();
        out
    }

    #[test]
    fn what_json_must_escape_is_escaped_and_serde_json_reads_it_back() {
        let text = "a \"quoted\" C:\\path\nnext\tline\r\u{1}\u{1f} \u{7f} é 日本 {\"a\":[1]}";
        let out = escaped(text);
        assert_eq!(
            out,
            "a \\\"quoted\\\" C:\\\\path\\nnext\\tline\\r\\u0001\\u001f \u{7f} é 日本 {\\\"a\\\":[1]}"
        );
        let read: String = serde_json::from_str(&format!("\"{out}\"")).unwrap();
        assert_eq!(read, text);
    }

    #[test]
    fn plain_text_is_written_as_it_is() {
        let text = "plain text, long enough to span several words of eight bytes";
        assert_eq!(escaped(text), text);
        assert_eq!(escaped(""), "");
    }
}
