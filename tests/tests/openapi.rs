//! `openapi.yaml` states the contract the code implements: its routes are `routes.json`'s, its
//! numbers are the domain's limits, its patterns accept exactly what the domain's value types
//! accept, and each route documents the statuses the contract gives it.

use std::collections::BTreeSet;

use items_domain::limits::{
    BODY_MAX_BYTES, CATEGORY_MAX_CHARS, DESCRIPTION_MAX_CHARS, IDEMPOTENCY_KEY_MAX_CHARS,
    NAME_MAX_CHARS, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, PAGE_LIMIT_MIN, SUBJECT_MAX_CHARS,
};
use items_domain::{Category, Description, IdempotencyKey, ItemName, PageLimit};
use items_e2e::OpenApi;
use serde_json::{json, Value};

const ROUTES_JSON: &str = include_str!("../../routes.json");

fn openapi() -> OpenApi {
    OpenApi::load().unwrap_or_else(|e| panic!("openapi.yaml: {e}"))
}

/// The number at `pointer`, which must be there.
fn number(api: &OpenApi, pointer: &str) -> u64 {
    api.document()
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("openapi.yaml has no number at {pointer}"))
}

fn text<'a>(api: &'a OpenApi, pointer: &str) -> &'a str {
    api.document()
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("openapi.yaml has no string at {pointer}"))
}

fn accepts(api: &OpenApi, schema: &str, value: &Value) -> bool {
    api.validate(schema, value).is_ok()
}

#[test]
fn it_is_openapi_3_1_and_every_schema_compiles() {
    let api = openapi();
    assert!(text(&api, "/openapi").starts_with("3.1."));
    assert_eq!(
        api.document()["security"],
        json!([{"bearerAuth": []}]),
        "every route needs a bearer token"
    );
    let scheme = &api.document()["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
}

#[test]
fn its_operations_are_exactly_the_routes_of_routes_json() {
    let routes: Value = serde_json::from_str(ROUTES_JSON).expect("routes.json is JSON");
    let from_routes: BTreeSet<String> = routes["routes"]
        .as_array()
        .expect("a list of routes")
        .iter()
        .map(|route| route["route_key"].as_str().expect("a route key").to_owned())
        .collect();
    let from_openapi: BTreeSet<String> = openapi()
        .operations()
        .into_iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert_eq!(from_openapi, from_routes);
}

#[test]
fn each_route_documents_the_statuses_the_contract_gives_it() {
    // API.md's table, plus what every route may answer: 400, 401, 429 (stage throttling),
    // 500 and 503; and 413 for a body over API Gateway's limit where the function reads none.
    let expected = [
        ("get", "/items", vec![200, 400, 401, 413, 429, 500, 503]),
        (
            "get",
            "/items/{id}",
            vec![200, 400, 401, 404, 413, 429, 500, 503],
        ),
        (
            "post",
            "/items",
            vec![201, 400, 401, 409, 413, 415, 429, 500, 503],
        ),
        (
            "put",
            "/items/{id}",
            vec![200, 400, 401, 403, 404, 412, 413, 415, 429, 500, 503],
        ),
        (
            "delete",
            "/items/{id}",
            vec![204, 400, 401, 403, 404, 412, 413, 429, 500, 503],
        ),
    ];
    let api = openapi();
    for (method, path, statuses) in expected {
        let responses = &api.document()["paths"][path][method]["responses"];
        let documented: Vec<u16> = responses
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} has no responses"))
            .keys()
            .map(|status| status.parse().expect("a numeric status"))
            .collect();
        assert_eq!(documented, statuses, "{method} {path}");
    }
}

#[test]
fn field_lengths_are_the_domains() {
    let api = openapi();
    for schema in ["Item", "ItemInput"] {
        let properties = format!("/components/schemas/{schema}/properties");
        assert_eq!(
            number(&api, &format!("{properties}/name/maxLength")),
            NAME_MAX_CHARS as u64,
            "{schema}.name"
        );
        assert_eq!(
            number(&api, &format!("{properties}/description/maxLength")),
            DESCRIPTION_MAX_CHARS as u64,
            "{schema}.description"
        );
    }
    assert_eq!(
        number(&api, "/components/schemas/Category/maxLength"),
        CATEGORY_MAX_CHARS as u64
    );
    assert_eq!(
        text(&api, "/components/schemas/Category/pattern"),
        format!("^[a-z0-9][a-z0-9-]{{0,{}}}$", CATEGORY_MAX_CHARS - 1)
    );
    assert_eq!(
        number(
            &api,
            "/components/schemas/Item/properties/created_by/maxLength"
        ),
        SUBJECT_MAX_CHARS as u64
    );
}

#[test]
fn paging_numbers_are_the_domains() {
    let api = openapi();
    let limit = "/components/parameters/Limit/schema";
    assert_eq!(
        number(&api, &format!("{limit}/minimum")),
        u64::from(PAGE_LIMIT_MIN)
    );
    assert_eq!(
        number(&api, &format!("{limit}/maximum")),
        u64::from(PAGE_LIMIT_MAX)
    );
    assert_eq!(
        number(&api, &format!("{limit}/default")),
        u64::from(PAGE_LIMIT_DEFAULT)
    );
    assert_eq!(
        number(
            &api,
            "/components/schemas/ItemPage/properties/items/maxItems"
        ),
        u64::from(PAGE_LIMIT_MAX)
    );
    for n in 0..=PAGE_LIMIT_MAX + 1 {
        assert_eq!(
            accepts(&api, limit, &json!(n)),
            PageLimit::new(n).is_some(),
            "limit {n}"
        );
    }
}

#[test]
fn body_and_idempotency_key_limits_are_the_domains() {
    let api = openapi();
    assert_eq!(
        number(&api, "/components/requestBodies/ItemInput/x-max-bytes"),
        BODY_MAX_BYTES as u64
    );
    let key = "/components/parameters/IdempotencyKey/schema";
    assert_eq!(
        number(&api, &format!("{key}/maxLength")),
        IDEMPOTENCY_KEY_MAX_CHARS as u64
    );
    assert_eq!(
        text(&api, &format!("{key}/pattern")),
        format!("^[!-~]{{1,{IDEMPOTENCY_KEY_MAX_CHARS}}}$")
    );
}

#[test]
fn schema_patterns_accept_what_the_domain_accepts() {
    let api = openapi();
    let longest = IDEMPOTENCY_KEY_MAX_CHARS;
    let keys = [
        String::new(),
        "k".into(),
        "!~".into(),
        "a b".into(),
        "tab\t".into(),
        "\u{7f}".into(),
        "é".into(),
        "k".repeat(longest),
        "k".repeat(longest + 1),
    ];
    for key in keys {
        assert_eq!(
            accepts(
                &api,
                "/components/parameters/IdempotencyKey/schema",
                &json!(key)
            ),
            IdempotencyKey::parse(&key).is_ok(),
            "Idempotency-Key {key:?}"
        );
    }

    let categories = [
        String::new(),
        "a".into(),
        "0".into(),
        "tools".into(),
        "garden-tools-2".into(),
        "-tools".into(),
        "Tools".into(),
        "a_b".into(),
        "a b".into(),
        "é".into(),
        "a".repeat(CATEGORY_MAX_CHARS),
        "a".repeat(CATEGORY_MAX_CHARS + 1),
    ];
    for category in categories {
        assert_eq!(
            accepts(&api, "/components/schemas/Category", &json!(category)),
            Category::parse(&category).is_ok(),
            "category {category:?}"
        );
    }

    // Names as the API returns them (already trimmed).
    let names = [
        String::new(),
        "Lamp".into(),
        "two words".into(),
        "bell\u{7}".into(),
        "line\nbreak".into(),
        "c1\u{85}control".into(),
        "é".repeat(NAME_MAX_CHARS),
        "é".repeat(NAME_MAX_CHARS + 1),
    ];
    for name in names {
        assert_eq!(
            accepts(
                &api,
                "/components/schemas/Item/properties/name",
                &json!(name)
            ),
            ItemName::parse(&name).is_ok(),
            "name {name:?}"
        );
        // A client following ItemInput is never refused for its name.
        if accepts(
            &api,
            "/components/schemas/ItemInput/properties/name",
            &json!(name),
        ) {
            assert!(ItemName::parse(&name).is_ok(), "input name {name:?}");
        }
    }

    let descriptions = [
        String::new(),
        "plain".into(),
        "new\nline and\ttab".into(),
        "carriage\rreturn".into(),
        "nul\u{0}".into(),
        "del\u{7f}".into(),
        "c1\u{9f}".into(),
        "d".repeat(DESCRIPTION_MAX_CHARS),
        "d".repeat(DESCRIPTION_MAX_CHARS + 1),
    ];
    for description in descriptions {
        for schema in ["Item", "ItemInput"] {
            assert_eq!(
                accepts(
                    &api,
                    &format!("/components/schemas/{schema}/properties/description"),
                    &json!(description)
                ),
                Description::parse(&description).is_ok(),
                "{schema} description {description:?}"
            );
        }
    }
}

#[test]
fn the_schemas_describe_what_the_api_sends() {
    let api = openapi();
    let item = json!({
        "id": "0b3e1f2a-6c4d-4e8f-9a1b-2c3d4e5f6a7b",
        "name": "Lamp",
        "description": "",
        "category": "tools",
        "created_at": "2026-11-25T02:30:00.123Z",
        "updated_at": "2026-11-25T02:30:00.123Z",
        "created_by": "alice",
        "version": 1,
    });
    assert_eq!(api.validate("/components/schemas/Item", &item), Ok(()));
    let mut without_category = item.clone();
    without_category
        .as_object_mut()
        .expect("an object")
        .remove("category");
    assert_eq!(
        api.validate("/components/schemas/Item", &without_category),
        Ok(())
    );
    for (field, bad) in [
        ("id", json!("0b3e1f2a-6c4d-1e8f-9a1b-2c3d4e5f6a7b")),
        ("created_at", json!("2026-11-25T02:30:00Z")),
        ("created_at", json!("2026-11-25T02:30:00.123+00:00")),
        ("version", json!(0)),
        ("category", json!(null)),
        ("extra", json!(1)),
    ] {
        let mut broken = item.clone();
        broken[field] = bad;
        assert!(
            api.validate("/components/schemas/Item", &broken).is_err(),
            "{field}: {broken}"
        );
    }

    let page = json!({"items": [item], "next_cursor": null});
    assert_eq!(api.validate("/components/schemas/ItemPage", &page), Ok(()));

    let problem = json!({
        "type": "about:blank", "title": "Bad Request", "status": 400,
        "detail": "1 field is invalid", "request_id": "abc",
        "errors": [{"field": "name", "message": "is required"}],
    });
    assert_eq!(
        api.validate("/components/schemas/ValidationProblem", &problem),
        Ok(())
    );
    let mut without_errors = problem.clone();
    without_errors
        .as_object_mut()
        .expect("an object")
        .remove("errors");
    assert!(api
        .validate("/components/schemas/ValidationProblem", &without_errors)
        .is_err());
    let not_found = json!({
        "type": "about:blank", "title": "Not Found", "status": 404,
        "detail": "no item has this id", "request_id": "abc",
    });
    assert_eq!(
        api.validate("/components/schemas/NotFoundProblem", &not_found),
        Ok(())
    );
    assert!(api
        .validate("/components/schemas/ConflictProblem", &not_found)
        .is_err());
}
