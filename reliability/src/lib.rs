//! Test support for the reliability suite.
//!
//! [`FaultProxy`] stands between a client and a DynamoDB-compatible server and can take the
//! server away on demand: refuse connections (as a stopped server does) or swallow traffic (as a
//! network partition does). The server keeps its data, so a test can check after the outage that
//! every acknowledged write survived, which a restarted in-memory server could not show.

pub mod fault_proxy;

pub use fault_proxy::{FaultProxy, Outage};
