//! Responses, written once for both payload formats.

use items_json::escape::write_escaped;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::compression::encode_body;
use crate::request::PayloadVersion;

/// Content type of successful responses.
pub const JSON: &str = "application/json";
/// Content type of error responses (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";
/// The header every response carries the request's id in (API Gateway's request id).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// An HTTP response before it is shaped for a payload format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Headers, in the order they were added.
    pub headers: Vec<(&'static str, String)>,
    /// The body, if any.
    pub body: Option<String>,
}

impl ApiResponse {
    /// A JSON response.
    pub fn json(status: u16, body: &impl Serialize) -> Self {
        Self::with_body(status, JSON, body)
    }

    /// A JSON response whose body is JSON text already.
    pub fn json_text(status: u16, body: String) -> Self {
        Self::with_text(status, JSON, body)
    }

    /// A response whose body is text already, of the given content type.
    fn with_text(status: u16, content_type: &str, body: String) -> Self {
        Self {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: Some(body),
        }
    }

    /// A response with a JSON body of the given content type.
    pub fn with_body(status: u16, content_type: &str, body: &impl Serialize) -> Self {
        match serde_json::to_string(body) {
            Ok(text) => Self::with_text(status, content_type, text),
            // The views hold only strings and numbers, so this cannot happen; if it ever did,
            // the caller gets a 500 rather than a broken body.
            Err(error) => {
                tracing::error!(%error, "response body did not serialise");
                Self {
                    status: 500,
                    headers: vec![("content-type", PROBLEM_JSON.to_owned())],
                    body: Some(
                        json!({"type": "about:blank", "title": "Internal Server Error", "status": 500})
                            .to_string(),
                    ),
                }
            }
        }
    }

    /// A response with no body (204). It still names a JSON content type, as every response of
    /// the API does.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: vec![("content-type", JSON.to_owned())],
            body: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The value of a header, if set.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The proxy response API Gateway expects for `payload`, with `x-request-id` added. A
    /// payload 2.0 body is encoded for `accept_encoding` (the request's `Accept-Encoding`) as it
    /// is placed: gzip and base64 when it is large enough and the caller accepts gzip (see
    /// [`compression`](crate::compression)).
    pub fn into_proxy(
        self,
        payload: PayloadVersion,
        request_id: &str,
        accept_encoding: Option<&str>,
    ) -> ProxyResponse {
        let mut headers = self.headers;
        set_header(&mut headers, REQUEST_ID_HEADER, request_id.to_owned());
        let mut is_base64_encoded = false;
        let body = match (payload, self.body) {
            (PayloadVersion::V2, Some(body)) => {
                let encoded = encode_body(body, accept_encoding);
                if encoded.varies {
                    add_vary(&mut headers, "accept-encoding");
                }
                if encoded.gzipped {
                    set_header(&mut headers, "content-encoding", "gzip".to_owned());
                    is_base64_encoded = true;
                }
                Some(encoded.text)
            }
            // The REST API compresses at the gateway (see `compression`).
            (PayloadVersion::V1, body) => body,
            (PayloadVersion::V2, None) => None,
        };
        ProxyResponse {
            payload,
            status: self.status,
            headers,
            body: body.map(|text| json_string(&text)),
            is_base64_encoded,
        }
    }

    /// [`into_proxy`](Self::into_proxy) as a JSON value, as the local stage and the tests read
    /// it.
    pub fn into_event(
        self,
        payload: PayloadVersion,
        request_id: &str,
        accept_encoding: Option<&str>,
    ) -> Value {
        self.into_proxy(payload, request_id, accept_encoding)
            .to_value()
    }
}

/// A proxy response as `lambda_runtime` sends it to API Gateway. Its body is a JSON document
/// placed as a string into another: written into the event as a [`serde_json::Value`] it was
/// escaped by serde_json a byte at a time, with a write for every run between two quotes. Here
/// it is escaped once, a word at a time ([`items_json::escape`]), and serialised as it is.
#[derive(Debug)]
pub struct ProxyResponse {
    payload: PayloadVersion,
    status: u16,
    headers: Vec<(&'static str, String)>,
    /// The body as a JSON string (quoted and escaped), ready to be written.
    body: Option<Box<RawValue>>,
    is_base64_encoded: bool,
}

impl ProxyResponse {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A header's value, as set.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The response as a JSON value: what it serialises to, read back.
    pub fn to_value(&self) -> Value {
        // Serialising headers, numbers, booleans and JSON text already checked cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Serialize for ProxyResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut event = serializer.serialize_map(Some(5))?;
        event.serialize_entry("statusCode", &self.status)?;
        event.serialize_entry("headers", &HeaderMap(&self.headers))?;
        if self.payload == PayloadVersion::V1 {
            event.serialize_entry("multiValueHeaders", &HeaderMap(&[]))?;
        }
        event.serialize_entry("body", &self.body)?;
        event.serialize_entry("isBase64Encoded", &self.is_base64_encoded)?;
        if self.payload == PayloadVersion::V2 {
            event.serialize_entry("cookies", &[0u8; 0])?;
        }
        event.end()
    }
}

/// What a function answers an invocation with: a proxy response, or the answer to a warm-up.
#[derive(Debug)]
pub enum InvocationResponse {
    /// The response to an API request (or to an event that was not one), as API Gateway reads it.
    Proxy(ProxyResponse),
    /// `{"warmup": true}`: a warm-up event's answer.
    Warmup,
}

impl InvocationResponse {
    /// The proxy response, if this is one.
    pub fn proxy(&self) -> Option<&ProxyResponse> {
        match self {
            Self::Proxy(proxy) => Some(proxy),
            Self::Warmup => None,
        }
    }

    /// The answer as a JSON value, as the local stage and the tests read it.
    pub fn to_value(&self) -> Value {
        match self {
            Self::Proxy(proxy) => proxy.to_value(),
            Self::Warmup => json!({"warmup": true}),
        }
    }
}

impl Serialize for InvocationResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Proxy(proxy) => proxy.serialize(serializer),
            Self::Warmup => {
                let mut answer = serializer.serialize_map(Some(1))?;
                answer.serialize_entry("warmup", &true)?;
                answer.end()
            }
        }
    }
}

/// Headers as a JSON object.
struct HeaderMap<'a>(&'a [(&'static str, String)]);

impl Serialize for HeaderMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, value)| (name, value)))
    }
}

/// `text` as a JSON string, escaped once. serde_json checks the string it is given as a raw
/// value, which its reader does a word at a time.
fn json_string(text: &str) -> Box<RawValue> {
    let mut quoted = String::with_capacity(text.len() + text.len() / 8 + 2);
    quoted.push('"');
    let escaped = write_escaped(&mut quoted, text);
    quoted.push('"');
    escaped
        .ok()
        .and_then(|()| RawValue::from_string(quoted).ok())
        // Never taken (escaping into a `String` cannot fail): serde_json's own escaping.
        .or_else(|| serde_json::value::to_raw_value(text).ok())
        .unwrap_or_default()
}

/// The value of the header `name` (case-insensitive), if set.
fn find_header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Sets a header, replacing a value set before.
fn set_header(headers: &mut Vec<(&'static str, String)>, name: &'static str, value: String) {
    match headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        Some((_, existing)) => *existing = value,
        None => headers.push((name, value)),
    }
}

/// Adds `value` to the `vary` header, keeping what it already names.
fn add_vary(headers: &mut Vec<(&'static str, String)>, value: &str) {
    let vary = match find_header(headers, "vary") {
        Some(existing) => format!("{existing}, {value}"),
        None => value.to_owned(),
    };
    set_header(headers, "vary", vary);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `lambda_runtime` sends for `response`, read back.
    fn sent(response: &InvocationResponse) -> Value {
        serde_json::from_slice(&serde_json::to_vec(response).unwrap()).unwrap()
    }

    #[test]
    fn a_payload_2_response_is_sent_with_its_body_as_one_json_string() {
        let body =
            "{\"name\":\"a \\\"quoted\\\" name\",\"path\":\"C:\\\\x\",\"text\":\"é\\n日本\"}";
        let response = ApiResponse {
            status: 201,
            headers: vec![
                ("content-type", JSON.to_owned()),
                ("etag", "\"1\"".to_owned()),
            ],
            body: Some(body.to_owned()),
        }
        .into_proxy(PayloadVersion::V2, "request-1", None);
        let event = sent(&InvocationResponse::Proxy(response));
        assert_eq!(
            event,
            json!({
                "statusCode": 201,
                "headers": {
                    "content-type": JSON,
                    "etag": "\"1\"",
                    "x-request-id": "request-1",
                },
                "body": body,
                "isBase64Encoded": false,
                "cookies": [],
            })
        );
    }

    #[test]
    fn a_payload_1_response_has_its_own_shape_and_a_204_has_no_body() {
        let response = ApiResponse::no_content()
            .header("etag", "\"2\"")
            .into_proxy(PayloadVersion::V1, "request-2", Some("gzip"));
        assert_eq!(response.status(), 204);
        assert_eq!(response.header("X-Request-Id"), Some("request-2"));
        assert_eq!(
            sent(&InvocationResponse::Proxy(response)),
            json!({
                "statusCode": 204,
                "headers": {"content-type": JSON, "etag": "\"2\"", "x-request-id": "request-2"},
                "multiValueHeaders": {},
                "body": null,
                "isBase64Encoded": false,
            })
        );
    }

    #[test]
    fn a_header_set_again_is_replaced_and_vary_keeps_what_it_named() {
        let mut headers = vec![("vary", "origin".to_owned())];
        set_header(&mut headers, "x-request-id", "one".to_owned());
        set_header(&mut headers, "x-request-id", "two".to_owned());
        add_vary(&mut headers, "accept-encoding");
        assert_eq!(
            headers,
            [
                ("vary", "origin, accept-encoding".to_owned()),
                ("x-request-id", "two".to_owned()),
            ]
        );
    }

    #[test]
    fn a_warm_up_is_answered_as_one() {
        let answer = InvocationResponse::Warmup;
        assert!(answer.proxy().is_none());
        assert_eq!(sent(&answer), json!({"warmup": true}));
        assert_eq!(answer.to_value(), json!({"warmup": true}));
    }
}
