//! The event source mapping against a DynamoDB-compatible server (the one `scripts/test` starts
//! and names in `AWS_ENDPOINT_URL_DYNAMODB`), on a table of its own with nothing but a key: each
//! write reaches the function once, in order, and a cancelled transaction between two writes
//! neither adds a record nor hides the next one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, StreamSpecification, StreamViewType, TransactWriteItem,
};
use lambda_emulator::stream_mapping::{Invoke, StreamMapping, StreamMappingConfig};
use lambda_emulator::ReportSink;
use serde_json::{json, Value};

/// The SDK's own variable for a DynamoDB endpoint; the Streams API is served there too.
const ENDPOINT_VARIABLE: &str = "AWS_ENDPOINT_URL_DYNAMODB";

/// Longest wait for a write to reach the function (the mapping polls every 50 ms here).
const DELIVERY_DEADLINE: Duration = Duration::from_secs(10);

async fn sdk_config() -> aws_config::SdkConfig {
    let endpoint = std::env::var(ENDPOINT_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VARIABLE} is not set: run this through scripts/test, or start a server \
             with `eval \"$(scripts/dynamodb-server start)\"`"
        )
    });
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .endpoint_url(endpoint)
        .region(Region::new(lambda_emulator::region()))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .load()
        .await
}

/// A fresh table keyed by `pk`, with a stream of new and old images.
async fn table_with_stream(client: &aws_sdk_dynamodb::Client) -> String {
    let name = format!("stream-mapping-{}", uuid::Uuid::new_v4().simple());
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    name
}

/// A function that records the key of every record it is given and handles them all.
fn recording_function() -> (Invoke, Arc<Mutex<Vec<String>>>) {
    let keys = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&keys);
    let invoke: Invoke = Arc::new(move |event: Value| {
        let recorded = Arc::clone(&recorded);
        Box::pin(async move {
            for record in event["Records"].as_array().expect("a Records list") {
                let key = record["dynamodb"]["Keys"]["pk"]["S"]
                    .as_str()
                    .expect("a key");
                recorded.lock().unwrap().push(key.to_owned());
            }
            Ok(json!({ "batchItemFailures": [] }))
        })
    });
    (invoke, keys)
}

/// A transaction's put of `key`, on the condition given.
fn put(table: &str, key: &str, condition: Option<&str>) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .item("pk", AttributeValue::S(key.to_owned()))
        .set_condition_expression(condition.map(str::to_owned))
        .build()
        .unwrap();
    TransactWriteItem::builder().put(put).build()
}

/// Waits until the function has been given `expected`, in that order, and nothing more.
async fn wait_for(keys: &Mutex<Vec<String>>, expected: &[&str]) {
    let started = Instant::now();
    loop {
        let delivered = keys.lock().unwrap().clone();
        if delivered == expected {
            return;
        }
        assert!(
            started.elapsed() < DELIVERY_DEADLINE && delivered.len() < expected.len(),
            "the function was given {delivered:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_cancelled_transaction_between_two_writes_adds_and_hides_nothing() {
    let config = sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let table = table_with_stream(&dynamodb).await;
    let (invoke, keys) = recording_function();
    let reports: ReportSink = Arc::new(|line: &str| eprintln!("{line}"));
    let mut mapping_config = StreamMappingConfig::new(&table);
    mapping_config.poll_interval = Duration::from_millis(50);
    let _mapping = StreamMapping::start(
        aws_sdk_dynamodbstreams::Client::new(&config),
        mapping_config,
        invoke,
        reports,
    )
    .await
    .expect("the table's stream is read");

    dynamodb
        .put_item()
        .table_name(&table)
        .item("pk", AttributeValue::S("first".into()))
        .send()
        .await
        .unwrap();
    wait_for(&keys, &["first"]).await;

    // Its first write applies, its second fails its condition: the whole transaction is
    // cancelled, so the stream never holds "cancelled".
    let cancelled = dynamodb
        .transact_write_items()
        .transact_items(put(&table, "cancelled", None))
        .transact_items(put(&table, "first", Some("attribute_not_exists(pk)")))
        .send()
        .await;
    assert!(
        cancelled.is_err(),
        "the transaction was cancelled: {cancelled:?}"
    );

    dynamodb
        .put_item()
        .table_name(&table)
        .item("pk", AttributeValue::S("second".into()))
        .send()
        .await
        .unwrap();
    wait_for(&keys, &["first", "second"]).await;
    // A few more polls deliver nothing else.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(*keys.lock().unwrap(), ["first", "second"]);
}
