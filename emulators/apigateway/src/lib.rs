#![doc = include_str!("../README.md")]

pub mod access_log;
pub mod authorizer;
pub mod cors;
pub mod events;
mod gateway;
mod integration;
pub mod issuer;
pub mod response;
pub mod router;
mod server;
pub mod sink;
pub mod throttle;

pub use authorizer::{JwtAuthorizer, VerifiedClaims};
pub use cors::{CorsConfig, CorsError};
pub use events::PayloadVersion;
pub use gateway::{Gateway, GatewayConfig, INTEGRATION_TIMEOUT, MAX_REQUEST_BYTES};
pub use integration::{FunctionFailure, Integration, IntegrationFuture};
pub use issuer::{LocalIssuer, DEFAULT_TOKEN_LIFETIME, LOCAL_AUDIENCE, LOCAL_ISSUER};
pub use router::RouteTable;
pub use server::{serve, Server};
pub use sink::LineSink;
pub use throttle::ThrottleConfig;
