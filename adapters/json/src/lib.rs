//! The JSON that more than one adapter writes, written once: an item as the API's responses and
//! the published change events both show it ([`ItemView`]), the log line every function
//! writes ([`logs`]), the CloudWatch metric lines ([`metrics`]), and the inside of a JSON string where an adapter writes one itself
//! ([`escape`]). The HTTP adapter and the change-feed adapters depend on this crate, not on
//! each other.

pub mod escape;
pub mod logs;
pub mod metrics;

mod item;

pub use item::ItemView;
