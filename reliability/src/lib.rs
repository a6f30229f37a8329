//! Test support for the reliability suite.
//!
//! [`FaultProxy`] stands between a client and a DynamoDB-compatible server and can take the
//! server away on demand: refuse connections (as a stopped server does) or swallow traffic (as a
//! network partition does). The server keeps its data, so a test can check after the outage that
//! every acknowledged write survived, which a restarted in-memory server could not show.
//!
//! It also reads each request (HTTP/1, as the SDK sends it): it counts requests by DynamoDB
//! operation, answers them with faults the SDK retries (throttling, transaction conflicts), and
//! can lose the answer to a write the server has applied, by holding it past the client's
//! attempt timeout or dropping the connection, so the client sends a write that already landed
//! again.

pub mod fault_proxy;

pub use fault_proxy::{FaultProxy, LostAnswer, Outage};
