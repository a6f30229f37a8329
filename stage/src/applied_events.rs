//! `GET /_local/events` of an applied stage: the change events an applied EventBridge rule
//! delivered from the stage's bus to its log group target, read back through CloudWatch Logs,
//! oldest first. A deployed stage's events are read the same way a subscriber would see them:
//! published by the stream function to the applied bus, matched by the applied rule.

use aws_sdk_cloudwatchlogs::error::DisplayErrorContext;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// Where the events are read.
#[derive(Clone)]
struct EventSource {
    client: aws_sdk_cloudwatchlogs::Client,
    log_group: String,
}

/// The events endpoint over `log_group`, read with the caller's environment's credentials
/// (the deployer's) at `endpoint`.
pub(crate) async fn router(endpoint: &str, log_group: String) -> Router {
    let sdk = items_sdk_config::sdk_config_loader(items_sdk_config::Timeouts::default())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(lambda_emulator::region()))
        .load()
        .await;
    let source = EventSource {
        client: aws_sdk_cloudwatchlogs::Client::new(&sdk),
        log_group,
    };
    Router::new()
        .route("/_local/events", get(events))
        .with_state(source)
}

async fn events(State(source): State<EventSource>) -> Response {
    match read_events(&source).await {
        Ok(events) => Json(json!({ "events": events })).into_response(),
        Err(reason) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({ "message": format!("reading log group {}: {reason}", source.log_group) })),
        )
            .into_response(),
    }
}

async fn read_events(source: &EventSource) -> Result<Vec<Value>, String> {
    let mut delivered = Vec::new();
    let mut next_token = None;
    loop {
        let page = source
            .client
            .filter_log_events()
            .log_group_name(&source.log_group)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        for event in page.events() {
            if let Some(message) = event.message() {
                let parsed: Value = serde_json::from_str(message)
                    .map_err(|e| format!("a log event is not an event: {e}"))?;
                delivered.push((event.timestamp().unwrap_or_default(), parsed));
            }
        }
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            break;
        }
    }
    // Stable: events delivered in the same millisecond keep the order they were written in.
    delivered.sort_by_key(|(timestamp, _)| *timestamp);
    Ok(delivered.into_iter().map(|(_, event)| event).collect())
}
