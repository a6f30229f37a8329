//! `GET /items`: one page of items. Needs a store that can list, nothing more.

use items_domain::{ListItems, ListStore, PageRequest};

use crate::handlers::{RequestContext, RouteHandler};
use crate::problem::Problem;
use crate::response::ApiResponse;
use crate::views::page_response;

/// The handler of `GET /items`.
#[derive(Debug, Clone)]
pub struct Handler<S> {
    use_case: ListItems<S>,
}

impl<S: ListStore> Handler<S> {
    /// The handler over a store that can list.
    pub fn new(store: S) -> Self {
        Self {
            use_case: ListItems::new(store),
        }
    }
}

impl<S: ListStore + 'static> RouteHandler for Handler<S> {
    type UseCase = ListItems<S>;

    async fn handle(&self, context: &RequestContext<'_>) -> Result<ApiResponse, Problem> {
        let request = context.request;
        let page_request = PageRequest::parse(
            request.query_parameter("limit"),
            request.query_parameter("category"),
            request.query_parameter("cursor"),
        )?;
        let page = self.use_case.list(context.caller, &page_request).await?;
        Ok(page_response(&page))
    }
}
