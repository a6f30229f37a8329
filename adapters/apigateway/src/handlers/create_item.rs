//! `POST /items`: a new item. Needs a store that can insert, nothing more.

use std::sync::Arc;

use items_domain::{CreateItem, CreateStore, SystemClock, UuidV4Ids};

use crate::handlers::{RequestContext, RouteHandler};
use crate::input::{idempotency_key, item_fields, read_body};
use crate::problem::Problem;
use crate::response::ApiResponse;
use crate::views::item_response;

/// The handler of `POST /items`.
#[derive(Clone)]
pub struct Handler<S> {
    use_case: CreateItem<S>,
}

impl<S: CreateStore> Handler<S> {
    /// The handler over a store that can insert, with the system clock and random ids.
    pub fn new(store: S) -> Self {
        Self {
            use_case: CreateItem::new(store, Arc::new(SystemClock), Arc::new(UuidV4Ids)),
        }
    }
}

impl<S: CreateStore + 'static> RouteHandler for Handler<S> {
    type UseCase = CreateItem<S>;

    async fn handle(&self, context: &RequestContext<'_>) -> Result<ApiResponse, Problem> {
        let request = context.request;
        let body = read_body(request)?;
        let mut errors = Vec::new();
        let key = idempotency_key(request).map_err(|e| errors.push(e)).ok();
        let fields = item_fields(&body, &mut errors);
        let (Some(key), Some(fields)) = (key, fields) else {
            return Err(Problem::validation(errors));
        };
        let item = self
            .use_case
            .create(context.caller, fields, key)
            .await?
            .item;
        Ok(item_response(201, &item).header("location", format!("/items/{}", item.id())))
    }
}
