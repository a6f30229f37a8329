//! Process mode over real HTTP: function binaries run as child processes behind the stage's
//! Lambda Runtime API. The functions here are a stand-in binary (the Lambda emulator's
//! `stand-in-function` example, built by this crate too) that echoes its event, or fails on
//! request, so the tests need no store.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

#[path = "../../emulators/lambda/tests/support/stand_in.rs"]
mod stand_in;

use std::path::PathBuf;
use std::time::Duration;

use local_stage::{FunctionMode, LineSink, ProcessConfig, RunningStage, StageConfig};
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// A folder holding the stand-in binary under every function name of routes.json.
fn functions_dir() -> PathBuf {
    let routes = local_stage::routes::all();
    stand_in::functions_dir(
        "stage-stand-in-function",
        routes.iter().map(|route| &route.function),
    )
}

struct ProcessStage {
    stage: RunningStage,
    reports: mpsc::UnboundedReceiver<String>,
    client: reqwest::Client,
    token: String,
}

impl ProcessStage {
    async fn start(timeout: Duration) -> Self {
        let (sender, reports) = mpsc::unbounded_channel();
        let stage = local_stage::start(StageConfig {
            functions: FunctionMode::Processes(ProcessConfig {
                functions_dir: functions_dir(),
                max_processes: 2,
                timeout,
                ..ProcessConfig::default()
            }),
            reports: LineSink::Channel(sender),
            access_log: LineSink::Off,
            ..StageConfig::default()
        })
        .await
        .unwrap();
        let token = stage.mint_token("alice", &[]);
        Self {
            stage,
            reports,
            client: reqwest::Client::new(),
            token,
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.stage.url()))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// The next REPORT line (other lines, such as error notes, are skipped).
    async fn next_report(&mut self) -> String {
        loop {
            let line = self.reports.recv().await.unwrap();
            if line.starts_with("REPORT ") {
                return line;
            }
        }
    }
}

fn echoed(body: &Value) -> Value {
    serde_json::from_str(body.as_str().unwrap_or_default()).unwrap_or_else(|_| body.clone())
}

#[tokio::test]
async fn a_function_process_serves_invocations_and_reports_each_like_lambda() {
    let mut stage = ProcessStage::start(Duration::from_secs(10)).await;

    let (status, body) = stage.get("/items/abc").await;
    assert_eq!(status, 200, "{body}");
    let body = echoed(&body);
    assert_eq!(body["function"], "get-item");
    assert_eq!(body["deadline_header"], true);
    assert_eq!(body["event"]["routeKey"], "GET /items/{id}");
    assert_eq!(body["event"]["pathParameters"], json!({"id": "abc"}));
    let cold = stage.next_report().await;
    assert!(cold.contains("Init Duration: "), "{cold}");
    assert!(cold.contains("Memory Size: 128 MB"), "{cold}");
    assert!(cold.ends_with("\tFunction: get-item"), "{cold}");
    assert!(stand_in::max_memory_used_mb(&cold) > 0);

    let (_, again) = stage.get("/items/abc").await;
    assert_eq!(
        echoed(&again)["pid"],
        body["pid"],
        "the warm process is reused"
    );
    let warm = stage.next_report().await;
    assert!(!warm.contains("Init Duration"), "{warm}");
    stage.stage.shutdown().await;
}

#[tokio::test]
async fn a_crashed_or_failing_function_is_an_internal_error_and_a_crashed_process_is_replaced() {
    let mut stage = ProcessStage::start(Duration::from_secs(10)).await;
    let (_, first) = stage.get("/items").await;
    let first_pid = echoed(&first)["pid"].clone();
    stage.next_report().await;

    assert_eq!(
        stage.get("/items?behaviour=error").await,
        (500, json!({"message": "Internal Server Error"}))
    );
    assert_eq!(
        stage.get("/items?behaviour=malformed").await,
        (500, json!({"message": "Internal Server Error"}))
    );
    assert_eq!(
        stage.get("/items?behaviour=crash").await,
        (500, json!({"message": "Internal Server Error"}))
    );

    let (status, after) = stage.get("/items").await;
    assert_eq!(status, 200);
    assert_ne!(
        echoed(&after)["pid"],
        first_pid,
        "a new process replaced the crashed one"
    );
    stage.stage.shutdown().await;
}

#[tokio::test]
async fn a_function_past_its_timeout_is_killed_and_replaced() {
    let mut stage = ProcessStage::start(Duration::from_millis(300)).await;
    assert_eq!(
        stage.get("/items?behaviour=hang").await,
        (500, json!({"message": "Internal Server Error"}))
    );
    let report = stage.next_report().await;
    assert!(report.contains("Status: timeout"), "{report}");
    assert_eq!(stage.get("/items").await.0, 200);
    stage.stage.shutdown().await;
}

#[tokio::test]
async fn a_function_process_sends_to_the_stages_daemon_within_lambdas_segment_of_the_trace() {
    let stage = ProcessStage::start(Duration::from_secs(10)).await;
    let (status, body) = stage.get("/items/abc").await;
    assert_eq!(status, 200, "{body}");
    let body = echoed(&body);
    let address = body["xray_daemon_address"].as_str().unwrap();
    assert!(address.starts_with("127.0.0.1:"), "{address}");

    // Root=1-...;Parent=<Lambda's segment>;Sampled=1, as Lambda passes it to a function.
    let header = body["trace_id"].as_str().unwrap();
    let fields: Vec<&str> = header.split(';').collect();
    let root = fields[0].strip_prefix("Root=").unwrap();
    let parent = fields[1].strip_prefix("Parent=").unwrap();
    assert_eq!(fields[2], "Sampled=1", "{header}");
    let (status, trace) = stage.get(&format!("/_local/traces/{root}")).await;
    assert_eq!(status, 200, "{trace}");
    let segment = &trace["segments"][0];
    assert_eq!(segment["id"], parent);
    assert_eq!(segment["name"], "get-item");
    assert_eq!(segment["origin"], "AWS::Lambda::Function");
    stage.stage.shutdown().await;
}
