//! Shared set-up for the stage's tests: a stage whose functions echo their event back, so a
//! test can see exactly what a function would receive.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use local_stage::{Integration, IntegrationFuture, LineSink, RunningStage, StageConfig};
use serde_json::{json, Value};
use tokio::sync::mpsc;

#[path = "../../../emulators/apigateway/tests/support/responses.rs"]
mod responses;

pub(crate) use responses::{echoed_event, status_and_json};

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
        responses::get(&self.client, &self.url(path), &self.token()).await
    }

    pub(crate) fn calls(&self) -> usize {
        self.echo.calls.load(Ordering::SeqCst)
    }
}
