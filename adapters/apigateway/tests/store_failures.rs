//! A failing store, made to fail on demand with mocks: throttling or an outage is a 503 with
//! Retry-After, anything else a 500 whose detail leaks nothing; and nothing is written.

mod support;

use std::sync::Arc;

use items_apigateway::Route;
use items_conformance::MockItemRepository;
use items_domain::RepositoryError;
use support::{app_over, item_body, send, Payload, Request};

const SOME_ID: &str = "3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b";

#[tokio::test]
async fn an_unavailable_store_is_503_with_retry_after_on_every_route() {
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
    store.expect_update().never();
    store.expect_delete().never();
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
    let mut store = MockItemRepository::new();
    store
        .expect_get()
        .returning(|_| Err(RepositoryError::Internal));
    store
        .expect_insert()
        .returning(|_| Err(RepositoryError::Internal));
    store.expect_update().never();
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

#[tokio::test]
async fn a_rejected_request_never_reaches_the_store() {
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
