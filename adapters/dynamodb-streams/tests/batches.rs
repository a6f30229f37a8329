//! Stream batches in, events out: order, ignored records, malformed records and publish
//! failures, each answered with the right `batchItemFailures`. (An EventBridge outage, end to
//! end, is in the reliability suite.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::sync::Arc;

use items_domain::events::MockEventPublisher;
use items_domain::{ChangeEvents, ItemChange, PublishError, Timestamp};
use items_dynamodb::stream::image_of;
use items_dynamodb_streams::{BatchError, HandledBatch, StreamHandler};
use items_memory::InMemoryEventPublisher;
use serde_json::{json, Value};

/// `change` as a stream can carry it: the stream's clock has whole seconds.
fn streamable(change: ItemChange) -> ItemChange {
    match change {
        ItemChange::Deleted { before, at } => ItemChange::Deleted {
            before,
            at: Timestamp::from_millis(epoch_seconds(at) * 1000).expect("time"),
        },
        other => other,
    }
}

/// Whole seconds since the Unix epoch, the stream's unit of time.
fn epoch_seconds(time: Timestamp) -> i64 {
    time.as_millis().div_euclid(1000)
}

/// The changes of `name`'s life, as a stream carries them.
fn lifecycle(name: &str) -> [ItemChange; 3] {
    items_conformance::fixtures::lifecycle(name).map(streamable)
}

/// A stream record for `change`, as Lambda's event source mapping delivers it.
fn record(sequence_number: u64, change: &ItemChange) -> Value {
    let (name, item, time) = match change {
        ItemChange::Created { item } => ("INSERT", item, item.updated_at()),
        ItemChange::Replaced { after, .. } => ("MODIFY", after, after.updated_at()),
        ItemChange::Deleted { before, at } => ("REMOVE", before, *at),
    };
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": epoch_seconds(time),
        "Keys": { "id": { "S": item.id().to_string() } },
        "SequenceNumber": sequence_number.to_string(),
        "SizeBytes": 256,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if let Some(after) = change.after() {
        dynamodb["NewImage"] = serde_json::to_value(image_of(after)).expect("image");
    }
    if let Some(before) = change.before() {
        dynamodb["OldImage"] = serde_json::to_value(image_of(before)).expect("image");
    }
    json!({
        "eventID": format!("event-{sequence_number}"),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/items/stream/2026-01-01T00:00:00.000",
        "dynamodb": dynamodb,
    })
}

/// An idempotency table record: not an item, ignored.
fn idempotency_record(sequence_number: u64) -> Value {
    json!({
        "eventID": format!("event-{sequence_number}"),
        "eventName": "INSERT",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": { "scope": { "S": "5:alice:key-1" } },
            "NewImage": { "scope": { "S": "5:alice:key-1" } },
            "SequenceNumber": sequence_number.to_string(),
            "SizeBytes": 64,
        },
    })
}

fn batch(records: Vec<Value>) -> Value {
    json!({ "Records": records })
}

fn failures(handled: &HandledBatch) -> Vec<String> {
    handled
        .response
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.clone().unwrap_or_default())
        .collect()
}

fn memory_handler() -> (StreamHandler, Arc<InMemoryEventPublisher>) {
    let published = Arc::new(InMemoryEventPublisher::new());
    let handler = StreamHandler::new(ChangeEvents::new(published.clone()));
    (handler, published)
}

#[tokio::test]
async fn creates_replaces_and_deletes_publish_one_event_each_in_stream_order() {
    let (handler, published) = memory_handler();
    let [a_created, a_replaced, a_deleted] = lifecycle("a");
    let [b_created, ..] = lifecycle("b");
    let changes = [a_created, b_created, a_replaced, a_deleted];
    let records = changes
        .iter()
        .enumerate()
        .map(|(i, change)| record(100 + i as u64, change))
        .collect();
    let response = handler.handle(batch(records)).await.expect("handled");
    assert!(failures(&response).is_empty());
    // Two items created: the `ItemsCreated` metric the function writes for the batch.
    assert_eq!(response.items_created, 2);
    let events = published.events();
    assert_eq!(
        events.iter().map(|e| e.change.clone()).collect::<Vec<_>>(),
        changes.to_vec()
    );
}

#[tokio::test]
async fn idempotency_records_publish_nothing() {
    let (handler, published) = memory_handler();
    let [created, ..] = lifecycle("a");
    let response = handler
        .handle(batch(vec![idempotency_record(1), record(2, &created)]))
        .await
        .expect("handled");
    assert!(failures(&response).is_empty());
    assert_eq!(published.events().len(), 1);
    assert_eq!(response.items_created, 1);
}

#[tokio::test]
async fn a_change_the_publisher_could_not_publish_is_named_in_batch_item_failures() {
    let mut publisher = MockEventPublisher::new();
    // The second change's event (the replace, record 102) was rejected.
    publisher.expect_publish().times(1).returning(|_| {
        Err(PublishError {
            first_unpublished: 1,
            reason: "rejected".into(),
        })
    });
    let handler = StreamHandler::new(ChangeEvents::new(Arc::new(publisher)));
    let [created, replaced, _] = lifecycle("a");
    let [other_created, ..] = lifecycle("b");
    let records = vec![
        idempotency_record(100),
        record(101, &created),
        record(102, &replaced),
        record(103, &other_created),
    ];
    let response = handler.handle(batch(records)).await.expect("handled");
    assert_eq!(failures(&response), ["102"]);
    // Only the create before the rejected event went out, so only it counts towards
    // `ItemsCreated`: b's create after it is counted when the retry from 102 publishes it.
    assert_eq!(response.items_created, 1);
}

#[tokio::test]
async fn a_malformed_record_is_reported_and_only_the_records_before_it_are_published() {
    let (handler, published) = memory_handler();
    let [created, replaced, _] = lifecycle("a");
    let mut bad_image = record(102, &replaced);
    bad_image["dynamodb"]["NewImage"]["version"] = json!({ "S": "two" });
    let no_images = json!({
        "eventID": "x", "eventName": "MODIFY", "awsRegion": "us-east-1",
        "dynamodb": { "Keys": { "id": { "S": "x" } }, "SequenceNumber": "102", "SizeBytes": 1 },
    });
    let not_a_record = json!({ "dynamodb": { "SequenceNumber": "102" }, "eventName": 7 });
    for bad in [bad_image, no_images, not_a_record] {
        let records = vec![record(101, &created), bad, record(103, &replaced)];
        let response = handler.handle(batch(records)).await.expect("handled");
        assert_eq!(failures(&response), ["102"]);
        assert_eq!(response.items_created, 1);
    }
    // Three batches, each publishing the create before the bad record, nothing after it.
    assert!(published.events().iter().all(|e| e.change == created));
    assert_eq!(published.events().len(), 3);
}

#[tokio::test]
async fn a_record_that_cannot_be_named_or_an_event_that_is_not_a_batch_fails_the_whole_invocation()
{
    let (handler, published) = memory_handler();
    let [created, ..] = lifecycle("a");
    let unnamed = json!({ "eventName": "INSERT" });
    let outcome = handler
        .handle(batch(vec![record(1, &created), unnamed]))
        .await;
    assert!(
        matches!(outcome, Err(BatchError::Unnamed(1))),
        "{outcome:?}"
    );
    // The record before it was published; the retried batch will publish it again (same id).
    assert_eq!(published.events().len(), 1);
    for event in [json!([]), json!({ "records": [] }), json!("INSERT")] {
        assert!(matches!(
            handler.handle(event).await,
            Err(BatchError::NotAStreamEvent(_))
        ));
    }
}
