//! The DynamoDB repository passes the repository contract on a real DynamoDB-compatible server.

mod support;

items_contract::repository_contract_tests!(support::fresh_repository());
