//! The API's functions called in this process: the one place where the local stage calls the
//! driving adapter. Each route's handler runs over one shared repository, as one table is
//! shared by every deployed function, and records its handler's segment of a sampled trace
//! (see [`crate::traces`]).

use std::collections::HashMap;
use std::sync::Arc;

use apigateway_emulator::{FunctionFailure, Integration, IntegrationFuture};
use items_apigateway::{handler_for, AdapterConfig, EventHandler, Route};
use items_domain::ItemRepository;
use items_dynamodb::DynamoDbItemRepository;
use items_memory::{ChangeFeed, InMemoryItemRepository};
use serde_json::Value;
use xray_emulator::{TraceHeader, XrayDaemon};

use crate::store::{create_tables, StoreConfig, StoreError};
use crate::traces::{epoch_seconds, handler_segment, record, RequestLine};

/// The API's functions, called in-process over the configured store and recording their
/// handlers' segments in `traces`, and the memory store's change feed (a DynamoDB store's
/// changes are on its table's stream).
pub(crate) async fn in_process_functions(
    store: &StoreConfig,
    traces: Arc<XrayDaemon>,
) -> Result<(Arc<dyn Integration>, Option<ChangeFeed>), StoreError> {
    let (repository, feed): (Arc<dyn ItemRepository>, _) = match store {
        StoreConfig::Memory => {
            let (repository, feed) = InMemoryItemRepository::with_change_feed();
            (Arc::new(repository), Some(feed))
        }
        StoreConfig::DynamoDb(dynamodb) => {
            let client = dynamodb.client().await;
            create_tables(&client, dynamodb).await?;
            let repository = DynamoDbItemRepository::new(client, dynamodb.table_names());
            (Arc::new(repository), None)
        }
    };
    let config = AdapterConfig::from_env().map_err(StoreError::Config)?;
    let functions = Route::ALL
        .into_iter()
        .map(|route| {
            let handler = handler_for(route, Arc::clone(&repository), &config);
            (route.function_name(), handler)
        })
        .collect();
    Ok((Arc::new(ApiFunctions { functions, traces }), feed))
}

/// The API's functions behind the in-process integration, by function name.
struct ApiFunctions {
    functions: HashMap<&'static str, Arc<dyn EventHandler>>,
    traces: Arc<XrayDaemon>,
}

impl Integration for ApiFunctions {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        event: Value,
        trace_header: &'a str,
    ) -> IntegrationFuture<'a> {
        Box::pin(async move {
            // Every route of the table comes from the same declaration as these functions; a miss
            // is a broken build, answered as API Gateway answers a broken function.
            let handler = self
                .functions
                .get(function)
                .ok_or_else(|| FunctionFailure::Error(format!("no function named {function}")))?;
            let Some(trace) = TraceHeader::parse(trace_header).filter(TraceHeader::is_sampled)
            else {
                return Ok(handler.handle_event(event).await);
            };
            let request = RequestLine::of(&event);
            let start_time = epoch_seconds();
            let response = handler.handle_event(event).await;
            let segment = handler_segment(&trace, handler.route(), request, &response, start_time);
            record(&self.traces, segment);
            Ok(response)
        })
    }
}
