//! `PATCH /items/{id}`: some of an item's fields changed by a JSON Merge Patch, the others kept.
//! Needs a store that can update.

use std::sync::Arc;

use items_domain::{PatchItem, PatchStore, SystemClock};

use crate::handlers::{RequestContext, RouteHandler};
use crate::input::{if_match, item_patch, path_id, read_body_of, JSON, MERGE_PATCH};
use crate::problem::Problem;
use crate::response::ApiResponse;
use crate::views::item_response;

/// The handler of `PATCH /items/{id}`.
#[derive(Clone)]
pub struct Handler<S> {
    use_case: PatchItem<S>,
}

impl<S: PatchStore> Handler<S> {
    /// The handler over a store that can update, with the system clock.
    pub fn new(store: S) -> Self {
        Self {
            use_case: PatchItem::new(store, Arc::new(SystemClock)),
        }
    }
}

impl<S: PatchStore + 'static> RouteHandler for Handler<S> {
    type UseCase = PatchItem<S>;

    async fn handle(&self, context: &RequestContext<'_>) -> Result<ApiResponse, Problem> {
        let request = context.request;
        let mut errors = Vec::new();
        let id = path_id(request).map_err(|e| errors.push(e)).ok();
        let expected = if_match(request).map_err(|e| errors.push(e)).ok();
        let body = read_body_of(request, &[MERGE_PATCH, JSON])?;
        let changes = item_patch(&body, &mut errors);
        let (Some(id), Some(expected), Some(changes)) = (id, expected, changes) else {
            return Err(Problem::validation(errors));
        };
        let item = self
            .use_case
            .patch(context.caller, &id, changes, expected)
            .await?;
        Ok(item_response(200, &item))
    }
}
