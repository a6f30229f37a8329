//! The retry budget: however the store fails, one API request sends at most
//! `MAX_REQUESTS_PER_CALL` DynamoDB requests, counted at the fault proxy, and answers 503 with
//! `Retry-After` within the function timeout.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "test helpers too: a failed assumption is a failed test; figures go to the test log"
)]

mod support;

use std::time::{Duration, Instant};

use items_dynamodb::MAX_REQUESTS_PER_CALL;
use items_reliability::{FaultProxy, Outage};
use reqwest::Method;
use support::{client, dynamodb_endpoint, fresh_store, in_process_stage, item_body};
use tokio::task::JoinSet;

/// The Lambda timeout the Terraform sets by default; no request may take longer.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

/// One kind of request: a label, method, path, and the headers it carries.
#[derive(Debug, Clone, Copy)]
struct Case {
    label: &'static str,
    method: &'static str,
    path: &'static str,
    if_match: Option<&'static str>,
    idempotency_key: Option<&'static str>,
}

const fn case(label: &'static str, method: &'static str, path: &'static str) -> Case {
    Case {
        label,
        method,
        path,
        if_match: None,
        idempotency_key: None,
    }
}

/// One request of each kind.
const REQUESTS: [Case; 8] = [
    case("list", "GET", "/items"),
    case("list a category", "GET", "/items?category=tools"),
    case("get", "GET", "/items/{id}"),
    case("create", "POST", "/items"),
    Case {
        idempotency_key: Some("budget-key"),
        ..case("idempotent create", "POST", "/items")
    },
    case("update", "PUT", "/items/{id}"),
    Case {
        if_match: Some("\"1\""),
        ..case("update with If-Match", "PUT", "/items/{id}")
    },
    case("delete", "DELETE", "/items/{id}"),
];

/// Sends one request through a stage whose store fails as `outage` says, and returns its
/// status and how many DynamoDB requests it caused.
async fn requests_caused(
    outage: Outage,
    Case {
        label,
        method,
        path,
        if_match,
        idempotency_key,
    }: Case,
) -> (u16, u32) {
    let proxy = FaultProxy::in_front_of(&dynamodb_endpoint())
        .await
        .expect("proxy starts");
    let stage = in_process_stage(fresh_store(proxy.url())).await;
    let token = stage.mint_token("budgeted", &[]);
    let client = client();
    let created: serde_json::Value = client
        .post(format!("{}/items", stage.url()))
        .bearer_auth(&token)
        .json(&item_body("budgeted", Some("tools")))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("item");
    let path = path.replace("{id}", created["id"].as_str().expect("id"));

    proxy.set(outage);
    proxy.reset_counts();
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client
        .request(method.clone(), format!("{}{path}", stage.url()))
        .bearer_auth(&token);
    if method == Method::POST || method == Method::PUT {
        request = request.json(&item_body("budgeted again", None));
    }
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let started = Instant::now();
    let response = request.send().await.expect("the stage answers");
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let sent = proxy.total_requests();
    println!(
        "{outage:?}: {label} -> {status} in {elapsed:?} after {sent} DynamoDB requests {:?}",
        proxy.requests()
    );
    assert!(elapsed < FUNCTION_TIMEOUT, "{label} took {elapsed:?}");
    if status == 503 {
        assert!(
            response.headers().contains_key("retry-after"),
            "{label}: a 503 carries Retry-After"
        );
    }
    stage.shutdown().await;
    (status, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_throttled_store_gets_at_most_the_budget_from_any_request() {
    let mut cases = JoinSet::new();
    for request in REQUESTS {
        cases.spawn(async move {
            (
                request.label,
                requests_caused(Outage::Throttled, request).await,
            )
        });
    }
    while let Some(case) = cases.join_next().await {
        let (label, (status, sent)) = case.expect("case task");
        assert_eq!(status, 503, "{label} against a throttled store");
        // The budget bounds the retries, and the SDK uses all of it on a throttled store.
        assert_eq!(
            sent, MAX_REQUESTS_PER_CALL,
            "{label} sent {sent} DynamoDB requests"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelled_transactions_get_at_most_the_budget_from_an_idempotent_create() {
    // Both cancellations leave nothing written and may pass when sent again; the SDK does not
    // retry a cancellation, so the store does, and a spent budget is a 503, never a 500.
    for outage in [Outage::TransactionConflict, Outage::TransactionThrottled] {
        let (status, sent) = requests_caused(outage, REQUESTS[4]).await;
        assert_eq!(
            status, 503,
            "an idempotent create that is always {outage:?}"
        );
        assert_eq!(
            sent, MAX_REQUESTS_PER_CALL,
            "{outage:?}: the transaction is retried within the budget and no further"
        );
    }
}
