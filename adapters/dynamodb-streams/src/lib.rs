//! The change feed's driving adapter: a DynamoDB Streams event (the items table's stream,
//! `NEW_AND_OLD_IMAGES`) in, its changes published as events through the domain's
//! [`ChangeEvents`] use case, a partial batch response out.
//!
//! Records are handled in stream order. The response names the first record whose event may
//! not be published (a publish failure, or a record that does not read as a change), so Lambda
//! retries the batch from that record: nothing after a failure is skipped, and events already
//! published before it are not sent again.

#![warn(missing_docs)]

mod declaration;
#[cfg(feature = "lambda")]
pub mod lambda;

pub use declaration::{StreamFunction, PUBLISH_ITEM_EVENTS, STREAM_FUNCTIONS};

use aws_lambda_events::dynamodb::EventRecord;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use items_domain::{ChangeEvents, ItemChange, Timestamp};
use items_dynamodb::stream::{change_from_stream_record, StreamRecord};
use serde_json::Value;

/// An event that cannot be answered record by record: Lambda retries the whole batch (and,
/// with bisecting on, splits it until the bad record is alone).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The event has no `Records` list.
    #[error("the event is not a DynamoDB Streams event: {0}")]
    NotAStreamEvent(String),
    /// A record that must be reported has no sequence number to name it by.
    #[error("record {0} has no dynamodb.SequenceNumber to report it by")]
    Unnamed(usize),
}

/// Handles stream events with a use case.
#[derive(Clone)]
pub struct StreamHandler {
    events: ChangeEvents,
}

/// What a batch came to.
#[derive(Debug, Default)]
pub struct HandledBatch {
    /// The partial batch response Lambda reads: the record to retry from, if any.
    pub response: DynamoDbEventResponse,
    /// How many of the events this invocation published are creations: the `ItemsCreated`
    /// metric, counted from the table's changes rather than by each create request (which
    /// would cost the create function a log write per request).
    pub items_created: u64,
}

/// A record in the batch: where it is, how to name it, and what it means.
struct ReadRecord {
    sequence_number: Option<String>,
    change: Result<Option<ItemChange>, String>,
}

impl StreamHandler {
    /// A handler publishing through `events`.
    pub fn new(events: ChangeEvents) -> Self {
        Self { events }
    }

    /// Publishes the events of a stream batch and says which record to retry from, if any,
    /// and how many items the published events created.
    pub async fn handle(&self, event: Value) -> Result<HandledBatch, BatchError> {
        let records = read_records(event)?;
        // Everything before the first bad record is published; the bad record is reported.
        let first_bad = records.iter().position(|record| record.change.is_err());
        let readable = &records[..first_bad.unwrap_or(records.len())];
        let mut positions = Vec::new();
        let mut changes = Vec::new();
        for (position, record) in readable.iter().enumerate() {
            if let Ok(Some(change)) = &record.change {
                positions.push(position);
                changes.push(change.clone());
            }
        }
        let creations: Vec<bool> = changes
            .iter()
            .map(|change| matches!(change, ItemChange::Created { .. }))
            .collect();
        let outcome = self.events.publish(changes).await;
        let published = match &outcome {
            Ok(()) => creations.len(),
            Err(error) => error.first_unpublished,
        };
        let items_created = creations.iter().take(published).filter(|&&c| c).count() as u64;
        let failed_at = match outcome {
            Ok(()) => {
                if let Some(bad) = first_bad {
                    let reason = records[bad].change.as_ref().err();
                    tracing::error!(
                        record = bad,
                        sequence_number = records[bad].sequence_number.as_deref(),
                        reason = reason.map(String::as_str),
                        "a stream record is not a valid change: reported, so Lambda retries it \
                         and then sends it to the on-failure destination"
                    );
                }
                first_bad
            }
            Err(error) => {
                // An index outside the batch cannot happen; retrying the whole batch is safe.
                let position = positions.get(error.first_unpublished).copied().unwrap_or(0);
                tracing::warn!(reason = %error.reason, record = position, "events not published");
                Some(position)
            }
        };
        let mut response = DynamoDbEventResponse::default();
        if let Some(position) = failed_at {
            let name = records[position]
                .sequence_number
                .clone()
                .ok_or(BatchError::Unnamed(position))?;
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(name);
            response.batch_item_failures.push(failure);
        }
        Ok(HandledBatch {
            response,
            items_created,
        })
    }
}

/// Reads every record on its own, so one malformed record is named rather than failing the
/// batch.
fn read_records(event: Value) -> Result<Vec<ReadRecord>, BatchError> {
    let Value::Object(mut event) = event else {
        return Err(BatchError::NotAStreamEvent("not a JSON object".into()));
    };
    let Some(Value::Array(records)) = event.remove("Records") else {
        return Err(BatchError::NotAStreamEvent("no Records list".into()));
    };
    Ok(records.into_iter().map(read_record).collect())
}

fn read_record(raw: Value) -> ReadRecord {
    let sequence_number = raw
        .pointer("/dynamodb/SequenceNumber")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let change = serde_json::from_value::<EventRecord>(raw)
        .map_err(|error| format!("not a DynamoDB Streams record: {error}"))
        .and_then(|record| {
            let approximate_time =
                Timestamp::from_datetime(record.change.approximate_creation_date_time);
            change_from_stream_record(StreamRecord {
                event_name: &record.event_name,
                keys: &record.change.keys,
                old_image: &record.change.old_image,
                new_image: &record.change.new_image,
                approximate_time,
            })
            .map_err(|error| error.to_string())
        });
    ReadRecord {
        sequence_number,
        change,
    }
}
