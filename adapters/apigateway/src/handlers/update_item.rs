//! `PUT /items/{id}`: an item's fields, updated. Needs a store that can read and update.

use std::sync::Arc;

use items_domain::{ItemReader, ItemUpdater, Port, SystemClock, UpdateItem, UsesPorts};

use crate::handlers::{RequestContext, RouteHandler};
use crate::input::{if_match, item_fields, path_id, read_body};
use crate::problem::Problem;
use crate::response::ApiResponse;
use crate::route::Route;
use crate::views::item_response;

/// The handler of `PUT /items/{id}`.
#[derive(Clone)]
pub struct Handler<S> {
    use_case: UpdateItem<S>,
}

impl<S: ItemReader + ItemUpdater> Handler<S> {
    /// The handler over a store that can read and update, with the system clock.
    pub fn new(store: S) -> Self {
        Self {
            use_case: UpdateItem::new(store, Arc::new(SystemClock)),
        }
    }
}

impl<S: ItemReader + ItemUpdater + 'static> RouteHandler for Handler<S> {
    const ROUTE: Route = Route::UpdateItem;
    const PORTS: &'static [Port] = <UpdateItem<S> as UsesPorts>::PORTS;

    async fn handle(&self, context: &RequestContext<'_>) -> Result<ApiResponse, Problem> {
        let request = context.request;
        let mut errors = Vec::new();
        let id = path_id(request).map_err(|e| errors.push(e)).ok();
        let expected = if_match(request).map_err(|e| errors.push(e)).ok();
        let body = read_body(request)?;
        let fields = item_fields(&body, &mut errors);
        let (Some(id), Some(expected), Some(fields)) = (id, expected, fields) else {
            return Err(Problem::validation(errors));
        };
        let item = self
            .use_case
            .update(context.caller, &id, fields, expected)
            .await?;
        Ok(item_response(200, &item))
    }
}
