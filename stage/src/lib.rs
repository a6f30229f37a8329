//! The local stage: the whole items API on one machine, served as API Gateway serves it.
pub mod access_log;
pub mod authorizer;
pub mod cors;
pub mod events;
pub mod issuer;
pub mod process_pool;
pub mod router;
pub mod runtime_api;
pub mod sink;
pub mod throttle;
