//! The wiring every function binary shares: configuration and the DynamoDB store built once
//! per cold start, then one handler for the function's route under `lambda_runtime`.

use std::sync::Arc;
use std::time::Instant;

use items_dynamodb::{DynamoDbItemRepository, WarmUp};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use crate::metrics::Metrics;
use crate::{telemetry, App, Config, Route};

/// Builds the app for `route` from the environment: `ADMIN_GROUP`, the DynamoDB table names and
/// endpoint. It opens the store's connection now, during init (which Lambda runs with a CPU
/// boost), with a request the route's own policy grants, so the first request does not pay for
/// the TLS handshake.
pub async fn build_app(route: Route) -> Result<App, lambda_runtime::Error> {
    let started = Instant::now();
    let config = Config::from_env().map_err(|e| format!("configuration: {e}"))?;
    let repository = DynamoDbItemRepository::from_env()
        .await
        .map_err(|e| format!("configuration: {e}"))?;
    if let Some(warm_up) = WarmUp::for_use_case(route.use_case()) {
        repository.warm_up(warm_up).await;
    }
    tracing::info!(
        init_ms = started.elapsed().as_secs_f64() * 1000.0,
        "initialised"
    );
    Ok(App::new(Arc::new(repository), config).with_metrics(Metrics::from_env()))
}

/// Runs a function: logging, the app built once, then events for `route` until Lambda stops
/// the process. A configuration error fails the init with its message.
pub async fn run(route: Route) -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let app = Arc::new(build_app(route).await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        async move { Ok::<Value, lambda_runtime::Error>(app.handle_event(route, event.payload).await) }
    }))
    .await
}
