//! Table streams on the local stage, on a DynamoDB store: the Lambda emulator's
//! [event source mapping](lambda_emulator::stream_mapping) reads the stream of each declared
//! stream function (`STREAM_FUNCTIONS`) from the DynamoDB server and invokes its function with Streams events, as Lambda
//! does. In process mode the function is its real binary behind the Runtime API; in-process it
//! is the stream function's handler, in this process.

use std::sync::Arc;

use apigateway_emulator::Integration;
use items_domain::ChangeEvents;
use items_dynamodb_streams::{StreamHandler, STREAM_FUNCTIONS};
use lambda_emulator::stream_mapping::{Invoke, StreamMapping, StreamMappingConfig};
use lambda_emulator::ReportSink;
use serde_json::Value;

use crate::error::StageError;
use crate::events::EventLog;
use crate::store::DynamoDbStore;
use crate::traces::mapping_invoke;

/// How the stream functions run.
pub(crate) enum StreamFunctions {
    /// Their binaries, in the process pool, each batch in a new trace under Lambda's segment
    /// (a [`crate::traces::TracedFunctions`]).
    Processes(Arc<dyn Integration>),
    /// The stream function's handler, publishing to the stage's bus.
    InProcess(EventLog),
}

/// Starts a mapping for every stream function of `routes.json`; each delivers the writes made
/// after this returns.
pub(crate) async fn map_streams(
    store: &DynamoDbStore,
    functions: StreamFunctions,
    reports: ReportSink,
) -> Result<Vec<StreamMapping>, StageError> {
    let client = aws_sdk_dynamodbstreams::Client::new(&store.sdk_config().await);
    let mut mappings = Vec::new();
    for stream in STREAM_FUNCTIONS {
        let table = store.table_of(stream.table).ok_or_else(|| {
            StageError::Streams(format!(
                "stream function {} reads {:?}, which has no stream",
                stream.function, stream.table
            ))
        })?;
        let invoke = match &functions {
            StreamFunctions::Processes(functions) => {
                mapping_invoke(Arc::clone(functions), stream.function)
            }
            StreamFunctions::InProcess(bus) => handler_invoke(bus).await,
        };
        let mapping = StreamMapping::start(
            client.clone(),
            StreamMappingConfig::new(table),
            invoke,
            Arc::clone(&reports),
        )
        .await
        .map_err(|error| StageError::Streams(error.to_string()))?;
        mappings.push(mapping);
    }
    Ok(mappings)
}

/// Calls the stream function's handler in this process, publishing to `bus`.
async fn handler_invoke(bus: &EventLog) -> Invoke {
    let handler = StreamHandler::new(ChangeEvents::new(Arc::new(bus.publisher().await)));
    Arc::new(move |event: Value| {
        let handler = handler.clone();
        Box::pin(async move {
            let handled = handler
                .handle(event)
                .await
                .map_err(|error| error.to_string())?;
            serde_json::to_value(handled.response).map_err(|error| error.to_string())
        })
    })
}
