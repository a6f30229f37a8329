//! The floor of GET /items/{id}: a bare Lambda function that does nothing but the raw GetItem
//! (consistent read, as the function reads) of the event's path id. Set up exactly as a
//! function: a single-threaded runtime, lambda_runtime, the project's SDK loader from the
//! environment, the connection opened during init, the same release profile; but no event
//! parsing beyond the id, no domain, no logging.
//!
//! It answers with the time the GetItem call took inside the process (`getitem_us`), so the
//! bench can tell the raw round trip to DynamoDB from what the Runtime API adds around it.

use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use items_dynamodb::table_design::ITEM_KEY;
use items_dynamodb::{sdk_config_from_env, TableNames, Timeouts};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let table = TableNames::from_env()?.items;
    let client = aws_sdk_dynamodb::Client::new(&sdk_config_from_env(Timeouts::default()).await?);
    // As the functions do: the connection is opened during init, by a request for any key.
    let _ = get_item(&client, &table, "00000000-0000-4000-8000-000000000000").await;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (client, table) = (client.clone(), table.clone());
        async move {
            let id = event.payload["pathParameters"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let sent = Instant::now();
            let found = get_item(&client, &table, &id).await?;
            let getitem_us = sent.elapsed().as_secs_f64() * 1e6;
            Ok::<Value, lambda_runtime::Error>(json!({
                "statusCode": if found { 200 } else { 404 },
                "getitem_us": getitem_us,
            }))
        }
    }))
    .await
}

async fn get_item(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    id: &str,
) -> Result<bool, lambda_runtime::Error> {
    let output = client
        .get_item()
        .table_name(table)
        .key(ITEM_KEY, AttributeValue::S(id.to_owned()))
        .consistent_read(true)
        .send()
        .await?;
    Ok(output.item.is_some())
}
