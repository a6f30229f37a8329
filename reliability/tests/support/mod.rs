//! Shared set-up of the reliability tests: the DynamoDB endpoint the test command started, and
//! a local stage on fresh tables.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::path::PathBuf;
use std::time::Duration;

use items_dynamodb::ENDPOINT_ENV;
use local_stage::{
    DynamoDbStore, FunctionMode, LineSink, ProcessConfig, RunningStage, StageConfig, StoreConfig,
};
use serde_json::{json, Value};

/// The DynamoDB-compatible server's address. These tests need a real server, so they fail
/// (never skip) without one.
pub(crate) fn dynamodb_endpoint() -> String {
    std::env::var(ENDPOINT_ENV).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_ENV} is not set: run the reliability suite through scripts/test, \
             or `scripts/dynamodb-server run -- cargo test -p items-reliability`"
        )
    })
}

/// A store on freshly named tables at `endpoint`, so tests never see each other's items.
pub(crate) fn fresh_store(endpoint: String) -> DynamoDbStore {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    DynamoDbStore {
        endpoint: Some(endpoint),
        items_table: format!("reliability-items-{suffix}"),
        idempotency_table: format!("reliability-idempotency-{suffix}"),
    }
}

/// A quiet stage with in-process functions on `store`, without change events: the tests that
/// use it count the store's requests, and reading the table's stream would add to them.
pub(crate) async fn in_process_stage(store: DynamoDbStore) -> RunningStage {
    local_stage::start(StageConfig {
        store: StoreConfig::DynamoDb(store),
        access_log: LineSink::Off,
        reports: LineSink::Off,
        change_events: false,
        ..StageConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("the local stage did not start: {e}"))
}

/// Where the function binaries are: FUNCTIONS_DIR, or the workspace's debug build.
pub(crate) fn functions_dir() -> PathBuf {
    std::env::var_os("FUNCTIONS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug"))
}

/// A quiet stage running the real function binaries on `store`, up to `max_processes` each.
pub(crate) async fn process_stage(store: DynamoDbStore, max_processes: usize) -> RunningStage {
    local_stage::start(StageConfig {
        store: StoreConfig::DynamoDb(store),
        functions: FunctionMode::Processes(ProcessConfig {
            functions_dir: functions_dir(),
            max_processes,
            ..ProcessConfig::default()
        }),
        access_log: LineSink::Off,
        reports: LineSink::Off,
        ..StageConfig::default()
    })
    .await
    .unwrap_or_else(|e| {
        panic!("the local stage did not start in process mode (build the functions first): {e}")
    })
}

/// An HTTP client with a bound on every request, so a hang fails the test instead of stalling it.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client builds")
}

/// A valid create body.
pub(crate) fn item_body(name: &str, category: Option<&str>) -> Value {
    json!({"name": name, "description": "made by the reliability suite", "category": category})
}

/// Every item a caller can list, following cursors to the end.
pub(crate) async fn list_all(
    client: &reqwest::Client,
    stage: &RunningStage,
    token: &str,
) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client
            .get(format!("{}/items", stage.url()))
            .bearer_auth(token)
            .query(&[("limit", "100")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let response = request.send().await.expect("list request");
        assert_eq!(response.status(), 200, "listing after the test must work");
        let page: Value = response.json().await.expect("list body");
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}
