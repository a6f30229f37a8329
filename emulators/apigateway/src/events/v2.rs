//! Payload format 2.0, the HTTP API event: `routeKey`, `rawPath`, comma-joined repeated headers
//! and query parameters, `cookies` apart, and the JWT claims under `authorizer.jwt`.

use serde_json::{json, Map, Value};

use super::{
    body_text, clf_time, decoded_parameters, domain, forwarded_headers, query_pairs,
    IncomingRequest, MatchedRoute, ACCOUNT_ID, API_ID, STAGE,
};
use crate::authorizer::VerifiedClaims;

pub(super) fn build(
    request: &IncomingRequest,
    route: &MatchedRoute<'_>,
    claims: &VerifiedClaims,
) -> Value {
    let (headers, cookies) = headers_and_cookies(request);
    let query = comma_joined(query_pairs(&request.raw_query));
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": request_context(request, route, claims),
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !route.path_parameters.is_empty() {
        event["pathParameters"] = decoded_parameters(route);
    }
    if !request.body.is_empty() {
        let (body, encoded) = body_text(request);
        event["body"] = Value::String(body);
        event["isBase64Encoded"] = Value::Bool(encoded);
    }
    event
}

/// The headers (repeated ones joined with commas) and, apart from them, the cookies of every
/// `Cookie` header.
fn headers_and_cookies(request: &IncomingRequest) -> (Map<String, Value>, Vec<String>) {
    let (cookie_headers, others): (Vec<_>, Vec<_>) = forwarded_headers(request)
        .into_iter()
        .partition(|(name, _)| name == "cookie");
    let cookies = cookie_headers
        .iter()
        .flat_map(|(_, value)| value.split(';'))
        .map(str::trim)
        .filter(|cookie| !cookie.is_empty())
        .map(str::to_owned)
        .collect();
    (comma_joined(others), cookies)
}

/// Name-value pairs as an object, the values of a repeated name joined with commas.
fn comma_joined(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut joined = Map::new();
    for (name, value) in pairs {
        match joined.get_mut(&name) {
            Some(Value::String(earlier)) => {
                earlier.push(',');
                earlier.push_str(&value);
            }
            _ => {
                joined.insert(name, Value::String(value));
            }
        }
    }
    joined
}

fn request_context(
    request: &IncomingRequest,
    route: &MatchedRoute<'_>,
    claims: &VerifiedClaims,
) -> Value {
    let (domain_name, domain_prefix) = domain(request);
    json!({
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "authorizer": {"jwt": {"claims": claims.claims, "scopes": claims.scopes}},
        "domainName": domain_name,
        "domainPrefix": domain_prefix,
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip.to_string(),
            "userAgent": request.header("user-agent").unwrap_or_default(),
        },
        "requestId": request.request_id,
        "routeKey": route.route_key,
        "stage": STAGE,
        "time": clf_time(request.received_at),
        "timeEpoch": request.received_at.timestamp_millis(),
    })
}
