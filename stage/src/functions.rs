//! The API's functions called in this process: the one place where the local stage calls the
//! driving adapter. Each route's handler runs over one shared repository, as one table is
//! shared by every deployed function.

use std::collections::HashMap;
use std::sync::Arc;

use apigateway_emulator::{FunctionFailure, Integration, IntegrationFuture};
use items_apigateway::{handler_for, Config, EventHandler, Route};
use items_domain::ItemRepository;
use items_dynamodb::DynamoDbItemRepository;
use items_memory::{ChangeFeed, InMemoryItemRepository};
use serde_json::Value;

use crate::store::{create_tables, StoreConfig, StoreError};

/// The API's functions, called in-process over the configured store, and the memory store's
/// change feed (a DynamoDB store's changes are on its table's stream).
pub(crate) async fn in_process_functions(
    store: &StoreConfig,
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
    let config = Config::from_env().map_err(StoreError::Config)?;
    let functions = Route::ALL
        .into_iter()
        .map(|route| {
            let handler = handler_for(route, Arc::clone(&repository), &config);
            (route.function_name(), handler)
        })
        .collect();
    Ok((Arc::new(ApiFunctions { functions }), feed))
}

/// The API's functions behind the in-process integration, by function name.
struct ApiFunctions {
    functions: HashMap<&'static str, Arc<dyn EventHandler>>,
}

impl Integration for ApiFunctions {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        event: Value,
        _trace_id: &'a str,
    ) -> IntegrationFuture<'a> {
        Box::pin(async move {
            // Every route of the table comes from the same declaration as these functions; a miss
            // is a broken build, answered as API Gateway answers a broken function.
            let handler = self
                .functions
                .get(function)
                .ok_or_else(|| FunctionFailure::Error(format!("no function named {function}")))?;
            Ok(handler.handle_event(event).await)
        })
    }
}
