//! The stream function's figures: cold init (process start to first poll, as for the route
//! functions), and the warm Duration of one batch of 10 stream records (one `PutEvents` call to
//! a local EventBridge), from the real `publish-item-events` binary behind the bench's Runtime
//! API.

use std::time::Duration;

use eventbridge_emulator::EventBridgeEmulator;
use items_domain::{Category, Description, Item, ItemFields, ItemId, ItemName, Subject, Timestamp};
use items_dynamodb::stream::image_of;
use items_dynamodb::table_design::ITEM_KEY;
use items_dynamodb_streams::PUBLISH_ITEM_EVENTS;
use serde_json::{json, Map, Value};

use crate::events::{item_name, CALLER, ITEM_CATEGORY, ITEM_DESCRIPTION};
use crate::function::{FunctionProcess, Launch};
use crate::stats::Summary;
use crate::BoxError;

/// The stream function, from its declaration.
pub(crate) const FUNCTION: &str = PUBLISH_ITEM_EVENTS.function;

/// Records per measured batch: one full `PutEvents` call.
pub(crate) const RECORDS_PER_BATCH: usize = 10;

/// The stream function's cold and warm figures.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct StreamRun {
    /// The stripped `bootstrap` and its zip, when the sizes file has them.
    pub bootstrap_bytes: Option<u64>,
    /// The deployment zip.
    pub zip_bytes: Option<u64>,
    /// Process start to first poll.
    pub cold_init: Summary,
    /// The Duration of one batch of [`RECORDS_PER_BATCH`] records, warm.
    pub batch_duration: Summary,
    /// The mean warm batch Duration as billed, each rounded up to the millisecond.
    pub billed_ms_mean: f64,
    /// Records per batch.
    pub records_per_batch: usize,
    /// The warm process's peak resident set, in MiB.
    pub peak_rss_mib: Option<f64>,
}

/// Cold starts over `cold_runs` fresh processes, then `batches` warm batches (after `warm_up`)
/// in one process; every batch must be published whole.
pub(crate) async fn measure(
    launch: &Launch,
    cold_runs: usize,
    warm_up: usize,
    batches: usize,
) -> Result<StreamRun, BoxError> {
    let bus = EventBridgeEmulator::start().await?;
    let mut launch = launch.clone();
    launch.environment.extend([
        (
            items_eventbridge::EVENT_BUS_ENV.to_owned(),
            "bench-events".to_owned(),
        ),
        (items_eventbridge::ENDPOINT_ENV.to_owned(), bus.url()),
    ]);
    let mut sequence = 0u64;

    let mut inits = Vec::with_capacity(cold_runs);
    for _ in 0..cold_runs {
        let mut process = FunctionProcess::start(&launch).await?;
        let answer = publish_batch(&mut process, &mut sequence).await;
        let init = process.init_duration();
        process.stop().await;
        answer?;
        inits.push(init.ok_or("the stream function answered without polling")?);
    }

    let mut process = FunctionProcess::start(&launch).await?;
    let mut durations = Vec::with_capacity(batches);
    for n in 0..warm_up + batches {
        match publish_batch(&mut process, &mut sequence).await {
            Ok(duration) if n >= warm_up => durations.push(duration),
            Ok(_) => {}
            Err(error) => {
                process.stop().await;
                return Err(error);
            }
        }
    }
    let peak_rss_mib = process.peak_rss_kib().map(|kib| kib as f64 / 1024.0);
    process.stop().await;
    let expected = (cold_runs + warm_up + batches) * RECORDS_PER_BATCH;
    if bus.events().len() != expected {
        return Err(format!(
            "the bus received {} events, not the {expected} the batches hold",
            bus.events().len()
        )
        .into());
    }
    Ok(StreamRun {
        bootstrap_bytes: None,
        zip_bytes: None,
        cold_init: Summary::of(&inits).ok_or("no cold starts measured")?,
        batch_duration: Summary::of(&durations).ok_or("no batches measured")?,
        billed_ms_mean: durations
            .iter()
            .map(|d| (d.as_secs_f64() * 1000.0).ceil())
            .sum::<f64>()
            / durations.len().max(1) as f64,
        records_per_batch: RECORDS_PER_BATCH,
        peak_rss_mib,
    })
}

/// Sends one batch of new items' `INSERT` records and returns its Duration; a batch the
/// function reports a failure for is an error.
async fn publish_batch(
    process: &mut FunctionProcess,
    sequence: &mut u64,
) -> Result<Duration, BoxError> {
    let records: Vec<Value> = (0..RECORDS_PER_BATCH)
        .map(|_| {
            *sequence += 1;
            insert_record(*sequence)
        })
        .collect::<Result<_, _>>()?;
    let answer = process.invoke(json!({ "Records": records })).await?;
    let failures = answer.response["batchItemFailures"]
        .as_array()
        .map_or(0, Vec::len);
    if failures > 0 {
        return Err(format!("the batch was not published: {}", answer.response).into());
    }
    Ok(answer.duration)
}

/// The stream record of a new item of typical size, as Lambda's event source mapping sends it.
fn insert_record(sequence: u64) -> Result<Value, BoxError> {
    let item = Item::create(
        ItemId::from_uuid(uuid::Uuid::new_v4()),
        ItemFields {
            name: ItemName::parse(item_name(sequence))?,
            description: Description::parse(ITEM_DESCRIPTION)?,
            category: Some(Category::parse(ITEM_CATEGORY)?),
        },
        Subject::parse(CALLER)?,
        Timestamp::from_millis(1_767_225_600_000 + sequence as i64).ok_or("a time in range")?,
    );
    let region = lambda_emulator::region();
    let image = serde_json::to_value(image_of(&item))?;
    let mut keys = Map::new();
    keys.insert(ITEM_KEY.to_owned(), json!({ "S": item.id().to_string() }));
    Ok(json!({
        "eventID": format!("bench-{sequence}"),
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "eventSourceARN": format!(
            "arn:aws:dynamodb:{region}:{}:table/bench-items/stream/2026-01-01T00:00:00.000",
            lambda_emulator::ACCOUNT_ID
        ),
        "dynamodb": {
            "ApproximateCreationDateTime": item.created_at().as_millis() / 1000,
            "Keys": keys,
            "NewImage": image,
            "SequenceNumber": sequence.to_string(),
            "SizeBytes": 512,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }))
}
