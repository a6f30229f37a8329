//! The API's routes, from their one declaration (`items_apigateway::Route`), and the stream
//! functions, from the `streams` section of the project's `routes.json`. Each route's target
//! is its function's name.

use items_apigateway::Route;
use serde::Deserialize;

use apigateway_emulator::router::{BadRouteKey, RouteTable};

const ROUTES_JSON: &str = include_str!("../../routes.json");

/// A route the stage serves: its key and the function serving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// e.g. `GET /items/{id}`.
    pub route_key: String,
    /// The function (and binary) that serves it, e.g. `get-item`.
    pub function: String,
}

/// A function fed by a table's stream, as `routes.json` lists it under `streams`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StreamSpec {
    /// The function (and binary), e.g. `publish-item-events`.
    pub function: String,
    /// The table whose stream feeds it, by its resource name, e.g. `items_table`.
    pub table: String,
}

#[derive(Deserialize)]
struct StreamsFile {
    #[serde(default)]
    streams: Vec<StreamSpec>,
}

/// Why the route list could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RoutesError {
    /// `routes.json`'s streams are not the expected shape.
    #[error("routes.json: {0}")]
    Parse(#[from] serde_json::Error),
    /// A route key is malformed.
    #[error("routes.json: {0}")]
    RouteKey(#[from] BadRouteKey),
}

/// Every route of the API.
pub fn all() -> Vec<RouteSpec> {
    Route::ALL
        .iter()
        .map(|route| RouteSpec {
            route_key: route.route_key().to_owned(),
            function: route.function_name().to_owned(),
        })
        .collect()
}

/// Every stream function of the API.
pub fn streams() -> Result<Vec<StreamSpec>, RoutesError> {
    Ok(serde_json::from_str::<StreamsFile>(ROUTES_JSON)?.streams)
}

/// The route table, each route leading to its function's name.
pub fn table() -> Result<RouteTable<String>, RoutesError> {
    let routes = all();
    Ok(RouteTable::new(routes.iter().map(|route| {
        (route.route_key.as_str(), route.function.clone())
    }))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_routes_json_is_served_by_its_function() {
        let table = table().unwrap();
        for route in all() {
            let (method, path) = route.route_key.split_once(' ').unwrap();
            let concrete = path.replace("{id}", "00000000-0000-4000-8000-000000000000");
            assert_eq!(
                table.find(method, &concrete).unwrap().target,
                route.function
            );
        }
    }
}
