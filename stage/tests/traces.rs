//! Every sampled request leaves a trace at `/_local/traces`, found by the trace id its
//! access-log line carries; an unsampled one leaves none. (The waterfall page itself, in a
//! browser, is `scripts/check-docs-page`.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use local_stage::{LineSink, RunningStage, StageConfig};
use serde_json::{json, Value};
use tokio::sync::mpsc;

struct TracedStage {
    stage: RunningStage,
    access_log: mpsc::UnboundedReceiver<String>,
    client: reqwest::Client,
}

impl TracedStage {
    /// The default stage: in-process functions on the memory store.
    async fn start() -> Self {
        let (sender, access_log) = mpsc::unbounded_channel();
        let stage = local_stage::start(StageConfig {
            access_log: LineSink::Channel(sender),
            reports: LineSink::Off,
            ..StageConfig::default()
        })
        .await
        .expect("the stage starts");
        Self {
            stage,
            access_log,
            client: reqwest::Client::new(),
        }
    }

    /// Creates an item, with `trace_header` as `X-Amzn-Trace-Id` when given; returns the
    /// response's request id and the trace id of its access-log line.
    async fn create_item(&mut self, trace_header: Option<&str>) -> (String, String) {
        let mut request = self
            .client
            .post(format!("{}/items", self.stage.url()))
            .bearer_auth(self.stage.mint_token("alice", &[]))
            .json(&json!({"name": "Lamp", "description": "bright", "category": "home"}));
        if let Some(header) = trace_header {
            request = request.header("x-amzn-trace-id", header);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let request_id = response.headers()["apigw-requestid"]
            .to_str()
            .unwrap()
            .to_owned();
        let line: Value = serde_json::from_str(&self.access_log.recv().await.unwrap()).unwrap();
        assert_eq!(line["requestId"], request_id);
        let trace_id = line["xrayTraceId"].as_str().expect("a trace id").to_owned();
        (request_id, trace_id)
    }

    async fn get(&self, path: &str) -> (u16, Option<String>, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.stage.url()))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned());
        (status, content_type, response.json().await.unwrap())
    }
}

#[tokio::test]
async fn a_request_is_traced_under_the_id_its_access_log_line_carries() {
    let mut traced = TracedStage::start().await;
    let (request_id, trace_id) = traced.create_item(None).await;

    let (status, _, listed) = traced.get("/_local/traces").await;
    assert_eq!(status, 200);
    let traces = listed["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 1, "{listed}");
    let summary = &traces[0];
    assert_eq!(summary["id"], trace_id.as_str());
    assert_eq!(summary["name"], "create-item");
    assert_eq!(
        summary["http"],
        json!({"method": "POST", "path": "/items", "status": 201})
    );
    assert_eq!(summary["fault"], false);
    assert!(summary["duration"].as_f64().unwrap() >= 0.0);

    let (status, _, trace) = traced.get(&format!("/_local/traces/{trace_id}")).await;
    assert_eq!(status, 200);
    let function = &trace["segments"][0];
    assert_eq!(function["name"], "create-item");
    assert_eq!(function["origin"], "AWS::Lambda::Function");
    let children = function["children"].as_array().unwrap();
    assert_eq!(children.len(), 1, "the handler alone, on the memory store");
    let handler = &children[0];
    assert_eq!(
        handler["annotations"],
        json!({"route": "POST /items", "status": 201, "cold_start": false, "request_id": request_id})
    );
    assert_eq!(handler["children"], json!([]));
    traced.stage.shutdown().await;
}

#[tokio::test]
async fn a_callers_unsampled_trace_is_not_recorded_and_a_sampled_one_is_continued() {
    let mut traced = TracedStage::start().await;
    let unsampled = "1-5759e988-bd862e3fe1be46a994272793";
    let (_, logged) = traced
        .create_item(Some(&format!("Root={unsampled};Sampled=0")))
        .await;
    assert_eq!(logged, unsampled, "the access log names the caller's trace");
    let (status, content_type, problem) = traced.get(&format!("/_local/traces/{unsampled}")).await;
    assert_eq!(status, 404, "{problem}");
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(problem["status"], 404);
    let (_, _, listed) = traced.get("/_local/traces").await;
    assert_eq!(listed["traces"], json!([]));

    let sampled = "1-5759e988-bd862e3fe1be46a994272794";
    let caller = "53995c3f42cd8ad8";
    traced
        .create_item(Some(&format!("Root={sampled};Parent={caller};Sampled=1")))
        .await;
    let (status, _, trace) = traced.get(&format!("/_local/traces/{sampled}")).await;
    assert_eq!(status, 200, "{trace}");
    assert_eq!(trace["segments"][0]["name"], "create-item");
    traced.stage.shutdown().await;
}

#[tokio::test]
async fn what_is_no_trace_id_is_a_bad_request_and_the_page_is_served() {
    let traced = TracedStage::start().await;
    for path in [
        "/_local/traces/not-a-trace",
        "/_local/traces/1-5759e988-xyz",
    ] {
        let (status, content_type, problem) = traced.get(path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
        assert_eq!(problem["title"], "Bad Request");
    }
    let page = traced
        .client
        .get(format!("{}/_local/traces.html", traced.stage.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"waterfall\""));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external assets"
    );
    traced.stage.shutdown().await;
}
