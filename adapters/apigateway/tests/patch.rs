//! `PATCH /items/{id}` through its handler, in both payload formats, on the in-memory store: a
//! JSON Merge Patch changes what it names and keeps the rest, under `PUT`'s rules.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use items_apigateway::Route;
use serde_json::json;
use support::{app, create, send, Payload, Request, BOTH};

const MERGE_PATCH: &str = "application/merge-patch+json";

fn patch(id: &str) -> Request {
    Request::new(Route::PatchItem)
        .id(id)
        .header("content-type", MERGE_PATCH)
}

#[tokio::test]
async fn a_merge_patch_sets_what_it_names_and_keeps_the_rest() {
    for payload in BOTH {
        let app = app();
        let created = create(&app, "alice", "old", Some("tools")).await;
        let id = created["id"].as_str().expect("id");
        let request = patch(id)
            .header("if-match", "\"1\"")
            .json(&json!({"description": "patched"}));
        let response = send(&app, &request, payload).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.header("etag"), Some("\"2\""));
        assert_eq!(response.body["version"], 2);
        assert_eq!(response.body["description"], "patched");
        assert_eq!(response.body["name"], "old", "kept");
        assert_eq!(response.body["category"], "tools", "kept");
        assert_eq!(response.body["created_at"], created["created_at"]);
        // Same text format, so text order is time order.
        assert!(response.body["updated_at"].as_str() >= created["updated_at"].as_str());
        let stored = send(&app, &Request::new(Route::GetItem).id(id), payload).await;
        assert_eq!(stored.body, response.body);
    }
}

#[tokio::test]
async fn a_null_category_removes_it_and_application_json_is_accepted_too() {
    let app = app();
    let created = create(&app, "alice", "old", Some("tools")).await;
    let id = created["id"].as_str().expect("id");
    let request = patch(id)
        .header("content-type", "application/json; charset=utf-8")
        .json(&json!({"category": null}));
    let response = send(&app, &request, Payload::V2).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.body.get("category").is_none(), "{}", response.body);
    assert_eq!(response.body["name"], "old");
}

#[tokio::test]
async fn another_content_type_is_415_naming_both_accepted_types() {
    let app = app();
    let created = create(&app, "alice", "old", None).await;
    let id = created["id"].as_str().expect("id");
    for content_type in ["text/plain", "application/json-patch+json"] {
        let request = patch(id)
            .header("content-type", content_type)
            .json(&json!({"name": "new"}));
        let response = send(&app, &request, Payload::V2).await;
        assert_eq!(response.status, 415, "{content_type}");
        assert_eq!(
            response.body["detail"],
            "the request body must be application/merge-patch+json or application/json"
        );
    }
}

#[tokio::test]
async fn bad_patches_are_400_naming_every_field_and_change_nothing() {
    let app = app();
    let created = create(&app, "alice", "old", None).await;
    let id = created["id"].as_str().expect("id");
    let cases = [
        (json!({}), vec!["body"]),
        (json!({"name": null}), vec!["name"]),
        (
            json!({"description": null, "name": ""}),
            vec!["name", "description"],
        ),
        (
            json!({"colour": "red", "category": "Bad"}),
            vec!["colour", "category"],
        ),
        (json!({"name": 5}), vec!["name"]),
        (json!(["name"]), vec!["body"]),
    ];
    for (body, fields) in cases {
        let response = send(&app, &patch(id).json(&body), Payload::V2).await;
        assert_eq!(response.status, 400, "{body}");
        let mut named = response.error_fields();
        named.sort();
        let mut expected: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        expected.sort();
        assert_eq!(named, expected, "{body}: {}", response.body);
    }
    let bad_id = send(
        &app,
        &patch("not-a-uuid").json(&json!({"name": "x"})),
        Payload::V2,
    )
    .await;
    assert_eq!(bad_id.error_fields(), ["id"]);
    let stored = send(&app, &Request::new(Route::GetItem).id(id), Payload::V2).await;
    assert_eq!(stored.body, created);
}

#[tokio::test]
async fn ownership_if_match_and_absence_answer_as_for_put() {
    for payload in BOTH {
        let app = app();
        let created = create(&app, "alice", "mine", None).await;
        let id = created["id"].as_str().expect("id");
        let rename = json!({"name": "theirs"});
        let by_bob = patch(id).caller("bob", &["users"]).json(&rename);
        assert_eq!(send(&app, &by_bob, payload).await.status, 403);
        // Forbidden comes before a version mismatch, as for PUT.
        let stale_by_bob = by_bob.clone().header("if-match", "\"9\"");
        assert_eq!(send(&app, &stale_by_bob, payload).await.status, 403);
        let stale = patch(id).header("if-match", "\"9\"").json(&rename);
        assert_eq!(send(&app, &stale, payload).await.status, 412);
        let missing = patch("6f1c2a9e-3b7d-4c1e-9a2f-5d8e7b6c4a31").json(&rename);
        assert_eq!(send(&app, &missing, payload).await.status, 404);
        let by_admin = by_bob.caller("root", &["admin"]);
        let moderated = send(&app, &by_admin, payload).await;
        assert_eq!(moderated.status, 200);
        assert_eq!(moderated.body["created_by"], "alice");
    }
}
