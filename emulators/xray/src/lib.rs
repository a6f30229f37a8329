#![doc = include_str!("../README.md")]

mod daemon;
pub mod document;
pub mod store;
pub mod trace_header;

pub use daemon::XrayDaemon;
pub use document::{parse_datagram, DocumentError, Segment};
pub use store::{HttpSummary, Trace, TraceNode, TraceSummary};
pub use trace_header::{new_segment_id, TraceHeader, TraceId};
