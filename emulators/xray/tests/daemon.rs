//! The daemon over real UDP: documents sent as an X-Ray client sends them become traces.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed assumption is a failed test"
)]

use std::net::UdpSocket;
use std::time::Duration;

use serde_json::{json, Value};
use xray_emulator::{Trace, TraceId, XrayDaemon};

const TRACE: &str = "1-5759e988-bd862e3fe1be46a994272793";
const HEADER: &str = "{\"format\": \"json\", \"version\": 1}\n";

fn send(daemon: &XrayDaemon, document: &Value) {
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let datagram = format!("{HEADER}{document}");
    client
        .send_to(datagram.as_bytes(), daemon.address())
        .unwrap();
}

/// The trace once `ready` holds for it; UDP delivery is asynchronous.
async fn wait_for(daemon: &XrayDaemon, ready: impl Fn(&Trace) -> bool) -> Trace {
    let id = TraceId::parse(TRACE).unwrap();
    for _ in 0..200 {
        if let Some(trace) = daemon.trace(&id).filter(|trace| ready(trace)) {
            return trace;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the trace never arrived: {:?}", daemon.trace(&id));
}

#[tokio::test]
async fn a_function_segment_and_its_subsegments_sent_apart_become_one_tree() {
    let daemon = XrayDaemon::start().await.unwrap();
    send(
        &daemon,
        &json!({
            "name": "update-item", "id": "1111111111111111", "trace_id": TRACE,
            "origin": "AWS::Lambda::Function",
            "start_time": 1_700_000_000.0, "end_time": 1_700_000_000.25
        }),
    );
    send(
        &daemon,
        &json!({
            "type": "subsegment", "name": "handler", "id": "2222222222222222",
            "trace_id": TRACE, "parent_id": "1111111111111111",
            "start_time": 1_700_000_000.01, "end_time": 1_700_000_000.24,
            "annotations": {"route": "PUT /items/{id}", "cold_start": false, "status": 200},
            "metadata": {"default": {"payload": "2.0"}}
        }),
    );
    send(
        &daemon,
        &json!({
            "type": "subsegment", "name": "DynamoDB", "id": "3333333333333333",
            "trace_id": TRACE, "parent_id": "2222222222222222", "namespace": "aws",
            "start_time": 1_700_000_000.02, "end_time": 1_700_000_000.2, "fault": true,
            "cause": {"exceptions": [{"message": "connection refused", "type": "DispatchFailure"}]},
            "aws": {"operation": "UpdateItem", "table_name": "items", "retries": 2},
            "http": {"response": {"status": 500}}
        }),
    );

    let trace = wait_for(&daemon, |trace| {
        serde_json::to_value(trace).unwrap()["segments"][0]["children"][0]["children"][0]["id"]
            == "3333333333333333"
    })
    .await;
    let tree = serde_json::to_value(&trace).unwrap();
    assert_eq!(tree["id"], TRACE);
    assert_eq!(tree["name"], "update-item");
    assert_eq!(tree["fault"], true);
    assert_eq!(tree["http"]["status"], 500);
    let function = &tree["segments"][0];
    assert_eq!(function["type"], "segment");
    assert_eq!(function["origin"], "AWS::Lambda::Function");
    let handler = &function["children"][0];
    assert_eq!(handler["type"], "subsegment");
    assert_eq!(handler["annotations"]["route"], "PUT /items/{id}");
    assert_eq!(handler["metadata"]["default"]["payload"], "2.0");
    let call = &handler["children"][0];
    assert_eq!(call["aws"]["operation"], "UpdateItem");
    assert_eq!(
        call["cause"]["exceptions"][0]["message"],
        "connection refused"
    );
    let duration = call["duration"].as_f64().unwrap();
    assert!((duration - 0.18).abs() < 1e-6, "{duration}");

    let listed = daemon.traces();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, TRACE);
}

#[tokio::test]
async fn a_segment_with_embedded_subsegments_arrives_in_one_datagram() {
    let daemon = XrayDaemon::start().await.unwrap();
    send(
        &daemon,
        &json!({
            "name": "get-item", "id": "1111111111111111", "trace_id": TRACE,
            "start_time": 10.0, "end_time": 10.1,
            "http": {"request": {"method": "GET", "url": "http://127.0.0.1:3000/items/7"},
                     "response": {"status": 404}},
            "error": true,
            "subsegments": [{"name": "DynamoDB", "id": "2222222222222222", "namespace": "aws",
                             "start_time": 10.01, "end_time": 10.05,
                             "aws": {"operation": "GetItem"}}]
        }),
    );
    let trace = wait_for(&daemon, |_| true).await;
    let summary = serde_json::to_value(&trace.summary).unwrap();
    assert_eq!(summary["http"]["method"], "GET");
    assert_eq!(summary["http"]["path"], "/items/7");
    assert_eq!(summary["http"]["status"], 404);
    assert_eq!(summary["error"], true);
    assert_eq!(summary["fault"], false);
    assert_eq!(trace.segments[0].children[0].name, "DynamoDB");
}

#[tokio::test]
async fn unreadable_datagrams_are_counted_and_kept_out() {
    let daemon = XrayDaemon::start().await.unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    for datagram in [
        "no header at all".to_owned(),
        format!("{HEADER}not json"),
        format!(
            "{HEADER}{}",
            json!({"name": "s", "id": "1", "trace_id": TRACE, "start_time": 1.0, "end_time": 2.0})
        ),
    ] {
        client
            .send_to(datagram.as_bytes(), daemon.address())
            .unwrap();
    }
    for _ in 0..200 {
        if daemon.refused() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(daemon.refused(), 3);
    assert!(daemon.traces().is_empty());
}

#[tokio::test]
async fn the_lambda_environment_points_at_the_daemon() {
    let daemon = XrayDaemon::start().await.unwrap();
    let environment = daemon.lambda_environment();
    let address = environment
        .iter()
        .find(|(name, _)| name == "AWS_XRAY_DAEMON_ADDRESS")
        .map(|(_, value)| value.clone())
        .unwrap();
    assert_eq!(address, daemon.address().to_string());
    assert!(address.starts_with("127.0.0.1:"));
}
