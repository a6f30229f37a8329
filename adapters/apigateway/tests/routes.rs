//! Every route through the handler, in both payload formats, on the in-memory store: statuses,
//! headers and bodies as the contract states them.

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

const FIXTURE_V2_REQUEST_ID: &str = "JKJaXmPLvHcESHA=";
const FIXTURE_V1_REQUEST_ID: &str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";

fn request_id(payload: Payload) -> &'static str {
    match payload {
        Payload::V2 => FIXTURE_V2_REQUEST_ID,
        Payload::V1 => FIXTURE_V1_REQUEST_ID,
    }
}

#[tokio::test]
async fn create_is_201_with_location_etag_and_the_stored_item() {
    for payload in BOTH {
        let app = app();
        let request = Request::new(Route::CreateItem)
            .header("content-type", "application/json; charset=utf-8")
            .json(&item_body("  Lamp ", Some("home")));
        let response = send(&app, &request, payload).await;
        assert_eq!(response.status, 201);
        let id = response.body["id"].as_str().expect("id");
        assert_eq!(
            response.header("location"),
            Some(format!("/items/{id}").as_str())
        );
        assert_eq!(response.header("etag"), Some("\"1\""));
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.header("x-request-id"), Some(request_id(payload)));
        assert_eq!(response.body["name"], "Lamp");
        assert_eq!(response.body["category"], "home");
        assert_eq!(response.body["created_by"], "alice");
        assert_eq!(response.body["version"], 1);
        assert_eq!(response.body["created_at"], response.body["updated_at"]);
        let created_at = response.body["created_at"].as_str().expect("created_at");
        assert_eq!(created_at.len(), "2026-11-25T02:30:00.123Z".len());
        assert!(created_at.ends_with('Z'));
    }
}

#[tokio::test]
async fn an_item_without_category_has_no_category_field() {
    let app = app();
    let created = create(&app, "alice", "plain", None).await;
    assert!(created.get("category").is_none(), "{created}");
}

#[tokio::test]
async fn get_returns_the_item_with_its_etag() {
    for payload in BOTH {
        let app = app();
        let created = create(&app, "alice", "lamp", None).await;
        let id = created["id"].as_str().expect("id");
        let response = send(
            &app,
            &Request::new(Route::GetItem).caller("bob", &[]).id(id),
            payload,
        )
        .await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, created);
        assert_eq!(response.header("etag"), Some("\"1\""));
        assert_eq!(response.header("x-request-id"), Some(request_id(payload)));
    }
}

#[tokio::test]
async fn get_of_an_unknown_id_is_a_404_problem() {
    for payload in BOTH {
        let app = app();
        let request = Request::new(Route::GetItem).id("3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b");
        let response = send(&app, &request, payload).await;
        assert_eq!(response.status, 404);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(response.body["status"], 404);
        assert_eq!(response.body["request_id"], request_id(payload));
        assert!(response.body.get("errors").is_none());
    }
}

#[tokio::test]
async fn list_pages_a_category_newest_first_to_the_end() {
    for payload in BOTH {
        let app = app();
        let mut created = Vec::new();
        for n in 0..5 {
            created.push(create(&app, "alice", &format!("item {n}"), Some("tools")).await);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        create(&app, "alice", "elsewhere", Some("garden")).await;
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut request = Request::new(Route::ListItems)
                .query("category", "tools")
                .query("limit", "2");
            if let Some(cursor) = &cursor {
                request = request.query("cursor", cursor);
            }
            let response = send(&app, &request, payload).await;
            assert_eq!(response.status, 200, "{}", response.body);
            let items = response.body["items"].as_array().expect("items").clone();
            assert!(!items.is_empty() || response.body["next_cursor"].is_null());
            seen.extend(items);
            match response.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        created.reverse();
        assert_eq!(seen, created);
    }
}

#[tokio::test]
async fn list_defaults_to_twenty_items_and_a_null_cursor_at_the_end() {
    let app = app();
    for n in 0..21 {
        create(&app, "alice", &format!("item {n}"), None).await;
    }
    let first = send(&app, &Request::new(Route::ListItems), Payload::V2).await;
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(20));
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let second = send(
        &app,
        &Request::new(Route::ListItems).query("cursor", &cursor),
        Payload::V2,
    )
    .await;
    assert_eq!(second.body["items"].as_array().map(Vec::len), Some(1));
    assert!(second.body["next_cursor"].is_null());
}

#[tokio::test]
async fn update_by_the_creator_replaces_fields_and_bumps_the_version() {
    for payload in BOTH {
        let app = app();
        let created = create(&app, "alice", "old", Some("tools")).await;
        let id = created["id"].as_str().expect("id");
        let request = Request::new(Route::UpdateItem)
            .id(id)
            .header("if-match", "\"1\"")
            .json(&json!({"name": "new", "description": "changed"}));
        let response = send(&app, &request, payload).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.header("etag"), Some("\"2\""));
        assert_eq!(response.body["version"], 2);
        assert_eq!(response.body["name"], "new");
        assert!(
            response.body.get("category").is_none(),
            "an absent category removes it"
        );
        assert_eq!(response.body["created_at"], created["created_at"]);
    }
}

#[tokio::test]
async fn update_with_a_stale_if_match_is_412_and_changes_nothing() {
    let app = app();
    let created = create(&app, "alice", "v1", None).await;
    let id = created["id"].as_str().expect("id");
    let stale = Request::new(Route::UpdateItem)
        .id(id)
        .header("if-match", "\"7\"")
        .json(&item_body("stale", None));
    assert_eq!(send(&app, &stale, Payload::V2).await.status, 412);
    let current = send(&app, &Request::new(Route::GetItem).id(id), Payload::V2).await;
    assert_eq!(current.body, created);
}

#[tokio::test]
async fn if_match_star_matches_any_existing_item() {
    let app = app();
    let created = create(&app, "alice", "v1", None).await;
    let id = created["id"].as_str().expect("id");
    let request = Request::new(Route::UpdateItem)
        .id(id)
        .header("if-match", "*")
        .json(&item_body("v2", None));
    assert_eq!(send(&app, &request, Payload::V2).await.status, 200);
}

#[tokio::test]
async fn only_the_creator_or_an_admin_may_change_an_item() {
    for payload in BOTH {
        let app = app();
        let created = create(&app, "alice", "mine", None).await;
        let id = created["id"].as_str().expect("id");
        let by_bob = Request::new(Route::UpdateItem)
            .caller("bob", &["users"])
            .id(id)
            .json(&item_body("bob's", None));
        let response = send(&app, &by_bob, payload).await;
        assert_eq!(response.status, 403);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        let delete_by_bob = Request::new(Route::DeleteItem).caller("bob", &[]).id(id);
        assert_eq!(send(&app, &delete_by_bob, payload).await.status, 403);

        let by_admin = by_bob.clone().caller("root", &["users", "admin"]);
        assert_eq!(send(&app, &by_admin, payload).await.status, 200);
        let delete_by_admin = Request::new(Route::DeleteItem)
            .caller("root", &["admin"])
            .id(id);
        assert_eq!(send(&app, &delete_by_admin, payload).await.status, 204);
    }
}

#[tokio::test]
async fn delete_is_204_without_body_then_404() {
    for payload in BOTH {
        let app = app();
        let created = create(&app, "alice", "doomed", None).await;
        let id = created["id"].as_str().expect("id");
        let delete = Request::new(Route::DeleteItem)
            .id(id)
            .header("if-match", "\"1\"");
        let response = send(&app, &delete, payload).await;
        assert_eq!(response.status, 204);
        assert_eq!(response.raw_body, None);
        assert_eq!(response.header("x-request-id"), Some(request_id(payload)));
        assert_eq!(send(&app, &delete, payload).await.status, 404);
    }
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_item_and_conflicts_on_another_body() {
    let app = app();
    let first = Request::new(Route::CreateItem)
        .header("idempotency-key", "order-42")
        .json(&item_body("once", None));
    let created = send(&app, &first, Payload::V2).await;
    let replay = send(&app, &first, Payload::V2).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.body, created.body);
    assert_eq!(replay.header("location"), created.header("location"));
    let listed = send(&app, &Request::new(Route::ListItems), Payload::V2).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));

    let other = first.clone().json(&item_body("different", None));
    let conflict = send(&app, &other, Payload::V2).await;
    assert_eq!(conflict.status, 409);
    assert_eq!(conflict.body["status"], 409);
}

#[tokio::test]
async fn a_base64_body_is_decoded_first() {
    let app = app();
    let request = Request::new(Route::CreateItem)
        .json(&item_body("encoded", None))
        .base64();
    let response = send(&app, &request, Payload::V2).await;
    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(response.body["name"], "encoded");
}

#[tokio::test]
async fn a_warmup_event_answers_at_once() {
    let app = app();
    let output = app
        .handle_event(Route::CreateItem, json!({"warmup": true}))
        .await;
    assert_eq!(output, json!({"warmup": true}));
    let listed = send(&app, &Request::new(Route::ListItems), Payload::V2).await;
    assert_eq!(listed.body["items"], json!([]));
}
