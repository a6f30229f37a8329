//! Fresh tables on the DynamoDB-compatible server the test command started. These tests need a
//! real server: without one they fail, loudly, and never skip.

// Each test binary that includes this module uses a different part of it.
#![allow(dead_code)]

use aws_sdk_dynamodb::Client;
use items_dynamodb::table_design::create_tables;
use items_dynamodb::{DynamoDbItemRepository, TableNames, ENDPOINT_ENV};
use items_sdk_config::{sdk_config_from_env, Timeouts};

/// How to get a server, for every failure message.
const HOW_TO_RUN: &str = "run these tests through scripts/test, or start a server with \
    `scripts/dynamodb-server run -- cargo test -p items-dynamodb` (or `eval \
    \"$(scripts/dynamodb-server start)\"`), or point AWS_ENDPOINT_URL_DYNAMODB at a running \
    DynamoDB-compatible endpoint";

/// A client for the test server.
pub(crate) async fn client() -> Client {
    let endpoint = std::env::var(ENDPOINT_ENV).unwrap_or_default();
    if endpoint.trim().is_empty() {
        panic!("{ENDPOINT_ENV} is not set: {HOW_TO_RUN}");
    }
    let config = sdk_config_from_env(Timeouts::default())
        .await
        .unwrap_or_else(|e| panic!("SDK configuration: {e}: {HOW_TO_RUN}"));
    Client::new(&config)
}

/// A fresh, uniquely named pair of tables, so tests run in parallel on one server.
pub(crate) async fn fresh_tables(client: &Client) -> TableNames {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let tables = TableNames {
        items: format!("items-{suffix}"),
        idempotency: format!("idempotency-{suffix}"),
    };
    create_tables(client, &tables).await.unwrap_or_else(|e| {
        let endpoint = std::env::var(ENDPOINT_ENV).unwrap_or_default();
        panic!("no DynamoDB server answers at {endpoint} ({e}): {HOW_TO_RUN}")
    });
    tables
}

/// A repository on fresh tables.
pub(crate) async fn fresh_repository() -> DynamoDbItemRepository {
    let client = client().await;
    let tables = fresh_tables(&client).await;
    DynamoDbItemRepository::new(client, tables)
}
