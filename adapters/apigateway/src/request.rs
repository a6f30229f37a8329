//! One request type for both payload formats: what API Gateway sent, already normalised.
//!
//! An event is read once: the parts a handler uses (headers, query and path parameters, body)
//! are moved out of the parsed event into [`ApiRequest`], checked as API Gateway's own event
//! types would check them, and nothing else is copied.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use items_domain::text::has_ascii_control_other_than;
use serde_json::{Map, Value};

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

/// The request headers the adapter reads: a handler that needs another adds it here. Every
/// other header of an event is checked as API Gateway's event types check it (see
/// [`Headers`]) and then dropped, already as the event is read
/// ([`InvocationEvent`](crate::event::InvocationEvent)): most of an event's headers (host, user
/// agent, forwarding, tracing) are never read, and each cost an allocated name and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestHeader {
    /// Whether the response may be gzipped.
    AcceptEncoding,
    /// The verified token: the REST API's groups are read from it (see `read_claims`).
    Authorization,
    /// The body's media type.
    ContentType,
    /// A create's idempotency key.
    IdempotencyKey,
    /// The version a write is conditional on.
    IfMatch,
}

impl RequestHeader {
    /// Every header the adapter reads.
    pub const ALL: [Self; 5] = [
        Self::AcceptEncoding,
        Self::Authorization,
        Self::ContentType,
        Self::IdempotencyKey,
        Self::IfMatch,
    ];

    /// Its name, lowercased.
    pub const fn name(self) -> &'static str {
        match self {
            Self::AcceptEncoding => "accept-encoding",
            Self::Authorization => "authorization",
            Self::ContentType => "content-type",
            Self::IdempotencyKey => "idempotency-key",
            Self::IfMatch => "if-match",
        }
    }

    /// The header called `name` (in any case), if the adapter reads it.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|header| header.name().eq_ignore_ascii_case(name))
    }
}

/// A request's headers that the adapter reads ([`RequestHeader`]), names lowercased; a name may
/// hold several values (a JSON array in the event), and the first one is the header's value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// The first value of `header`, as sent.
    pub fn get(&self, header: RequestHeader) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == header.name())
            .map(|(_, value)| value.as_str())
    }

    /// Reads an event's `headers` object (or `null`): each name must be an HTTP token and each
    /// value free of control characters, as API Gateway's event types require, read or not. A
    /// name given twice keeps its last string, or every value of an array.
    fn read(headers: Option<Value>) -> Result<Self, String> {
        let Some(object) = object_or_null(headers, "headers")? else {
            return Ok(Self::default());
        };
        let mut read: Vec<(String, String)> = Vec::new();
        for (mut name, value) in object {
            if !is_header_name(&name) {
                return Err(format!("invalid header name {name:?}"));
            }
            let is_read = RequestHeader::named(&name).is_some();
            name.make_ascii_lowercase();
            match value {
                Value::String(value) => {
                    let value = header_value(&name, value)?;
                    if is_read {
                        read.retain(|(n, _)| *n != name);
                        read.push((name, value));
                    }
                }
                Value::Array(values) => {
                    for value in values {
                        let Value::String(value) = value else {
                            return Err(format!("header {name:?} has a value that is not text"));
                        };
                        let value = header_value(&name, value)?;
                        if is_read {
                            read.push((name.clone(), value));
                        }
                    }
                }
                _ => return Err(format!("header {name:?} is not text")),
            }
        }
        Ok(Self(read))
    }
}

/// The bytes of an HTTP token (RFC 9110 §5.6.2), as a table: every header name of every event
/// is checked, a lookup a byte.
const TOKEN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        byte += 1;
    }
    table
};

/// An HTTP token, as a header name must be.
pub(crate) fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.len() < 1 << 16 && name.bytes().all(|b| TOKEN_BYTES[usize::from(b)])
}

/// A header value as HTTP allows it: no control characters but tab. Searched a word at a time:
/// the token in `authorization` alone is about a kilobyte. The error names the header, never
/// its value: it is logged and answered, and the value may be a credential.
fn header_value(name: &str, value: String) -> Result<String, String> {
    if is_header_text(&value) {
        Ok(value)
    } else {
        Err(format!(
            "header {name:?} has a control character in its value"
        ))
    }
}

/// Whether `value` is a header value as HTTP allows it (see [`header_value`]).
pub(crate) fn is_header_text(value: &str) -> bool {
    !has_ascii_control_other_than(value.as_bytes(), b"\t")
}

/// Whether a header value is readable as text: visible ASCII and tabs only (the header rule,
/// less anything outside ASCII).
fn is_visible_ascii(value: &str) -> bool {
    value.is_ascii() && is_header_text(value)
}

/// An API request, whatever payload format it came in.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The payload format the event came in, and so the one the response must take.
    pub payload: PayloadVersion,
    /// API Gateway's request id (`x-request-id` of the response).
    pub request_id: String,
    /// Header names are case-insensitive here.
    pub headers: Headers,
    /// The route's path parameters (`id`).
    pub path_parameters: HashMap<String, String>,
    /// Each query string parameter's first value (payload 2.0 joins a repeated parameter's
    /// values with commas: the first is the text before the first comma).
    pub query: HashMap<String, String>,
    /// The body as sent: base64 when `is_base64_encoded`.
    pub body: Option<String>,
    /// Whether API Gateway base64-encoded the body.
    pub is_base64_encoded: bool,
    /// The JWT authorizer's claims; empty without an authorizer.
    pub claims: Claims,
}

impl ApiRequest {
    /// A header's value as text; `None` when absent or not visible ASCII.
    pub fn header(&self, header: RequestHeader) -> Option<&str> {
        self.headers
            .get(header)
            .filter(|value| is_visible_ascii(value))
    }

    /// A header that is present but unreadable as text (bytes outside visible ASCII).
    pub fn header_is_unreadable(&self, header: RequestHeader) -> bool {
        self.headers
            .get(header)
            .is_some_and(|value| !is_visible_ascii(value))
    }

    /// A query parameter's first value.
    pub fn query_parameter(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
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
    let is_v2 = event.get("version").and_then(Value::as_str) == Some("2.0")
        || event.pointer("/requestContext/http").is_some();
    let is_v1 = event.get("httpMethod").is_some();
    let (payload, kind) = if is_v2 {
        (PayloadVersion::V2, "an HTTP API (2.0) event")
    } else if is_v1 {
        (PayloadVersion::V1, "a REST API proxy (1.0) event")
    } else {
        return Err(MalformedEvent {
            request_id,
            reason: "not an API Gateway proxy event".into(),
        });
    };
    // Claims are read from the raw event: authorizers write them as strings or as JSON
    // arrays.
    let claims_path = match payload {
        PayloadVersion::V2 => "/requestContext/authorizer/jwt/claims",
        PayloadVersion::V1 => "/requestContext/authorizer/claims",
    };
    let claims = event
        .pointer(claims_path)
        .map(|claims| read_claims(claims, &event))
        .unwrap_or_default();
    match read_request(&mut event, payload) {
        Ok(parts) => Ok(Incoming::Api(Box::new(ApiRequest {
            payload,
            request_id,
            headers: parts.headers,
            path_parameters: parts.path_parameters,
            query: parts.query,
            body: parts.body,
            is_base64_encoded: parts.is_base64_encoded,
            claims,
        }))),
        Err(reason) => Err(MalformedEvent {
            request_id,
            reason: format!("not {kind}: {reason}"),
        }),
    }
}

/// The parts of an event a request is made of.
struct RequestParts {
    headers: Headers,
    path_parameters: HashMap<String, String>,
    query: HashMap<String, String>,
    body: Option<String>,
    is_base64_encoded: bool,
}

/// Moves the request's parts out of `event`, checking the shape API Gateway's event types
/// require: a request context (with the method, `http.method` in 2.0 and `httpMethod` in 1.0),
/// and each part of its JSON type.
fn read_request(event: &mut Value, payload: PayloadVersion) -> Result<RequestParts, String> {
    let Some(event) = event.as_object_mut() else {
        return Err("the event is not a JSON object".into());
    };
    let Some(Value::Object(context)) = event.get("requestContext") else {
        return Err("missing or invalid field `requestContext`".into());
    };
    let method = match payload {
        PayloadVersion::V2 => context.get("http").and_then(|http| http.get("method")),
        PayloadVersion::V1 => event.get("httpMethod"),
    };
    if !method.is_some_and(Value::is_string) {
        return Err("missing or invalid HTTP method".into());
    }
    // A repeated parameter's first value, in either format: payload 2.0 joins the values with
    // commas; 1.0 keeps only the last in `queryStringParameters` and all of them, in order, in
    // `multiValueQueryStringParameters`, which is read when there.
    let single = event.remove("queryStringParameters");
    let query = match (payload, event.remove("multiValueQueryStringParameters")) {
        (PayloadVersion::V1, Some(multi)) if !multi.is_null() => first_values(multi, false)?,
        _ => match single {
            Some(query) => first_values(query, payload == PayloadVersion::V2)?,
            None => HashMap::new(),
        },
    };
    let path_parameters = match object_or_null(event.remove("pathParameters"), "pathParameters")? {
        Some(object) => object
            .into_iter()
            .map(|(name, value)| match value {
                Value::String(value) => Ok((name, value)),
                _ => Err(format!("path parameter {name:?} is not text")),
            })
            .collect::<Result<_, _>>()?,
        None => HashMap::new(),
    };
    let body = match event.remove("body") {
        None | Some(Value::Null) => None,
        Some(Value::String(body)) => Some(body),
        Some(_) => return Err("invalid type of field `body`".into()),
    };
    let is_base64_encoded = match event.get("isBase64Encoded") {
        None => false,
        Some(Value::Bool(encoded)) => *encoded,
        // The REST API's event type reads `null` as false; the HTTP API's refuses it.
        Some(Value::Null) if payload == PayloadVersion::V1 => false,
        Some(_) => return Err("invalid type of field `isBase64Encoded`".into()),
    };
    Ok(RequestParts {
        headers: Headers::read(event.remove("headers"))?,
        path_parameters,
        query,
        body,
        is_base64_encoded,
    })
}

/// A field that must be a JSON object or `null` (or absent).
fn object_or_null(value: Option<Value>, field: &str) -> Result<Option<Map<String, Value>>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object)),
        Some(_) => Err(format!("invalid type of field `{field}`")),
    }
}

/// Each query parameter's first value: a string (the part before its first comma when
/// `comma_joined`) or an array's first string.
fn first_values(query: Value, comma_joined: bool) -> Result<HashMap<String, String>, String> {
    let Some(object) = object_or_null(Some(query), "queryStringParameters")? else {
        return Ok(HashMap::new());
    };
    let mut first = HashMap::with_capacity(object.len());
    for (name, value) in object {
        match value {
            Value::String(mut text) => {
                if comma_joined {
                    if let Some(comma) = text.find(',') {
                        text.truncate(comma);
                    }
                }
                first.insert(name, text);
            }
            Value::Array(values) => {
                let mut first_value = None;
                for value in values {
                    let Value::String(value) = value else {
                        return Err(format!("query parameter {name:?} is not text"));
                    };
                    first_value.get_or_insert(value);
                }
                if let Some(value) = first_value {
                    first.insert(name, value);
                }
            }
            _ => return Err(format!("query parameter {name:?} is not text")),
        }
    }
    Ok(first)
}

fn read_claims(claims: &Value, event: &Value) -> Claims {
    let groups = match claims.get("cognito:groups") {
        // The REST API's Cognito authorizer joins groups with commas, which a group name may
        // itself contain ("x,admin" is one group, or two): the token in the Authorization
        // header holds them as a JSON array, so that is read instead, but only to choose
        // between readings of the verified text. The header is not verified here, and a
        // request may carry more than one: an array that does not join to the verified text
        // (a forged `["admin"]` beside a verified `users`) is ignored.
        Some(Value::String(text)) if !is_bracketed(text) => {
            let verified = read_groups(&Value::String(text.clone()));
            bearer_token_claims(event)
                .and_then(|token| {
                    token
                        .get("cognito:groups")
                        .filter(|g| g.is_array())
                        .map(read_groups)
                })
                .filter(|groups| joined_with_commas(groups) == verified)
                .unwrap_or(verified)
        }
        Some(groups) => read_groups(groups),
        None => Vec::new(),
    };
    Claims {
        sub: claims.get("sub").and_then(Value::as_str).map(str::to_owned),
        groups,
    }
}

/// Groups as the REST API's authorizer flattens them, read back: each name split at its
/// commas.
fn joined_with_commas(groups: &[String]) -> Vec<String> {
    read_groups(&Value::String(groups.join(",")))
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
    fn a_header_value_reads_as_text_when_it_holds_visible_ascii_and_tabs_only() {
        for byte in 0..=127u8 {
            let value = format!("a{}b", char::from(byte));
            let visible = byte == b'\t' || (0x20..0x7f).contains(&byte);
            assert_eq!(is_visible_ascii(&value), visible, "{byte:#04x}");
        }
        assert!(is_visible_ascii("W/\"1\"\t, \"2\""));
        assert!(!is_visible_ascii("caf\u{e9}"));
        assert!(!is_visible_ascii(&format!("{}\u{7f}", "x".repeat(40))));
    }

    #[test]
    fn a_header_name_is_made_of_token_characters_only() {
        // RFC 9110 §5.6.2: tchar is ALPHA, DIGIT or one of these.
        let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        for byte in 0..=255u8 {
            assert_eq!(TOKEN_BYTES[usize::from(byte)], tchar(byte), "{byte:#04x}");
        }
        assert!(is_header_name("x-amzn-trace-id"));
        assert!(!is_header_name(""));
        assert!(!is_header_name("bad name"));
        assert!(!is_header_name("bad:name"));
    }

    #[test]
    fn a_header_value_may_hold_tabs_and_text_beyond_ascii_but_no_other_control() {
        assert!(header_value("authorization", "Bearer a.b.c\twith a tab, é".to_owned()).is_ok());
        assert!(header_value("x-note", "line\nbreak".to_owned()).is_err());
        assert!(header_value("x-note", "delete\x7f".to_owned()).is_err());
    }

    #[test]
    fn a_bad_header_value_is_named_by_its_header_and_never_repeated() {
        let token = "Bearer eyJhbGciOiJSUzI1NiJ9.secret-payload.signature\u{1}";
        let error = header_value("authorization", token.to_owned()).unwrap_err();
        assert_eq!(
            error,
            "header \"authorization\" has a control character in its value"
        );
        assert!(!error.contains("secret-payload"));
    }

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
    fn a_repeated_query_parameter_is_its_first_value_in_both_formats() {
        let mut v1 = v1_event("users", None);
        v1["queryStringParameters"] = json!({"limit": "5", "category": "b"});
        v1["multiValueQueryStringParameters"] = json!({"limit": ["0", "5"], "category": ["b"]});
        let v2 = json!({
            "version": "2.0",
            "routeKey": "GET /items",
            "rawPath": "/items",
            "queryStringParameters": {"limit": "0,5", "category": "b"},
            "requestContext": {"requestId": "r-2", "http": {"method": "GET", "path": "/items"}},
        });
        for event in [v1, v2] {
            let Ok(Incoming::Api(request)) = parse_event(event) else {
                panic!("not an API request");
            };
            assert_eq!(request.query_parameter("limit"), Some("0"));
            assert_eq!(request.query_parameter("category"), Some("b"));
        }
    }

    #[test]
    fn rest_groups_from_the_header_must_join_to_the_verified_ones() {
        // A second, forged Authorization header is not what the authorizer verified: groups
        // that do not join to the verified text grant nothing.
        let forged = token_with(json!({"sub": "alice", "cognito:groups": ["admin"]}));
        assert_eq!(groups_of(v1_event("users", Some(forged))), ["users"]);
        let widened = token_with(json!({"cognito:groups": ["x,admin", "admin"]}));
        assert_eq!(
            groups_of(v1_event("x,admin", Some(widened))),
            ["x", "admin"],
            "the verified text, read as the authorizer wrote it"
        );
        let spaced = token_with(json!({"cognito:groups": ["x,admin", "staff"]}));
        assert_eq!(
            groups_of(v1_event(" x,admin, staff ", Some(spaced))),
            ["x,admin", "staff"]
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
    fn only_the_headers_the_adapter_reads_are_kept_whatever_their_case() {
        let event = json!({
            "version": "2.0",
            "headers": {
                "Accept-Encoding": "gzip",
                "Host": "api.example.com",
                "IF-MATCH": ["\"1\"", "\"2\""],
                "user-agent": "curl/8",
                "x-forwarded-for": "203.0.113.7",
            },
            "requestContext": {"http": {"method": "GET"}, "requestId": "r-1"},
        });
        let Ok(Incoming::Api(request)) = parse_event(event) else {
            panic!("not an API request");
        };
        assert_eq!(
            request.headers,
            Headers(vec![
                ("accept-encoding".into(), "gzip".into()),
                ("if-match".into(), "\"1\"".into()),
                ("if-match".into(), "\"2\"".into()),
            ])
        );
        assert_eq!(request.header(RequestHeader::IfMatch), Some("\"1\""));
        assert_eq!(request.header(RequestHeader::ContentType), None);
        for header in RequestHeader::ALL {
            assert_eq!(
                RequestHeader::named(&header.name().to_uppercase()),
                Some(header)
            );
        }
        assert_eq!(RequestHeader::named("host"), None);
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
