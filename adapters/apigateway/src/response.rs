//! Responses, written once for both payload formats.

use serde::Serialize;
use serde_json::{json, Map, Value};

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

    /// A response with a JSON body of the given content type.
    pub fn with_body(status: u16, content_type: &str, body: &impl Serialize) -> Self {
        match serde_json::to_string(body) {
            Ok(text) => Self {
                status,
                headers: vec![("content-type", content_type.to_owned())],
                body: Some(text),
            },
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
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The proxy response API Gateway expects for `payload`, with `x-request-id` added. A
    /// payload 2.0 body is encoded for `accept_encoding` (the request's `Accept-Encoding`) as it
    /// is placed: gzip and base64 when it is large enough and the caller accepts gzip (see
    /// [`compression`](crate::compression)).
    pub fn into_event(
        self,
        payload: PayloadVersion,
        request_id: &str,
        accept_encoding: Option<&str>,
    ) -> Value {
        let mut headers = Map::new();
        for (name, value) in self.headers {
            headers.insert(name.to_owned(), Value::String(value));
        }
        headers.insert(
            REQUEST_ID_HEADER.to_owned(),
            Value::String(request_id.to_owned()),
        );
        match payload {
            PayloadVersion::V2 => {
                let mut is_base64_encoded = false;
                let body = match self.body {
                    Some(body) => {
                        let encoded = encode_body(body, accept_encoding);
                        if encoded.varies {
                            add_vary(&mut headers, "accept-encoding");
                        }
                        if encoded.gzipped {
                            headers.insert("content-encoding".to_owned(), "gzip".into());
                            is_base64_encoded = true;
                        }
                        Value::String(encoded.text)
                    }
                    None => Value::Null,
                };
                json!({
                    "statusCode": self.status,
                    "headers": headers,
                    "body": body,
                    "isBase64Encoded": is_base64_encoded,
                    "cookies": [],
                })
            }
            // The REST API compresses at the gateway (see `compression`).
            PayloadVersion::V1 => json!({
                "statusCode": self.status,
                "headers": headers,
                "multiValueHeaders": {},
                "body": self.body,
                "isBase64Encoded": false,
            }),
        }
    }
}

/// Adds `value` to the `vary` header, keeping what it already names.
fn add_vary(headers: &mut Map<String, Value>, value: &str) {
    let vary = match headers.get("vary").and_then(Value::as_str) {
        Some(existing) => format!("{existing}, {value}"),
        None => value.to_owned(),
    };
    headers.insert("vary".to_owned(), Value::String(vary));
}
