//! gzip for large responses. An HTTP API passes the function's body through untouched and does
//! not compress; a 100-item page is about 40 KB of JSON that gzip brings to a few KB. So the
//! function compresses when the caller accepts gzip and the body is worth it, and hands API
//! Gateway the bytes base64-encoded, as a binary proxy response must be. The body is encoded
//! once, as [`ApiResponse::into_event`](crate::response::ApiResponse::into_event) places it.
//!
//! Only payload 2.0 (HTTP API) responses are compressed: the REST API variant compresses at the
//! gateway (`minimum_compression_size` in the Terraform), and a base64 body would need binary
//! media types there.
//!
//! Each thread keeps one deflate state and resets it for every body: a fresh state allocates
//! and zeroes a few hundred KB of tables, which cost more than compressing a 20-item page.

use std::cell::RefCell;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// Bodies shorter than this go out as they are: below about a kilobyte, gzip's header and the
/// base64 step save too little to pay for the CPU.
pub const MIN_COMPRESSED_BYTES: usize = 1024;

/// gzip level 2 (zlib-rs): at 128 MB a function has 7 % of a CPU. zlib-rs's level 1 writes
/// static Huffman codes only, about 25 % more bytes than level 2 on a page of items; level 2
/// builds the page's own codes, for bytes within a few percent of the default level (6) at
/// much less CPU. JSON's repetition is what gzip finds either way.
const LEVEL: u32 = 2;

/// Whether an `Accept-Encoding` value allows gzip (RFC 9110 §12.5.3): `gzip` or `*` listed with
/// a non-zero weight; an explicit `gzip;q=0` refuses it even when `*` allows everything.
pub fn accepts_gzip(accept_encoding: &str) -> bool {
    let mut gzip = None;
    let mut any = None;
    for entry in accept_encoding.split(',') {
        let mut parts = entry.split(';');
        let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let weight = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(weight > 0.0),
            "*" => any = Some(weight > 0.0),
            _ => {}
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// A response body as a payload 2.0 proxy response carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBody {
    /// The text for the event's `body`: the body as it was, or base64 of its gzip bytes.
    pub text: String,
    /// Whether `text` is base64 of gzip bytes (`isBase64Encoded`, `content-encoding: gzip`).
    pub gzipped: bool,
    /// Whether the answer depends on `Accept-Encoding` (`vary: accept-encoding`): true for
    /// every body of at least [`MIN_COMPRESSED_BYTES`], compressed or not, so a cache keeps the
    /// two forms apart.
    pub varies: bool,
}

/// Encodes a payload 2.0 body once, before it is placed in the response: gzip, then base64,
/// when `accept_encoding` allows gzip and the body is at least [`MIN_COMPRESSED_BYTES`]; as it
/// is otherwise.
pub fn encode_body(body: String, accept_encoding: Option<&str>) -> EncodedBody {
    if body.len() < MIN_COMPRESSED_BYTES {
        return EncodedBody {
            text: body,
            gzipped: false,
            varies: false,
        };
    }
    let gzipped = accept_encoding
        .is_some_and(accepts_gzip)
        .then(|| gzip(body.as_bytes()))
        .flatten();
    match gzipped {
        Some(bytes) => EncodedBody {
            text: STANDARD.encode(bytes),
            gzipped: true,
            varies: true,
        },
        None => EncodedBody {
            text: body,
            gzipped: false,
            varies: true,
        },
    }
}

/// The gzip header (RFC 1952) flate2's `GzEncoder` writes at this level: deflate, no name, no
/// time stamp, the fastest algorithm (XFL 4), unknown operating system.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];

thread_local! {
    /// This thread's deflate state (raw deflate: the gzip framing is written around it).
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(LEVEL), false));
}

/// `bytes` as a gzip member; `None` if the deflate state fails, which it does not on a
/// buffer in memory (the body then goes out uncompressed).
fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(GZIP_HEADER.len() + bytes.len() / 4 + 64);
    out.extend_from_slice(&GZIP_HEADER);
    DEFLATE.with_borrow_mut(|deflate| {
        deflate.reset();
        let mut consumed = 0;
        loop {
            if out.len() == out.capacity() {
                out.reserve(out.capacity());
            }
            let (before_in, before_out) = (deflate.total_in(), deflate.total_out());
            let status = deflate
                .compress_vec(&bytes[consumed..], &mut out, FlushCompress::Finish)
                .ok()?;
            consumed += usize::try_from(deflate.total_in() - before_in).ok()?;
            match status {
                Status::StreamEnd => return Some(()),
                // No progress with room left would loop forever: give up instead.
                _ if deflate.total_in() == before_in
                    && deflate.total_out() == before_out
                    && out.len() < out.capacity() =>
                {
                    return None
                }
                _ => {}
            }
        }
    })?;
    let mut crc = Crc::new();
    crc.update(bytes);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE: the input's length modulo 2^32.
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;
    use serde_json::{json, Value};

    use super::*;
    use crate::request::PayloadVersion;
    use crate::response::{ApiResponse, JSON};

    /// The proxy event of a 200 response with `body`, for `payload` and `accept_encoding`.
    fn response(
        body: Option<&str>,
        payload: PayloadVersion,
        accept_encoding: Option<&str>,
    ) -> Value {
        ApiResponse {
            status: 200,
            headers: vec![("content-type", JSON.to_owned())],
            body: body.map(str::to_owned),
        }
        .into_event(payload, "request-1", accept_encoding)
    }

    fn large_body() -> String {
        let items: Vec<Value> = (0..100)
            .map(|n| json!({"id": n, "name": format!("Item {n}"), "description": "a lamp"}))
            .collect();
        json!({"items": items, "next_cursor": null}).to_string()
    }

    fn gunzip(base64_body: &str) -> String {
        let bytes = STANDARD.decode(base64_body).expect("base64");
        let mut text = String::new();
        GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .expect("gzip");
        text
    }

    #[test]
    fn a_large_body_is_gzipped_base64_encoded_and_decompresses_to_the_same_text() {
        let body = large_body();
        let out = response(Some(&body), PayloadVersion::V2, Some("gzip, br"));
        assert_eq!(out["isBase64Encoded"], true);
        assert_eq!(out["headers"]["content-encoding"], "gzip");
        assert_eq!(out["headers"]["vary"], "accept-encoding");
        assert_eq!(out["headers"]["content-type"], "application/json");
        let sent = out["body"].as_str().expect("body");
        assert!(
            sent.len() < body.len() / 2,
            "{} of {}",
            sent.len(),
            body.len()
        );
        assert_eq!(gunzip(sent), body);
    }

    #[test]
    fn one_deflate_state_compresses_body_after_body_and_each_decompresses_to_its_text() {
        let large = large_body();
        let larger = large.repeat(4);
        for body in [&large, &larger, &large] {
            let out = response(Some(body), PayloadVersion::V2, Some("gzip"));
            let sent = out["body"].as_str().expect("body");
            let bytes = STANDARD.decode(sent).expect("base64");
            assert_eq!(
                bytes[..10],
                GZIP_HEADER,
                "a gzip member with flate2's header"
            );
            assert_eq!(gunzip(sent), *body);
        }
    }

    #[test]
    fn without_gzip_in_accept_encoding_a_large_body_is_plain_but_varies() {
        for accept in [None, Some("br"), Some("identity"), Some("gzip;q=0, *")] {
            let body = large_body();
            let out = response(Some(&body), PayloadVersion::V2, accept);
            assert_eq!(out["body"], body.as_str(), "{accept:?}");
            assert_eq!(out["isBase64Encoded"], false);
            assert!(out["headers"].get("content-encoding").is_none());
            assert_eq!(out["headers"]["vary"], "accept-encoding");
        }
    }

    #[test]
    fn small_bodies_and_rest_api_responses_are_untouched() {
        let small = r#"{"id":"1"}"#;
        let large = large_body();
        for (body, payload) in [
            (Some(small), PayloadVersion::V2),
            (Some(large.as_str()), PayloadVersion::V1),
            (None, PayloadVersion::V2),
        ] {
            let out = response(body, payload, Some("gzip"));
            assert_eq!(out, response(body, payload, None), "{payload:?}");
            assert_eq!(out["body"].as_str(), body, "{payload:?}");
            assert_eq!(out["isBase64Encoded"], false);
            assert!(out["headers"].get("content-encoding").is_none());
            assert!(out["headers"].get("vary").is_none());
        }
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("deflate, GZIP;q=0.5"));
        assert!(accepts_gzip("*"));
        assert!(accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
        assert!(!accepts_gzip(""));
        assert!(!accepts_gzip("br, deflate"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("gzip;q=0.0, *"));
        assert!(!accepts_gzip("*;q=0"));
    }
}
