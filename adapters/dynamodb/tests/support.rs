//! Fresh tables on the DynamoDB-compatible server the test command started.

use aws_sdk_dynamodb::Client;
use items_dynamodb::table_design::create_tables;
use items_dynamodb::{sdk_config_from_env, DynamoDbItemRepository, TableNames, Timeouts};

/// A client for the test server. The DynamoDB tests need a real server, so they fail (never
/// skip) without one.
pub async fn client() -> Client {
    if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() {
        panic!(
            "AWS_ENDPOINT_URL_DYNAMODB is not set: run these tests through scripts/test, or \
             `scripts/dynamodb-server run -- cargo test -p items-dynamodb`"
        );
    }
    let config = sdk_config_from_env(Timeouts::default())
        .await
        .unwrap_or_else(|e| panic!("SDK configuration: {e}"));
    Client::new(&config)
}

/// A repository on a fresh, uniquely named pair of tables.
pub async fn fresh_repository() -> DynamoDbItemRepository {
    let client = client().await;
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let tables = TableNames {
        items: format!("items-{suffix}"),
        idempotency: format!("idempotency-{suffix}"),
    };
    create_tables(&client, &tables)
        .await
        .unwrap_or_else(|e| panic!("is the DynamoDB server at AWS_ENDPOINT_URL_DYNAMODB up? {e}"));
    DynamoDbItemRepository::new(client, tables)
}
