//! The cold-start floor: a Lambda function that does nothing, on the same runtime flavour,
//! allocator, lambda_runtime and release profile as the functions. Its init (process start to
//! the first poll for an event) is what any Rust function pays before doing anything of its own.

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async {
        Ok::<Value, lambda_runtime::Error>(json!({ "statusCode": 200 }))
    }))
    .await
}
