//! `POST /items`: creates an item, idempotently with an Idempotency-Key.
//!
//! Wiring only, and only this route's: its handler over the DynamoDB store, built once per
//! cold start. The handler takes only the store capabilities its route uses.

use items_apigateway::handlers::create_item;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One invocation at a time per process: a single-threaded runtime is all Lambda needs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    items_apigateway::lambda::run(create_item::Handler::new).await
}
