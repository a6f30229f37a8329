//! One request type for both payload formats: what API Gateway sent, already normalised.

use std::collections::HashMap;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::query_map::QueryMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// The event format a request came in, and so the format its response must take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadVersion {
    /// REST API proxy integration (payload format 1.0).
    V1,
    /// HTTP API (payload format 2.0).
    V2,
}

/// The verified claims the authorizer put in the request context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// The `sub` claim.
    pub sub: Option<String>,
    /// The `cognito:groups` claim, as a list.
    pub groups: Vec<String>,
}

/// An API request, whatever payload format it came in.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The payload format the event came in, and so the one the response must take.
    pub payload: PayloadVersion,
    /// API Gateway's request id (`x-request-id` of the response).
    pub request_id: String,
    /// Header names are case-insensitive here.
    pub headers: HeaderMap,
    /// The route's path parameters (`id`).
    pub path_parameters: HashMap<String, String>,
    /// The query string parameters.
    pub query: QueryMap,
    /// The body as sent: base64 when `is_base64_encoded`.
    pub body: Option<String>,
    /// Whether API Gateway base64-encoded the body.
    pub is_base64_encoded: bool,
    /// The JWT authorizer's claims; empty without an authorizer.
    pub claims: Claims,
}

impl ApiRequest {
    /// A header's value as text; `None` when absent or not visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A header that is present but unreadable as text (bytes outside visible ASCII).
    pub fn header_is_unreadable(&self, name: &str) -> bool {
        self.headers.get(name).is_some_and(|v| v.to_str().is_err())
    }

    /// A query parameter's first value.
    pub fn query_parameter(&self, name: &str) -> Option<&str> {
        self.query.first(name)
    }
}

/// What a function can be invoked with.
#[derive(Debug)]
pub enum Incoming {
    /// A scheduled `{"warmup": true}` event: answer at once, touch nothing.
    Warmup,
    /// An API request.
    Api(Box<ApiRequest>),
}

/// An event that is neither an API Gateway proxy event nor a warm-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedEvent {
    /// The request id, when the event carried one.
    pub request_id: String,
    /// What is wrong, safe to show.
    pub reason: String,
}

/// Reads an invocation event.
pub fn parse_event(mut event: Value) -> Result<Incoming, MalformedEvent> {
    if event.get("warmup").and_then(Value::as_bool) == Some(true) {
        return Ok(Incoming::Warmup);
    }
    let request_id = event
        .pointer("/requestContext/requestId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let malformed = |reason: String| MalformedEvent {
        request_id: request_id.clone(),
        reason,
    };
    let is_v2 = event.get("version").and_then(Value::as_str) == Some("2.0")
        || event.pointer("/requestContext/http").is_some();
    let is_v1 = event.get("httpMethod").is_some();
    // Claims are read from the raw event: authorizers write them as strings or as JSON
    // arrays, and the typed events accept only strings.
    let claims_path = if is_v2 {
        "/requestContext/authorizer/jwt/claims"
    } else {
        "/requestContext/authorizer/claims"
    };
    let claims = event
        .pointer(claims_path)
        .map(|claims| read_claims(claims, &event))
        .unwrap_or_default();
    if let Some(context) = event
        .get_mut("requestContext")
        .and_then(Value::as_object_mut)
    {
        context.remove("authorizer");
    }

    let request = if is_v2 {
        let typed: ApiGatewayV2httpRequest = serde_json::from_value(event)
            .map_err(|e| malformed(format!("not an HTTP API (2.0) event: {e}")))?;
        ApiRequest {
            payload: PayloadVersion::V2,
            request_id: typed
                .request_context
                .request_id
                .unwrap_or(request_id.clone()),
            headers: typed.headers,
            path_parameters: typed.path_parameters,
            query: typed.query_string_parameters,
            body: typed.body,
            is_base64_encoded: typed.is_base64_encoded,
            claims,
        }
    } else if is_v1 {
        let typed: ApiGatewayProxyRequest = serde_json::from_value(event)
            .map_err(|e| malformed(format!("not a REST API proxy (1.0) event: {e}")))?;
        ApiRequest {
            payload: PayloadVersion::V1,
            request_id: typed
                .request_context
                .request_id
                .unwrap_or(request_id.clone()),
            headers: typed.headers,
            path_parameters: typed.path_parameters,
            query: typed.query_string_parameters,
            body: typed.body,
            is_base64_encoded: typed.is_base64_encoded,
            claims,
        }
    } else {
        return Err(malformed("not an API Gateway proxy event".into()));
    };
    Ok(Incoming::Api(Box::new(request)))
}

fn read_claims(claims: &Value, event: &Value) -> Claims {
    let groups = match claims.get("cognito:groups") {
        // The REST API's Cognito authorizer joins groups with commas, which a group name may
        // itself contain ("x,admin" is one group, or two): the token it verified, passed on in
        // the Authorization header, holds them as a JSON array, so that is read instead.
        Some(Value::String(text)) if !is_bracketed(text) => bearer_token_claims(event)
            .and_then(|token| {
                token
                    .get("cognito:groups")
                    .filter(|g| g.is_array())
                    .cloned()
            })
            .map(|groups| read_groups(&groups))
            .unwrap_or_else(|| read_groups(&Value::String(text.clone()))),
        Some(groups) => read_groups(groups),
        None => Vec::new(),
    };
    Claims {
        sub: claims.get("sub").and_then(Value::as_str).map(str::to_owned),
        groups,
    }
}

fn is_bracketed(text: &str) -> bool {
    let text = text.trim();
    text.starts_with('[') && text.ends_with(']')
}

/// The claims of the JWT in the event's Authorization header (with or without `Bearer `), read
/// without verifying: the authorizer verified exactly this header before the function ran.
fn bearer_token_claims(event: &Value) -> Option<Value> {
    let headers = event.get("headers")?.as_object()?;
    let value = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))?
        .1
        .as_str()?
        .trim();
    let token = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim_start(),
        _ => value,
    };
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Groups come as a JSON array, or flattened by API Gateway into `[a b]` (HTTP API: Cognito
/// group names hold no whitespace, so a comma is part of a name there) or `a,b` (REST API).
fn read_groups(groups: &Value) -> Vec<String> {
    match groups {
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::String(text) if is_bracketed(text) => {
            let text = text.trim();
            text[1..text.len() - 1]
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        }
        Value::String(text) => text
            .split(',')
            .map(str::trim)
            .filter(|group| !group.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_are_read_in_every_shape_authorizers_write() {
        for shape in [
            json!(["admin", "staff"]),
            json!("[admin staff]"),
            json!("admin,staff"),
            json!(" admin, staff "),
        ] {
            assert_eq!(read_groups(&shape), ["admin", "staff"], "{shape}");
        }
        assert!(read_groups(&json!(42)).is_empty());
        assert!(read_groups(&json!("")).is_empty());
    }

    #[test]
    fn a_comma_in_a_bracketed_group_name_is_part_of_the_name() {
        assert_eq!(read_groups(&json!("[x,admin]")), ["x,admin"]);
        assert_eq!(read_groups(&json!("[x,admin staff]")), ["x,admin", "staff"]);
        assert_eq!(read_groups(&json!("[[admin b]")), ["[admin", "b"]);
    }

    fn token_with(claims: Value) -> String {
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
        format!(
            "{}.{}.signature",
            encode(&json!({"alg": "RS256"})),
            encode(&claims)
        )
    }

    fn v1_event(groups: &str, authorization: Option<String>) -> Value {
        let mut event = json!({
            "httpMethod": "GET",
            "path": "/items",
            "resource": "/items",
            "headers": {},
            "requestContext": {
                "requestId": "r-1",
                "httpMethod": "GET",
                "authorizer": {"claims": {"sub": "alice", "cognito:groups": groups}},
            },
        });
        if let Some(value) = authorization {
            event["headers"]["Authorization"] = json!(value);
        }
        event
    }

    fn groups_of(event: Value) -> Vec<String> {
        match parse_event(event) {
            Ok(Incoming::Api(request)) => request.claims.groups,
            other => panic!("not an API request: {other:?}"),
        }
    }

    #[test]
    fn rest_groups_are_read_from_the_verified_token_so_a_comma_in_a_name_grants_nothing() {
        let token = token_with(json!({"sub": "alice", "cognito:groups": ["x,admin"]}));
        assert_eq!(
            groups_of(v1_event("x,admin", Some(token.clone()))),
            ["x,admin"]
        );
        assert_eq!(
            groups_of(v1_event("x,admin", Some(format!("Bearer {token}")))),
            ["x,admin"]
        );
        let two = token_with(json!({"cognito:groups": ["admin", "staff"]}));
        assert_eq!(
            groups_of(v1_event("admin,staff", Some(two))),
            ["admin", "staff"]
        );
    }

    #[test]
    fn rest_groups_without_a_readable_token_are_split_on_commas() {
        assert_eq!(groups_of(v1_event("admin,staff", None)), ["admin", "staff"]);
        assert_eq!(
            groups_of(v1_event("admin,staff", Some("not-a-jwt".into()))),
            ["admin", "staff"]
        );
    }

    #[test]
    fn a_warmup_event_is_recognised() {
        assert!(matches!(
            parse_event(json!({"warmup": true})),
            Ok(Incoming::Warmup)
        ));
    }

    #[test]
    fn an_unrelated_event_is_malformed_not_a_panic() {
        for event in [
            json!({}),
            json!([1, 2]),
            json!("text"),
            json!({"version": "2.0"}),
        ] {
            assert!(parse_event(event).is_err());
        }
    }
}
