//! The routes, one per function, and their names in one table. `routes.json` at the repository
//! root is the source of truth; a test keeps the table equal to it.

/// One route of the API and the use case behind it; its names are in this module's one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// A page of items.
    ListItems,
    /// One item.
    GetItem,
    /// A new item.
    CreateItem,
    /// An item's fields replaced.
    UpdateItem,
    /// An item removed.
    DeleteItem,
}

/// What names a route: one row of [`ROUTES`].
#[derive(Debug)]
struct RouteSpec {
    route: Route,
    /// API Gateway's route key: method and path.
    route_key: &'static str,
    /// The function (binary, crate and Lambda function suffix) serving the route.
    function: &'static str,
    /// The use case behind the route, as `routes.json` names it.
    use_case: &'static str,
}

/// Every route and its names, in the order of `routes.json` and of [`Route`]'s variants: the
/// one table every name of a route is read from.
const ROUTES: [RouteSpec; 5] = [
    RouteSpec {
        route: Route::ListItems,
        route_key: "GET /items",
        function: "list-items",
        use_case: "list",
    },
    RouteSpec {
        route: Route::GetItem,
        route_key: "GET /items/{id}",
        function: "get-item",
        use_case: "get",
    },
    RouteSpec {
        route: Route::CreateItem,
        route_key: "POST /items",
        function: "create-item",
        use_case: "create",
    },
    RouteSpec {
        route: Route::UpdateItem,
        route_key: "PUT /items/{id}",
        function: "update-item",
        use_case: "update",
    },
    RouteSpec {
        route: Route::DeleteItem,
        route_key: "DELETE /items/{id}",
        function: "delete-item",
        use_case: "delete",
    },
];

// A route's row is found by its variant's index, so the table must list the variants in order:
// checked when the crate compiles.
const _: () = {
    let mut index = 0;
    while index < ROUTES.len() {
        assert!(
            ROUTES[index].route as usize == index,
            "ROUTES must follow Route's order"
        );
        index += 1;
    }
};

impl Route {
    /// Every route, in the order of `routes.json`.
    pub const ALL: [Route; ROUTES.len()] = {
        let mut all = [Route::ListItems; ROUTES.len()];
        let mut index = 0;
        while index < ROUTES.len() {
            all[index] = ROUTES[index].route;
            index += 1;
        }
        all
    };

    fn spec(self) -> &'static RouteSpec {
        &ROUTES[self as usize]
    }

    /// API Gateway's route key.
    pub fn route_key(self) -> &'static str {
        self.spec().route_key
    }

    /// The function (binary, crate and Lambda function suffix) serving the route.
    pub fn function_name(self) -> &'static str {
        self.spec().function
    }

    /// The use case behind the route, as `routes.json` names it.
    pub fn use_case(self) -> &'static str {
        self.spec().use_case
    }

    /// The route a function serves.
    pub fn from_function_name(name: &str) -> Option<Route> {
        ROUTES
            .iter()
            .find(|spec| spec.function == name)
            .map(|spec| spec.route)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_equal_the_routes_file() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../../../routes.json")).expect("routes.json");
        let listed: Vec<(String, String, String)> = file["routes"]
            .as_array()
            .expect("routes array")
            .iter()
            .map(|r| {
                (
                    r["route_key"].as_str().expect("route_key").to_owned(),
                    r["function"].as_str().expect("function").to_owned(),
                    r["use_case"].as_str().expect("use_case").to_owned(),
                )
            })
            .collect();
        let ours: Vec<(String, String, String)> = Route::ALL
            .iter()
            .map(|r| {
                (
                    r.route_key().to_owned(),
                    r.function_name().to_owned(),
                    r.use_case().to_owned(),
                )
            })
            .collect();
        assert_eq!(ours, listed);
        for route in Route::ALL {
            assert_eq!(
                Route::from_function_name(route.function_name()),
                Some(route)
            );
        }
        assert_eq!(Route::from_function_name("no-such-function"), None);
    }
}
