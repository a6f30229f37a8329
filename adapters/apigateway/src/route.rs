//! The routes, one per function. `routes.json` at the repository root is the source of truth;
//! a test keeps this enum equal to it.

/// One route of the API and the use case behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `GET /items`
    ListItems,
    /// `GET /items/{id}`
    GetItem,
    /// `POST /items`
    CreateItem,
    /// `PUT /items/{id}`
    UpdateItem,
    /// `DELETE /items/{id}`
    DeleteItem,
}

impl Route {
    /// Every route, in the order of `routes.json`.
    pub const ALL: [Route; 5] = [
        Route::ListItems,
        Route::GetItem,
        Route::CreateItem,
        Route::UpdateItem,
        Route::DeleteItem,
    ];

    /// API Gateway's route key.
    pub fn route_key(self) -> &'static str {
        match self {
            Route::ListItems => "GET /items",
            Route::GetItem => "GET /items/{id}",
            Route::CreateItem => "POST /items",
            Route::UpdateItem => "PUT /items/{id}",
            Route::DeleteItem => "DELETE /items/{id}",
        }
    }

    /// The function (binary, crate and Lambda function suffix) serving the route.
    pub fn function_name(self) -> &'static str {
        match self {
            Route::ListItems => "list-items",
            Route::GetItem => "get-item",
            Route::CreateItem => "create-item",
            Route::UpdateItem => "update-item",
            Route::DeleteItem => "delete-item",
        }
    }

    /// The use case behind the route, as `routes.json` names it.
    pub fn use_case(self) -> &'static str {
        match self {
            Route::ListItems => "list",
            Route::GetItem => "get",
            Route::CreateItem => "create",
            Route::UpdateItem => "update",
            Route::DeleteItem => "delete",
        }
    }

    /// The route a function serves.
    pub fn from_function_name(name: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|r| r.function_name() == name)
    }

    /// Whether the route reads a JSON body.
    pub fn takes_body(self) -> bool {
        matches!(self, Route::CreateItem | Route::UpdateItem)
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
