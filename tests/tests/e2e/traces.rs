//! Traces: every sampled request is one X-Ray trace whose handler names its route and holds one
//! subsegment per store request the route makes; a refused precondition is not a fault; an
//! unsampled request leaves nothing.
//!
//! The local stage keeps what its X-Ray daemon received at `GET /_local/traces`; a deployed
//! stage has no such endpoint (its traces are in X-Ray), so these tests skip there and say why.
//! How many store calls a handler holds depends on the store: `E2E_STORE=dynamodb` (process
//! mode, or the offline-deployed stage: the functions trace every AWS call) expects exactly one
//! per request, on an action `routes.json` grants the route; the in-process stage on the memory
//! store (what this binary starts without `E2E_BASE_URL`) records the handler alone. A stage
//! named by `E2E_BASE_URL` without `E2E_STORE` is checked for everything but that count.
//!
//! Function segments arrive over UDP after the response, so each test polls its trace with a
//! bounded deadline. Each test picks its trace ids itself and sends them in `X-Amzn-Trace-Id`,
//! as a caller continuing its own trace would.

use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::support::{fresh_category, item_body, target, Api};

/// Longest wait for a request's segments: a function sends its subsegments as its spans end,
/// within milliseconds of the response.
const TRACE_DEADLINE: Duration = Duration::from_secs(15);

/// What the stage stores items in, as far as its traces show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    /// Functions over DynamoDB: one traced call per store request.
    DynamoDb,
    /// The in-process stage's memory store: no AWS call to trace.
    Memory,
}

/// The store of the stage under test; `None` when it cannot be known (another stage named by
/// `E2E_BASE_URL` without `E2E_STORE`).
fn store() -> Option<Store> {
    match std::env::var("E2E_STORE").ok().as_deref() {
        Some("dynamodb") => Some(Store::DynamoDb),
        Some("memory") => Some(Store::Memory),
        Some(other) => panic!("E2E_STORE is `{other}`: use dynamodb or memory"),
        None if std::env::var_os("E2E_BASE_URL").is_none() => Some(Store::Memory),
        None => None,
    }
}

/// A new trace id in X-Ray's format: the epoch seconds, then 96 random bits.
fn new_trace_id() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("1-{seconds:08x}-{}", &random[..24])
}

fn trace_header(id: &str, sampled: bool) -> String {
    format!("Root={id};Sampled={}", u8::from(sampled))
}

/// The actions `routes.json` grants `route` on DynamoDB, without the `dynamodb:` prefix.
fn granted_operations(route: &str) -> Vec<String> {
    let routes: Value =
        serde_json::from_str(include_str!("../../../routes.json")).expect("routes.json is JSON");
    let declared = routes["routes"]
        .as_array()
        .expect("routes.json lists routes")
        .iter()
        .find(|declared| declared["route_key"] == route)
        .unwrap_or_else(|| panic!("routes.json has no route {route}"));
    declared["dynamodb"]
        .as_object()
        .expect("each route lists its DynamoDB actions")
        .values()
        .flat_map(|actions| actions.as_array().cloned().unwrap_or_default())
        .filter_map(|action| {
            action
                .as_str()
                .and_then(|a| a.strip_prefix("dynamodb:"))
                .map(str::to_owned)
        })
        .collect()
}

/// The stage's traces, read from `GET /_local/traces`.
struct TraceFeed {
    client: reqwest::Client,
}

impl TraceFeed {
    /// The feed of the stage under test; `None`, with the reason written to the test's output,
    /// when the stage has none (a deployed stage, whose traces are in X-Ray).
    async fn of_stage(test: &str) -> Option<Self> {
        let client = reqwest::Client::new();
        let listed = client.get(target().url("/_local/traces")).send().await;
        match listed {
            Ok(response) if response.status() == 200 => Some(Self { client }),
            other => {
                let reason = match other {
                    Ok(response) => format!("GET /_local/traces answered {}", response.status()),
                    Err(error) => format!("GET /_local/traces: {error}"),
                };
                // Straight to stderr: the test harness captures print! output of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: {} has no local traces ({reason}); a deployed stage's \
                     traces are in X-Ray",
                    target().base_url
                );
                None
            }
        }
    }

    /// The trace `id` as the daemon assembled it so far; `None` while it has received nothing.
    async fn fetch(&self, id: &str) -> Option<Value> {
        let response = self
            .client
            .get(target().url(&format!("/_local/traces/{id}")))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET /_local/traces/{id}: {e}"));
        match response.status().as_u16() {
            200 => Some(response.json().await.expect("a trace is JSON")),
            404 => None,
            status => panic!("GET /_local/traces/{id} answered {status}"),
        }
    }

    /// The trace `id` once it is complete and holds the handler of `route`.
    async fn handled(&self, id: &str, route: &str) -> (Value, Value) {
        let started = Instant::now();
        loop {
            if let Some(trace) = self.fetch(id).await {
                let complete = !trace["duration"].is_null();
                if let Some(handler) = handlers(&trace, route).into_iter().next() {
                    if complete {
                        return (trace.clone(), handler);
                    }
                }
                assert!(
                    started.elapsed() < TRACE_DEADLINE,
                    "trace {id} has no complete handler of {route} after {TRACE_DEADLINE:?}: {trace:#}"
                );
            } else {
                assert!(
                    started.elapsed() < TRACE_DEADLINE,
                    "no trace {id} after {TRACE_DEADLINE:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Every node of a trace's tree, depth first.
fn nodes(trace: &Value) -> Vec<Value> {
    fn walk(node: &Value, into: &mut Vec<Value>) {
        into.push(node.clone());
        for child in node["children"].as_array().into_iter().flatten() {
            walk(child, into);
        }
    }
    let mut all = Vec::new();
    for segment in trace["segments"].as_array().into_iter().flatten() {
        walk(segment, &mut all);
    }
    all
}

/// The handler segments of `route` in a trace (annotated with the route's key).
fn handlers(trace: &Value, route: &str) -> Vec<Value> {
    nodes(trace)
        .into_iter()
        .filter(|node| node["annotations"]["route"] == route)
        .collect()
}

/// The AWS calls under a handler: the nodes that name an AWS operation.
fn aws_calls(handler: &Value) -> Vec<Value> {
    nodes(&json!({"segments": [handler]}))
        .into_iter()
        .skip(1)
        .filter(|node| node["aws"]["operation"].is_string())
        .collect()
}

/// Checks one request's trace: one handler of `route`, with its status, no fault, and the
/// store calls the stage's store makes.
async fn assert_traced(feed: &TraceFeed, id: &str, route: &str, status: u16) {
    let (trace, handler) = feed.handled(id, route).await;
    assert_eq!(
        handlers(&trace, route).len(),
        1,
        "one handler of {route} in {trace:#}"
    );
    assert_eq!(
        handler["annotations"]["status"].as_u64(),
        Some(u64::from(status)),
        "{route}: the handler is annotated with the response's status: {handler:#}"
    );
    assert_eq!(handler["fault"], false, "{route}: {handler:#}");
    assert_eq!(trace["fault"], false, "{route}: {trace:#}");
    let calls = aws_calls(&handler);
    match store() {
        Some(Store::DynamoDb) => {
            assert_eq!(
                calls.len(),
                1,
                "{route}: one DynamoDB call per store request: {handler:#}"
            );
            let operation = calls[0]["aws"]["operation"].as_str().unwrap_or_default();
            assert!(
                granted_operations(route).iter().any(|o| o == operation),
                "{route}: {operation} is not among the actions routes.json grants it"
            );
        }
        Some(Store::Memory) => assert!(calls.is_empty(), "{route}: {handler:#}"),
        None => {}
    }
}

#[tokio::test]
async fn every_route_is_one_trace_with_its_handler_and_its_store_call() {
    let Some(feed) =
        TraceFeed::of_stage("every_route_is_one_trace_with_its_handler_and_its_store_call").await
    else {
        return;
    };
    let category = fresh_category();
    let traced = |id: &str| Api::user_a().in_trace(trace_header(id, true));

    let create = new_trace_id();
    let created = traced(&create)
        .create(&item_body("Traced lamp", Some(&category)))
        .await;
    created.assert_status(201);
    let item_id = created.json()["id"].as_str().expect("an id").to_owned();
    assert_traced(&feed, &create, "POST /items", 201).await;

    let get = new_trace_id();
    traced(&get).get(&item_id).await.assert_status(200);
    assert_traced(&feed, &get, "GET /items/{id}", 200).await;

    let list = new_trace_id();
    traced(&list)
        .list(&[("category", category.as_str())])
        .await
        .assert_status(200);
    assert_traced(&feed, &list, "GET /items", 200).await;

    let replace = new_trace_id();
    traced(&replace)
        .replace(&item_id, &item_body("Traced lamp 2", None), Some("\"1\""))
        .await
        .assert_status(200);
    assert_traced(&feed, &replace, "PUT /items/{id}", 200).await;

    let patch = new_trace_id();
    traced(&patch)
        .patch(&item_id, &json!({"name": "Traced lamp 3"}), Some("\"2\""))
        .await
        .assert_status(200);
    assert_traced(&feed, &patch, "PATCH /items/{id}", 200).await;

    let delete = new_trace_id();
    traced(&delete)
        .delete(&item_id, Some("\"3\""))
        .await
        .assert_status(204);
    assert_traced(&feed, &delete, "DELETE /items/{id}", 204).await;
}

#[tokio::test]
async fn a_refused_precondition_is_traced_but_is_no_fault() {
    let Some(feed) = TraceFeed::of_stage("a_refused_precondition_is_traced_but_is_no_fault").await
    else {
        return;
    };
    let api = Api::user_a();
    let item = api.create_item(&item_body("Stale lamp", None)).await;
    let item_id = item["id"].as_str().expect("an id");

    let stale = new_trace_id();
    Api::user_a()
        .in_trace(trace_header(&stale, true))
        .replace(item_id, &item_body("Too late", None), Some("\"7\""))
        .await
        .assert_problem(412);
    // No fault anywhere in the trace; the refused write may be marked an error (a 4xx).
    assert_traced(&feed, &stale, "PUT /items/{id}", 412).await;
}

#[tokio::test]
async fn an_unsampled_request_leaves_no_trace() {
    let Some(feed) = TraceFeed::of_stage("an_unsampled_request_leaves_no_trace").await else {
        return;
    };
    let unsampled = new_trace_id();
    Api::user_a()
        .in_trace(trace_header(&unsampled, false))
        .create_item(&item_body("Quiet lamp", None))
        .await;
    // The same route, sampled, after it: once its trace is complete, anything the unsampled
    // request would have sent (by the same function, earlier) has arrived too.
    let sampled = new_trace_id();
    Api::user_a()
        .in_trace(trace_header(&sampled, true))
        .create_item(&item_body("Traced lamp", None))
        .await;
    feed.handled(&sampled, "POST /items").await;
    assert_eq!(
        feed.fetch(&unsampled).await,
        None,
        "an unsampled request exported a trace"
    );
}
