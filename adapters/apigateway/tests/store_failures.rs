//! A failing store, made to fail on demand with mocks: throttling or an outage is a 503 with
//! Retry-After, anything else a 500 whose detail leaks nothing; and nothing is written.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::sync::{Arc, Mutex};

use items_apigateway::Route;
use items_conformance::MockItemRepository;
use items_domain::RepositoryError;
use serde_json::Value;
use support::{app_over, item_body, send, Payload, Request};

const SOME_ID: &str = "3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b";

/// A subscriber for the tests that do not read the log. `tracing` caches, per log line's call
/// site, whether any subscriber wants it, from the subscribers alive when a thread first
/// reaches it: a test running with none beside the one that captures could cache "nobody" and
/// silence the captured line. With every test holding one, no thread can.
fn logs_to_nowhere() -> tracing::subscriber::DefaultGuard {
    tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(std::io::sink)
            .finish(),
    )
}

#[tokio::test]
async fn an_unavailable_store_is_503_with_retry_after_on_every_route() {
    let _logging = logs_to_nowhere();
    let mut store = MockItemRepository::new();
    store
        .expect_get()
        .returning(|_| Err(RepositoryError::Unavailable));
    store
        .expect_list_page()
        .returning(|_| Err(RepositoryError::Unavailable));
    store
        .expect_insert()
        .returning(|_| Err(RepositoryError::Unavailable));
    store
        .expect_update()
        .returning(|_, _, _, _| Err(RepositoryError::Unavailable));
    store
        .expect_delete()
        .returning(|_, _| Err(RepositoryError::Unavailable));
    let app = app_over(Arc::new(store));
    for route in Route::ALL {
        let request = Request::new(route).id(SOME_ID).json(&item_body("x", None));
        let response = send(&app, &request, Payload::V2).await;
        assert_eq!(response.status, 503, "{route:?}");
        assert_eq!(response.header("retry-after"), Some("1"));
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(response.body["status"], 503);
    }
}

#[tokio::test]
async fn an_internal_store_failure_is_a_generic_500() {
    let _logging = logs_to_nowhere();
    let mut store = MockItemRepository::new();
    store
        .expect_get()
        .returning(|_| Err(RepositoryError::Internal));
    store
        .expect_insert()
        .returning(|_| Err(RepositoryError::Internal));
    store
        .expect_update()
        .returning(|_, _, _, _| Err(RepositoryError::Internal));
    let app = app_over(Arc::new(store));
    for route in [Route::GetItem, Route::CreateItem, Route::UpdateItem] {
        let request = Request::new(route).id(SOME_ID).json(&item_body("x", None));
        let response = send(&app, &request, Payload::V1).await;
        assert_eq!(response.status, 500, "{route:?}");
        assert_eq!(response.header("retry-after"), None);
        let detail = response.body["detail"].as_str().expect("detail");
        assert!(!detail.to_lowercase().contains("dynamo") && !detail.contains("table"));
        assert_eq!(
            response.body["request_id"],
            "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
        );
    }
}

/// Log lines written while the test runs, as JSON, as the functions write them.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    fn error_lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("log lock").clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["level"] == "ERROR")
            .collect()
    }
}

/// Every way a store failure becomes a 500, route by route.
fn failing_stores() -> Vec<(&'static str, Route, MockItemRepository)> {
    let mut cases = Vec::new();
    let mut get = MockItemRepository::new();
    get.expect_get()
        .returning(|_| Err(RepositoryError::Internal));
    cases.push(("get fails", Route::GetItem, get));
    let mut list = MockItemRepository::new();
    list.expect_list_page()
        .returning(|_| Err(RepositoryError::Internal));
    cases.push(("list fails", Route::ListItems, list));
    let mut insert = MockItemRepository::new();
    insert
        .expect_insert()
        .returning(|_| Err(RepositoryError::Internal));
    cases.push(("create fails", Route::CreateItem, insert));
    let mut taken = MockItemRepository::new();
    taken
        .expect_insert()
        .returning(|_| Err(RepositoryError::AlreadyExists));
    cases.push(("a new id is taken", Route::CreateItem, taken));
    let mut update = MockItemRepository::new();
    update
        .expect_update()
        .returning(|_, _, _, _| Err(RepositoryError::Internal));
    cases.push(("update fails", Route::UpdateItem, update));
    let mut delete = MockItemRepository::new();
    delete
        .expect_delete()
        .returning(|_, _| Err(RepositoryError::Internal));
    cases.push(("delete fails", Route::DeleteItem, delete));
    cases
}

#[tokio::test]
async fn every_500_writes_an_error_line_with_its_cause_and_request_id() {
    for (case, route, store) in failing_stores() {
        let log = CapturedLog::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(move || writer.clone())
            .finish();
        let _logging = tracing::subscriber::set_default(subscriber);
        let app = app_over(Arc::new(store));
        let request = Request::new(route).id(SOME_ID).json(&item_body("x", None));
        let response = send(&app, &request, Payload::V2).await;
        assert_eq!(response.status, 500, "{case}");
        let request_id = response.body["request_id"].clone();
        let errors = log.error_lines();
        assert!(
            errors.iter().any(|line| {
                line["fields"]["request_id"] == request_id
                    && line["fields"]["cause"]
                        .as_str()
                        .is_some_and(|cause| !cause.is_empty() && cause != "unknown")
            }),
            "{case}: no error line with the request id and a cause in {errors:?}"
        );
    }
}

#[tokio::test]
async fn a_rejected_request_never_reaches_the_store() {
    let _logging = logs_to_nowhere();
    // No expectation is set: any store call fails the test.
    let app = app_over(Arc::new(MockItemRepository::new()));
    let bad = [
        Request::new(Route::CreateItem).json(&serde_json::json!({"name": 1})),
        Request::new(Route::UpdateItem)
            .id("nope")
            .json(&item_body("x", None)),
        Request::new(Route::DeleteItem)
            .id(SOME_ID)
            .header("if-match", "x"),
        Request::new(Route::ListItems).query("limit", "0"),
        Request::new(Route::GetItem).id(SOME_ID).anonymous(),
    ];
    for request in bad {
        let response = send(&app, &request, Payload::V2).await;
        assert!((400..500).contains(&response.status), "{request:?}");
    }
}
