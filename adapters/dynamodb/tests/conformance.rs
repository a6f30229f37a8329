//! The DynamoDB repository passes the repository conformance suite on a real DynamoDB-compatible server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

items_conformance::repository_conformance_tests!(support::fresh_repository());
