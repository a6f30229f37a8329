//! Reads a function's Lambda proxy response back into an HTTP response, as API Gateway does:
//! `statusCode`, `headers`, `multiValueHeaders`, `cookies`, and a text or base64 `body`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

use crate::events::PayloadVersion;

/// An HTTP response rebuilt from a function's proxy response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    /// The status code.
    pub status: u16,
    /// Headers in order; a name may repeat (`set-cookie`, multi-value headers).
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
}

/// A function result API Gateway cannot turn into a response (its 500 `Internal Server Error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Lambda proxy response: {0}")]
pub struct MalformedResponse(pub String);

fn malformed(why: &str) -> MalformedResponse {
    MalformedResponse(why.to_owned())
}

/// Reads a function's result as API Gateway does. With format 2.0 a result without
/// `statusCode` is a 200 whose JSON body is the result itself; with 1.0 it is malformed.
pub fn parse_response(
    version: PayloadVersion,
    result: &Value,
) -> Result<ProxyResponse, MalformedResponse> {
    let structured = result.as_object().filter(|o| o.contains_key("statusCode"));
    let Some(response) = structured else {
        return match version {
            PayloadVersion::V2 => Ok(ProxyResponse {
                status: 200,
                headers: vec![("content-type".to_owned(), "application/json".to_owned())],
                body: result.to_string().into_bytes(),
            }),
            PayloadVersion::V1 => Err(malformed("no statusCode")),
        };
    };
    let status = response
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| malformed("statusCode is not an HTTP status"))?;
    let mut headers = single_value_headers(response)?;
    add_multi_value_headers(response, &mut headers)?;
    add_cookies(response, &mut headers)?;
    Ok(ProxyResponse {
        status,
        headers,
        body: body(response)?,
    })
}

/// A field that may be absent or `null`.
fn present<'a>(response: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    response.get(field).filter(|value| !value.is_null())
}

/// `headers`: one value per name; names lower-cased.
fn single_value_headers(
    response: &Map<String, Value>,
) -> Result<Vec<(String, String)>, MalformedResponse> {
    let Some(map) = present(response, "headers") else {
        return Ok(Vec::new());
    };
    let map = map
        .as_object()
        .ok_or_else(|| malformed("headers is not an object"))?;
    map.iter()
        .map(|(name, value)| Ok((name.to_ascii_lowercase(), header_value(value)?)))
        .collect()
}

/// `multiValueHeaders`: every value of a name, replacing what `headers` said for it.
fn add_multi_value_headers(
    response: &Map<String, Value>,
    headers: &mut Vec<(String, String)>,
) -> Result<(), MalformedResponse> {
    let Some(map) = present(response, "multiValueHeaders") else {
        return Ok(());
    };
    let map = map
        .as_object()
        .ok_or_else(|| malformed("multiValueHeaders is not an object"))?;
    for (name, values) in map {
        let values = values
            .as_array()
            .ok_or_else(|| malformed("a multiValueHeaders entry is not a list"))?;
        let name = name.to_ascii_lowercase();
        headers.retain(|(n, _)| *n != name);
        for value in values {
            headers.push((name.clone(), header_value(value)?));
        }
    }
    Ok(())
}

/// `cookies` (format 2.0): one `set-cookie` header each.
fn add_cookies(
    response: &Map<String, Value>,
    headers: &mut Vec<(String, String)>,
) -> Result<(), MalformedResponse> {
    let Some(cookies) = present(response, "cookies") else {
        return Ok(());
    };
    let cookies = cookies
        .as_array()
        .ok_or_else(|| malformed("cookies is not a list"))?;
    for cookie in cookies {
        let cookie = cookie
            .as_str()
            .ok_or_else(|| malformed("a cookie is not a string"))?;
        headers.push(("set-cookie".to_owned(), cookie.to_owned()));
    }
    Ok(())
}

/// `body`, base64-decoded when `isBase64Encoded` says so; no body is an empty one.
fn body(response: &Map<String, Value>) -> Result<Vec<u8>, MalformedResponse> {
    let text = match response.get("body") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(text)) => text,
        Some(_) => return Err(malformed("body is not a string")),
    };
    let encoded = response
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if encoded {
        STANDARD
            .decode(text)
            .map_err(|_| malformed("body is not valid base64"))
    } else {
        Ok(text.clone().into_bytes())
    }
}

/// A header value as text: strings as they are, numbers and booleans in their JSON spelling.
fn header_value(value: &Value) -> Result<String, MalformedResponse> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(_) | Value::Bool(_) => Ok(value.to_string()),
        _ => Err(malformed("a header value is not a scalar")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_proxy_response_becomes_status_headers_cookies_and_body() {
        let response = parse_response(
            PayloadVersion::V2,
            &json!({
                "statusCode": 201,
                "headers": {"Content-Type": "application/json", "ETag": "\"1\""},
                "multiValueHeaders": {"x-many": ["1", "2"]},
                "cookies": ["a=1"],
                "body": "eyJvayI6dHJ1ZX0=",
                "isBase64Encoded": true
            }),
        )
        .unwrap();
        assert_eq!(response.status, 201);
        assert_eq!(response.body, b"{\"ok\":true}");
        assert!(response
            .headers
            .contains(&("etag".to_owned(), "\"1\"".to_owned())));
        assert!(response
            .headers
            .contains(&("x-many".to_owned(), "2".to_owned())));
        assert!(response
            .headers
            .contains(&("set-cookie".to_owned(), "a=1".to_owned())));
    }

    #[test]
    fn results_without_a_status_are_json_200s_in_v2_and_malformed_in_v1() {
        let plain = parse_response(PayloadVersion::V2, &json!({"hello": "world"})).unwrap();
        assert_eq!(plain.status, 200);
        assert_eq!(plain.body, b"{\"hello\":\"world\"}");
        assert!(parse_response(PayloadVersion::V1, &json!({"hello": "world"})).is_err());
        assert!(parse_response(PayloadVersion::V2, &json!({"statusCode": "x"})).is_err());
        assert!(parse_response(
            PayloadVersion::V2,
            &json!({"statusCode": 200, "body": "%%", "isBase64Encoded": true})
        )
        .is_err());
    }
}
