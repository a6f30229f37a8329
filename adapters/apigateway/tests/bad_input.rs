//! Bad input of every kind is a clear 4xx problem naming the field: never a panic, never a 5xx.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use items_apigateway::Route;
use serde_json::json;
use support::{app, create, item_body, send, Payload, Request, BOTH};

const SOME_ID: &str = "3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b";

#[tokio::test]
async fn malformed_json_is_400_naming_the_body() {
    for payload in BOTH {
        let request = Request::new(Route::CreateItem).raw_body("{\"name\": ");
        let response = send(&app(), &request, payload).await;
        assert_eq!(response.status, 400);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(response.error_fields(), ["body"]);
    }
}

#[tokio::test]
async fn wrong_types_unknown_fields_and_rule_violations_are_all_listed() {
    let request = Request::new(Route::CreateItem).json(&json!({
        "name": ["not", "a", "string"],
        "description": "bell \u{7}",
        "category": "Not Valid",
        "price": 3,
    }));
    let response = send(&app(), &request, Payload::V2).await;
    assert_eq!(response.status, 400);
    let mut fields = response.error_fields();
    fields.sort();
    assert_eq!(fields, ["category", "description", "name", "price"]);
    assert_eq!(response.body["title"], "Bad Request");
    assert!(response.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty())));
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_400() {
    for body in ["[]", "\"lamp\"", "null", "42"] {
        let request = Request::new(Route::CreateItem).raw_body(body);
        let response = send(&app(), &request, Payload::V2).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.error_fields(), ["body"]);
    }
}

#[tokio::test]
async fn a_body_over_16_kib_is_413_plain_or_base64() {
    let big = json!({"name": "big", "description": "x".repeat(17 * 1024)});
    for request in [
        Request::new(Route::CreateItem).json(&big),
        Request::new(Route::CreateItem).json(&big).base64(),
    ] {
        let response = send(&app(), &request, Payload::V2).await;
        assert_eq!(response.status, 413);
        assert_eq!(response.body["status"], 413);
    }
}

#[tokio::test]
async fn bad_base64_is_400_naming_the_body() {
    let mut request = Request::new(Route::CreateItem).raw_body("%%% not base64 %%%");
    request.base64 = true;
    let response = send(&app(), &request, Payload::V2).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.error_fields(), ["body"]);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    for content_type in [Some("text/plain"), Some("application/jsonx"), None] {
        let mut request = Request::new(Route::CreateItem).json(&item_body("x", None));
        request = match content_type {
            Some(value) => request.header("content-type", value),
            None => request.without_header("content-type"),
        };
        let response = send(&app(), &request, Payload::V2).await;
        assert_eq!(response.status, 415, "{content_type:?}");
    }
}

#[tokio::test]
async fn missing_claims_are_401_before_anything_else() {
    for payload in BOTH {
        for route in Route::ALL {
            let request = Request::new(route).id("not-a-uuid").anonymous();
            let response = send(&app(), &request, payload).await;
            assert_eq!(response.status, 401, "{route:?} {payload:?}");
            assert_eq!(
                response.header("content-type"),
                Some("application/problem+json")
            );
        }
    }
}

#[tokio::test]
async fn bad_limit_category_and_cursor_are_each_named() {
    let request = Request::new(Route::ListItems)
        .query("limit", "101")
        .query("category", "UPPER")
        .query("cursor", "tampered!");
    let response = send(&app(), &request, Payload::V2).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.error_fields(), ["limit", "category", "cursor"]);
}

#[tokio::test]
async fn a_cursor_from_another_listing_is_400() {
    let app = app();
    for n in 0..3 {
        create(&app, "alice", &format!("item {n}"), Some("tools")).await;
    }
    let first = send(
        &app,
        &Request::new(Route::ListItems)
            .query("category", "tools")
            .query("limit", "1"),
        Payload::V2,
    )
    .await;
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let foreign = Request::new(Route::ListItems).query("cursor", &cursor);
    let response = send(&app, &foreign, Payload::V2).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.error_fields(), ["cursor"]);
}

#[tokio::test]
async fn an_id_that_is_not_a_uuid_is_400_on_every_item_route() {
    for route in [Route::GetItem, Route::UpdateItem, Route::DeleteItem] {
        let request = Request::new(route).id("42").json(&item_body("x", None));
        let response = send(&app(), &request, Payload::V2).await;
        assert_eq!(response.status, 400, "{route:?}");
        assert_eq!(response.error_fields(), ["id"]);
    }
}

#[tokio::test]
async fn bad_if_match_is_400_and_reported_with_body_errors() {
    for value in [
        "1",
        "\"\"",
        "\"0\"",
        "W/\"1\"",
        "\"1\", \"2\"",
        "\"abc\"",
        "\"99999999999999999999\"",
    ] {
        let request = Request::new(Route::UpdateItem)
            .id(SOME_ID)
            .header("if-match", value)
            .json(&json!({"name": ""}));
        let response = send(&app(), &request, Payload::V2).await;
        assert_eq!(response.status, 400, "{value}");
        assert_eq!(
            response.error_fields(),
            ["If-Match", "name", "description"],
            "{value}"
        );
    }
    let delete = Request::new(Route::DeleteItem)
        .id(SOME_ID)
        .header("if-match", "nope");
    assert_eq!(
        send(&app(), &delete, Payload::V2).await.error_fields(),
        ["If-Match"]
    );
}

#[tokio::test]
async fn bad_idempotency_keys_are_400() {
    for key in ["", "has space", &"k".repeat(65)] {
        let request = Request::new(Route::CreateItem)
            .header("idempotency-key", key)
            .json(&item_body("x", None));
        let response = send(&app(), &request, Payload::V2).await;
        assert_eq!(response.status, 400, "{key:?}");
        assert_eq!(response.error_fields(), ["Idempotency-Key"]);
    }
}

#[tokio::test]
async fn an_event_that_is_not_from_api_gateway_is_400() {
    let app = app();
    for event in [
        json!({}),
        json!({"version": "2.0", "requestContext": {}}),
        json!([1]),
    ] {
        let output = app.handle_event(Route::GetItem, event.clone()).await;
        assert_eq!(output["statusCode"], 400, "{event}");
    }
}
