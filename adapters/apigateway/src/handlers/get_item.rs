//! `GET /items/{id}`: one item. Needs a store that can read, nothing more.
//!
//! A store that can only read is all this handler accepts, and all it can use:
//!
//! ```compile_fail
//! use items_domain::{GetStore, ItemChanges, ItemId, Timestamp, WritePrecondition};
//! // A read route's code cannot write: its store is only known to read.
//! async fn read_route_writes<S: GetStore>(
//!     store: S,
//!     id: &ItemId,
//!     changes: &ItemChanges,
//!     at: Timestamp,
//!     precondition: &WritePrecondition,
//! ) {
//!     let _ = store.update(id, changes, at, precondition).await;
//! }
//! ```

use items_domain::{GetItem, GetStore};

use crate::handlers::{RequestContext, RouteHandler};
use crate::input::path_id;
use crate::problem::Problem;
use crate::response::ApiResponse;
use crate::views::item_response;

/// The handler of `GET /items/{id}`.
#[derive(Debug, Clone)]
pub struct Handler<S> {
    use_case: GetItem<S>,
}

impl<S: GetStore> Handler<S> {
    /// The handler over a store that can read.
    pub fn new(store: S) -> Self {
        Self {
            use_case: GetItem::new(store),
        }
    }
}

impl<S: GetStore + 'static> RouteHandler for Handler<S> {
    type UseCase = GetItem<S>;

    async fn handle(&self, context: &RequestContext<'_>) -> Result<ApiResponse, Problem> {
        let id = path_id(context.request).map_err(|e| vec![e])?;
        let item = self.use_case.get(context.caller, &id).await?;
        Ok(item_response(200, &item))
    }
}
