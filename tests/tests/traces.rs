//! Traces from the real function binaries (debug builds, as process mode runs them), each
//! behind its own Lambda Runtime API, with `AWS_XRAY_DAEMON_ADDRESS` naming a UDP socket this
//! test binds: what the X-Ray daemon would receive. A sampled invocation sends the handler's
//! subsegment and one per AWS call; an unsampled one sends nothing; a store failure (the
//! reliability suite's fault proxy throttling every request) is a fault with each attempt, a
//! refused precondition is not; the stream function's PutEvents entries carry the
//! trace on.
//!
//! Needs the function binaries (`scripts/build-debug`, which `scripts/test` runs) and a DynamoDB endpoint in
//! `AWS_ENDPOINT_URL_DYNAMODB` (`scripts/dynamodb-server run -- cargo test -p items-e2e --test
//! traces`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eventbridge_emulator::EventBridgeEmulator;
use fault_proxy::{FaultProxy, Outage};
use items_domain::ItemChange;
use items_dynamodb::stream::image_of;
use items_dynamodb::table_design::create_tables;
use items_dynamodb::{TableNames, ENDPOINT_ENV};
use items_sdk_config::{sdk_config_from_env, Timeouts};
use lambda_emulator::{ProcessConfig, ProcessPool, ReportSink};
use serde_json::{json, Value};
use tokio::net::UdpSocket;

/// The first line of every datagram the daemon accepts.
const DAEMON_HEADER: &str = r#"{"format": "json", "version": 1}"#;

/// A UDP socket standing where the X-Ray daemon would, keeping the segment documents it gets.
struct Daemon {
    socket: UdpSocket,
}

impl Daemon {
    async fn bind() -> Self {
        Self {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        }
    }

    fn address(&self) -> String {
        self.socket.local_addr().unwrap().to_string()
    }

    /// Every document received until none has come for `quiet`, each checked for the header.
    async fn documents(&self, quiet: Duration) -> Vec<Value> {
        let mut documents = Vec::new();
        let mut buffer = vec![0u8; 65_536];
        while let Ok(received) = tokio::time::timeout(quiet, self.socket.recv(&mut buffer)).await {
            let datagram = std::str::from_utf8(&buffer[..received.unwrap()]).unwrap();
            let (header, document) = datagram.split_once('\n').expect("a header line");
            assert_eq!(header, DAEMON_HEADER, "{datagram}");
            documents.push(serde_json::from_str(document).expect("a JSON document"));
        }
        documents
    }
}

/// A trace header as Lambda hands an invocation: a fresh X-Ray trace id (its first part the
/// time), the parent (Lambda's function segment) and the sampling decision.
struct TraceHeader {
    root: String,
    parent: String,
    sampled: bool,
}

impl TraceHeader {
    fn new(sampled: bool) -> Self {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let random = uuid::Uuid::new_v4().simple().to_string();
        Self {
            root: format!("1-{seconds:08x}-{}", &random[..24]),
            parent: random[16..].to_owned(),
            sampled,
        }
    }

    fn header(&self) -> String {
        format!(
            "Root={};Parent={};Sampled={}",
            self.root,
            self.parent,
            u8::from(self.sampled)
        )
    }
}

/// Where the function binaries are: `target/debug` (or under `CARGO_TARGET_DIR`).
fn functions_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("debug")
}

/// The DynamoDB endpoint of the test command, and fresh tables on it.
async fn fresh_tables() -> (String, TableNames) {
    let endpoint = std::env::var(ENDPOINT_ENV).unwrap_or_default();
    assert!(
        !endpoint.trim().is_empty(),
        "{ENDPOINT_ENV} is not set: run through scripts/dynamodb-server run -- ..."
    );
    let config = sdk_config_from_env(Timeouts::default()).await.unwrap();
    let client = aws_sdk_dynamodb::Client::new(&config);
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let tables = TableNames {
        items: format!("traces-items-{suffix}"),
        idempotency: format!("traces-idempotency-{suffix}"),
    };
    create_tables(&client, &tables).await.unwrap();
    (endpoint, tables)
}

/// The functions `names` as processes, on `endpoint` and `tables`, sending traces to `daemon`.
fn functions(
    names: &[&str],
    endpoint: &str,
    tables: &TableNames,
    daemon: &Daemon,
    more: &[(&str, String)],
) -> ProcessPool {
    let binaries = functions_dir();
    for name in names {
        assert!(
            binaries.join(name).is_file(),
            "{} is missing: run scripts/build-debug ({name})",
            binaries.join(name).display()
        );
    }
    let mut environment = vec![
        ("ITEMS_TABLE".to_owned(), tables.items.clone()),
        ("IDEMPOTENCY_TABLE".to_owned(), tables.idempotency.clone()),
        // Required inside Lambda, as the Terraform sets it.
        (
            "CURSOR_KEY".to_owned(),
            "a cursor key for the traces test, 32 bytes or more".to_owned(),
        ),
        (ENDPOINT_ENV.to_owned(), endpoint.to_owned()),
        ("AWS_XRAY_DAEMON_ADDRESS".to_owned(), daemon.address()),
    ];
    for variable in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"] {
        if let Ok(value) = std::env::var(variable) {
            environment.push((variable.to_owned(), value));
        }
    }
    environment.extend(
        more.iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone())),
    );
    let reports: ReportSink = Arc::new(|_: &str| {});
    ProcessPool::new(
        names.iter().copied(),
        ProcessConfig {
            functions_dir: binaries,
            max_processes: 1,
            environment,
            ..ProcessConfig::default()
        },
        reports,
    )
}

/// An HTTP API (payload 2.0) event for `route_key` on `path`, from an authorised caller.
fn api_event(
    route_key: &str,
    path: &str,
    id: Option<&str>,
    headers: Value,
    body: Option<Value>,
) -> Value {
    let (method, _) = route_key.split_once(' ').unwrap();
    json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "pathParameters": id.map(|id| json!({ "id": id })),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "traces",
            "authorizer": { "jwt": { "claims": { "sub": "alice" }, "scopes": null } },
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "traces-test" },
            "requestId": format!("req-{}", uuid::Uuid::new_v4().simple()),
            "routeKey": route_key,
            "stage": "$default",
            "timeEpoch": 0
        },
        "body": body.map(|body| body.to_string()),
        "isBase64Encoded": false
    })
}

fn get_event(id: &str) -> Value {
    api_event(
        "GET /items/{id}",
        &format!("/items/{id}"),
        Some(id),
        json!({}),
        None,
    )
}

/// The documents of `trace`, split into the handler's subsegment and the others.
fn handler_and_calls(documents: &[Value], trace: &TraceHeader) -> (Value, Vec<Value>) {
    let ours: Vec<&Value> = documents
        .iter()
        .filter(|document| document["trace_id"] == trace.root.as_str())
        .collect();
    let handlers: Vec<&&Value> = ours
        .iter()
        .filter(|document| {
            document["name"]
                .as_str()
                .is_some_and(|name| name.starts_with("## "))
        })
        .collect();
    assert_eq!(handlers.len(), 1, "one handler subsegment: {documents:#?}");
    let handler = (*handlers[0]).clone();
    let calls = ours
        .into_iter()
        .filter(|document| document["id"] != handler["id"])
        .cloned()
        .collect();
    (handler, calls)
}

fn status(response: &Value) -> u64 {
    response["statusCode"].as_u64().unwrap()
}

#[tokio::test]
async fn a_sampled_read_sends_its_handler_subsegment_and_its_get_item_call() {
    let daemon = Daemon::bind().await;
    let (endpoint, tables) = fresh_tables().await;
    let pool = functions(&["get-item"], &endpoint, &tables, &daemon, &[]);
    let trace = TraceHeader::new(true);
    let id = uuid::Uuid::new_v4().to_string();

    let response = pool
        .invoke("get-item", get_event(&id), &trace.header())
        .await
        .unwrap();
    let documents = daemon.documents(Duration::from_millis(500)).await;
    pool.shutdown().await;

    assert_eq!(status(&response), 404);
    let (handler, calls) = handler_and_calls(&documents, &trace);
    assert_eq!(handler["type"], "subsegment");
    assert_eq!(handler["name"], "## get-item");
    assert_eq!(
        handler["parent_id"],
        trace.parent.as_str(),
        "a subsegment of Lambda's segment"
    );
    assert_eq!(handler["annotations"]["route"], "GET /items/{id}");
    assert_eq!(handler["annotations"]["cold_start"], true);
    assert_eq!(handler["annotations"]["status"], 404);
    let request_id = response["headers"]["x-request-id"].as_str().unwrap();
    assert_eq!(handler["annotations"]["request_id"], request_id);
    assert!(
        handler.get("fault").is_none(),
        "a 404 is no fault: {handler:#}"
    );

    assert_eq!(calls.len(), 1, "one DynamoDB call: {calls:#?}");
    let call = &calls[0];
    assert_eq!(call["name"], "DynamoDB");
    assert_eq!(call["namespace"], "aws");
    assert_eq!(call["parent_id"], handler["id"]);
    assert_eq!(call["aws"]["operation"], "GetItem");
    assert_eq!(call["aws"]["table_name"], tables.items.as_str());
    assert_eq!(call["metadata"]["aws.attempts"], 1, "{call:#}");
    assert!(call["start_time"].as_f64() >= handler["start_time"].as_f64());
    assert!(call["end_time"].as_f64() <= handler["end_time"].as_f64());
}

#[tokio::test]
async fn an_unsampled_invocation_sends_nothing_and_only_the_first_is_a_cold_start() {
    let daemon = Daemon::bind().await;
    let (endpoint, tables) = fresh_tables().await;
    let pool = functions(&["get-item"], &endpoint, &tables, &daemon, &[]);
    let id = uuid::Uuid::new_v4().to_string();

    let unsampled = TraceHeader::new(false);
    let response = pool
        .invoke("get-item", get_event(&id), &unsampled.header())
        .await
        .unwrap();
    assert_eq!(status(&response), 404);
    let documents = daemon.documents(Duration::from_millis(500)).await;
    assert!(
        documents.is_empty(),
        "an unsampled invocation sent {documents:#?}"
    );

    let sampled = TraceHeader::new(true);
    pool.invoke("get-item", get_event(&id), &sampled.header())
        .await
        .unwrap();
    let documents = daemon.documents(Duration::from_millis(500)).await;
    pool.shutdown().await;
    let (handler, _) = handler_and_calls(&documents, &sampled);
    assert_eq!(handler["annotations"]["cold_start"], false);
}

#[tokio::test]
async fn a_store_cut_between_requests_is_a_fault_with_its_cause_and_every_attempt() {
    let daemon = Daemon::bind().await;
    let (endpoint, tables) = fresh_tables().await;
    let proxy = FaultProxy::in_front_of(&endpoint).await.unwrap();
    let pool = functions(&["get-item"], &proxy.url(), &tables, &daemon, &[]);
    let id = uuid::Uuid::new_v4().to_string();

    // Through the proxy while it passes traffic: a 404 is an answer, not a fault.
    let healthy = TraceHeader::new(true);
    let response = pool
        .invoke("get-item", get_event(&id), &healthy.header())
        .await
        .unwrap();
    assert_eq!(status(&response), 404);
    // The same process, its connection open, then the store throttles every request.
    proxy.set(Outage::Throttled);
    proxy.reset_counts();
    let throttled = TraceHeader::new(true);
    let response = pool
        .invoke("get-item", get_event(&id), &throttled.header())
        .await
        .unwrap();
    let documents = daemon.documents(Duration::from_millis(500)).await;
    pool.shutdown().await;

    let (handler, calls) = handler_and_calls(&documents, &healthy);
    assert_ne!(handler["fault"], true, "{handler:#}");
    assert_eq!(handler["annotations"]["status"], 404);
    assert_eq!(calls.len(), 1, "{calls:#?}");

    assert_eq!(status(&response), 503);
    let (handler, calls) = handler_and_calls(&documents, &throttled);
    assert_eq!(handler["fault"], true, "{handler:#}");
    assert_eq!(handler["annotations"]["status"], 503);
    // The cause is the adapter's error line: its message, the operation and the SDK's chain.
    let cause = handler["cause"]["exceptions"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        cause.starts_with("DynamoDB request failed (operation=GetItem, error="),
        "{handler:#}"
    );
    assert!(cause.contains("ThrottlingException"), "{handler:#}");
    // One call, with every attempt the SDK made, each of which the store saw.
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let call = &calls[0];
    assert_eq!(call["annotations"]["error_code"], "ThrottlingException");
    assert_eq!(
        call["cause"]["exceptions"][0]["type"],
        "ThrottlingException"
    );
    assert_eq!(call["metadata"]["aws.throttled"], true, "{call:#}");
    let attempts = &call["metadata"]["aws.attempts"];
    assert_eq!(
        attempts.as_u64(),
        proxy.requests().get("GetItem").map(|n| u64::from(*n)),
        "{call:#}"
    );
    assert!(
        attempts.as_u64() > Some(1),
        "the SDK retries a throttled call: {call:#}"
    );
}

#[tokio::test]
async fn a_refused_precondition_is_no_fault() {
    let daemon = Daemon::bind().await;
    let (endpoint, tables) = fresh_tables().await;
    let pool = functions(
        &["create-item", "delete-item"],
        &endpoint,
        &tables,
        &daemon,
        &[],
    );
    let created = pool
        .invoke(
            "create-item",
            api_event(
                "POST /items",
                "/items",
                None,
                json!({ "content-type": "application/json" }),
                Some(json!({ "name": "Traced", "description": "for the traces test" })),
            ),
            &TraceHeader::new(false).header(),
        )
        .await
        .unwrap();
    assert_eq!(status(&created), 201, "{created:#}");
    let body: Value = serde_json::from_str(created["body"].as_str().unwrap()).unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    let trace = TraceHeader::new(true);

    let refused = pool
        .invoke(
            "delete-item",
            api_event(
                "DELETE /items/{id}",
                &format!("/items/{id}"),
                Some(&id),
                json!({ "if-match": "\"7\"" }),
                None,
            ),
            &trace.header(),
        )
        .await
        .unwrap();
    let documents = daemon.documents(Duration::from_millis(500)).await;
    pool.shutdown().await;

    assert_eq!(status(&refused), 412);
    let (handler, calls) = handler_and_calls(&documents, &trace);
    assert!(handler.get("fault").is_none(), "{handler:#}");
    assert!(handler.get("error").is_none(), "{handler:#}");
    assert_eq!(handler["annotations"]["status"], 412);
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let call = &calls[0];
    assert_eq!(call["aws"]["operation"], "DeleteItem");
    // The service refused the condition: a client error on the call, not a fault.
    assert_eq!(call["error"], true, "{call:#}");
    assert!(call.get("fault").is_none(), "{call:#}");
    assert_eq!(
        call["annotations"]["error_code"],
        "ConditionalCheckFailedException"
    );
}

#[tokio::test]
async fn a_stream_batch_is_traced_and_its_events_carry_the_trace_on() {
    let daemon = Daemon::bind().await;
    let (endpoint, tables) = fresh_tables().await;
    let bus = EventBridgeEmulator::start().await.unwrap();
    let trace_headers = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&trace_headers);
    bus.reject(move |entry| {
        seen.lock().unwrap().push(entry["TraceHeader"].clone());
        None
    });
    let pool = functions(
        &["publish-item-events"],
        &endpoint,
        &tables,
        &daemon,
        &[
            ("EVENT_BUS_NAME", "items-traces".to_owned()),
            ("AWS_ENDPOINT_URL_EVENTBRIDGE", bus.url()),
        ],
    );
    let changes = items_conformance::fixtures::lifecycle("Traced");
    let records: Vec<Value> = changes[..2]
        .iter()
        .enumerate()
        .map(|(position, change)| stream_record(100 + position as u64, change))
        .collect();
    let trace = TraceHeader::new(true);

    let response = pool
        .invoke(
            "publish-item-events",
            json!({ "Records": records }),
            &trace.header(),
        )
        .await
        .unwrap();
    let documents = daemon.documents(Duration::from_millis(500)).await;
    pool.shutdown().await;

    assert_eq!(response["batchItemFailures"], json!([]), "{response:#}");
    let (batch, calls) = handler_and_calls(&documents, &trace);
    assert_eq!(batch["name"], "## publish-item-events");
    assert_eq!(batch["annotations"]["records"], 2);
    assert_eq!(batch["annotations"]["failed_records"], 0);
    // One call per change: the publisher sends an item's events in order, one per call.
    let mut put_events = calls;
    assert_eq!(
        put_events.len(),
        2,
        "one PutEvents per change: {put_events:#?}"
    );
    put_events.sort_by(|a, b| {
        a["start_time"]
            .as_f64()
            .partial_cmp(&b["start_time"].as_f64())
            .unwrap()
    });
    let mut expected = Vec::new();
    for call in &put_events {
        assert_eq!(call["name"], "EventBridge");
        assert_eq!(call["aws"]["operation"], "PutEvents");
        assert_eq!(call["parent_id"], batch["id"]);
        assert_eq!(
            call["metadata"]["aws.event_bus"], "items-traces",
            "{call:#}"
        );
        expected.push(json!(format!(
            "Root={};Parent={};Sampled=1",
            trace.root,
            call["id"].as_str().unwrap()
        )));
    }
    let headers = trace_headers.lock().unwrap().clone();
    assert_eq!(
        headers, expected,
        "each entry continues its PutEvents' trace"
    );
}

/// A stream record for `change`, as Lambda's event source mapping delivers it.
fn stream_record(sequence_number: u64, change: &ItemChange) -> Value {
    let (name, item) = match change {
        ItemChange::Created { item } => ("INSERT", item),
        ItemChange::Replaced { after, .. } => ("MODIFY", after),
        ItemChange::Deleted { before, .. } => ("REMOVE", before),
    };
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": item.updated_at().as_millis() / 1000,
        "Keys": { "id": { "S": item.id().to_string() } },
        "SequenceNumber": sequence_number.to_string(),
        "SizeBytes": 256,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if let Some(after) = change.after() {
        dynamodb["NewImage"] = serde_json::to_value(image_of(after)).unwrap();
    }
    if let Some(before) = change.before() {
        dynamodb["OldImage"] = serde_json::to_value(image_of(before)).unwrap();
    }
    json!({
        "eventID": format!("event-{sequence_number}"),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/items/stream/2026-01-01T00:00:00.000",
        "dynamodb": dynamodb,
    })
}
