//! The driving adapter: turns an API Gateway event (HTTP API payload 2.0 or REST API proxy
//! payload 1.0) into a use case call and the use case's outcome into an API Gateway response.
//!
//! Everything the functions share lives here, written once: reading the verified caller, path,
//! query, headers and body; mapping errors to statuses and problem bodies; logging and metrics.
//! A function binary only picks its [`Route`] and hands events to [`App::handle_event`].

pub mod body;
pub mod compression;
pub mod config;
pub mod metrics;
pub mod problem;
pub mod request;
pub mod response;
pub mod route;
pub mod telemetry;

mod app;
pub use app::item_json;
#[cfg(feature = "lambda")]
pub mod lambda;

pub use app::App;
pub use config::Config;
pub use route::Route;
