//! What two of a function's init steps replace, timed in a process started as a function is:
//! the SDK's default region and credentials chains (the functions read both from the
//! environment only) and the platform's root store (the functions compile in Amazon's five
//! roots). Prints one JSON line (`{"replaced_steps": [[step, ms], ...]}`) and then polls for
//! events like a function. The function's own steps come from the function itself:
//! `items_apigateway::lambda::run` logs each at debug level.

#![allow(
    clippy::print_stdout,
    reason = "a command-line tool: what it prints is its output"
)]

use std::time::Instant;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::ProvideCredentials;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let mut replaced: Vec<(&str, f64)> = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |step: &'static str| {
        replaced.push((step, clock.elapsed().as_secs_f64() * 1000.0));
        clock = Instant::now();
    };
    let default_chains = aws_config::defaults(BehaviorVersion::latest()).load().await;
    if let Some(credentials) = default_chains.credentials_provider() {
        credentials.provide_credentials().await?;
    }
    lap("the SDK's default region and credentials chains");
    let roots = rustls_native_certs::load_native_certs();
    lap("the platform's root store (the compiled-in roots replace it)");

    println!(
        "{}",
        json!({ "replaced_steps": replaced, "native_roots": roots.certs.len() })
    );
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async {
        Ok::<Value, lambda_runtime::Error>(json!({ "statusCode": 200 }))
    }))
    .await
}
