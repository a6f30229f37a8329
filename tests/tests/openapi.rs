//! `openapi.yaml` states the contract the code implements: its routes are `routes.json`'s, its
//! numbers are the domain's limits, its patterns accept exactly what the domain's value types
//! accept, each route documents the statuses the contract gives it, and the change events'
//! schema (`events.schema.json`) shows the item as it does.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::collections::BTreeSet;

use items_domain::limits::{
    BODY_MAX_BYTES, CATEGORY_MAX_CHARS, DESCRIPTION_MAX_CHARS, IDEMPOTENCY_KEY_MAX_CHARS,
    NAME_MAX_CHARS, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, PAGE_LIMIT_MIN, SUBJECT_MAX_CHARS,
};
use items_domain::{Category, Description, IdempotencyKey, ItemName, PageLimit};
use items_e2e::{Observed, OpenApi};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

const ROUTES_JSON: &str = include_str!("../../routes.json");
const EVENTS_SCHEMA_JSON: &str = include_str!("../../events.schema.json");

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
            "patch",
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
    for schema in ["Item", "ItemInput", "ItemPatch"] {
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
        // A client following ItemInput or ItemPatch is never refused for its name.
        for schema in ["ItemInput", "ItemPatch"] {
            let pointer = format!("/components/schemas/{schema}/properties/name");
            if accepts(&api, &pointer, &json!(name)) {
                assert!(ItemName::parse(&name).is_ok(), "{schema} name {name:?}");
            }
        }
    }

    // Names as clients send them: blank is what the domain's trim removes (Unicode's
    // White_Space), not what a regex's `\s` means (ECMAScript's also takes U+FEFF).
    let inputs = [
        "Lamp",
        " padded ",
        "\u{feff}",
        "\u{200b}",
        "\u{3000}x",
        " ",
        "\u{a0}",
        "\u{3000}",
        "\u{2028}\u{2029}",
        "\u{1680}\u{202f}\u{205f}",
    ];
    for name in inputs {
        for schema in ["ItemInput", "ItemPatch"] {
            let pointer = format!("/components/schemas/{schema}/properties/name");
            assert_eq!(
                accepts(&api, &pointer, &json!(name)),
                ItemName::parse(name).is_ok(),
                "{schema} name {name:?}"
            );
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
        for schema in ["Item", "ItemInput", "ItemPatch"] {
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

/// Every value in the document, with its JSON pointer.
fn walk<'a>(value: &'a Value, pointer: String, found: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                walk(child, format!("{pointer}/{escaped}"), found);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                walk(child, format!("{pointer}/{index}"), found);
            }
        }
        _ => {}
    }
    found.push((pointer, value));
}

#[test]
fn every_operation_has_an_operation_id_and_every_schema_a_title() {
    let api = openapi();
    let mut ids = BTreeSet::new();
    for (method, path) in api.operations() {
        let id = api.document()["paths"][&path][method.to_ascii_lowercase()]["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
    }
    let schemas = api.document()["components"]["schemas"]
        .as_object()
        .expect("component schemas");
    for (name, schema) in schemas {
        assert_eq!(
            schema["title"],
            json!(name),
            "schema {name} has its name as title"
        );
    }
}

/// `allOf` narrowing and `not` are what generators turn into nothing (openapi-python-client
/// dropped every error model over them); unions are `oneOf` of plain schemas.
#[test]
fn schemas_use_no_construct_generators_drop() {
    let api = openapi();
    let mut values = Vec::new();
    walk(api.document(), String::new(), &mut values);
    for (pointer, value) in values {
        if let Some(object) = value.as_object() {
            for keyword in ["allOf", "not", "anyOf"] {
                assert!(
                    !object.contains_key(keyword),
                    "{pointer} uses {keyword}; write the schema out as a plain object or a oneOf"
                );
            }
        }
    }
}

/// Each request and response body has examples, each accepted by its schema, and a problem's
/// example carries the status it documents: the examples a reader copies are never stale.
#[test]
fn every_body_has_examples_its_schema_accepts() {
    let api = openapi();
    let mut checked = 0;
    for (method, path) in api.operations() {
        let operation = format!(
            "/paths/{}/{}",
            path.replace('~', "~0").replace('/', "~1"),
            method.to_ascii_lowercase()
        );
        let mut bodies = Vec::new();
        if api
            .document()
            .pointer(&format!("{operation}/requestBody"))
            .is_some()
        {
            bodies.push((None, format!("{operation}/requestBody")));
        }
        let responses = api
            .document()
            .pointer(&format!("{operation}/responses"))
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{method} {path} has responses"));
        for status in responses.keys() {
            let status: u16 = status.parse().expect("a numeric status");
            bodies.push((Some(status), format!("{operation}/responses/{status}")));
        }
        for (status, body) in bodies {
            let (body, resolved) = api.resolve(&body).expect("the body resolves");
            let Some(content) = resolved.get("content").and_then(Value::as_object) else {
                assert_eq!(status, Some(204), "{method} {path}: only a 204 has no body");
                continue;
            };
            for (media_type, media) in content {
                let media_pointer = format!("{body}/content/{}", media_type.replace('/', "~1"));
                let examples = media["examples"]
                    .as_object()
                    .filter(|examples| !examples.is_empty())
                    .unwrap_or_else(|| panic!("{media_pointer} has no examples"));
                for name in examples.keys() {
                    let (_, example) = api
                        .resolve(&format!("{media_pointer}/examples/{name}"))
                        .expect("the example resolves");
                    let value = &example["value"];
                    assert_eq!(
                        api.validate(&format!("{media_pointer}/schema"), value),
                        Ok(()),
                        "{method} {path}: example {name} of {media_pointer}"
                    );
                    if media_type == "application/problem+json" {
                        assert_eq!(value["status"], json!(status), "{media_pointer}: {name}");
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 40, "only {checked} examples checked");
}

/// A response as a stage would send it, with the headers every function answer carries.
fn observed(status: u16, media_type: &str, body: &Value) -> Observed {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", media_type.parse().expect("a header value"));
    headers.insert("x-request-id", "req-1".parse().expect("a header value"));
    headers.insert("retry-after", "1".parse().expect("a header value"));
    Observed {
        status,
        headers,
        body: body.to_string().into_bytes(),
    }
}

fn problem(status: u16, title: &str) -> Value {
    json!({
        "type": "about:blank", "title": title, "status": status,
        "detail": "what went wrong", "request_id": "req-1",
    })
}

/// The response checks the end-to-end suite runs are as strict as the contract: a body that
/// differs from the documented one in any detail fails, while the right ones pass.
#[test]
fn a_wrong_body_fails_the_response_check() {
    let api = openapi();
    let problem_json = "application/problem+json";
    let check =
        |method: &str, path: &str, response: &Observed| api.check_operation(method, path, response);

    let not_found = problem(404, "Not Found");
    assert_eq!(
        check(
            "GET",
            "/items/{id}",
            &observed(404, problem_json, &not_found)
        ),
        Ok(())
    );
    let mut with_errors = not_found.clone();
    with_errors["errors"] = json!([{"field": "id", "message": "unknown"}]);
    let mut without_request_id = not_found.clone();
    without_request_id
        .as_object_mut()
        .expect("an object")
        .remove("request_id");
    let mut extra_field = not_found.clone();
    extra_field["stack"] = json!("at items::get");
    let mut another_type = not_found.clone();
    another_type["type"] = json!("https://example.com/not-found");
    for (why, body) in [
        ("the status of another error", problem(500, "Not Found")),
        ("the title of another status", problem(404, "Gone")),
        ("field errors on a 404", with_errors),
        ("no request_id", without_request_id),
        ("an undocumented field", extra_field),
        ("a type other than about:blank", another_type),
        (
            "API Gateway's message as a problem",
            json!({"message": "Not Found"}),
        ),
    ] {
        assert!(
            check("GET", "/items/{id}", &observed(404, problem_json, &body)).is_err(),
            "a 404 with {why} passed: {body}"
        );
    }
    assert!(
        check(
            "GET",
            "/items/{id}",
            &observed(404, "application/json", &not_found)
        )
        .is_err(),
        "a problem as application/json passed"
    );

    // A 400 must list the offending fields.
    let mut invalid = problem(400, "Bad Request");
    invalid["errors"] = json!([{"field": "limit", "message": "must be 1 to 100"}]);
    assert_eq!(
        check("GET", "/items", &observed(400, problem_json, &invalid)),
        Ok(())
    );
    assert!(check(
        "GET",
        "/items",
        &observed(400, problem_json, &problem(400, "Bad Request"))
    )
    .is_err());

    // Where a function's problem and API Gateway's message share a status, each must come
    // with its own media type.
    let failed = json!({"message": "Internal Server Error"});
    assert_eq!(
        check("GET", "/items", &observed(500, "application/json", &failed)),
        Ok(())
    );
    assert_eq!(
        check(
            "GET",
            "/items",
            &observed(500, problem_json, &problem(500, "Internal Server Error"))
        ),
        Ok(())
    );
    assert!(
        check("GET", "/items", &observed(500, problem_json, &failed)).is_err(),
        "API Gateway's message as application/problem+json passed"
    );
    assert!(check(
        "GET",
        "/items",
        &observed(
            500,
            "application/json",
            &problem(500, "Internal Server Error")
        )
    )
    .is_err());
}

/// Keywords that only annotate a schema: two schemas that differ in these accept the same items.
const ANNOTATIONS: [&str; 4] = ["description", "title", "example", "examples"];

/// `schema` with every local `$ref` of `document` replaced by what it names (its other keywords
/// kept) and annotations left out: what an instance is checked against, whatever the layout.
fn validation_keywords(document: &Value, schema: &Value) -> Value {
    match schema {
        Value::Object(keywords) => {
            let mut resolved = match keywords.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    let pointer = reference
                        .strip_prefix('#')
                        .unwrap_or_else(|| panic!("{reference} is not a local reference"));
                    let target = document
                        .pointer(pointer)
                        .unwrap_or_else(|| panic!("{reference} names nothing"));
                    match validation_keywords(document, target) {
                        Value::Object(target) => target,
                        other => panic!("{reference} is not a schema object: {other}"),
                    }
                }
                None => serde_json::Map::new(),
            };
            for (keyword, value) in keywords {
                if keyword != "$ref" && !ANNOTATIONS.contains(&keyword.as_str()) {
                    resolved.insert(keyword.clone(), validation_keywords(document, value));
                }
            }
            Value::Object(resolved)
        }
        Value::Array(values) => Value::Array(
            values
                .iter()
                .map(|value| validation_keywords(document, value))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn the_events_schemas_item_accepts_exactly_what_openapis_item_accepts() {
    let api = openapi();
    let events: Value =
        serde_json::from_str(EVENTS_SCHEMA_JSON).expect("events.schema.json is JSON");
    let api_item = validation_keywords(
        api.document(),
        &api.document()["components"]["schemas"]["Item"],
    );
    let event_item = validation_keywords(&events, &events["$defs"]["Item"]);
    assert!(
        api_item == event_item,
        "events.schema.json's $defs.Item and openapi.yaml's components.schemas.Item disagree (the \
         events carry the item as the API shows it): make them say the same.\n\
         openapi.yaml:\n{api_item:#}\nevents.schema.json:\n{event_item:#}"
    );
}
