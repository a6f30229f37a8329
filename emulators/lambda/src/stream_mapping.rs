//! Lambda's event source mapping for DynamoDB Streams, on one machine: it reads a table's
//! stream (`ListStreams`, `DescribeStream`, `GetShardIterator`, `GetRecords`) and invokes a
//! function with each batch of records, shaped as Lambda sends them, one batch per shard at a
//! time so the order of a shard's records is kept.
//!
//! The function's answer is honoured as with `ReportBatchItemFailures`: a partial batch response
//! naming a record makes the mapping retry from that record, an error (or a response naming no
//! record of the batch) retries the whole batch. After [`StreamMappingConfig::max_retry_attempts`]
//! retries without progress the batch is given up, as Lambda then sends it to the on-failure
//! destination, and the report line says which records were lost.
//!
//! The mapping knows nothing about the table's items: records are passed on as the stream
//! holds them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use aws_sdk_dynamodbstreams::Client;
use aws_smithy_types::error::display::DisplayErrorContext;
use base64::Engine;
use serde_json::{json, Map, Value};
use tokio::task::JoinHandle;

use crate::ReportSink;

/// The answer of one invocation: the function's JSON result, or why there is none.
pub type InvokeFuture = Pin<Box<dyn Future<Output = Result<Value, String>> + Send>>;

/// Invokes the mapped function with one event.
pub type Invoke = Arc<dyn Fn(Value) -> InvokeFuture + Send + Sync>;

/// Where reading a new shard starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// Only records written after the mapping started.
    Latest,
    /// Every record the stream still holds.
    TrimHorizon,
}

/// How the mapping reads and retries.
#[derive(Debug, Clone)]
pub struct StreamMappingConfig {
    /// The table whose (latest) stream is read.
    pub table_name: String,
    /// Most records per invocation (Lambda: 1 to 10000).
    pub batch_size: i32,
    /// The wait after a read that found nothing (Lambda reads a shard four times a second).
    pub poll_interval: Duration,
    /// Retries of a batch that makes no progress before it is given up.
    pub max_retry_attempts: u32,
    /// Where reading starts.
    pub starting_position: StartingPosition,
}

impl StreamMappingConfig {
    /// Lambda's defaults for `table_name` (batches of 100, four reads a second), reading from
    /// the oldest record the stream holds.
    pub fn new(table_name: impl Into<String>) -> Self {
        Self {
            table_name: table_name.into(),
            batch_size: 100,
            poll_interval: Duration::from_millis(250),
            max_retry_attempts: 10,
            starting_position: StartingPosition::TrimHorizon,
        }
    }
}

/// Why a mapping could not start.
#[derive(Debug, thiserror::Error)]
pub enum StreamMappingError {
    /// The table has no stream (or does not exist).
    #[error("table {0} has no stream to read")]
    NoStream(String),
    /// A Streams call failed.
    #[error("reading the stream of table {table}: {reason}")]
    Streams {
        /// The table.
        table: String,
        /// The SDK error with its whole chain.
        reason: String,
    },
}

/// A running mapping; it stops when dropped.
pub struct StreamMapping {
    task: JoinHandle<()>,
}

impl Drop for StreamMapping {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One shard being read.
struct ShardCursor {
    shard_id: String,
    /// `None` once the shard is closed and read to its end.
    iterator: Option<String>,
}

/// What the mapping shares between its reads.
struct Mapping {
    client: Client,
    config: StreamMappingConfig,
    stream_arn: String,
    invoke: Invoke,
    reports: ReportSink,
}

impl StreamMapping {
    /// Finds the table's stream, positions a reader on each shard, then reads and invokes in
    /// the background. Every record written after this returns is delivered (from `Latest`),
    /// or every record the stream holds (from `TrimHorizon`).
    pub async fn start(
        client: Client,
        config: StreamMappingConfig,
        invoke: Invoke,
        reports: ReportSink,
    ) -> Result<Self, StreamMappingError> {
        let streams_error = |error: &dyn std::error::Error| StreamMappingError::Streams {
            table: config.table_name.clone(),
            reason: DisplayErrorContext(error).to_string(),
        };
        let listed = client
            .list_streams()
            .table_name(&config.table_name)
            .send()
            .await
            .map_err(|e| streams_error(&e))?;
        let stream_arn = listed
            .streams()
            .iter()
            .filter_map(|stream| stream.stream_arn())
            .next_back()
            .ok_or_else(|| StreamMappingError::NoStream(config.table_name.clone()))?
            .to_owned();
        let mapping = Mapping {
            client,
            config,
            stream_arn,
            invoke,
            reports,
        };
        let first_position = match mapping.config.starting_position {
            StartingPosition::Latest => ShardIteratorType::Latest,
            StartingPosition::TrimHorizon => ShardIteratorType::TrimHorizon,
        };
        let mut shards = Vec::new();
        mapping
            .add_new_shards(&mut shards, first_position)
            .await
            .map_err(|reason| StreamMappingError::Streams {
                table: mapping.config.table_name.clone(),
                reason,
            })?;
        let task = tokio::spawn(mapping.run(shards));
        Ok(Self { task })
    }
}

impl Mapping {
    /// Reads every shard in turn, forever; a shard that closes is replaced by its children.
    async fn run(self, mut shards: Vec<ShardCursor>) {
        loop {
            let mut delivered_any = false;
            let mut closed_any = false;
            for shard in &mut shards {
                match self.read_shard(shard).await {
                    Ok(delivered) => delivered_any |= delivered,
                    Err(reason) => (self.reports)(&format!(
                        "stream mapping {}: reading shard {}: {reason}; retrying",
                        self.config.table_name, shard.shard_id
                    )),
                }
                closed_any |= shard.iterator.is_none();
            }
            if closed_any {
                // Children of a closed shard hold the writes after it, from their beginning.
                if let Err(reason) = self
                    .add_new_shards(&mut shards, ShardIteratorType::TrimHorizon)
                    .await
                {
                    (self.reports)(&format!(
                        "stream mapping {}: describing the stream: {reason}",
                        self.config.table_name
                    ));
                }
            }
            if !delivered_any {
                tokio::time::sleep(self.config.poll_interval).await;
            }
        }
    }

    /// Adds a cursor at `position` for every shard of the stream not read yet. With `Latest`,
    /// closed shards are skipped: they hold nothing new.
    async fn add_new_shards(
        &self,
        shards: &mut Vec<ShardCursor>,
        position: ShardIteratorType,
    ) -> Result<(), String> {
        let mut start_after: Option<String> = None;
        loop {
            let described = self
                .client
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(start_after.clone())
                .send()
                .await
                .map_err(|e| DisplayErrorContext(&e).to_string())?;
            let Some(description) = described.stream_description() else {
                return Ok(());
            };
            for shard in description.shards() {
                let Some(shard_id) = shard.shard_id() else {
                    continue;
                };
                if shards.iter().any(|known| known.shard_id == shard_id) {
                    continue;
                }
                let closed = shard
                    .sequence_number_range()
                    .and_then(|range| range.ending_sequence_number())
                    .is_some();
                if closed && position == ShardIteratorType::Latest {
                    continue;
                }
                let iterator = self
                    .client
                    .get_shard_iterator()
                    .stream_arn(&self.stream_arn)
                    .shard_id(shard_id)
                    .shard_iterator_type(position.clone())
                    .send()
                    .await
                    .map_err(|e| DisplayErrorContext(&e).to_string())?;
                shards.push(ShardCursor {
                    shard_id: shard_id.to_owned(),
                    iterator: iterator.shard_iterator().map(str::to_owned),
                });
            }
            match description.last_evaluated_shard_id() {
                Some(last) => start_after = Some(last.to_owned()),
                None => return Ok(()),
            }
        }
    }

    /// Reads one batch of `shard` and delivers it; says whether there was anything.
    async fn read_shard(&self, shard: &mut ShardCursor) -> Result<bool, String> {
        let Some(iterator) = shard.iterator.clone() else {
            return Ok(false);
        };
        let read = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(self.config.batch_size)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        let records: Vec<Value> = read
            .records()
            .iter()
            .map(|record| lambda_record(record, &self.stream_arn))
            .collect();
        // `None` once a closed shard is read to its end.
        let next = read.next_shard_iterator().map(str::to_owned);
        if records.is_empty() {
            shard.iterator = next;
            return Ok(false);
        }
        self.deliver(records).await;
        // Only now: a batch is read again from the same position until it is delivered or
        // given up, never skipped.
        shard.iterator = next;
        Ok(true)
    }

    /// Invokes the function with `records` until every record is handled, or the batch is
    /// given up after its retries.
    async fn deliver(&self, mut records: Vec<Value>) {
        let mut retries = 0;
        loop {
            let outcome = (self.invoke)(json!({ "Records": records })).await;
            let failed_at = match outcome {
                Ok(response) => first_failed_record(&response, &records),
                Err(reason) => {
                    (self.reports)(&format!(
                        "stream mapping {}: the function failed on a batch of {} records: {reason}",
                        self.config.table_name,
                        records.len()
                    ));
                    Some(0)
                }
            };
            let Some(position) = failed_at else {
                return;
            };
            if position > 0 {
                retries = 0;
                records.drain(..position);
            } else {
                retries += 1;
            }
            if retries > self.config.max_retry_attempts {
                (self.reports)(&format!(
                    "stream mapping {}: gave up {} records (sequence numbers {} to {}) after {} retries; Lambda would send them to the on-failure destination",
                    self.config.table_name,
                    records.len(),
                    sequence_number(&records[0]),
                    sequence_number(&records[records.len() - 1]),
                    self.config.max_retry_attempts
                ));
                return;
            }
            // Lambda retries at once, then backs off; a short, growing pause keeps a failing
            // function from spinning.
            let pause = Duration::from_millis(100 * 2u64.pow(retries.min(5)));
            tokio::time::sleep(pause).await;
        }
    }
}

fn sequence_number(record: &Value) -> &str {
    record["dynamodb"]["SequenceNumber"].as_str().unwrap_or("?")
}

/// Where to retry from, per the partial batch response: `None` when every record is handled,
/// else the position of the earliest record named. A response naming a record that is not in
/// the batch (or naming none by an empty identifier) fails the whole batch, as on Lambda.
fn first_failed_record(response: &Value, records: &[Value]) -> Option<usize> {
    let failures = match response.get("batchItemFailures") {
        None | Some(Value::Null) => return None,
        Some(Value::Array(failures)) => failures,
        Some(_) => return Some(0),
    };
    let mut first: Option<usize> = None;
    for failure in failures {
        let named = failure["itemIdentifier"].as_str().unwrap_or_default();
        let position = records
            .iter()
            .position(|record| sequence_number(record) == named);
        match position {
            Some(position) => first = Some(first.map_or(position, |f| f.min(position))),
            None => return Some(0),
        }
    }
    first
}

/// A stream record as Lambda's event source mapping delivers it: the stream's record with the
/// stream's ARN, times in epoch seconds, attribute values in DynamoDB's JSON.
fn lambda_record(record: &Record, stream_arn: &str) -> Value {
    let mut dynamodb = Map::new();
    if let Some(change) = record.dynamodb() {
        if let Some(time) = change.approximate_creation_date_time() {
            dynamodb.insert("ApproximateCreationDateTime".into(), json!(time.secs()));
        }
        for (name, image) in [
            ("Keys", change.keys()),
            ("NewImage", change.new_image()),
            ("OldImage", change.old_image()),
        ] {
            if let Some(image) = image {
                dynamodb.insert(name.into(), image_json(image));
            }
        }
        if let Some(sequence_number) = change.sequence_number() {
            dynamodb.insert("SequenceNumber".into(), json!(sequence_number));
        }
        if let Some(size) = change.size_bytes() {
            dynamodb.insert("SizeBytes".into(), json!(size));
        }
        if let Some(view) = change.stream_view_type() {
            dynamodb.insert("StreamViewType".into(), json!(view.as_str()));
        }
    }
    let mut lambda = json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|name| name.as_str()),
        "eventVersion": record.event_version(),
        "eventSource": record.event_source(),
        "awsRegion": record.aws_region(),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    });
    if let Some(identity) = record.user_identity() {
        lambda["userIdentity"] = json!({
            "type": identity.r#type(),
            "principalId": identity.principal_id(),
        });
    }
    lambda
}

fn image_json(image: &std::collections::HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        image
            .iter()
            .map(|(name, value)| (name.clone(), attribute_json(value)))
            .collect(),
    )
}

/// An attribute value in DynamoDB's JSON: `{"S": "..."}`, `{"N": "1"}`, binary as base64...
fn attribute_json(value: &AttributeValue) -> Value {
    let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match value {
        AttributeValue::S(text) => json!({ "S": text }),
        AttributeValue::N(number) => json!({ "N": number }),
        AttributeValue::B(blob) => json!({ "B": base64(blob.as_ref()) }),
        AttributeValue::Bool(flag) => json!({ "BOOL": flag }),
        AttributeValue::Null(flag) => json!({ "NULL": flag }),
        AttributeValue::Ss(texts) => json!({ "SS": texts }),
        AttributeValue::Ns(numbers) => json!({ "NS": numbers }),
        AttributeValue::Bs(blobs) => {
            json!({ "BS": blobs.iter().map(|b| base64(b.as_ref())).collect::<Vec<_>>() })
        }
        AttributeValue::L(list) => {
            json!({ "L": list.iter().map(attribute_json).collect::<Vec<_>>() })
        }
        AttributeValue::M(map) => json!({ "M": image_json(map) }),
        // A type newer than this SDK: passed on as absent rather than guessed.
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(sequence_numbers: &[&str]) -> Vec<Value> {
        sequence_numbers
            .iter()
            .map(|n| json!({ "dynamodb": { "SequenceNumber": n } }))
            .collect()
    }

    #[test]
    fn an_empty_or_absent_failure_list_means_every_record_is_handled() {
        let batch = records(&["1", "2"]);
        assert_eq!(first_failed_record(&json!({}), &batch), None);
        assert_eq!(
            first_failed_record(&json!({ "batchItemFailures": [] }), &batch),
            None
        );
        assert_eq!(first_failed_record(&Value::Null, &batch), None);
    }

    #[test]
    fn the_earliest_named_record_is_retried_from() {
        let batch = records(&["1", "2", "3"]);
        let response = json!({ "batchItemFailures": [
            { "itemIdentifier": "3" }, { "itemIdentifier": "2" }
        ] });
        assert_eq!(first_failed_record(&response, &batch), Some(1));
    }

    #[test]
    fn a_failure_naming_no_record_of_the_batch_fails_it_whole() {
        let batch = records(&["1", "2"]);
        for response in [
            json!({ "batchItemFailures": [{ "itemIdentifier": "9" }] }),
            json!({ "batchItemFailures": [{ "itemIdentifier": "" }] }),
            json!({ "batchItemFailures": [{}] }),
            json!({ "batchItemFailures": "2" }),
        ] {
            assert_eq!(
                first_failed_record(&response, &batch),
                Some(0),
                "{response}"
            );
        }
    }

    #[test]
    fn attribute_values_are_dynamodb_json() {
        let value = AttributeValue::M(std::collections::HashMap::from([
            ("n".to_owned(), AttributeValue::N("7".into())),
            (
                "b".to_owned(),
                AttributeValue::B(aws_smithy_types::Blob::new(b"hi".to_vec())),
            ),
            (
                "l".to_owned(),
                AttributeValue::L(vec![AttributeValue::Bool(true), AttributeValue::Null(true)]),
            ),
        ]));
        assert_eq!(
            attribute_json(&value),
            json!({ "M": {
                "n": { "N": "7" },
                "b": { "B": "aGk=" },
                "l": { "L": [{ "BOOL": true }, { "NULL": true }] },
            } })
        );
    }
}
