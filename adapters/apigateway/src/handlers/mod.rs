//! One handler per route, each over only the store capabilities its use case needs: a function
//! crate names its own route's handler, so its binary holds that route's code and no other, and
//! a read route's handler cannot be given (or call) a store that writes.
//!
//! The local stage and the tests reach every route through one lookup, [`handler_for`].

pub mod create_item;
pub mod delete_item;
pub mod get_item;
pub mod list_items;
pub mod update_item;

use std::future::Future;
use std::sync::Arc;

use items_domain::{Caller, ItemRepository, Port};

use crate::config::Config;
use crate::function::{EventHandler, Function};
use crate::metrics::Metrics;
use crate::problem::Problem;
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::route::Route;

/// What a route's handler is given for one request, once the shared work is done.
#[derive(Debug)]
pub struct RequestContext<'a> {
    /// The request, whatever payload format it came in.
    pub request: &'a ApiRequest,
    /// The verified caller.
    pub caller: &'a Caller,
    /// Where business metrics go.
    pub metrics: &'a Metrics,
}

/// One route's work: read its input, call its use case, build its response. Every failure is a
/// [`Problem`]; event parsing, the caller, logging and the payload format are the
/// [`Function`]'s job.
pub trait RouteHandler: Send + Sync + 'static {
    /// The route this handler serves.
    const ROUTE: Route;

    /// The store capabilities its use case holds: what its function must be allowed to do.
    const PORTS: &'static [Port];

    /// Handles one request.
    fn handle(
        &self,
        context: &RequestContext<'_>,
    ) -> impl Future<Output = Result<ApiResponse, Problem>> + Send;
}

/// The function serving `route` over a store that has every capability: the one place that
/// maps a route to its handler, for the local stage and the tests.
pub fn handler_for(
    route: Route,
    store: Arc<dyn ItemRepository>,
    config: &Config,
) -> Arc<dyn EventHandler> {
    match route {
        Route::ListItems => Arc::new(Function::new(list_items::Handler::new(store), config)),
        Route::GetItem => Arc::new(Function::new(get_item::Handler::new(store), config)),
        Route::CreateItem => Arc::new(Function::new(create_item::Handler::new(store), config)),
        Route::UpdateItem => Arc::new(Function::new(update_item::Handler::new(store), config)),
        Route::DeleteItem => Arc::new(Function::new(delete_item::Handler::new(store), config)),
    }
}
