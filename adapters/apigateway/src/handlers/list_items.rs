//! `GET /items`: one page of items. Needs a store that can list, nothing more.

use items_domain::{Cursor, FieldError, ListItems, ListStore, PageRequest};

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
        // A cursor this API did not seal is as bad as one that does not decode, and is listed
        // with the other parameters' errors.
        let sealed = request.query_parameter("cursor");
        let opened = sealed.map(|cursor| context.cursor_key.open(cursor));
        let unsealed =
            matches!(opened, Some(None)).then(|| FieldError::new("cursor", Cursor::RULE));
        let page_request = PageRequest::parse(
            request.query_parameter("limit"),
            request.query_parameter("category"),
            opened.flatten(),
        );
        let page_request = match (page_request, unsealed) {
            (Ok(page_request), None) => page_request,
            (Ok(_), Some(error)) => return Err(vec![error].into()),
            (Err(mut errors), unsealed) => {
                errors.extend(unsealed);
                return Err(errors.into());
            }
        };
        let page = self.use_case.list(context.caller, &page_request).await?;
        Ok(page_response(&page, context.cursor_key))
    }
}
