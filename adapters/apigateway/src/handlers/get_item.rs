//! `GET /items/{id}`: one item. Needs a store that can read, nothing more.
//!
//! A store that can only read is all this handler accepts, and all it can use:
//!
//! ```compile_fail
//! use items_domain::{Item, ItemReader, ItemUpdater, Version};
//! // A read route's code cannot write: its store is only known to read.
//! async fn read_route_writes<S: ItemReader>(store: S, item: &Item) {
//!     let _ = store.update(item, Version::FIRST).await;
//! }
//! ```

use items_domain::{GetItem, ItemReader, Port, UsesPorts};

use crate::handlers::{RequestContext, RouteHandler};
use crate::input::path_id;
use crate::problem::Problem;
use crate::response::ApiResponse;
use crate::route::Route;
use crate::views::item_response;

/// The handler of `GET /items/{id}`.
#[derive(Debug, Clone)]
pub struct Handler<S> {
    use_case: GetItem<S>,
}

impl<S: ItemReader> Handler<S> {
    /// The handler over a store that can read.
    pub fn new(store: S) -> Self {
        Self {
            use_case: GetItem::new(store),
        }
    }
}

impl<S: ItemReader + 'static> RouteHandler for Handler<S> {
    const ROUTE: Route = Route::GetItem;
    const PORTS: &'static [Port] = <GetItem<S> as UsesPorts>::PORTS;

    async fn handle(&self, context: &RequestContext<'_>) -> Result<ApiResponse, Problem> {
        let id = path_id(context.request).map_err(|e| vec![e])?;
        let item = self.use_case.get(context.caller, &id).await?;
        Ok(item_response(200, &item))
    }
}
