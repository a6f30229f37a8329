//! The composition root of a function binary: logs and traces, configuration and the DynamoDB
//! store built once per cold start, the route's handler over that store, then `lambda_runtime`.

use std::sync::Arc;
use std::time::Instant;

use items_dynamodb::{DynamoDbItemRepository, WarmUp};
use items_sdk_config::{sdk_config_from_env, Timeouts};
use lambda_runtime::{service_fn, LambdaEvent};
use tracing::Instrument;

use crate::event::InvocationEvent;
use crate::response::{InvocationResponse, REQUEST_ID_HEADER};
use crate::{Function, FunctionConfig, RouteHandler};

/// Runs a function: logs and traces (`items-traces`: each invocation continues Lambda's X-Ray
/// trace when `AWS_XRAY_DAEMON_ADDRESS` is set), configuration ([`FunctionConfig`], and the DynamoDB endpoint as
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
    let started = Instant::now();
    let traces = items_traces::init();
    let mut steps = InitSteps::since(started);
    steps.done("logs and traces");
    let config = FunctionConfig::from_env().map_err(|e| format!("configuration: {e}"))?;
    steps.done("configuration from the environment");
    let sdk_config = sdk_config_from_env(Timeouts::default())
        .await
        .map_err(|e| format!("configuration: {e}"))?;
    steps.done("SDK config: region and credentials from the environment");
    let store = DynamoDbItemRepository::from_sdk_config(&sdk_config, config.tables);
    steps.done("DynamoDB client");
    // A request the route's own policy grants, so the warm-up is never denied.
    if let Some(warm_up) = WarmUp::for_ports(H::PORTS) {
        store.warm_up(warm_up).await;
        steps.done("warm-up request (credentials, connect, first signed request)");
    }
    let function = Arc::new(Function::new(make(store), &config.adapter));
    tracing::info!(
        route = H::ROUTE.route_key(),
        init_ms = started.elapsed().as_secs_f64() * 1000.0,
        "initialised"
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<InvocationEvent>| {
        let function = Arc::clone(&function);
        let traces = traces.clone();
        async move {
            let trace_id = event.context.xray_trace_id.as_deref();
            let invocation = traces.invocation(trace_id);
            invocation.record_route(H::ROUTE.route_key());
            let response = function
                .handle_invocation(event.payload.0, trace_id)
                .instrument(invocation.span().clone())
                .await;
            // A warm-up's answer has no status: only the cold start is annotated.
            if let Some(proxy) = response.proxy() {
                invocation.record_response(proxy.status(), proxy.header(REQUEST_ID_HEADER));
            }
            Ok::<InvocationResponse, lambda_runtime::Error>(response)
        }
    }))
    .await
}

/// The init's steps, each logged at debug level as it ends (`init step`, with its `step` and
/// `ms`), so a bench can see where a cold start goes in the function itself (`RUST_LOG` with
/// `items_apigateway::lambda=debug`); at the default level they cost a disabled event each.
struct InitSteps {
    lap: Instant,
}

impl InitSteps {
    fn since(started: Instant) -> Self {
        Self { lap: started }
    }

    fn done(&mut self, step: &'static str) {
        let now = Instant::now();
        tracing::debug!(
            step,
            ms = now.duration_since(self.lap).as_secs_f64() * 1000.0,
            "init step"
        );
        self.lap = now;
    }
}
