//! Segment documents as the X-Ray segment document schema spells them, and the daemon's UDP
//! datagram around one: a header line `{"format": "json", "version": 1}`, a newline, and the
//! document.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::trace_header::{is_segment_id, TraceId};

/// The value of a separately sent subsegment's `type`.
pub const SUBSEGMENT: &str = "subsegment";

/// The longest segment document X-Ray accepts, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// One segment or subsegment: a whole segment with its subsegments embedded, an in-progress
/// segment, or a subsegment sent on its own (`type: "subsegment"` with `trace_id` and
/// `parent_id`). Fields this emulator does not read (`service`, `user`, `sql`...) are dropped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// The service (for a segment) or the call or work (for a subsegment).
    pub name: String,
    /// 16 hex digits, unique in the trace.
    pub id: String,
    /// The trace; required on a document of its own, absent on embedded subsegments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// The segment or subsegment this one is part of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// `subsegment` for a subsegment sent on its own.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub document_type: Option<String>,
    /// Epoch seconds, fractional.
    pub start_time: f64,
    /// Epoch seconds, fractional; absent while `in_progress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
    /// Sent when the work started, to be replaced by the complete document.
    #[serde(default, skip_serializing_if = "is_false")]
    pub in_progress: bool,
    /// The kind of AWS resource running the service, e.g. `AWS::Lambda::Function`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// `aws` for an AWS SDK call, `remote` for another downstream call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A server error (5xx).
    #[serde(default, skip_serializing_if = "is_false")]
    pub fault: bool,
    /// A client error (4xx).
    #[serde(default, skip_serializing_if = "is_false")]
    pub error: bool,
    /// Throttled (429).
    #[serde(default, skip_serializing_if = "is_false")]
    pub throttle: bool,
    /// What failed: `{"exceptions": [...]}`, or the id of an exception recorded elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Value>,
    /// Indexed key-value pairs (string, number or boolean values).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub annotations: Map<String, Value>,
    /// Any other data, by namespace.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// The AWS call or resource: `operation`, `table_name`, `request_id`, `retries`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<Value>,
    /// The HTTP request and response: `{"request": {"method", "url"}, "response": {"status"}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<Value>,
    /// Subsegments embedded in this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsegments: Vec<Segment>,
}

fn is_false(value: &bool) -> bool {
    !value
}

impl Segment {
    /// Whether this is a subsegment sent on its own.
    pub fn is_subsegment(&self) -> bool {
        self.document_type.as_deref() == Some(SUBSEGMENT)
    }

    /// Checks what the schema requires of a document sent on its own, and of every
    /// subsegment embedded in it.
    pub fn validate(&self) -> Result<TraceId, DocumentError> {
        let trace_id = self
            .trace_id
            .as_deref()
            .and_then(TraceId::parse)
            .ok_or(DocumentError::TraceId)?;
        if self.is_subsegment() && !self.parent_id.as_deref().is_some_and(is_segment_id) {
            return Err(DocumentError::ParentId);
        }
        self.validate_fields()?;
        Ok(trace_id)
    }

    fn validate_fields(&self) -> Result<(), DocumentError> {
        if self.name.is_empty() || self.name.chars().count() > 200 {
            return Err(DocumentError::Name);
        }
        if !is_segment_id(&self.id) {
            return Err(DocumentError::Id(self.id.clone()));
        }
        let times_are_numbers =
            self.start_time.is_finite() && self.end_time.is_none_or(f64::is_finite);
        if !times_are_numbers || (self.end_time.is_none() && !self.in_progress) {
            return Err(DocumentError::Times(self.id.clone()));
        }
        self.subsegments
            .iter()
            .try_for_each(Segment::validate_fields)
    }
}

/// Why a datagram or document was not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The datagram does not start with the daemon's header line.
    #[error("the datagram lacks the header line {{\"format\": \"json\", \"version\": 1}}")]
    Header,
    /// The document is larger than X-Ray accepts.
    #[error("the document is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    /// The document is not a segment document.
    #[error("not a segment document: {0}")]
    Json(String),
    /// The trace id is missing or malformed.
    #[error("trace_id is missing or not of the form 1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx")]
    TraceId,
    /// A subsegment sent on its own names no parent.
    #[error("a subsegment sent on its own needs a parent_id of 16 hex digits")]
    ParentId,
    /// A name is empty or longer than 200 characters.
    #[error("a name is empty or longer than 200 characters")]
    Name,
    /// An id is not 16 hex digits.
    #[error("id {0:?} is not 16 hex digits")]
    Id(String),
    /// A start time is missing, or there is neither an end time nor `in_progress`.
    #[error("{0}: needs start_time, and end_time or in_progress")]
    Times(String),
}

/// Reads one daemon datagram: the header line, then one segment document.
pub fn parse_datagram(datagram: &[u8]) -> Result<Segment, DocumentError> {
    let newline = datagram
        .iter()
        .position(|byte| *byte == b'\n')
        .ok_or(DocumentError::Header)?;
    let (header, document) = (&datagram[..newline], &datagram[newline + 1..]);
    let header: Value = serde_json::from_slice(header).map_err(|_| DocumentError::Header)?;
    if header.get("format").and_then(Value::as_str) != Some("json")
        || header.get("version").and_then(Value::as_u64) != Some(1)
    {
        return Err(DocumentError::Header);
    }
    parse_document(document)
}

/// Reads one segment document, as sent without the header (e.g. `PutTraceSegments`).
pub fn parse_document(document: &[u8]) -> Result<Segment, DocumentError> {
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge);
    }
    serde_json::from_slice(document).map_err(|error| DocumentError::Json(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "{\"format\": \"json\", \"version\": 1}\n";

    #[test]
    fn a_datagram_holds_one_document_after_the_header_line() {
        let datagram = format!(
            "{HEADER}{{\"name\":\"update-item\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"1-581cf771-a006649127e371903a2de979\",\"start_time\":1.478293361271E9,\"end_time\":1.478293361449E9}}"
        );
        let segment = parse_datagram(datagram.as_bytes()).unwrap();
        assert_eq!(segment.name, "update-item");
        assert_eq!(segment.end_time, Some(1.478_293_361_449E9));
        assert!(segment.validate().is_ok());
    }

    #[test]
    fn a_datagram_without_the_header_is_refused() {
        let document = br#"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2}"#;
        assert_eq!(parse_datagram(document), Err(DocumentError::Header));
        let wrong_version = format!(
            "{{\"format\": \"json\", \"version\": 2}}\n{}",
            String::from_utf8_lossy(document)
        );
        assert_eq!(
            parse_datagram(wrong_version.as_bytes()),
            Err(DocumentError::Header)
        );
    }

    #[test]
    fn what_the_schema_requires_is_checked() {
        let complete = Segment {
            name: "handler".to_owned(),
            id: "70de5b6f19ff9a0a".to_owned(),
            trace_id: Some("1-581cf771-a006649127e371903a2de979".to_owned()),
            start_time: 1.0,
            end_time: Some(2.0),
            ..Segment::default()
        };
        assert!(complete.validate().is_ok());
        let broken = [
            (
                Segment {
                    trace_id: None,
                    ..complete.clone()
                },
                DocumentError::TraceId,
            ),
            (
                Segment {
                    document_type: Some(SUBSEGMENT.to_owned()),
                    ..complete.clone()
                },
                DocumentError::ParentId,
            ),
            (
                Segment {
                    end_time: None,
                    ..complete.clone()
                },
                DocumentError::Times("70de5b6f19ff9a0a".to_owned()),
            ),
            (
                Segment {
                    subsegments: vec![Segment {
                        name: "GetItem".to_owned(),
                        id: "short".to_owned(),
                        ..Segment::default()
                    }],
                    ..complete.clone()
                },
                DocumentError::Id("short".to_owned()),
            ),
        ];
        for (segment, expected) in broken {
            assert_eq!(segment.validate(), Err(expected));
        }
        let in_progress = Segment {
            end_time: None,
            in_progress: true,
            ..complete
        };
        assert!(in_progress.validate().is_ok());
    }
}
