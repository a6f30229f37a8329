//! DELETE /items/{id}: deletes an item, optionally at an If-Match version.
//!
//! Wiring only: configuration and the DynamoDB store are built once per cold start, then every
//! event goes to the shared driving adapter.

// One invocation at a time per process: a single-threaded runtime is all Lambda needs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    items_apigateway::lambda::run(items_apigateway::Route::DeleteItem).await
}
