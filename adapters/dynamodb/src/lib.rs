//! The item ports ([`ItemRepository`](items_domain::ItemRepository)) on DynamoDB.
//!
//! Every write is one conditional request, or one transaction when an item and its idempotency
//! record are written together: no read-then-write races, nothing half-written. A failed
//! condition returns the stored record (`ReturnValuesOnConditionCheckFailure`), so "not found"
//! and "version mismatch" are told apart without a second read. SDK errors are mapped here,
//! once: throttling, timeouts and unreachable endpoints are `Unavailable`, the rest `Internal`,
//! and both are logged with the SDK's full error chain, never shown to callers.

#![warn(missing_docs)]

mod budget;
mod conditions;
pub mod config;
mod errors;
mod records;
mod repository;
pub mod stream;
pub mod table_design;
mod warm_up;

pub use budget::MAX_REQUESTS_PER_CALL;
pub use config::{sdk_config_from_env, sdk_config_loader, ConfigError, TableNames, Timeouts};
pub use repository::DynamoDbItemRepository;
pub use warm_up::{WarmUp, WarmUpOutcome, WARM_UP_TIMEOUT};
