//! Payload format 1.0, the REST API proxy event: `resource`, `httpMethod`, the last value of
//! each header and query parameter plus every value in the `multiValue` maps, `null` for what
//! is absent, and the JWT claims under `authorizer.claims`.

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
    let (headers, multi_headers) = last_and_all(forwarded_headers(request));
    let (query, multi_query) = last_and_all(query_pairs(&request.raw_query));
    let (body, encoded) = if request.body.is_empty() {
        (Value::Null, false)
    } else {
        let (body, encoded) = body_text(request);
        (Value::String(body), encoded)
    };
    let path_parameters = if route.path_parameters.is_empty() {
        Value::Null
    } else {
        decoded_parameters(route)
    };
    json!({
        "version": "1.0",
        "resource": route.resource,
        "path": request.raw_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "requestContext": request_context(request, route, claims),
        "pathParameters": path_parameters,
        "stageVariables": null,
        "body": body,
        "isBase64Encoded": encoded,
    })
}

/// Name-value pairs as two objects: the last value of each name, and every value of each name
/// as a list; each `null` when there are no pairs.
fn last_and_all(pairs: Vec<(String, String)>) -> (Value, Value) {
    if pairs.is_empty() {
        return (Value::Null, Value::Null);
    }
    let mut last = Map::new();
    let mut all: Map<String, Value> = Map::new();
    for (name, value) in pairs {
        match all.get_mut(&name) {
            Some(Value::Array(values)) => values.push(Value::String(value.clone())),
            _ => {
                all.insert(name.clone(), json!([value]));
            }
        }
        last.insert(name, Value::String(value));
    }
    (Value::Object(last), Value::Object(all))
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
        "authorizer": {"claims": claims.claims, "scopes": claims.scopes},
        "domainName": domain_name,
        "domainPrefix": domain_prefix,
        "extendedRequestId": request.request_id,
        "httpMethod": request.method,
        "identity": identity(request),
        "path": request.raw_path,
        "protocol": request.protocol,
        "requestId": request.request_id,
        "requestTime": clf_time(request.received_at),
        "requestTimeEpoch": request.received_at.timestamp_millis(),
        "resourceId": route.route_key,
        "resourcePath": route.resource,
        "stage": STAGE,
    })
}

/// The caller's identity block: only the source IP and user agent are known without IAM or
/// Cognito identity pools.
fn identity(request: &IncomingRequest) -> Value {
    json!({
        "accessKey": null,
        "accountId": null,
        "caller": null,
        "cognitoAuthenticationProvider": null,
        "cognitoAuthenticationType": null,
        "cognitoIdentityId": null,
        "cognitoIdentityPoolId": null,
        "principalOrgId": null,
        "sourceIp": request.source_ip.to_string(),
        "user": null,
        "userAgent": request.header("user-agent").unwrap_or_default(),
        "userArn": null,
    })
}
