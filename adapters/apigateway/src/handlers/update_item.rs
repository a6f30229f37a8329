//! `PUT /items/{id}`: an item's fields replaced. Needs a store that can update.

use std::sync::Arc;

use items_domain::{SystemClock, UpdateItem, UpdateStore};

use crate::handlers::{RequestContext, RouteHandler};
use crate::input::{if_match, item_fields, path_id, read_body};
use crate::problem::Problem;
use crate::response::ApiResponse;
use crate::views::item_response;

/// The handler of `PUT /items/{id}`.
#[derive(Clone)]
pub struct Handler<S> {
    use_case: UpdateItem<S>,
}

impl<S: UpdateStore> Handler<S> {
    /// The handler over a store that can update, with the system clock.
    pub fn new(store: S) -> Self {
        Self {
            use_case: UpdateItem::new(store, Arc::new(SystemClock)),
        }
    }
}

impl<S: UpdateStore + 'static> RouteHandler for Handler<S> {
    type UseCase = UpdateItem<S>;

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
