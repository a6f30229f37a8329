//! Logs that follow a request: every line written while a request is handled, the store's own
//! error lines included, carries the request id, the route and Lambda's trace id.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use items_apigateway::handlers::get_item;
use items_apigateway::handlers::RouteHandler;
use items_apigateway::{AdapterConfig, Function, Route};
use items_conformance::MockItemRepository;
use items_domain::RepositoryError;
use items_json::logs::json_subscriber;
use serde_json::Value;
use support::{Payload, Request};
use tracing_subscriber::EnvFilter;

/// Log output captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("log buffer").clone();
        String::from_utf8(bytes)
            .expect("UTF-8 logs")
            .lines()
            .map(|line| serde_json::from_str(line).expect("every log line is JSON"))
            .collect()
    }
}

/// Handles `event` with logs at `level` captured, and returns the response and the lines.
fn handle_logged<H: RouteHandler>(
    function: &Function<H>,
    event: Value,
    trace_id: Option<&str>,
    level: &str,
) -> (Value, Vec<Value>) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = json_subscriber(move || writer.clone(), EnvFilter::new(level));
    let response = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(function.handle_invocation(event, trace_id))
            .to_value()
    });
    (response, captured.lines())
}

#[test]
fn a_request_writes_its_request_line_at_debug_and_nothing_at_info() {
    let mut store = MockItemRepository::new();
    store.expect_get().returning(|_| Ok(None));
    let function = Function::new(
        get_item::Handler::new(Arc::new(store)),
        &AdapterConfig::default(),
    );
    let request = Request::new(Route::GetItem).id("3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b");

    let (response, lines) = handle_logged(&function, request.event(Payload::V2), None, "info");
    assert_eq!(response["statusCode"], 404);
    assert!(lines.is_empty(), "nothing at info: {lines:?}");

    let (response, lines) = handle_logged(&function, request.event(Payload::V2), None, "debug");
    assert_eq!(response["statusCode"], 404);
    let [line] = lines.as_slice() else {
        panic!("one request line at debug: {lines:?}");
    };
    assert_eq!(line["level"], "DEBUG");
    assert_eq!(line["message"], "request");
    assert_eq!(line["status"], 404);
    assert!(
        line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    assert_eq!(line["caller"], request.sub.as_deref().expect("a caller"));
    assert_eq!(line["span"]["route"], "GET /items/{id}");
}

#[test]
fn every_line_of_a_failing_request_carries_its_request_id_route_and_trace_id() {
    let mut store = MockItemRepository::new();
    store.expect_get().returning(|_| {
        // What the DynamoDB adapter does with a failure it cannot map: log it with its chain.
        tracing::error!(operation = "GetItem", "store failed");
        Err(RepositoryError::Internal)
    });
    let function = Function::new(
        get_item::Handler::new(Arc::new(store)),
        &AdapterConfig::default(),
    );
    let request = Request::new(Route::GetItem).id("3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b");
    let event = request.event(Payload::V2);
    let request_id = event["requestContext"]["requestId"]
        .as_str()
        .expect("request id")
        .to_owned();
    let trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

    let (response, lines) = handle_logged(&function, event, Some(trace_id), "debug");

    assert_eq!(response["statusCode"], 500);
    assert!(
        lines.len() >= 2,
        "the store's line and the request line: {lines:?}"
    );
    assert!(lines.iter().any(|l| l["message"] == "store failed"));
    for line in &lines {
        let span = &line["span"];
        assert_eq!(span["request_id"], request_id.as_str(), "{line}");
        assert_eq!(span["route"], "GET /items/{id}", "{line}");
        assert_eq!(span["trace_id"], trace_id, "{line}");
    }
}
