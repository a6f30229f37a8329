//! `DELETE /items/{id}`: deletes an item, optionally at an If-Match version.
//!
//! Wiring only, and only this route's: its handler over the DynamoDB store, built once per
//! cold start. The handler takes only the store capabilities its route uses.

use items_apigateway::handlers::delete_item;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One invocation at a time per process: a single-threaded runtime is all Lambda needs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    items_apigateway::lambda::run(delete_item::Handler::new).await
}
