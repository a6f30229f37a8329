//! An HTTP API stage of Amazon API Gateway on one machine, for local development and tests.
//!
//! A [`Gateway`] answers every request in API Gateway's order: stage throttling (`429`), the
//! payload limit (`413`), CORS preflight, routing by route key (`404`), the JWT authorizer
//! (`401`), then the Lambda proxy integration with a payload 2.0 (or 1.0) event, the function's
//! response decoded back into HTTP (`500` when it is malformed, `503` past the integration
//! timeout), CORS headers, and one JSON access-log line.
//!
//! The crate knows nothing about the API it serves: routes map route keys to target names, and
//! an [`Integration`] runs the target. [`LocalIssuer`] mints RS256 tokens the authorizer accepts,
//! standing in for an identity provider such as Cognito.
//!
//! ```no_run
//! use std::sync::Arc;
//! use apigateway_emulator::{
//!     serve, FunctionFailure, Gateway, GatewayConfig, Integration, IntegrationFuture,
//!     JwtAuthorizer, LocalIssuer, RouteTable, LOCAL_AUDIENCE, LOCAL_ISSUER,
//! };
//!
//! /// Answers every event with a fixed response.
//! struct Hello;
//!
//! impl Integration for Hello {
//!     fn invoke<'a>(&'a self, _target: &'a str, _event: serde_json::Value, _trace_id: &'a str) -> IntegrationFuture<'a> {
//!         Box::pin(async { Ok::<_, FunctionFailure>(serde_json::json!({"statusCode": 200, "body": "hello"})) })
//!     }
//! }
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = LocalIssuer::generate()?;
//! let authorizer = JwtAuthorizer::new(LOCAL_ISSUER, vec![LOCAL_AUDIENCE.to_owned()], &issuer.jwks()?)?;
//! let routes = RouteTable::new([("GET /hello", "hello".to_owned())])?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let port = listener.local_addr()?.port();
//! let gateway = Gateway::new(routes, authorizer, Arc::new(Hello), GatewayConfig::default(), port);
//! let server = serve(listener, gateway.into_router())?;
//! // GET http://127.0.0.1:{port}/hello with `Authorization: Bearer {issuer.mint(...)}`
//! server.shutdown().await;
//! # Ok(()) }
//! ```

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
