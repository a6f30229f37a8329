//! `routes.json` is generated from the route declaration (`src/route.rs`): the Terraform and the
//! scripts read it, so it must say exactly what the code says. Each function's DynamoDB grants
//! come from the ports its handler's use case holds (`Route::ports`) and the actions the
//! DynamoDB adapter states for each (`table_design::grants_of_ports`): least privilege by
//! construction. The `streams` section lists the functions that serve no route, from their
//! declaration (`items_dynamodb_streams::STREAM_FUNCTIONS`). Every function declared there has
//! its crate in `functions/`, on the allocator the others use.
//!
//! After changing a route or a stream function, regenerate the file:
//! `UPDATE_ROUTES_JSON=1 cargo test -p items-apigateway --test routes_file`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::path::PathBuf;

use items_apigateway::Route;
use items_dynamodb::table_design::grants_of_ports;
use items_dynamodb_streams::STREAM_FUNCTIONS;
use serde_json::Value;

const DESCRIPTION: &str = "Generated from the route declaration in adapters/apigateway/src/route.rs and the stream functions' in adapters/dynamodb-streams/src/declaration.rs (do not edit it here; regenerate with `UPDATE_ROUTES_JSON=1 cargo test -p items-apigateway --test routes_file`): the routes the Terraform and the scripts read, each with its function's memory size and the DynamoDB actions its use case's ports send. `streams` lists the functions fed by a table's stream instead of a route.";

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../routes.json")
}

fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// The file's text for the declared routes and stream functions.
fn rendered() -> String {
    let routes: Vec<String> = Route::ALL
        .iter()
        .map(|route| {
            let grants: Vec<String> = grants_of_ports(route.ports())
                .iter()
                .map(|(resource, actions)| {
                    let actions: Vec<String> = actions.iter().map(|a| quoted(a)).collect();
                    format!("{}: [{}]", quoted(resource.name()), actions.join(", "))
                })
                .collect();
            format!(
                "    {{\n      \"route_key\": {},\n      \"function\": {},\n      \"use_case\": {},\n      \"memory_size_mb\": {},\n      \"dynamodb\": {{ {} }}\n    }}",
                quoted(route.route_key()),
                quoted(route.function_name()),
                quoted(route.use_case()),
                route.memory_size_mb(),
                grants.join(", ")
            )
        })
        .collect();
    let streams: Vec<String> = STREAM_FUNCTIONS
        .iter()
        .map(|stream| {
            format!(
                "    {{\n      \"function\": {},\n      \"memory_size_mb\": {},\n      \"publishes_to\": {},\n      \"table\": {}\n    }}",
                quoted(stream.function),
                stream.memory_size_mb,
                quoted(stream.publishes_to),
                quoted(stream.table.name())
            )
        })
        .collect();
    format!(
        "{{\n  \"description\": {},\n  \"routes\": [\n{}\n  ],\n  \"streams\": [\n{}\n  ]\n}}\n",
        quoted(DESCRIPTION),
        routes.join(",\n"),
        streams.join(",\n")
    )
}

#[test]
fn routes_json_is_the_route_declaration_rendered() {
    let current = std::fs::read_to_string(path()).expect("routes.json");
    let expected = rendered();
    if std::env::var_os("UPDATE_ROUTES_JSON").is_some() {
        std::fs::write(path(), &expected).expect("write routes.json");
        return;
    }
    assert!(
        current == expected,
        "routes.json differs from the route declaration; regenerate it with \
         `UPDATE_ROUTES_JSON=1 cargo test -p items-apigateway --test routes_file`\n\
         --- expected ---\n{expected}"
    );
}

#[test]
fn every_function_is_granted_something_and_only_resources_of_the_table_design() {
    for route in Route::ALL {
        let grants = grants_of_ports(route.ports());
        assert!(!grants.is_empty(), "{route:?} is granted nothing");
        assert!(grants
            .values()
            .flatten()
            .all(|action| action.starts_with("dynamodb:")));
    }
}

/// Every declared function has its crate in `functions/`, and its `main.rs` runs on mimalloc as
/// the others do (the allocator the bench's figures and the README's sizing were measured
/// with): a binary crate cannot inherit a `#[global_allocator]`, so a new route's crate that
/// leaves it out would silently run on the system allocator.
#[test]
fn every_declared_function_has_a_crate_that_runs_on_mimalloc() {
    let functions = Route::ALL
        .iter()
        .map(|route| route.function_name())
        .chain(STREAM_FUNCTIONS.iter().map(|stream| stream.function));
    for function in functions {
        let main = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../functions")
            .join(function)
            .join("src/main.rs");
        let text = std::fs::read_to_string(&main)
            .unwrap_or_else(|error| panic!("no crate for {function}: {}: {error}", main.display()));
        let declares = text
            .split("#[global_allocator]")
            .nth(1)
            .and_then(|after| after.lines().find(|line| !line.trim().is_empty()))
            .is_some_and(|line| line.contains(": mimalloc::MiMalloc"));
        assert!(
            declares,
            "{} does not declare `#[global_allocator] static ...: mimalloc::MiMalloc`",
            main.display()
        );
    }
}
