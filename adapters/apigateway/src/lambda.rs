//! The composition root of a function binary: logging, configuration and the DynamoDB store
//! built once per cold start, the route's handler over that store, then `lambda_runtime`.

use std::sync::Arc;
use std::time::Instant;

use items_dynamodb::{DynamoDbItemRepository, WarmUp};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use crate::{Function, FunctionConfig, RouteHandler};

/// Runs a function: logging, configuration ([`FunctionConfig`], and the DynamoDB endpoint as
/// the SDK reads it) and the store built once, the handler `make` builds over the store, then events
/// until Lambda stops the process. The store's connection is opened during init (which Lambda
/// runs with a CPU boost), with a request the route's policy grants, so the first request does
/// not pay for the TLS handshake. A
/// configuration error fails the init with its message.
pub async fn run<H, F>(make: F) -> Result<(), lambda_runtime::Error>
where
    H: RouteHandler,
    F: FnOnce(DynamoDbItemRepository) -> H,
{
    items_json::logs::init();
    let started = Instant::now();
    let config = FunctionConfig::from_env().map_err(|e| format!("configuration: {e}"))?;
    let store = DynamoDbItemRepository::from_env(config.tables)
        .await
        .map_err(|e| format!("configuration: {e}"))?;
    // A request the route's own policy grants, so the warm-up is never denied.
    if let Some(warm_up) = WarmUp::for_ports(H::PORTS) {
        store.warm_up(warm_up).await;
    }
    let function = Arc::new(Function::new(make(store), &config.adapter));
    tracing::info!(
        route = H::ROUTE.route_key(),
        init_ms = started.elapsed().as_secs_f64() * 1000.0,
        "initialised"
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let function = Arc::clone(&function);
        async move {
            let trace_id = event.context.xray_trace_id.as_deref();
            Ok::<Value, lambda_runtime::Error>(
                function.handle_invocation(event.payload, trace_id).await,
            )
        }
    }))
    .await
}
