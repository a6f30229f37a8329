//! One invocation's handler span.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::Status;
use opentelemetry::KeyValue;
use opentelemetry_aws::trace::XrayPropagator;
use tracing::field::Empty;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Registry;

use crate::causes::Cause;
use crate::TARGET;

/// The header X-Ray's propagator reads a trace header from.
const TRACE_HEADER: &str = "x-amzn-trace-id";

/// One invocation's handler span: a subsegment of Lambda's function segment, annotated with
/// the cold start and, as the invocation tells them, the route, response status, request id or
/// batch size. Run the handler inside [`Invocation::span`]; the subsegment is sent when the
/// invocation is dropped. An error line written within it makes it a fault, with that line as
/// the cause. With tracing off every method is a no-op.
#[derive(Debug)]
pub struct Invocation {
    span: Span,
}

impl Invocation {
    pub(crate) fn off() -> Self {
        Self { span: Span::none() }
    }

    pub(crate) fn start(name: &str, cold_start: bool, trace_header: Option<&str>) -> Self {
        let span = tracing::info_span!(
            target: TARGET,
            "invocation",
            otel.name = name,
            cold_start,
            route = Empty,
            status = Empty,
            request_id = Empty,
            records = Empty,
            failed_records = Empty,
        );
        // Without a trace header (a direct call, a warm-up ping) the span has no sampled
        // parent, so it is not recorded: Lambda did not sample it.
        if let Some(header) = trace_header {
            let carrier = HashMap::from([(TRACE_HEADER.to_owned(), trace_fields(header))]);
            // The parent can only fail to attach to a span already started; this one is new.
            let _ = span.set_parent(XrayPropagator::default().extract(&carrier));
        }
        Self { span }
    }

    /// The span to run the handler in.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Annotates the route served (`GET /items/{id}`).
    pub fn record_route(&self, route: &str) {
        self.span.record("route", route);
    }

    /// Annotates the response: its status and the request id the caller was given.
    pub fn record_response(&self, status: u16, request_id: Option<&str>) {
        // As i64: the traces' layer writes unsigned integers as strings.
        self.span.record("status", i64::from(status));
        if let Some(request_id) = request_id {
            self.span.record("request_id", request_id);
        }
    }

    /// Annotates a batch: how many records it held and how many failed (to be retried).
    pub fn record_batch(&self, records: usize, failed_records: usize) {
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.span.record("records", count(records));
        self.span.record("failed_records", count(failed_records));
    }

    /// Marks the invocation as failed (a fault), with `cause` as the exception X-Ray shows. A
    /// failure the handler logs at error level marks it already; this is for one it answers
    /// without such a line.
    pub fn record_failure(&self, cause: &str) {
        if self.span.is_disabled() {
            return;
        }
        self.span.set_status(Status::error(cause.to_owned()));
        add_exception(&self.span, cause.to_owned());
    }
}

impl Drop for Invocation {
    /// The first error line within the invocation becomes its cause, just before its span ends
    /// (the handler's future, which held the other handle, is gone by now).
    fn drop(&mut self) {
        if let Some(cause) = logged_cause(&self.span) {
            add_exception(&self.span, cause);
        }
    }
}

/// The fields of a trace header the trace is continued by: `Root`, `Parent` and `Sampled`. Others
/// (Lambda adds `Lineage`) are left out, so a field the propagator cannot carry never costs the
/// trace.
fn trace_fields(header: &str) -> String {
    header
        .split(';')
        .map(str::trim)
        .filter(|field| {
            ["Root=", "Parent=", "Sampled="]
                .iter()
                .any(|key| field.starts_with(key))
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The cause [`ErrorCauses`](crate::causes::ErrorCauses) kept for `span`, if an error line was
/// written within it.
fn logged_cause(span: &Span) -> Option<String> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let data = registry.span(id)?;
        let extensions = data.extensions();
        extensions.get::<Cause>().map(|cause| cause.0.clone())
    })
    .flatten()
}

/// The event X-Ray's translator reads a subsegment's cause from.
fn add_exception(span: &Span, message: String) {
    span.add_event(
        "exception",
        vec![KeyValue::new("exception.message", message)],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lambda_trace_header_keeps_its_root_parent_and_sampling_decision() {
        assert_eq!(
            trace_fields(
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=1:a87bd80c:0"
            ),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        );
    }
}
