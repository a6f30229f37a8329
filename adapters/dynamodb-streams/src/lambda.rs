//! The stream function's wiring: JSON logs and traces, the SDK configuration and the
//! EventBridge publisher built once per cold start, then stream batches until Lambda stops the
//! process.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use items_domain::ChangeEvents;
use items_eventbridge::{bus_name_from_env, publish_before, EventBridgePublisher};
use items_json::logs::LogScope;
use items_json::metrics::Metrics;
use items_sdk_config::{sdk_config_from_env, Timeouts};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use tracing::Instrument;

use crate::StreamHandler;

/// Builds the handler from the environment: `EVENT_BUS_NAME`, the region and credentials, and
/// `AWS_ENDPOINT_URL_EVENTBRIDGE` for a local EventBridge.
pub async fn build_handler() -> Result<StreamHandler, lambda_runtime::Error> {
    let started = Instant::now();
    let bus = bus_name_from_env().map_err(|e| format!("configuration: {e}"))?;
    let config = sdk_config_from_env(Timeouts::default())
        .await
        .map_err(|e| format!("configuration: {e}"))?;
    let publisher = EventBridgePublisher::new(&config, bus);
    tracing::info!(
        init_ms = started.elapsed().as_secs_f64() * 1000.0,
        "initialised"
    );
    Ok(StreamHandler::new(ChangeEvents::new(Arc::new(publisher))))
}

/// Runs the stream function. A configuration error fails the init with its message; an event
/// that is not a stream batch fails the invocation, so Lambda retries it whole. Each batch is
/// traced (`items-traces`) when `AWS_XRAY_DAEMON_ADDRESS` is set: a span for the batch, one for
/// each PutEvents, whose entries carry the trace header on to EventBridge.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    let traces = items_traces::init();
    let handler = Arc::new(build_handler().await?);
    let metrics = Arc::new(Metrics::from_env());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let handler = Arc::clone(&handler);
        let metrics = Arc::clone(&metrics);
        let invocation = traces.invocation(event.context.xray_trace_id.as_deref());
        // What each log line of the batch carries, as a route's lines carry their request.
        let batch = LogScope::new(
            "batch",
            &[
                ("request_id", Some(event.context.request_id.as_str())),
                ("trace_id", event.context.xray_trace_id.as_deref()),
            ],
        );
        batch.run(async move {
            let records = event
                .payload
                .get("Records")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            // Lambda's deadline, as an instant of this process's clock.
            let left = event
                .context
                .deadline()
                .duration_since(SystemTime::now())
                .unwrap_or_default();
            let outcome = publish_before(
                Instant::now() + left,
                handler
                    .handle(event.payload)
                    .instrument(invocation.span().clone()),
            )
            .await;
            match &outcome {
                Ok(handled) => {
                    // One line per batch, not one per create request.
                    if handled.items_created > 0 {
                        metrics.count("ItemsCreated", handled.items_created);
                    }
                    let failed = handled.response.batch_item_failures.len();
                    invocation.record_batch(records, failed);
                    if failed > 0 {
                        invocation.record_failure("events not published: the batch is retried");
                    }
                }
                Err(error) => invocation.record_failure(&error.to_string()),
            }
            Ok::<_, lambda_runtime::Error>(outcome?.response)
        })
    }))
    .await
}
