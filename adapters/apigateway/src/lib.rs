//! The driving adapter: turns an API Gateway event (HTTP API payload 2.0 or REST API proxy
//! payload 1.0) into a use case call and the use case's outcome into an API Gateway response.
//!
//! Each job has its module: [`event`] reads an invocation's JSON keeping only the fields used,
//! [`request`] reads events; `input` and [`body`] read a request's
//! input into domain values; [`handlers`] holds one handler per route; [`views`] and [`problem`]
//! build response bodies; [`response`] shapes them for the payload format; [`Function`] does
//! what every route shares (caller, log span, request line, metrics). A function binary names its own route's handler and hands it
//! to `lambda::run`; the local stage and the tests find any route's through [`handler_for`]. The
//! routes are declared once, in [`route`].

pub mod body;
pub mod compression;
pub mod config;
pub mod cursor_key;
pub mod event;
pub mod handlers;
pub mod problem;
pub mod request;
pub mod response;
pub mod route;
mod routing;
pub mod views;

mod function;
mod input;
#[cfg(feature = "lambda")]
pub mod lambda;

pub use config::{AdapterConfig, FunctionConfig};
pub use cursor_key::CursorKey;
pub use function::{EventHandler, Function};
pub use handlers::RouteHandler;
pub use route::{Route, Routed};
pub use routing::handler_for;
