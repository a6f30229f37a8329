//! The functions' traces, as X-Ray shows them. Each invocation continues the trace Lambda hands
//! it (the invocation's `_X_AMZN_TRACE_ID`, as `lambda_runtime` reads it per invocation) with a
//! subsegment for the handler, annotated with the route, the cold start, the response status
//! and the request id, and one subsegment per AWS call beneath it (service, operation, table or
//! bus, attempts, error code). They are sent as segment documents over UDP to the X-Ray daemon
//! Lambda runs beside a traced function (`AWS_XRAY_DAEMON_ADDRESS`), by `opentelemetry-aws`'s
//! exporter behind `tracing-opentelemetry`.
//!
//! - [`init`] installs the process's one subscriber: the JSON log lines of `items-json`, and
//!   the traces' layer when the daemon's address is set. Without it nothing is traced and
//!   nothing of this crate runs per request.
//! - [`Traces::invocation`] opens an invocation's handler span; an unsampled trace header (or
//!   none) exports nothing.
//! - [`AwsCallSpans`] is the SDK interceptor a client carries to have each of its calls traced.

mod aws_calls;
mod causes;
mod daemon;
mod invocation;
mod setup;

pub use aws_calls::{AwsCallSpans, CallResource, DescribeCall, PropagateTrace};
/// A request's input as the SDK's interceptors see it (type-erased; `downcast_ref` reads it).
pub use aws_smithy_runtime_api::client::interceptors::context::Input;
pub use daemon::{daemon_address, DAEMON_ADDRESS_ENV};
pub use invocation::Invocation;
pub use setup::{init, Traces};

/// The target of every span this crate opens: the traces' layer takes these, the log layer
/// leaves them out, so log lines read as they did before traces.
const TARGET: &str = "items_traces";

/// The span attributes X-Ray indexes as annotations (searchable in the console, e.g.
/// `annotation.route = "GET /items/{id}"`). None of them holds an item's fields or anything
/// about the caller.
const ANNOTATIONS: [&str; 7] = [
    "route",
    "cold_start",
    "status",
    "request_id",
    "records",
    "failed_records",
    "error_code",
];

/// The span attributes X-Ray keeps as metadata (shown with a subsegment, not searchable). The
/// translator drops every attribute that is neither mapped to an X-Ray field, nor an
/// annotation, nor listed here: nothing reaches X-Ray by accident.
const METADATA: [&str; 3] = ["aws.attempts", "aws.event_bus", "aws.throttled"];
