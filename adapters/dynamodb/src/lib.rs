//! The item ports ([`ItemRepository`](items_domain::ItemRepository)) on DynamoDB.
//!
//! Every write is one conditional request (an update one `UpdateItem`, a delete one
//! `DeleteItem`), or one transaction when an item and its idempotency record are written
//! together: no read-then-write races, nothing half-written. A failed condition returns the
//! stored item (`ReturnValuesOnConditionCheckFailure`), so the domain's precondition names what
//! failed without a second read, and a write the SDK sent again after its answer was lost is
//! recognised as its own. Every call keeps to a budget of [`MAX_REQUESTS_PER_CALL`] DynamoDB
//! requests, retries included. SDK errors are mapped here, once: throttling, timeouts and
//! unreachable endpoints are `Unavailable`, the rest `Internal`, and both are logged with the
//! SDK's full error chain, never shown to callers.

#![warn(missing_docs)]

mod budget;
mod conditions;
pub mod config;
mod errors;
mod records;
mod repository;
pub mod stream;
pub mod table_design;
mod traced_calls;
mod warm_up;

pub use budget::MAX_REQUESTS_PER_CALL;
pub use config::{TableNames, ENDPOINT_ENV};
pub use repository::DynamoDbItemRepository;
pub use warm_up::{WarmUp, WarmUpOutcome, WARM_UP_TIMEOUT};
