//! The local stage: the whole items API on one machine, served as API Gateway serves it, so
//! the end-to-end suite and a developer's curl see what a deployed stage would answer.
//!
//! Requests go through the same steps as on API Gateway: stage throttling, the payload limit,
//! CORS preflight, routing from `routes.json`, the JWT authorizer, the Lambda integration (the
//! functions called in-process, or their real binaries behind the Lambda Runtime API), CORS
//! headers, and one JSON access-log line.
//!
//! ```no_run
//! # async fn example() -> Result<(), local_stage::StageError> {
//! let stage = local_stage::start(local_stage::StageConfig::default()).await?;
//! let token = stage.mint_token("alice", &["admin"]);
//! let items_url = format!("{}/items", stage.url());
//! // ... requests with `Authorization: Bearer {token}` ...
//! stage.shutdown().await;
//! # Ok(()) }
//! ```

pub mod access_log;
pub mod authorizer;
pub mod cors;
pub mod docs;
pub mod events;
pub mod integration;
pub mod issuer;
pub mod process_pool;
pub mod router;
pub mod routes;
pub mod runtime_api;
mod server;
pub mod sink;
mod stage;
pub mod store;
pub mod throttle;

pub use authorizer::JwtAuthorizer;
pub use cors::CorsConfig;
pub use events::PayloadVersion;
pub use integration::{FunctionFuture, FunctionHandler};
pub use issuer::LocalIssuer;
pub use process_pool::ProcessConfig;
pub use server::DEV_PREFIX;
pub use sink::LineSink;
pub use stage::{start, AuthConfig, FunctionMode, RunningStage, StageConfig, StageError};
pub use store::{DynamoDbStore, StoreConfig};
pub use throttle::ThrottleConfig;
