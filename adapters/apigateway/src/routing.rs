//! What the routes' declaration says about handlers: the route each handler serves, the store
//! ports each route's use case holds, and [`handler_for`], the one lookup the local stage and
//! the tests use. Derived from the same rows as [`Route`] (see [`with_routes`]), here because
//! it needs the handlers and the [`Function`] around them, which need [`Route`].

use std::sync::Arc;

use items_domain::{ItemRepository, Port};

use crate::config::AdapterConfig;
use crate::function::{EventHandler, Function};
use crate::handlers::{self, RouteHandler};
use crate::route::{with_routes, Route, Routed};

/// Each handler's route and store ports, and [`handler_for`], from the declaration.
macro_rules! route_handlers {
    // Only each row's variant and handler; the rest is the `Route` type's.
    ($( $(#[$doc:meta])* $variant:ident = $route_key:literal { handler: $handler:ident, $($rest:tt)* } )+) => {
        impl Route {
            /// The store ports the route's use case holds: all its function may be granted.
            pub fn ports(self) -> &'static [Port] {
                match self {
                    $(Route::$variant => {
                        <handlers::$handler::Handler<Arc<dyn ItemRepository>> as RouteHandler>::PORTS
                    })+
                }
            }
        }

        $(
            impl<S> Routed for handlers::$handler::Handler<S> {
                const ROUTE: Route = Route::$variant;
            }
        )+

        /// The function serving `route` over a store that has every capability: the one lookup
        /// the local stage and the tests use.
        pub fn handler_for(
            route: Route,
            store: Arc<dyn ItemRepository>,
            config: &AdapterConfig,
        ) -> Arc<dyn EventHandler> {
            match route {
                $(Route::$variant => {
                    Arc::new(Function::new(handlers::$handler::Handler::new(store), config))
                })+
            }
        }
    };
}

with_routes!(route_handlers);
