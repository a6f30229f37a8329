//! The REST API's request body models (`infra/rest_models.json`) are generated from
//! `openapi.yaml`, the one source of the contract: this test generates them again and fails when
//! the committed file differs. To regenerate after changing `openapi.yaml`:
//!
//! ```sh
//! UPDATE_REST_MODELS=1 cargo test -p items-e2e --test rest_models
//! ```
//!
//! API Gateway models are JSON Schema draft 4, while OpenAPI 3.1 speaks 2020-12: the generator
//! inlines every `$ref`, drops annotations (descriptions, formats, examples), turns `const` into
//! a one-value `enum`, and refuses any keyword draft 4 does not know, so a schema API Gateway
//! would read differently never reaches it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::path::{Path, PathBuf};

use items_e2e::openapi::OPENAPI_YAML;
use jsonschema::Draft;
use serde_json::{json, Map, Value};

const MODELS_FILE: &str = "infra/rest_models.json";
const DRAFT_4: &str = "http://json-schema.org/draft-04/schema#";
const HTTP_METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

/// Keywords that only annotate: API Gateway ignores most of them and rejects some (`format`
/// values draft 4 does not define), so models leave them out.
const ANNOTATIONS: [&str; 9] = [
    "description",
    "format",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "externalDocs",
    "title",
];

/// Draft 4's validation keywords whose values are not schemas.
const PLAIN_KEYWORDS: [&str; 16] = [
    "type",
    "enum",
    "required",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate lives in the workspace")
        .to_path_buf()
}

/// The value a local `$ref` (`#/components/...`) points at.
fn resolve<'a>(document: &'a Value, reference: &str) -> Result<&'a Value, String> {
    let pointer = reference
        .strip_prefix('#')
        .ok_or_else(|| format!("{reference}: only local references are supported"))?;
    document
        .pointer(pointer)
        .ok_or_else(|| format!("{reference} leads nowhere"))
}

/// `schema` (at `at`, for messages) as a self-contained draft 4 schema.
fn to_draft_4(document: &Value, schema: &Value, at: &str) -> Result<Value, String> {
    let Value::Object(keywords) = schema else {
        return match schema {
            Value::Bool(_) => Ok(schema.clone()),
            _ => Err(format!("{at}: a schema must be an object or a boolean")),
        };
    };
    let mut out = Map::new();
    if let Some(reference) = keywords.get("$ref") {
        let reference = reference
            .as_str()
            .ok_or_else(|| format!("{at}: $ref must be a string"))?;
        let target = to_draft_4(document, resolve(document, reference)?, reference)?;
        match target {
            Value::Object(inlined) => out.extend(inlined),
            _ => return Err(format!("{at}: {reference} is not an object schema")),
        }
    }
    for (keyword, value) in keywords {
        let here = format!("{at}/{keyword}");
        let converted = match keyword.as_str() {
            "$ref" => continue,
            k if ANNOTATIONS.contains(&k) => continue,
            "const" => {
                out.insert("enum".into(), json!([value]));
                continue;
            }
            "exclusiveMinimum" | "exclusiveMaximum" if value.is_number() => {
                let bound = if keyword == "exclusiveMinimum" {
                    "minimum"
                } else {
                    "maximum"
                };
                out.insert(bound.into(), value.clone());
                Value::Bool(true)
            }
            k if PLAIN_KEYWORDS.contains(&k) => value.clone(),
            "properties" | "patternProperties" => {
                let Value::Object(members) = value else {
                    return Err(format!("{here}: must be an object"));
                };
                let mut converted = Map::new();
                for (name, member) in members {
                    converted.insert(
                        name.clone(),
                        to_draft_4(document, member, &format!("{here}/{name}"))?,
                    );
                }
                Value::Object(converted)
            }
            "items" | "additionalProperties" | "not" => to_draft_4(document, value, &here)?,
            "allOf" | "anyOf" | "oneOf" => {
                let Value::Array(list) = value else {
                    return Err(format!("{here}: must be an array"));
                };
                let mut converted = Vec::with_capacity(list.len());
                for (index, member) in list.iter().enumerate() {
                    converted.push(to_draft_4(document, member, &format!("{here}/{index}"))?);
                }
                Value::Array(converted)
            }
            other => {
                return Err(format!(
                    "{at}: keyword `{other}` has no draft 4 equivalent the generator knows; \
                     extend tests/tests/rest_models.rs or express the rule another way"
                ))
            }
        };
        out.insert(keyword.clone(), converted);
    }
    Ok(Value::Object(out))
}

/// The models file: every schema an operation's JSON request body refers to, and which model
/// each route (`METHOD /path`) takes.
fn generate(document: &Value) -> Result<Value, String> {
    let mut models = Map::new();
    let mut request_bodies = Map::new();
    let paths = document
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("openapi.yaml has no paths")?;
    for (path, operations) in paths {
        for method in HTTP_METHODS {
            let Some(operation) = operations.get(method) else {
                continue;
            };
            let Some(mut body) = operation.get("requestBody") else {
                continue;
            };
            if let Some(reference) = body.get("$ref").and_then(Value::as_str) {
                body = resolve(document, reference)?;
            }
            let route = format!("{} {path}", method.to_uppercase());
            let schema = body
                .pointer("/content/application~1json/schema")
                .ok_or_else(|| {
                    format!("{route}: the request body has no application/json schema")
                })?;
            let reference = schema.get("$ref").and_then(Value::as_str).ok_or_else(|| {
                format!("{route}: the body schema must be a $ref to components/schemas (it names the model)")
            })?;
            let name = reference
                .strip_prefix("#/components/schemas/")
                .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric()))
                .ok_or_else(|| {
                    format!("{route}: {reference} is not an alphanumeric components/schemas name (API Gateway model names are)")
                })?;
            let Value::Object(mut model) = to_draft_4(document, schema, reference)? else {
                return Err(format!("{reference} is not an object schema"));
            };
            model.insert("$schema".into(), json!(DRAFT_4));
            model.insert("title".into(), json!(name));
            models.insert(name.to_owned(), Value::Object(model));
            request_bodies.insert(route, json!(name));
        }
    }
    Ok(json!({
        "generated_by": "UPDATE_REST_MODELS=1 cargo test -p items-e2e --test rest_models (from openapi.yaml; do not edit)",
        "models": models,
        "request_bodies": request_bodies,
    }))
}

fn generated() -> Value {
    let document: Value = serde_norway::from_str(OPENAPI_YAML).expect("openapi.yaml is YAML");
    generate(&document)
        .unwrap_or_else(|problem| panic!("cannot generate the REST models: {problem}"))
}

fn render(models: &Value) -> String {
    let mut text = serde_json::to_string_pretty(models).expect("JSON values serialise");
    text.push('\n');
    text
}

#[test]
fn the_committed_models_are_the_ones_openapi_yaml_generates() {
    let path = repository_root().join(MODELS_FILE);
    let expected = render(&generated());
    if std::env::var_os("UPDATE_REST_MODELS").is_some() {
        std::fs::write(&path, &expected).expect("infra/rest_models.json is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{MODELS_FILE} differs from what openapi.yaml generates; regenerate it with \
         `UPDATE_REST_MODELS=1 cargo test -p items-e2e --test rest_models`"
    );
}

#[test]
fn every_body_route_of_routes_json_has_a_model_and_every_model_a_route() {
    let routes: Value = serde_json::from_str(
        &std::fs::read_to_string(repository_root().join("routes.json")).expect("routes.json"),
    )
    .expect("routes.json is JSON");
    let route_keys: Vec<&str> = routes["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter_map(|route| route["route_key"].as_str())
        .collect();
    let models = generated();
    let bodies = models["request_bodies"]
        .as_object()
        .expect("request_bodies");
    for route in bodies.keys() {
        assert!(
            route_keys.contains(&route.as_str()),
            "{route} is not in routes.json"
        );
    }
    for route in ["POST /items", "PUT /items/{id}"] {
        assert!(bodies.contains_key(route), "{route} has no body model");
    }
}

#[test]
fn the_item_input_model_is_valid_draft_4_and_draws_the_contracts_lines() {
    let models = generated();
    let model = &models["models"]["ItemInput"];
    let validator = jsonschema::options()
        .with_draft(Draft::Draft4)
        .build(model)
        .expect("the model compiles as draft 4");
    for body in [
        json!({"name": "First item", "description": ""}),
        json!({"name": "First item", "description": "d", "category": "tools"}),
        json!({"name": "First item", "description": "d", "category": null}),
        json!({"name": " padded ", "description": "line one\nline two\ttab"}),
    ] {
        assert!(
            validator.is_valid(&body),
            "the model refuses a valid body {body}"
        );
    }
    for body in [
        json!({"description": "no name"}),
        json!({"name": "no description"}),
        json!({"name": "", "description": ""}),
        json!({"name": "   ", "description": ""}),
        json!({"name": "x", "description": "", "owner": "someone"}),
        json!({"name": "x", "description": "", "category": "Not A Slug"}),
        json!({"name": 7, "description": ""}),
        json!({"name": "bell\u{7}", "description": ""}),
        json!({"name": "x".repeat(201), "description": ""}),
        json!(["not", "an", "object"]),
    ] {
        assert!(
            !validator.is_valid(&body),
            "the model accepts a bad body {body}"
        );
    }
}

#[test]
fn keywords_without_a_draft_4_meaning_are_refused_not_passed_on() {
    let document =
        json!({"components": {"schemas": {"Odd": {"type": "object", "dependentRequired": {}}}}});
    let schema = json!({"$ref": "#/components/schemas/Odd"});
    let problem = to_draft_4(&document, &schema, "test").expect_err("refused");
    assert!(problem.contains("dependentRequired"), "{problem}");
}
