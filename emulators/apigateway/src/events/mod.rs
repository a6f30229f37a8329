//! Builds the Lambda event API Gateway sends for a request: payload 2.0 (HTTP API) or 1.0
//! (the REST API proxy event). The parts both formats share are here; each format's shape is
//! in its own module.

mod v1;
mod v2;

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::Value;
use xray_emulator::{TraceHeader, TraceId};

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
    /// e.g. `GET /pets/{id}`.
    pub route_key: &'a str,
    /// e.g. `/pets/{id}`.
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
        PayloadVersion::V2 => v2::build(request, route, claims),
        PayloadVersion::V1 => v1::build(request, route, claims),
    }
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
    let trace = trace_header(
        request.header("x-amzn-trace-id"),
        &request.request_id,
        request.received_at,
    );
    add("x-amzn-trace-id", trace.to_string());
    headers
}

/// The trace header a request is passed on with. The caller's trace (an `X-Amzn-Trace-Id` with
/// a well-formed `Root`) is continued, unsampled only when the caller said `Sampled=0`; any
/// other request starts a sampled trace, whose id is derived from the request id so that it is
/// the same wherever the request is described (event, integration, access log).
pub fn trace_header(
    incoming: Option<&str>,
    request_id: &str,
    received_at: DateTime<Utc>,
) -> TraceHeader {
    if let Some(caller) = incoming.and_then(TraceHeader::parse) {
        return TraceHeader {
            sampled: Some(caller.sampled != Some(false)),
            ..caller
        };
    }
    // The unique part: the request id's first 12 bytes.
    let mut unique = [0u8; 16];
    for (slot, byte) in unique[4..].iter_mut().zip(request_id.bytes()) {
        *slot = byte;
    }
    let epoch_seconds = u32::try_from(received_at.timestamp()).unwrap_or_default();
    TraceHeader {
        root: TraceId::new(epoch_seconds, u128::from_be_bytes(unique)),
        parent: None,
        sampled: Some(true),
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::{json, Map};

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
            raw_path: "/pets/a%20b".to_owned(),
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
            route_key: "GET /pets/{id}",
            resource: "/pets/{id}",
            path_parameters: &parameters,
        };
        build_event(version, &request(body, content_type), &route, &claims())
    }

    #[test]
    fn a_v2_event_has_api_gateway_shape() {
        let event = build(PayloadVersion::V2, b"", None);
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["routeKey"], "GET /pets/{id}");
        assert_eq!(event["rawPath"], "/pets/a%20b");
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
        assert_eq!(event["resource"], "/pets/{id}");
        assert_eq!(event["path"], "/pets/a%20b");
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
        assert_eq!(event["requestContext"]["resourcePath"], "/pets/{id}");
        assert_eq!(event["body"], Value::Null);
    }

    #[test]
    fn a_request_without_a_trace_starts_a_sampled_one_the_function_sees() {
        let event = build(PayloadVersion::V2, b"", None);
        let header = event["headers"]["x-amzn-trace-id"].as_str().unwrap();
        // 0x69b30e1e is the request's arrival second; the rest is its request id in hex.
        assert_eq!(header, "Root=1-69b30e1e-416263313233446566343536;Sampled=1");
        let again = trace_header(None, "Abc123Def456Gh=", request(b"", None).received_at);
        assert_eq!(
            again.to_string(),
            header,
            "the same request, the same trace"
        );
    }

    #[test]
    fn a_callers_trace_is_continued_with_its_sampling_decision() {
        let at = Utc.with_ymd_and_hms(2026, 3, 12, 19, 3, 58).unwrap();
        let root = "Root=1-5759e988-bd862e3fe1be46a994272793";
        let unsampled = trace_header(Some(&format!("{root};Sampled=0")), "id", at);
        assert_eq!(unsampled.to_string(), format!("{root};Sampled=0"));
        let undecided = trace_header(Some(&format!("{root};Parent=53995c3f42cd8ad8")), "id", at);
        assert_eq!(
            undecided.to_string(),
            format!("{root};Parent=53995c3f42cd8ad8;Sampled=1")
        );
        let malformed = trace_header(Some("Root=nonsense;Sampled=0"), "id", at);
        assert!(
            malformed.is_sampled(),
            "a malformed header starts a new trace"
        );
    }
}
