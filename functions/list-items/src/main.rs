//! `GET /items`: one page of all items, or of one category newest first.
//!
//! Wiring only, and only this route's: its handler over the DynamoDB store, built once per
//! cold start. The handler takes only the store capabilities its route uses.

use items_apigateway::handlers::list_items;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One invocation at a time per process: a single-threaded runtime is all Lambda needs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    items_apigateway::lambda::run(list_items::Handler::new).await
}
