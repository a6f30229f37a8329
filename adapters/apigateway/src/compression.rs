//! gzip for large responses. An HTTP API passes the function's body through untouched and does
//! not compress; a 100-item page is about 40 KB of JSON that gzip brings to a few KB. So the
//! function compresses when the caller accepts gzip and the body is worth it, and hands API
//! Gateway the bytes base64-encoded, as a binary proxy response must be.
//!
//! Only payload 2.0 (HTTP API) responses are compressed: the REST API variant compresses at the
//! gateway (`minimum_compression_size` in the Terraform), and a base64 body would need binary
//! media types there.

use std::io::Write;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;

use crate::request::PayloadVersion;

/// Bodies shorter than this go out as they are: below about a kilobyte, gzip's header and the
/// base64 step save too little to pay for the CPU.
pub const MIN_COMPRESSED_BYTES: usize = 1024;

/// gzip level 6 (zlib's default): nearly all of level 9's gain on JSON, at a fraction of its
/// CPU.
const LEVEL: u32 = 6;

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

/// Compresses a proxy response for payload 2.0 when `accept_encoding` allows gzip and its body
/// is at least [`MIN_COMPRESSED_BYTES`]: the body becomes base64 of the gzip bytes, with
/// `content-encoding: gzip`. Every body that size says `vary: accept-encoding`, compressed or
/// not, so a cache keeps the two apart. Anything else is returned unchanged.
pub fn compress_response(
    mut response: Value,
    payload: PayloadVersion,
    accept_encoding: Option<&str>,
) -> Value {
    if payload != PayloadVersion::V2 || response["isBase64Encoded"] == Value::Bool(true) {
        return response;
    }
    let Some(body) = response["body"].as_str() else {
        return response;
    };
    if body.len() < MIN_COMPRESSED_BYTES {
        return response;
    }
    let compressed = accept_encoding
        .is_some_and(accepts_gzip)
        .then(|| gzip(body.as_bytes()));
    let Some(headers) = response["headers"].as_object_mut() else {
        return response;
    };
    let vary = match headers.get("vary").and_then(Value::as_str) {
        Some(existing) => format!("{existing}, accept-encoding"),
        None => "accept-encoding".to_owned(),
    };
    headers.insert("vary".to_owned(), Value::String(vary));
    if let Some(compressed) = compressed {
        headers.insert(
            "content-encoding".to_owned(),
            Value::String("gzip".to_owned()),
        );
        response["body"] = Value::String(STANDARD.encode(compressed));
        response["isBase64Encoded"] = Value::Bool(true);
    }
    response
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::new(LEVEL));
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;
    use serde_json::json;

    use super::*;

    fn response(body: &str) -> Value {
        json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": body,
            "isBase64Encoded": false,
            "cookies": [],
        })
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
        let out = compress_response(response(&body), PayloadVersion::V2, Some("gzip, br"));
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
    fn without_gzip_in_accept_encoding_a_large_body_is_plain_but_varies() {
        for accept in [None, Some("br"), Some("identity"), Some("gzip;q=0, *")] {
            let body = large_body();
            let out = compress_response(response(&body), PayloadVersion::V2, accept);
            assert_eq!(out["body"], body.as_str(), "{accept:?}");
            assert_eq!(out["isBase64Encoded"], false);
            assert!(out["headers"].get("content-encoding").is_none());
            assert_eq!(out["headers"]["vary"], "accept-encoding");
        }
    }

    #[test]
    fn small_bodies_and_rest_api_responses_are_untouched() {
        let small = response(r#"{"id":"1"}"#);
        assert_eq!(
            compress_response(small.clone(), PayloadVersion::V2, Some("gzip")),
            small
        );
        let large = response(&large_body());
        assert_eq!(
            compress_response(large.clone(), PayloadVersion::V1, Some("gzip")),
            large
        );
        let no_body = json!({"statusCode": 204, "headers": {}, "body": null});
        assert_eq!(
            compress_response(no_body.clone(), PayloadVersion::V2, Some("gzip")),
            no_body
        );
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
