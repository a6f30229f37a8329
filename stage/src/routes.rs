//! The API's routes, from their one declaration (`items_apigateway::Route`). Each route's
//! target is its function's name. The stream functions are declared beside their adapter
//! (`items_dynamodb_streams::STREAM_FUNCTIONS`).

use items_apigateway::Route;

use apigateway_emulator::router::{BadRouteKey, RouteTable};

/// A route the stage serves: its key and the function serving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// e.g. `GET /items/{id}`.
    pub route_key: String,
    /// The function (and binary) that serves it, e.g. `get-item`.
    pub function: String,
}

/// Why the route list could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RoutesError {
    /// A route key is malformed.
    #[error("a declared route key: {0}")]
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
