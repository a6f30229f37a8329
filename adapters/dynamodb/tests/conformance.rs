//! The DynamoDB repository passes the repository conformance suite on a real DynamoDB-compatible server.

mod support;

items_conformance::repository_conformance_tests!(support::fresh_repository());
