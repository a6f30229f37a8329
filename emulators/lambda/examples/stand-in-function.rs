//! A stand-in Lambda function for tests: it speaks the Lambda Runtime API like a real function
//! and answers with a proxy response echoing the event it received, or misbehaves on request:
//! `behaviour` (at the event's top level, or in an API Gateway event's query string) set to
//! `error`, `crash`, `hang` or `malformed`. With `behaviour` `work` it first does a fixed amount
//! of CPU work (`rounds` rounds of arithmetic), then echoes: a CPU-bound function.

use std::time::Duration;

use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let base = format!("http://{api}/2018-06-01/runtime");
    let client = reqwest::Client::new();
    loop {
        let next = client.get(format!("{base}/invocation/next")).send().await?;
        let request_id = next
            .headers()
            .get("lambda-runtime-aws-request-id")
            .and_then(|v| v.to_str().ok())
            .ok_or("no request id")?
            .to_owned();
        let deadline = next.headers().get("lambda-runtime-deadline-ms").cloned();
        let trace_id = next
            .headers()
            .get("lambda-runtime-trace-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let event: Value = next.json().await?;
        let behaviour = event
            .pointer("/behaviour")
            .or_else(|| event.pointer("/queryStringParameters/behaviour"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let invocation = format!("{base}/invocation/{request_id}");
        match behaviour.as_str() {
            "crash" => std::process::exit(3),
            "hang" => tokio::time::sleep(Duration::from_secs(3600)).await,
            "work" => {
                let rounds = event
                    .pointer("/rounds")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let checksum = work(rounds);
                client
                    .post(format!("{invocation}/response"))
                    .json(&json!({"statusCode": 200, "body": checksum.to_string()}))
                    .send()
                    .await?;
            }
            "error" => {
                client
                    .post(format!("{invocation}/error"))
                    .json(&json!({"errorMessage": "asked to fail", "errorType": "Test"}))
                    .send()
                    .await?;
            }
            "malformed" => {
                client
                    .post(format!("{invocation}/response"))
                    .body("not json")
                    .send()
                    .await?;
            }
            _ => {
                let body = json!({
                    "event": event,
                    "function": std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
                    "pid": std::process::id(),
                    "deadline_header": deadline.is_some(),
                    "trace_id": trace_id,
                    "memory_size": std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").unwrap_or_default(),
                    "xray_daemon_address": std::env::var("AWS_XRAY_DAEMON_ADDRESS").ok(),
                });
                client
                    .post(format!("{invocation}/response"))
                    .json(&json!({"statusCode": 200, "headers": {"content-type": "application/json"}, "body": body.to_string()}))
                    .send()
                    .await?;
            }
        }
    }
}

/// `rounds` rounds of integer arithmetic the compiler cannot skip: the same CPU work on every
/// call, however long the process is made to wait for it.
fn work(rounds: u64) -> u64 {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for round in 0..rounds {
        state = std::hint::black_box(state.rotate_left(5) ^ round).wrapping_mul(0x100_0000_01b3);
    }
    state
}
