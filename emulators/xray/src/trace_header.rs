//! X-Ray's ids and its trace header, `X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`,
//! as API Gateway passes it to Lambda and Lambda to a function (`_X_AMZN_TRACE_ID`).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A trace id as X-Ray spells it: `1-`, the epoch second the trace began in 8 hex digits, `-`,
/// and 96 random bits in 24 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId(String);

impl TraceId {
    /// The trace id begun at `epoch_seconds` whose unique part is the low 96 bits of `unique`.
    pub fn new(epoch_seconds: u32, unique: u128) -> Self {
        let low_96_bits = unique & ((1u128 << 96) - 1);
        Self(format!("1-{epoch_seconds:08x}-{low_96_bits:024x}"))
    }

    /// A new trace id, begun now.
    pub fn generate() -> Self {
        let epoch_seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()
            .and_then(|since| u32::try_from(since.as_secs()).ok())
            .unwrap_or_default();
        Self::new(epoch_seconds, uuid::Uuid::new_v4().as_u128())
    }

    /// A trace id in X-Ray's format, or `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split('-');
        let well_formed = parts.next() == Some("1")
            && parts.next().is_some_and(|time| is_hex(time, 8))
            && parts.next().is_some_and(|unique| is_hex(unique, 24))
            && parts.next().is_none();
        well_formed.then(|| Self(raw.to_ascii_lowercase()))
    }

    /// The id, e.g. `1-5759e988-bd862e3fe1be46a994272793`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new segment id: 64 random bits in 16 hex digits.
pub fn new_segment_id() -> String {
    let random = uuid::Uuid::new_v4().as_u128();
    format!("{:016x}", random as u64)
}

/// Whether `raw` is a segment id: 16 hex digits.
pub fn is_segment_id(raw: &str) -> bool {
    is_hex(raw, 16)
}

fn is_hex(raw: &str, digits: usize) -> bool {
    raw.len() == digits && raw.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The trace header: the trace, the segment the receiver's work belongs under, and the
/// sampling decision (`None` when the sender left it to the receiver, `Sampled=?` or absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeader {
    /// The trace (`Root`).
    pub root: TraceId,
    /// The id of the segment or subsegment that made the call (`Parent`).
    pub parent: Option<String>,
    /// Whether the trace is recorded (`Sampled=1` or `0`).
    pub sampled: Option<bool>,
}

impl TraceHeader {
    /// Reads a header; `None` when it names no well-formed `Root`. Other fields (`Lineage`,
    /// `Self`) are ignored, as is a malformed `Parent`.
    pub fn parse(header: &str) -> Option<Self> {
        let mut root = None;
        let mut parent = None;
        let mut sampled = None;
        for field in header.split(';') {
            let Some((key, value)) = field.split_once('=') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "Root" => root = TraceId::parse(value),
                "Parent" if is_segment_id(value) => parent = Some(value.to_ascii_lowercase()),
                "Sampled" => {
                    sampled = match value {
                        "1" => Some(true),
                        "0" => Some(false),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        Some(Self {
            root: root?,
            parent,
            sampled,
        })
    }

    /// A new trace, sampled: what Lambda starts for an invocation no caller traced (a batch
    /// of an event source mapping).
    pub fn new_sampled() -> Self {
        Self {
            root: TraceId::generate(),
            parent: None,
            sampled: Some(true),
        }
    }

    /// Whether the sender decided to record the trace (`Sampled=1`).
    pub fn is_sampled(&self) -> bool {
        self.sampled == Some(true)
    }

    /// The same trace and decision, for work under the segment `parent`.
    pub fn with_parent(&self, parent: &str) -> Self {
        Self {
            parent: Some(parent.to_owned()),
            ..self.clone()
        }
    }
}

impl fmt::Display for TraceHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Root={}", self.root)?;
        if let Some(parent) = &self.parent {
            write!(f, ";Parent={parent}")?;
        }
        match self.sampled {
            Some(true) => f.write_str(";Sampled=1"),
            Some(false) => f.write_str(";Sampled=0"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_reads_and_writes_back_the_same() {
        let raw = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        let header = TraceHeader::parse(raw).unwrap();
        assert_eq!(header.root.as_str(), "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(header.parent.as_deref(), Some("53995c3f42cd8ad8"));
        assert!(header.is_sampled());
        assert_eq!(header.to_string(), raw);
    }

    #[test]
    fn an_unsampled_or_undecided_header_is_not_sampled() {
        let unsampled = TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0");
        assert_eq!(unsampled.unwrap().sampled, Some(false));
        let undecided =
            TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?").unwrap();
        assert_eq!(undecided.sampled, None);
        assert!(!undecided.is_sampled());
        assert_eq!(
            undecided.to_string(),
            "Root=1-5759e988-bd862e3fe1be46a994272793"
        );
    }

    #[test]
    fn a_header_without_a_well_formed_root_is_none() {
        for raw in [
            "",
            "Sampled=1",
            "Root=1-abc",
            "Root=2-5759e988-bd862e3fe1be46a994272793",
            "Root=1-5759e988-bd862e3fe1be46a99427279z",
            "Root=1-5759e988-bd862e3fe1be46a994272793-00",
        ] {
            assert_eq!(TraceHeader::parse(raw), None, "{raw}");
        }
    }

    #[test]
    fn new_ids_are_well_formed() {
        let trace = TraceId::new(0x5759_e988, u128::MAX);
        assert_eq!(trace.as_str(), "1-5759e988-ffffffffffffffffffffffff");
        assert_eq!(TraceId::parse(trace.as_str()), Some(trace));
        let generated = TraceHeader::new_sampled();
        assert!(generated.is_sampled());
        assert_eq!(
            TraceId::parse(generated.root.as_str()),
            Some(generated.root)
        );
        let segment = new_segment_id();
        assert!(is_segment_id(&segment), "{segment}");
        assert_ne!(segment, new_segment_id());
    }
}
