//! Where a function's cold init goes: the steps of `items_apigateway::lambda::run`'s init, one at
//! a time, with the same library calls, timed each, in a process started as a function is.
//! Prints one JSON line (`{"init_steps": [[step, ms], ...]}`) and then polls for events like a
//! function, so the bench measures its whole init too; what the steps do not account for is
//! the process start and lambda_runtime. After the shipped steps it times, for comparison, what
//! they replaced: the SDK's full default chains and the platform's root store.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: what it prints is its output"
)]

use std::time::Instant;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::ProvideCredentials;
use items_apigateway::FunctionConfig;
use items_dynamodb::{sdk_config_from_env, DynamoDbItemRepository, Timeouts, WarmUp};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let mut steps: Vec<(&str, f64)> = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |step: &'static str, steps: &mut Vec<(&str, f64)>| {
        steps.push((step, clock.elapsed().as_secs_f64() * 1000.0));
        clock = Instant::now();
    };

    items_json::logs::init();
    lap("tracing subscriber (JSON logs)", &mut steps);
    let config = FunctionConfig::from_env()?;
    lap("configuration from the environment", &mut steps);
    let sdk_config = sdk_config_from_env(Timeouts::default()).await?;
    lap(
        "SDK config: region and credentials from the environment, profile files",
        &mut steps,
    );
    if let Some(credentials) = sdk_config.credentials_provider() {
        credentials.provide_credentials().await?;
    }
    lap("credentials from the provider chain", &mut steps);
    let repository = DynamoDbItemRepository::from_sdk_config(&sdk_config, config.tables);
    lap("DynamoDB client", &mut steps);
    let first = repository.warm_up(WarmUp::GetItem).await;
    lap(
        "warm-up request (root store, connect, TLS, first request)",
        &mut steps,
    );
    repository.warm_up(WarmUp::GetItem).await;
    lap("the same request again, on the open connection", &mut steps);

    // Not in a function's init: what the steps above replace, timed after them.
    let mut replaced: Vec<(&str, f64)> = Vec::new();
    let default_chains = aws_config::defaults(BehaviorVersion::latest()).load().await;
    if let Some(credentials) = default_chains.credentials_provider() {
        credentials.provide_credentials().await?;
    }
    lap(
        "the SDK's default region and credentials chains",
        &mut replaced,
    );
    let roots = rustls_native_certs::load_native_certs();
    lap(
        "the platform's root store (the compiled-in roots replace it)",
        &mut replaced,
    );

    println!(
        "{}",
        json!({
            "init_steps": steps,
            "replaced_steps": replaced,
            "warm_up_answered": first.answered,
            "native_roots": roots.certs.len(),
        })
    );
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async {
        Ok::<Value, lambda_runtime::Error>(json!({ "statusCode": 200 }))
    }))
    .await
}
