//! `DELETE /items/{id}`: an item, removed. Needs a store that can delete.

use items_domain::{DeleteItem, DeleteStore};

use crate::handlers::{RequestContext, RouteHandler};
use crate::input::{if_match, path_id};
use crate::problem::Problem;
use crate::response::ApiResponse;

/// The handler of `DELETE /items/{id}`.
#[derive(Debug, Clone)]
pub struct Handler<S> {
    use_case: DeleteItem<S>,
}

impl<S: DeleteStore> Handler<S> {
    /// The handler over a store that can delete.
    pub fn new(store: S) -> Self {
        Self {
            use_case: DeleteItem::new(store),
        }
    }
}

impl<S: DeleteStore + 'static> RouteHandler for Handler<S> {
    type UseCase = DeleteItem<S>;

    async fn handle(&self, context: &RequestContext<'_>) -> Result<ApiResponse, Problem> {
        let request = context.request;
        let mut errors = Vec::new();
        let id = path_id(request).map_err(|e| errors.push(e)).ok();
        let expected = if_match(request).map_err(|e| errors.push(e)).ok();
        let (Some(id), Some(expected)) = (id, expected) else {
            return Err(Problem::validation(errors));
        };
        self.use_case.delete(context.caller, &id, expected).await?;
        Ok(ApiResponse::no_content())
    }
}
