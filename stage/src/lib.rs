//! The items API on one machine, served as a deployed stage serves it, so the end-to-end suite
//! and a developer's curl see what API Gateway and Lambda would answer.
//!
//! This crate is the thin piece that wires two emulators, which know nothing about items, to
//! this API: the [API Gateway emulator](apigateway_emulator) gets the routes of `routes.json`
//! and the local issuer's keys; the functions run in this process on one shared store, or as
//! their real binaries in the [Lambda emulator](lambda_emulator)'s process pool. The
//! local-only endpoints (`/_local/...`) are in [`local_endpoints`]; change events of every
//! write reach a local event bus ([`events`]), and every request's trace a local X-Ray daemon
//! ([`traces`]).
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

pub mod applied;
mod applied_events;
pub mod applied_stage;
mod auth;
pub mod docs;
mod error;
pub mod events;
mod functions;
mod gateway;
pub mod local_endpoints;
mod processes;
pub mod routes;
mod stage;
mod store;
mod streams;
pub mod traces;

pub use apigateway_emulator::{
    CorsConfig, FunctionFailure, Integration, IntegrationFuture, LineSink, LocalIssuer,
    PayloadVersion, ThrottleConfig, LOCAL_AUDIENCE, LOCAL_ISSUER,
};
pub use auth::{default_key_path, AuthConfig};
pub use error::StageError;
pub use lambda_emulator::ProcessConfig;
pub use stage::{api_cors, start, FunctionMode, RunningStage, StageConfig};
pub use store::{DynamoDbStore, StoreConfig, StoreError};
pub use xray_emulator::XrayDaemon;
