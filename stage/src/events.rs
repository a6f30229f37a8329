//! Builds the Lambda event API Gateway would send for a request (payload 2.0, or 1.0 as a REST
//! API sends it) and reads the function's proxy response back into an HTTP response.

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::authorizer::VerifiedClaims;

/// The account id in every request context (API Gateway's own example account).
pub const ACCOUNT_ID: &str = "123456789012";
/// The API id in every request context.
pub const API_ID: &str = "local";
/// The stage name: HTTP APIs serve the `$default` stage at the root.
pub const STAGE: &str = "$default";

/// The event payload format the integration is configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadVersion {
    /// Format 1.0: the REST API proxy event (`httpMethod`, `multiValueHeaders`, ...).
    V1,
    /// Format 2.0: the HTTP API event (`routeKey`, `rawPath`, `cookies`, ...), the default.
    #[default]
    V2,
}

/// Everything about a received request that goes into its event.
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    /// API Gateway's request id.
    pub request_id: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path as received, still percent-encoded.
    pub raw_path: String,
    /// The query string as received, without `?`; empty when there is none.
    pub raw_query: String,
    /// The headers in arrival order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The client's address.
    pub source_ip: IpAddr,
    /// The port the stage listens on (for `x-forwarded-port`).
    pub port: u16,
    /// When the request arrived.
    pub received_at: DateTime<Utc>,
    /// The protocol, e.g. `HTTP/1.1`.
    pub protocol: String,
}

impl IncomingRequest {
    /// All values of a header, in arrival order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The route the request matched, as the event describes it.
#[derive(Debug, Clone)]
pub struct MatchedRoute<'a> {
    /// e.g. `GET /items/{id}`.
    pub route_key: &'a str,
    /// e.g. `/items/{id}`.
    pub resource: &'a str,
    /// Path parameters, raw (percent-encoded) as captured; decoded here.
    pub path_parameters: &'a BTreeMap<String, String>,
}

/// Builds the event for `request` on `route` with the authorizer's `claims`.
pub fn build_event(
    version: PayloadVersion,
    request: &IncomingRequest,
    route: &MatchedRoute<'_>,
    claims: &VerifiedClaims,
) -> Value {
    match version {
        PayloadVersion::V2 => build_v2(request, route, claims),
        PayloadVersion::V1 => build_v1(request, route, claims),
    }
}

fn build_v2(request: &IncomingRequest, route: &MatchedRoute<'_>, claims: &VerifiedClaims) -> Value {
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in forwarded_headers(request) {
        if name == "cookie" {
            cookies.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            );
            continue;
        }
        match headers.get_mut(&name) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                headers.insert(name, Value::String(value));
            }
        }
    }
    let mut query = Map::new();
    for (name, value) in query_pairs(&request.raw_query) {
        match query.get_mut(&name) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                query.insert(name, Value::String(value));
            }
        }
    }
    let (domain_name, domain_prefix) = domain(request);
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
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
        },
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

fn build_v1(request: &IncomingRequest, route: &MatchedRoute<'_>, claims: &VerifiedClaims) -> Value {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (name, value) in forwarded_headers(request) {
        push_multi(&mut multi_headers, &name, &value);
        headers.insert(name, Value::String(value));
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (name, value) in query_pairs(&request.raw_query) {
        push_multi(&mut multi_query, &name, &value);
        query.insert(name, Value::String(value));
    }
    let or_null = |map: Map<String, Value>| {
        if map.is_empty() {
            Value::Null
        } else {
            Value::Object(map)
        }
    };
    let (domain_name, domain_prefix) = domain(request);
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
        "headers": or_null(headers),
        "multiValueHeaders": or_null(multi_headers),
        "queryStringParameters": or_null(query),
        "multiValueQueryStringParameters": or_null(multi_query),
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "authorizer": {"claims": claims.claims, "scopes": claims.scopes},
            "domainName": domain_name,
            "domainPrefix": domain_prefix,
            "extendedRequestId": request.request_id,
            "httpMethod": request.method,
            "identity": {
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
            },
            "path": request.raw_path,
            "protocol": request.protocol,
            "requestId": request.request_id,
            "requestTime": clf_time(request.received_at),
            "requestTimeEpoch": request.received_at.timestamp_millis(),
            "resourceId": route.route_key,
            "resourcePath": route.resource,
            "stage": STAGE,
        },
        "pathParameters": path_parameters,
        "stageVariables": null,
        "body": body,
        "isBase64Encoded": encoded,
    })
}

/// The request's headers plus the ones API Gateway adds on the way to the function.
fn forwarded_headers(request: &IncomingRequest) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
        .collect();
    let mut add = |name: &str, value: String| {
        if !headers.iter().any(|(n, _)| n == name) {
            headers.push((name.to_owned(), value));
        }
    };
    add("x-forwarded-for", request.source_ip.to_string());
    add("x-forwarded-port", request.port.to_string());
    add("x-forwarded-proto", "http".to_owned());
    add("x-amzn-trace-id", trace_id(request));
    headers
}

/// An X-Ray style trace id derived from the request id, so it is stable per request.
pub fn trace_id(request: &IncomingRequest) -> String {
    let hex: String = request
        .request_id
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .chars()
        .chain(std::iter::repeat('0'))
        .take(24)
        .collect();
    format!("Root=1-{:08x}-{hex}", request.received_at.timestamp())
}

fn push_multi(map: &mut Map<String, Value>, name: &str, value: &str) {
    match map.get_mut(name) {
        Some(Value::Array(values)) => values.push(Value::String(value.to_owned())),
        _ => {
            map.insert(name.to_owned(), json!([value]));
        }
    }
}

fn decoded_parameters(route: &MatchedRoute<'_>) -> Value {
    Value::Object(
        route
            .path_parameters
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(percent_decode(value))))
            .collect(),
    )
}

fn domain(request: &IncomingRequest) -> (String, String) {
    let host = request.header("host").unwrap_or("localhost").to_owned();
    let without_port = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    let prefix = without_port
        .split('.')
        .next()
        .unwrap_or_default()
        .to_owned();
    (host.clone(), prefix)
}

/// The body as the event carries it, and whether it is base64: text content types
/// (`text/*`, JSON, XML, JavaScript) go as they are, anything else (including form data and
/// no content type at all) is base64-encoded, as API Gateway does.
fn body_text(request: &IncomingRequest) -> (String, bool) {
    let content_type = request.header("content-type").unwrap_or_default();
    if is_text(content_type) {
        if let Ok(text) = std::str::from_utf8(&request.body) {
            return (text.to_owned(), false);
        }
    }
    (STANDARD.encode(&request.body), true)
}

fn is_text(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "application/ecmascript"
        )
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
}

/// `12/Mar/2020:19:03:58 +0000`: the time format of `requestContext.time` and access logs.
pub fn clf_time(time: DateTime<Utc>) -> String {
    time.format("%d/%b/%Y:%H:%M:%S %z").to_string()
}

/// The query string's `name=value` pairs, percent-decoded, in order.
pub fn query_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

/// Decodes `%XX` escapes; malformed escapes stay as they are, invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

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

/// Reads a function's result as API Gateway does. With format 2.0 a result without
/// `statusCode` is a 200 whose JSON body is the result itself; with 1.0 it is malformed.
pub fn parse_response(
    version: PayloadVersion,
    result: &Value,
) -> Result<ProxyResponse, MalformedResponse> {
    let malformed = |why: &str| MalformedResponse(why.to_owned());
    let structured = result.as_object().filter(|o| o.contains_key("statusCode"));
    let Some(object) = structured else {
        return match version {
            PayloadVersion::V2 => Ok(ProxyResponse {
                status: 200,
                headers: vec![("content-type".to_owned(), "application/json".to_owned())],
                body: result.to_string().into_bytes(),
            }),
            PayloadVersion::V1 => Err(malformed("no statusCode")),
        };
    };
    let status = object
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| malformed("statusCode is not an HTTP status"))?;
    let mut headers = Vec::new();
    if let Some(map) = object.get("headers").filter(|v| !v.is_null()) {
        let map = map
            .as_object()
            .ok_or_else(|| malformed("headers is not an object"))?;
        for (name, value) in map {
            headers.push((
                name.to_ascii_lowercase(),
                scalar_text(value).ok_or_else(|| malformed("a header value is not a scalar"))?,
            ));
        }
    }
    if let Some(map) = object.get("multiValueHeaders").filter(|v| !v.is_null()) {
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
                headers.push((
                    name.clone(),
                    scalar_text(value)
                        .ok_or_else(|| malformed("a header value is not a scalar"))?,
                ));
            }
        }
    }
    if let Some(cookies) = object.get("cookies").filter(|v| !v.is_null()) {
        let cookies = cookies
            .as_array()
            .ok_or_else(|| malformed("cookies is not a list"))?;
        for cookie in cookies {
            let cookie = cookie
                .as_str()
                .ok_or_else(|| malformed("a cookie is not a string"))?;
            headers.push(("set-cookie".to_owned(), cookie.to_owned()));
        }
    }
    let body = match object.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => {
            if object
                .get("isBase64Encoded")
                .and_then(Value::as_bool)
                .unwrap_or(false)
            {
                STANDARD
                    .decode(text)
                    .map_err(|_| malformed("body is not valid base64"))?
            } else {
                text.clone().into_bytes()
            }
        }
        Some(_) => return Err(malformed("body is not a string")),
    };
    Ok(ProxyResponse {
        status,
        headers,
        body,
    })
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn request(body: &[u8], content_type: Option<&str>) -> IncomingRequest {
        let mut headers = vec![
            ("host".to_owned(), "127.0.0.1:3000".to_owned()),
            ("user-agent".to_owned(), "curl/8".to_owned()),
            ("x-tag".to_owned(), "a".to_owned()),
            ("x-tag".to_owned(), "b".to_owned()),
            ("cookie".to_owned(), "s=1; t=2".to_owned()),
        ];
        if let Some(content_type) = content_type {
            headers.push(("content-type".to_owned(), content_type.to_owned()));
        }
        IncomingRequest {
            request_id: "Abc123Def456Gh=".to_owned(),
            method: "GET".to_owned(),
            raw_path: "/items/a%20b".to_owned(),
            raw_query: "limit=5&tag=x&tag=y%21".to_owned(),
            headers,
            body: body.to_vec(),
            source_ip: "127.0.0.1".parse().unwrap(),
            port: 3000,
            received_at: Utc.with_ymd_and_hms(2026, 3, 12, 19, 3, 58).unwrap(),
            protocol: "HTTP/1.1".to_owned(),
        }
    }

    fn claims() -> VerifiedClaims {
        let mut claims = Map::new();
        claims.insert("sub".to_owned(), json!("alice"));
        claims.insert("cognito:groups".to_owned(), json!("[admin]"));
        VerifiedClaims {
            claims,
            scopes: None,
        }
    }

    fn build(version: PayloadVersion, body: &[u8], content_type: Option<&str>) -> Value {
        let parameters = BTreeMap::from([("id".to_owned(), "a%20b".to_owned())]);
        let route = MatchedRoute {
            route_key: "GET /items/{id}",
            resource: "/items/{id}",
            path_parameters: &parameters,
        };
        build_event(version, &request(body, content_type), &route, &claims())
    }

    #[test]
    fn a_v2_event_has_api_gateway_shape() {
        let event = build(PayloadVersion::V2, b"", None);
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["routeKey"], "GET /items/{id}");
        assert_eq!(event["rawPath"], "/items/a%20b");
        assert_eq!(event["rawQueryString"], "limit=5&tag=x&tag=y%21");
        assert_eq!(
            event["queryStringParameters"],
            json!({"limit": "5", "tag": "x,y!"})
        );
        assert_eq!(event["pathParameters"], json!({"id": "a b"}));
        assert_eq!(event["cookies"], json!(["s=1", "t=2"]));
        assert_eq!(event["headers"]["x-tag"], "a,b");
        assert!(event["headers"].get("cookie").is_none());
        assert_eq!(event["headers"]["x-forwarded-for"], "127.0.0.1");
        let context = &event["requestContext"];
        assert_eq!(context["http"]["method"], "GET");
        assert_eq!(context["http"]["sourceIp"], "127.0.0.1");
        assert_eq!(context["http"]["userAgent"], "curl/8");
        assert_eq!(context["time"], "12/Mar/2026:19:03:58 +0000");
        assert_eq!(context["timeEpoch"], 1_773_342_238_000_i64);
        assert_eq!(context["stage"], "$default");
        assert_eq!(context["domainName"], "127.0.0.1:3000");
        assert_eq!(
            context["authorizer"]["jwt"]["claims"]["cognito:groups"],
            "[admin]"
        );
        assert!(event.get("body").is_none());
        assert_eq!(event["isBase64Encoded"], false);
    }

    #[test]
    fn json_bodies_stay_text_and_other_bodies_are_base64() {
        let json_event = build(
            PayloadVersion::V2,
            b"{\"a\":1}",
            Some("application/json; charset=utf-8"),
        );
        assert_eq!(json_event["body"], "{\"a\":1}");
        assert_eq!(json_event["isBase64Encoded"], false);
        let form = build(
            PayloadVersion::V2,
            b"a=1",
            Some("application/x-www-form-urlencoded"),
        );
        assert_eq!(form["body"], "YT0x");
        assert_eq!(form["isBase64Encoded"], true);
        let untyped = build(PayloadVersion::V1, b"{}", None);
        assert_eq!(untyped["isBase64Encoded"], true);
    }

    #[test]
    fn a_v1_event_has_rest_api_shape() {
        let event = build(PayloadVersion::V1, b"", None);
        assert_eq!(event["resource"], "/items/{id}");
        assert_eq!(event["path"], "/items/a%20b");
        assert_eq!(event["httpMethod"], "GET");
        assert_eq!(event["headers"]["x-tag"], "b");
        assert_eq!(event["multiValueHeaders"]["x-tag"], json!(["a", "b"]));
        assert_eq!(event["queryStringParameters"]["tag"], "y!");
        assert_eq!(
            event["multiValueQueryStringParameters"]["tag"],
            json!(["x", "y!"])
        );
        assert_eq!(event["pathParameters"], json!({"id": "a b"}));
        assert_eq!(
            event["requestContext"]["authorizer"]["claims"]["sub"],
            "alice"
        );
        assert_eq!(event["requestContext"]["resourcePath"], "/items/{id}");
        assert_eq!(event["body"], Value::Null);
    }

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
