//! Least privilege, tied to the code: each function's DynamoDB permissions are derived from the
//! ports its route's handler holds (and the actions the DynamoDB adapter states for each), and
//! must be exactly what `routes.json` (and so the Terraform) grants. A use case that starts
//! calling a port its function is not granted, or a grant nothing calls, fails here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::collections::BTreeSet;
use std::sync::Arc;

use items_apigateway::{handler_for, Config, Route};
use items_dynamodb::table_design::{
    operations_of_port, operations_of_use_case, permissions, Operation,
};
use items_memory::InMemoryItemRepository;
use serde_json::Value;

type Grants = BTreeSet<(String, String)>;

fn routes_file() -> Vec<Value> {
    let file: Value = serde_json::from_str(include_str!("../../../routes.json")).expect("JSON");
    file["routes"].as_array().expect("routes").clone()
}

fn granted(route: &Value) -> Grants {
    route["dynamodb"]
        .as_object()
        .expect("dynamodb permissions")
        .iter()
        .flat_map(|(resource, actions)| {
            actions
                .as_array()
                .expect("actions")
                .iter()
                .map(move |a| (resource.clone(), a.as_str().expect("action").to_owned()))
        })
        .collect()
}

fn needed(operations: &BTreeSet<Operation>) -> Grants {
    operations
        .iter()
        .flat_map(|operation| permissions(*operation).iter())
        .map(|(resource, action)| (resource.name().to_owned(), (*action).to_owned()))
        .collect()
}

#[test]
fn each_function_is_granted_exactly_what_its_handlers_ports_send() {
    let store = Arc::new(InMemoryItemRepository::new());
    let routes = routes_file();
    for route in Route::ALL {
        let handler = handler_for(route, store.clone(), &Config::default());
        let operations: BTreeSet<Operation> = handler
            .ports()
            .iter()
            .flat_map(|port| operations_of_port(*port).iter().copied())
            .collect();
        let entry = routes
            .iter()
            .find(|r| r["function"] == route.function_name())
            .unwrap_or_else(|| panic!("{} is not in routes.json", route.function_name()));
        assert_eq!(
            granted(entry),
            needed(&operations),
            "routes.json grants {} other than what its handler's ports send",
            route.function_name()
        );
        // The infrastructure checks read the use case's operations by name: the same set.
        let use_case = entry["use_case"].as_str().expect("use_case");
        let by_name: BTreeSet<Operation> = operations_of_use_case(use_case)
            .unwrap_or_else(|| panic!("unknown use case {use_case}"))
            .iter()
            .copied()
            .collect();
        assert_eq!(by_name, operations, "operations_of_use_case({use_case:?})");
    }
}
