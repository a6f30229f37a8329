//! One request type for both payload formats: what API Gateway sent, already normalised.

use std::collections::HashMap;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::query_map::QueryMap;
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
    pub payload: PayloadVersion,
    /// API Gateway's request id (`x-request-id` of the response).
    pub request_id: String,
    /// Header names are case-insensitive here.
    pub headers: HeaderMap,
    pub path_parameters: HashMap<String, String>,
    pub query: QueryMap,
    /// The body as sent: base64 when `is_base64_encoded`.
    pub body: Option<String>,
    pub is_base64_encoded: bool,
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
        .map(read_claims)
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

fn read_claims(claims: &Value) -> Claims {
    Claims {
        sub: claims.get("sub").and_then(Value::as_str).map(str::to_owned),
        groups: claims
            .get("cognito:groups")
            .map(read_groups)
            .unwrap_or_default(),
    }
}

/// Groups come as a JSON array, or flattened by API Gateway into `[a b]` (HTTP API) or `a,b`
/// (REST API).
fn read_groups(groups: &Value) -> Vec<String> {
    match groups {
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::String(text) => text
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(|c: char| c == ',' || c.is_whitespace())
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
