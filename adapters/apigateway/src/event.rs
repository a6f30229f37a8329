//! An invocation event as a function reads it from the Runtime API: only the fields
//! [`parse_event`](crate::request::parse_event) looks at are kept, every other field is skipped
//! as it is read.
//!
//! A payload 2.0 event is about 1.5 KB of JSON, most of it what the function never reads (the
//! request context's ids, times, source address and user agent, the raw path and query, the
//! token's claims but `sub` and the groups). Read into a `serde_json::Value`, each of those
//! becomes an allocated string in an allocated map, all freed again at the end of the request;
//! at 128 MB, a function has 7 % of a CPU to spend on that. Skipping them costs only the scan.
//!
//! What is kept is a `Value` of the same shape, so a kept field reads exactly as it does in the
//! whole event, and any JSON at all is read: a field of an unexpected type is kept whole, for
//! `parse_event` to answer with what is wrong, as it does for the whole event (the local stage
//! and the tests hand it whole events).

use std::borrow::Cow;
use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::request::{is_header_name, is_header_text, RequestHeader};

/// An invocation event with only the fields a function reads.
#[derive(Debug, Clone, PartialEq)]
pub struct InvocationEvent(pub Value);

impl<'de> Deserialize<'de> for InvocationEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Keep::Fields(EVENT).deserialize(deserializer).map(Self)
    }
}

/// What of a field is kept: all of it, or, when it is an object, only the fields named, or (the
/// headers) only the headers the adapter reads and any header that is not valid.
#[derive(Debug, Clone, Copy)]
enum Keep {
    Whole,
    Fields(&'static [(&'static str, Keep)]),
    Headers,
}

/// The fields `parse_event` reads, in either payload format.
const EVENT: &[(&str, Keep)] = &[
    ("warmup", Keep::Whole),
    ("version", Keep::Whole),
    ("httpMethod", Keep::Whole),
    ("headers", Keep::Headers),
    ("queryStringParameters", Keep::Whole),
    ("pathParameters", Keep::Whole),
    ("body", Keep::Whole),
    ("isBase64Encoded", Keep::Whole),
    ("requestContext", Keep::Fields(REQUEST_CONTEXT)),
];

const REQUEST_CONTEXT: &[(&str, Keep)] = &[
    ("requestId", Keep::Whole),
    ("http", Keep::Fields(&[("method", Keep::Whole)])),
    (
        "authorizer",
        Keep::Fields(&[
            // Payload 2.0's JWT authorizer, then the REST API's.
            ("jwt", Keep::Fields(&[("claims", Keep::Fields(CLAIMS))])),
            ("claims", Keep::Fields(CLAIMS)),
        ]),
    ),
];

/// The claims `parse_event` reads; a token carries a dozen more (issuer, audience, times, ids).
const CLAIMS: &[(&str, Keep)] = &[("sub", Keep::Whole), ("cognito:groups", Keep::Whole)];

impl<'de> DeserializeSeed<'de> for Keep {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        match self {
            Self::Whole => Value::deserialize(deserializer),
            keep => deserializer.deserialize_any(Kept(keep)),
        }
    }
}

/// Reads an object keeping what `.0` says; any other JSON value is read whole.
struct Kept(Keep);

impl<'de> Visitor<'de> for Kept {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        match self.0 {
            Keep::Whole => Value::deserialize(MapAccessDeserializer::new(map)),
            Keep::Fields(fields) => kept_fields(map, fields),
            Keep::Headers => kept_headers(map),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut values = Vec::new();
        while let Some(value) = seq.next_element()? {
            values.push(value);
        }
        Ok(Value::Array(values))
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// An object's `fields`. A name given twice keeps its last value, as a `Value` does.
fn kept_fields<'de, A: MapAccess<'de>>(
    mut map: A,
    fields: &'static [(&'static str, Keep)],
) -> Result<Value, A::Error> {
    let mut kept = Map::new();
    while let Some(field) = map.next_key_seed(FieldName(fields))? {
        match field {
            Some((name, keep)) => {
                let value = map.next_value_seed(keep)?;
                kept.insert(name.to_owned(), value);
            }
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Value::Object(kept))
}

/// A `headers` object's headers the adapter reads ([`RequestHeader`]), and every header that
/// `Headers` would refuse (a name that is not a token, a value that is not text), kept whole
/// so that it is refused as from the whole event. A valid header that is not read is checked
/// and skipped; given again after a refused one, it replaces it, as the whole event's last
/// value does.
fn kept_headers<'de, A: MapAccess<'de>>(mut map: A) -> Result<Value, A::Error> {
    let mut kept = Map::new();
    while let Some(HeaderName(name)) = map.next_key()? {
        if !is_header_name(&name) || RequestHeader::named(&name).is_some() {
            let value = map.next_value()?;
            kept.insert(name.into_owned(), value);
        } else if let Some(refused) = map.next_value_seed(UnreadHeaderValue)? {
            kept.insert(name.into_owned(), refused);
        } else {
            kept.remove(name.as_ref());
        }
    }
    Ok(Value::Object(kept))
}

/// A header's name, borrowed from the event unless it holds an escape.
struct HeaderName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for HeaderName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(HeaderNameVisitor)
    }
}

struct HeaderNameVisitor;

impl<'de> Visitor<'de> for HeaderNameVisitor {
    type Value = HeaderName<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a header name")
    }

    fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
        Ok(HeaderName(Cow::Borrowed(name)))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(HeaderName(Cow::Owned(name.to_owned())))
    }
}

/// The value of a header that is not read: `None` when it is text (a string, or an array of
/// strings, free of control characters but tab), which is then dropped; otherwise the whole
/// value, for `Headers` to refuse.
struct UnreadHeaderValue;

impl<'de> DeserializeSeed<'de> for UnreadHeaderValue {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UnreadHeaderValue {
    type Value = Option<Value>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok((!is_header_text(value)).then(|| Value::String(value.to_owned())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let values = Kept(Keep::Whole).visit_seq(seq)?;
        let is_text = values.as_array().is_some_and(|values| {
            values
                .iter()
                .all(|v| v.as_str().is_some_and(is_header_text))
        });
        Ok((!is_text).then_some(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Kept(Keep::Whole).visit_map(map).map(Some)
    }

    // Any other value is not text: kept whole, as `Kept` reads it.

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Kept(Keep::Whole).visit_bool(value).map(Some)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Kept(Keep::Whole).visit_i64(value).map(Some)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Kept(Keep::Whole).visit_u64(value).map(Some)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Kept(Keep::Whole).visit_f64(value).map(Some)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Kept(Keep::Whole).visit_unit().map(Some)
    }
}

/// A field's name, looked up among the kept ones without being copied: the kept field's name
/// and what of it is kept, or `None` for a field that is skipped.
struct FieldName(&'static [(&'static str, Keep)]);

impl<'de> DeserializeSeed<'de> for FieldName {
    type Value = Option<(&'static str, Keep)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldName {
    type Value = Option<(&'static str, Keep)>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().copied().find(|(kept, _)| *kept == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_event;
    use serde_json::json;

    fn kept(event: &Value) -> Value {
        serde_json::from_slice::<InvocationEvent>(&serde_json::to_vec(event).unwrap())
            .unwrap()
            .0
    }

    #[test]
    fn only_the_fields_read_are_kept_at_every_level() {
        let event = json!({
            "version": "2.0",
            "routeKey": "GET /items/{id}",
            "rawPath": "/items/1",
            "headers": {
                "accept": "application/json",
                "Accept-Encoding": "gzip",
                "x-forwarded-for": "203.0.113.7",
            },
            "pathParameters": {"id": "1"},
            "requestContext": {
                "accountId": "123456789012",
                "authorizer": {"jwt": {"claims": {"sub": "alice", "iat": "1"}, "scopes": null}},
                "http": {"method": "GET", "path": "/items/1", "sourceIp": "203.0.113.7"},
                "requestId": "r-1",
                "timeEpoch": 1_764_037_800_000_u64,
            },
            "isBase64Encoded": false,
        });
        assert_eq!(
            kept(&event),
            json!({
                "version": "2.0",
                "headers": {"Accept-Encoding": "gzip"},
                "pathParameters": {"id": "1"},
                "requestContext": {
                    "authorizer": {"jwt": {"claims": {"sub": "alice"}}},
                    "http": {"method": "GET"},
                    "requestId": "r-1",
                },
                "isBase64Encoded": false,
            })
        );
    }

    #[test]
    fn a_field_of_an_unexpected_type_is_kept_whole() {
        for event in [
            json!([1, {"requestContext": 2}]),
            json!("text"),
            json!(null),
            json!(-1.5),
            json!({"requestContext": [{"http": 1}]}),
            json!({"requestContext": {"http": "GET", "authorizer": false}}),
            json!({"requestContext": {"authorizer": {"jwt": 7, "claims": {"sub": 1}}}}),
        ] {
            assert_eq!(kept(&event), event);
        }
    }

    #[test]
    fn a_field_given_twice_keeps_its_last_value_as_a_whole_read_does() {
        let text = r#"{"body": "a", "requestContext": {"requestId": "1"}, "body": "b",
            "requestContext": {"http": {"method": "PUT", "method": "GET"}}}"#;
        let whole: Value = serde_json::from_str(text).unwrap();
        let kept: InvocationEvent = serde_json::from_str(text).unwrap();
        assert_eq!(kept.0, whole);
        assert_eq!(kept.0["body"], "b");
    }

    #[test]
    fn a_header_given_twice_reads_as_its_last_value_as_from_the_whole_event() {
        for headers in [
            r#"{"x-a": "bad\n", "x-a": "fine"}"#,
            r#"{"x-a": "fine", "x-a": "bad\n"}"#,
            r#"{"x-a": 1, "x-\u0061": "fine", "If-Match": "\"1\"", "if-match": "\"2\""}"#,
            r#"{"accept-encodin\u0067": "gzip", "x-\u0062": "b\u0000"}"#,
        ] {
            let text = format!(
                r#"{{"version": "2.0", "headers": {headers},
                "requestContext": {{"http": {{"method": "GET"}}, "requestId": "r-1"}}}}"#
            );
            let whole: Value = serde_json::from_str(&text).unwrap();
            let kept: InvocationEvent = serde_json::from_str(&text).unwrap();
            assert_eq!(
                format!("{:?}", parse_event(kept.0)),
                format!("{:?}", parse_event(whole)),
                "{headers}"
            );
        }
    }

    #[test]
    fn escaped_field_names_are_matched_by_their_value() {
        let kept: InvocationEvent =
            serde_json::from_str(r#"{"b\u006fdy": "x", "requestC\u006fntext": {"x": 1}}"#).unwrap();
        assert_eq!(kept.0, json!({"body": "x", "requestContext": {}}));
    }

    /// The same request (or the same error) from the kept fields as from the whole event, in
    /// both payload formats and for events that are not what they claim.
    #[test]
    fn an_event_reads_the_same_kept_as_whole() {
        let v2 = json!({
            "version": "2.0",
            "rawQueryString": "limit=2",
            "headers": {"Accept-Encoding": "gzip", "authorization": "Bearer a.b.c"},
            "queryStringParameters": {"limit": "2,3"},
            "requestContext": {
                "authorizer": {"jwt": {"claims": {"sub": "alice", "cognito:groups": "[admin]"}}},
                "http": {"method": "GET"},
                "requestId": "r-2",
            },
            "body": "e30=",
            "isBase64Encoded": true,
        });
        let v1 = json!({
            "httpMethod": "POST",
            "resource": "/items",
            "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"Content-Type": ["application/json"]},
            "queryStringParameters": null,
            "pathParameters": {"id": "7"},
            "requestContext": {
                "authorizer": {"claims": {"sub": "bob", "cognito:groups": "a,b"}},
                "requestId": "r-1",
            },
            "body": "{}",
            "isBase64Encoded": null,
        });
        let mut events = vec![v1.clone(), v2.clone(), json!({"warmup": true}), json!([])];
        for (event, field, bad) in [
            (&v2, "headers", json!({"bad name": "x"})),
            (
                &v2,
                "headers",
                json!({"bad name": "x", "if-match": "\"1\""}),
            ),
            (
                &v2,
                "headers",
                json!({"x-unread": "line\nbreak", "accept": "*/*"}),
            ),
            (&v2, "headers", json!({"x-unread": ["a", 1]})),
            (&v2, "headers", json!({"x-unread": ["a", "del\u{7f}"]})),
            (&v2, "headers", json!({"x-unread": {"a": "b"}})),
            (&v2, "headers", json!({"x-unread": 1.5, "a-first": null})),
            (&v2, "headers", json!({"z-unread": "ok", "if-match": 7})),
            (
                &v1,
                "headers",
                json!({"Authorization": "Bearer x\ty", "Host": "h"}),
            ),
            (&v1, "headers", json!(["Host"])),
            (&v2, "queryStringParameters", json!({"limit": 2})),
            (&v2, "requestContext", json!("r")),
            (&v2, "isBase64Encoded", Value::Null),
            (&v1, "pathParameters", json!(["7"])),
            (&v1, "body", json!({})),
            (&v1, "httpMethod", json!(1)),
        ] {
            let mut event = event.clone();
            event[field] = bad;
            events.push(event);
        }
        for event in events {
            assert_eq!(
                format!("{:?}", parse_event(kept(&event))),
                format!("{:?}", parse_event(event.clone())),
                "{event}"
            );
        }
    }
}
