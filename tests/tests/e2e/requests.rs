//! What a request may hold: the body's fields and their rules, the body's size and type, the
//! path's id and the headers' syntax. Every offending field is reported at once.

use items_domain::limits::{
    BODY_MAX_BYTES, CATEGORY_MAX_CHARS, DESCRIPTION_MAX_CHARS, IDEMPOTENCY_KEY_MAX_CHARS,
    NAME_MAX_CHARS,
};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{item_body, unknown_id, Api, Reply};

/// `POST /items` with a raw body and content type.
async fn post_raw(api: &Api, content_type: Option<&str>, body: impl Into<reqwest::Body>) -> Reply {
    let mut request = api.request(Method::POST, "/items").body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    api.send("POST", "/items", request).await
}

/// `PUT /items/{id}` with a raw body and content type.
async fn put_raw(api: &Api, id: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Reply {
    let request = api
        .request(Method::PUT, &format!("/items/{id}"))
        .header("content-type", content_type)
        .body(body);
    api.send("PUT", "/items/{id}", request).await
}

/// A JSON body of exactly `size` bytes: a valid item padded with JSON whitespace.
fn body_of_size(size: usize) -> String {
    let body = item_body("Padded", None).to_string();
    let inner = body.strip_suffix('}').expect("a JSON object");
    let padding = size - body.len();
    format!("{inner}{}}}", " ".repeat(padding))
}

#[tokio::test]
async fn every_bad_field_of_a_body_is_reported_at_once() {
    let api = Api::user_a();
    let body = json!({"name": "", "description": 42, "category": "Not Valid", "colour": "red"});
    let problem = api.create(&body).await.assert_invalid_fields(&[
        "name",
        "description",
        "category",
        "colour",
    ]);
    assert_eq!(problem["title"], "Bad Request");
    for error in problem["errors"].as_array().expect("errors") {
        assert!(!error["message"].as_str().unwrap_or_default().is_empty());
    }

    api.create(&json!({}))
        .await
        .assert_invalid_fields(&["name", "description"]);
    api.create(&json!({"name": 1, "description": [], "category": 2}))
        .await
        .assert_invalid_fields(&["name", "description", "category"]);
}

#[tokio::test]
async fn malformed_json_and_non_objects_are_400_naming_the_body() {
    let api = Api::user_a();
    for body in ["{", "[]", "\"text\"", "null", "{\"name\": \"x\",}", ""] {
        post_raw(&api, Some("application/json"), body)
            .await
            .assert_invalid_fields(&["body"]);
    }
}

#[tokio::test]
async fn field_limits_are_enforced_exactly_at_their_bounds() {
    let api = Api::user_a();
    let longest_name = "é".repeat(NAME_MAX_CHARS);
    let longest_description = "d".repeat(DESCRIPTION_MAX_CHARS);
    let longest_category = format!("c{}", "-".repeat(CATEGORY_MAX_CHARS - 1));
    let at_bounds = json!({
        "name": longest_name,
        "description": longest_description,
        "category": longest_category,
    });
    let item = api.create_item(&at_bounds).await;
    assert_eq!(item["name"], json!(longest_name));
    assert_eq!(item["category"], json!(longest_category));

    let over: [(&str, Value); 3] = [
        ("name", json!("é".repeat(NAME_MAX_CHARS + 1))),
        ("description", json!("d".repeat(DESCRIPTION_MAX_CHARS + 1))),
        (
            "category",
            json!(format!("c{}", "-".repeat(CATEGORY_MAX_CHARS))),
        ),
    ];
    for (field, value) in over {
        let mut body = at_bounds.clone();
        body[field] = value;
        api.create(&body).await.assert_invalid_fields(&[field]);
    }
}

#[tokio::test]
async fn field_rules_reject_what_the_contract_forbids() {
    let api = Api::user_a();
    let cases = [
        (json!({"name": "   ", "description": ""}), "name"),
        (json!({"name": "bell\u{7}", "description": ""}), "name"),
        (json!({"name": "two\nlines", "description": ""}), "name"),
        (
            json!({"name": "x", "description": "nul\u{0}"}),
            "description",
        ),
        (
            json!({"name": "x", "description": "", "category": "Tools"}),
            "category",
        ),
        (
            json!({"name": "x", "description": "", "category": "-tools"}),
            "category",
        ),
        (
            json!({"name": "x", "description": "", "category": ""}),
            "category",
        ),
        (
            json!({"name": "x", "description": "", "category": "a_b"}),
            "category",
        ),
    ];
    for (body, field) in cases {
        api.create(&body).await.assert_invalid_fields(&[field]);
    }
    // Newline and tab are the control characters a description may hold.
    let allowed = json!({"name": "x", "description": "line one\nline\ttwo", "category": "0-9"});
    let item = api.create_item(&allowed).await;
    assert_eq!(item["description"], "line one\nline\ttwo");
}

#[tokio::test]
async fn a_body_over_16_kib_is_413_and_one_of_16_kib_is_accepted() {
    let api = Api::user_a();
    let at_limit = body_of_size(BODY_MAX_BYTES);
    assert_eq!(at_limit.len(), BODY_MAX_BYTES);
    post_raw(&api, Some("application/json"), at_limit.clone())
        .await
        .assert_status(201);

    let over = body_of_size(BODY_MAX_BYTES + 1);
    let problem = post_raw(&api, Some("application/json"), over.clone())
        .await
        .assert_problem(413);
    assert_eq!(problem["title"], "Payload Too Large");

    let item = api.create_item(&item_body("Target", None)).await;
    let id = item["id"].as_str().expect("an id");
    put_raw(&api, id, "application/json", over)
        .await
        .assert_problem(413);
    put_raw(&api, id, "application/json", at_limit)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let api = Api::user_a();
    let body = item_body("Typed", None).to_string();
    for content_type in [Some("text/plain"), Some("application/xml"), None] {
        post_raw(&api, content_type, body.clone())
            .await
            .assert_problem(415);
    }
    post_raw(&api, Some("application/json; charset=utf-8"), body.clone())
        .await
        .assert_status(201);
    post_raw(&api, Some("Application/JSON"), body.clone())
        .await
        .assert_status(201);

    let item = api.create_item(&item_body("Target", None)).await;
    let id = item["id"].as_str().expect("an id");
    put_raw(&api, id, "text/plain", body.clone())
        .await
        .assert_problem(415);
    assert_eq!(api.get(id).await.json(), item, "nothing changed");
}

#[tokio::test]
async fn an_id_that_is_not_a_uuid_is_400_on_every_item_route() {
    let api = Api::user_a();
    for id in ["not-a-uuid", "123", "0", &format!("{}0", unknown_id())] {
        api.get(id).await.assert_invalid_fields(&["id"]);
        api.delete(id, None).await.assert_invalid_fields(&["id"]);
        api.replace(id, &item_body("x", None), None)
            .await
            .assert_invalid_fields(&["id"]);
    }
    // Every bad part of a replace at once: the id, If-Match and the body's fields.
    api.replace(
        "nope",
        &json!({"name": 5, "description": "ok"}),
        Some("W/\"1\""),
    )
    .await
    .assert_invalid_fields(&["id", "If-Match", "name"]);
}

#[tokio::test]
async fn malformed_if_match_is_400_on_replace_and_delete() {
    let api = Api::user_a();
    let item = api.create_item(&item_body("Tagged", None)).await;
    let id = item["id"].as_str().expect("an id");
    // "01" is not the tag "1": a version with a leading zero is refused, not read as 1.
    for tag in [
        "W/\"1\"",
        "1",
        "\"one\"",
        "\"0\"",
        "\"01\"",
        "\"\"",
        "\"1\", \"2\"",
    ] {
        api.replace(id, &item_body("x", None), Some(tag))
            .await
            .assert_invalid_fields(&["If-Match"]);
        api.delete(id, Some(tag))
            .await
            .assert_invalid_fields(&["If-Match"]);
    }
    assert_eq!(api.get(id).await.json(), item, "nothing changed");
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_400_with_the_body_errors() {
    let api = Api::user_a();
    let too_long = "k".repeat(IDEMPOTENCY_KEY_MAX_CHARS + 1);
    for key in [too_long.as_str(), "has space", "tab\there"] {
        api.create_with_key(&item_body("Keyed", None), Some(key))
            .await
            .assert_invalid_fields(&["Idempotency-Key"]);
    }
    api.create_with_key(&json!({"name": ""}), Some(&too_long))
        .await
        .assert_invalid_fields(&["Idempotency-Key", "name", "description"]);
}

#[tokio::test]
async fn bad_listing_parameters_are_400_each_named() {
    let api = Api::user_a();
    for limit in ["0", "101", "-1", "1.5", "ten", ""] {
        api.list(&[("limit", limit)])
            .await
            .assert_invalid_fields(&["limit"]);
    }
    for category in ["Tools", "-x", "a b", ""] {
        api.list(&[("category", category)])
            .await
            .assert_invalid_fields(&["category"]);
    }
    for cursor in ["garbage", "MWF8bm90LWEtdXVpZA", "!!!"] {
        api.list(&[("cursor", cursor)])
            .await
            .assert_invalid_fields(&["cursor"]);
    }
    api.list(&[("limit", "0"), ("category", "BAD"), ("cursor", "x")])
        .await
        .assert_invalid_fields(&["limit", "category", "cursor"]);
}
