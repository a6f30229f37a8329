//! The routes, each declared once: its API Gateway route key, the function serving it, the use
//! case behind it (as `routes.json` and the Terraform name it), its handler, its success
//! status and its function's memory size. Everything else about a route is derived from this
//! declaration: the [`Route`] type here; in `routing`, each handler's route,
//! its function's store ports (from its handler's use case, and so its IAM actions and warm-up
//! call) and [`handler_for`](crate::handler_for); and the generated `routes.json` the Terraform
//! and the scripts read (`tests/routes_file.rs` keeps it equal to this declaration).

/// The routes' declaration, one row each: `Variant = "METHOD /path" { ... }`. It hands the
/// table to the macro it is given, so each module derives its part of a route from the same
/// rows: this one the [`Route`] type and its facts, `routing` what needs the
/// handlers (their route, their store ports, [`handler_for`](crate::handler_for)).
macro_rules! with_routes {
    ($derive:ident) => {
        $derive! {
            /// A page of items.
            ListItems = "GET /items" {
                handler: list_items,
                function: "list-items",
                use_case: "list",
                success: 200,
                memory_mb: 128,
            }
            /// One item.
            GetItem = "GET /items/{id}" {
                handler: get_item,
                function: "get-item",
                use_case: "get",
                success: 200,
                memory_mb: 128,
            }
            /// A new item.
            CreateItem = "POST /items" {
                handler: create_item,
                function: "create-item",
                use_case: "create",
                success: 201,
                memory_mb: 256,
            }
            /// An item's fields replaced.
            UpdateItem = "PUT /items/{id}" {
                handler: update_item,
                function: "update-item",
                use_case: "update",
                success: 200,
                memory_mb: 128,
            }
            /// Some of an item's fields changed (a JSON Merge Patch).
            PatchItem = "PATCH /items/{id}" {
                handler: patch_item,
                function: "patch-item",
                use_case: "patch",
                success: 200,
                memory_mb: 128,
            }
            /// An item removed.
            DeleteItem = "DELETE /items/{id}" {
                handler: delete_item,
                function: "delete-item",
                use_case: "delete",
                success: 204,
                memory_mb: 128,
            }
        }
    };
}
pub(crate) use with_routes;

/// The [`Route`] type from the declaration.
macro_rules! declare_routes {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $route_key:literal {
            handler: $handler:ident,
            function: $function:literal,
            use_case: $use_case:literal,
            success: $success:literal,
            memory_mb: $memory_mb:literal $(,)?
        }
    )+) => {
        /// One route of the API and the use case behind it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Route {
            $($(#[$doc])* $variant,)+
        }

        impl Route {
            /// Every route, in the order of their declaration (and of `routes.json`).
            pub const ALL: [Route; [$($route_key),+].len()] = [$(Route::$variant),+];

            /// API Gateway's route key: method and path.
            pub fn route_key(self) -> &'static str {
                match self { $(Route::$variant => $route_key,)+ }
            }

            /// The function (binary, crate and Lambda function suffix) serving the route.
            pub fn function_name(self) -> &'static str {
                match self { $(Route::$variant => $function,)+ }
            }

            /// The use case behind the route, as `routes.json` and the Terraform name it.
            pub fn use_case(self) -> &'static str {
                match self { $(Route::$variant => $use_case,)+ }
            }

            /// The status of a successful answer.
            pub fn success_status(self) -> u16 {
                match self { $(Route::$variant => $success,)+ }
            }

            /// Its function's memory size in MB, which sets its CPU share on Lambda: chosen by
            /// measurement (`scripts/bench`'s power tuning), deployed by the Terraform through
            /// `routes.json`.
            pub fn memory_size_mb(self) -> u32 {
                match self { $(Route::$variant => $memory_mb,)+ }
            }
        }
    };
}

with_routes!(declare_routes);

/// The route a handler serves, as its declaration says.
pub trait Routed {
    /// The route.
    const ROUTE: Route;
}

impl Route {
    /// The route a function serves.
    pub fn from_function_name(name: &str) -> Option<Route> {
        Route::ALL
            .iter()
            .copied()
            .find(|route| route.function_name() == name)
    }

    /// The route with this API Gateway route key.
    pub fn from_route_key(key: &str) -> Option<Route> {
        Route::ALL
            .iter()
            .copied()
            .find(|route| route.route_key() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_of_a_route_leads_back_to_it_and_no_two_routes_share_one() {
        for route in Route::ALL {
            assert_eq!(
                Route::from_function_name(route.function_name()),
                Some(route)
            );
            assert_eq!(Route::from_route_key(route.route_key()), Some(route));
        }
        let mut functions: Vec<_> = Route::ALL.iter().map(|r| r.function_name()).collect();
        functions.sort_unstable();
        functions.dedup();
        assert_eq!(functions.len(), Route::ALL.len());
        assert_eq!(Route::from_function_name("no-such-function"), None);
    }
}
