//! Shared set-up for the stage's tests: a stage whose functions echo their event back, so a
//! test can see exactly what a function would receive.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use local_stage::{Integration, IntegrationFuture, LineSink, RunningStage, StageConfig};
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// Answers every call with `{"function": ..., "event": ...}` and counts the calls.
#[derive(Default)]
pub(crate) struct Echo {
    pub calls: AtomicUsize,
}

impl Integration for Echo {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        event: Value,
        _trace_id: &'a str,
    ) -> IntegrationFuture<'a> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            Ok(json!({
                "statusCode": 200,
                "headers": {"content-type": "application/json"},
                "body": json!({"function": function, "event": event}).to_string(),
            }))
        })
    }
}

/// A stage over an [`Echo`], its access-log lines, and the echo to count calls.
pub(crate) struct EchoStage {
    pub stage: RunningStage,
    pub echo: Arc<Echo>,
    pub access_log: mpsc::UnboundedReceiver<String>,
    pub client: reqwest::Client,
}

impl EchoStage {
    /// Starts an echo stage with `adjust` applied to the default configuration.
    pub(crate) async fn start(adjust: impl FnOnce(&mut StageConfig)) -> Self {
        let echo = Arc::new(Echo::default());
        let (log_sender, access_log) = mpsc::unbounded_channel();
        let mut config = StageConfig {
            functions: local_stage::FunctionMode::Custom(echo.clone()),
            access_log: LineSink::Channel(log_sender),
            reports: LineSink::Off,
            ..StageConfig::default()
        };
        adjust(&mut config);
        let stage = local_stage::start(config).await.expect("the stage starts");
        Self {
            stage,
            echo,
            access_log,
            client: reqwest::Client::new(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stage.url())
    }

    pub(crate) fn token(&self) -> String {
        self.stage.mint_token("alice", &["admin", "staff"])
    }

    /// GET `path` with a valid token.
    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(self.token())
            .send()
            .await
            .expect("the request completes")
    }

    pub(crate) fn calls(&self) -> usize {
        self.echo.calls.load(Ordering::SeqCst)
    }
}

/// The status and JSON body of a response.
pub(crate) async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON body");
    (status, body)
}

/// The event an echo function received, from its response.
pub(crate) async fn echoed_event(response: reqwest::Response) -> Value {
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200, "{body}");
    body["event"].clone()
}
