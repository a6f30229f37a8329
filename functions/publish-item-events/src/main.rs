//! The items table's stream: every create, replace and delete published as an event on
//! EventBridge, at least once and in order per item.
//!
//! Wiring only: configuration and the EventBridge publisher are built once per cold start,
//! then every stream batch goes to the stream's driving adapter.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One batch at a time per process: a single-threaded runtime is all Lambda needs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    items_dynamodb_streams::lambda::run().await
}
