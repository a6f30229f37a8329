//! [`EventPublisher`](items_domain::EventPublisher) on Amazon EventBridge.
//!
//! Change events become `PutEvents` entries on one event bus: at most ten per call, each within
//! EventBridge's entry size limit, and never two entries of one item in the same call, so an
//! item's events are accepted in order. Entries EventBridge rejects are sent again; if they are
//! still rejected, the error names the first event that may be missing, so the caller retries
//! from there and nothing is dropped.

#![warn(missing_docs)]

pub mod detail;
mod publisher;
mod traced_calls;

pub use detail::{event_detail, EVENT_SOURCE};
pub use publisher::{
    bus_name_from_env, publish_before, ConfigError, EventBridgePublisher, ENDPOINT_ENV,
    EVENT_BUS_ENV, MAX_ENTRIES_PER_CALL, MAX_ENTRY_BYTES,
};
