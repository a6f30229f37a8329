//! The repository: one conditional request per write.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;
use items_domain::{
    Cursor, IdempotencyRecord, IdempotentInsert, Item, ItemCreator, ItemDeleter, ItemId,
    ItemLister, ItemReader, ItemUpdater, Page, PageRequest, RepositoryError, Version,
};

use crate::config::{sdk_config_from_env, ConfigError, TableNames, Timeouts};
use crate::errors::store_error;
use crate::records::{
    item_from_attributes, item_key, item_to_attributes, record_from_attributes,
    record_to_attributes, start_key, Attributes, RECORD_EXPIRY_MS_ATTRIBUTE, VERSION_ATTRIBUTE,
};
use crate::table_design::{
    CATEGORY_INDEX, CATEGORY_INDEX_PARTITION_KEY, IDEMPOTENCY_KEY, ITEM_KEY,
};

/// How often a transaction cancelled by a concurrent one is tried again before giving up.
const TRANSACTION_CONFLICT_ATTEMPTS: u32 = 4;
/// The pause before the first retry of a conflicting transaction; doubled each time.
const TRANSACTION_CONFLICT_BACKOFF: Duration = Duration::from_millis(20);

/// Items in DynamoDB. Build it once per process and share it: the client keeps its connections.
#[derive(Debug, Clone)]
pub struct DynamoDbItemRepository {
    client: Client,
    tables: TableNames,
}

impl DynamoDbItemRepository {
    /// A repository over a client and tables.
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, tables }
    }

    /// A repository whose client is built from `config`, e.g. one made with
    /// [`sdk_config_loader`](crate::sdk_config_loader) and custom [`Timeouts`].
    pub fn from_sdk_config(config: &SdkConfig, tables: TableNames) -> Self {
        Self::new(Client::new(config), tables)
    }

    /// Configured from the environment: region, credentials and endpoint as the SDK reads them,
    /// table names from `ITEMS_TABLE` and `IDEMPOTENCY_TABLE`, default [`Timeouts`].
    pub async fn from_env() -> Result<Self, ConfigError> {
        let tables = TableNames::from_env()?;
        let config = sdk_config_from_env(Timeouts::default()).await?;
        Ok(Self::from_sdk_config(&config, tables))
    }

    /// The client, e.g. to create tables for local use.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The tables.
    pub fn tables(&self) -> &TableNames {
        &self.tables
    }

    fn version_condition(expected: Version) -> (String, HashMap<String, String>, Attributes) {
        (
            "attribute_exists(#id) AND #version = :expected".to_owned(),
            HashMap::from([
                ("#id".to_owned(), ITEM_KEY.to_owned()),
                ("#version".to_owned(), VERSION_ATTRIBUTE.to_owned()),
            ]),
            HashMap::from([(
                ":expected".to_owned(),
                AttributeValue::N(expected.get().to_string()),
            )]),
        )
    }

    /// Follows the pages of a scan or query until it has one more item than the page holds (so
    /// a full last page is known to be last) or the store has no more.
    async fn collect_page(
        &self,
        request: &PageRequest,
    ) -> Result<(Vec<Attributes>, bool), RepositoryError> {
        let wanted = request.limit.get() as usize + 1;
        let mut items: Vec<Attributes> = Vec::with_capacity(wanted);
        let mut start = request.cursor.as_ref().map(|c| start_key(c.position()));
        loop {
            let remaining = (wanted - items.len()) as i32;
            let (found, last_key) = match &request.category {
                None => {
                    let output = self
                        .client
                        .scan()
                        .table_name(&self.tables.items)
                        .limit(remaining)
                        .set_exclusive_start_key(start.take())
                        .send()
                        .await
                        .map_err(|e| store_error("Scan", &e))?;
                    (output.items, output.last_evaluated_key)
                }
                Some(category) => {
                    let output = self
                        .client
                        .query()
                        .table_name(&self.tables.items)
                        .index_name(CATEGORY_INDEX)
                        .key_condition_expression("#category = :category")
                        .expression_attribute_names("#category", CATEGORY_INDEX_PARTITION_KEY)
                        .expression_attribute_values(
                            ":category",
                            AttributeValue::S(category.as_str().to_owned()),
                        )
                        .scan_index_forward(false)
                        .limit(remaining)
                        .set_exclusive_start_key(start.take())
                        .send()
                        .await
                        .map_err(|e| store_error("Query", &e))?;
                    (output.items, output.last_evaluated_key)
                }
            };
            items.extend(found.unwrap_or_default());
            match last_key {
                Some(key) if items.len() < wanted && !key.is_empty() => start = Some(key),
                _ => {
                    let has_more = items.len() >= wanted;
                    items.truncate(wanted - 1);
                    return Ok((items, has_more));
                }
            }
        }
    }
}

/// Whether a conditional PutItem/DeleteItem failed its condition, and what was stored then.
enum ConditionOutcome {
    Failed(Option<Attributes>),
    Other,
}

fn put_condition(error: &SdkError<PutItemError>) -> ConditionOutcome {
    match error.as_service_error() {
        Some(PutItemError::ConditionalCheckFailedException(failed)) => {
            ConditionOutcome::Failed(failed.item.clone())
        }
        _ => ConditionOutcome::Other,
    }
}

fn delete_condition(error: &SdkError<DeleteItemError>) -> ConditionOutcome {
    match error.as_service_error() {
        Some(DeleteItemError::ConditionalCheckFailedException(failed)) => {
            ConditionOutcome::Failed(failed.item.clone())
        }
        _ => ConditionOutcome::Other,
    }
}

/// A failed version condition: the stored item, if any, tells mismatch from absence.
fn version_failure(stored: Option<Attributes>) -> RepositoryError {
    match stored {
        Some(item) if !item.is_empty() => RepositoryError::VersionMismatch,
        _ => RepositoryError::NotFound,
    }
}

#[async_trait]
impl ItemCreator for DynamoDbItemRepository {
    async fn insert(&self, item: &Item) -> Result<(), RepositoryError> {
        let outcome = self
            .client
            .put_item()
            .table_name(&self.tables.items)
            .set_item(Some(item_to_attributes(item)?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", ITEM_KEY)
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(error) => match put_condition(&error) {
                ConditionOutcome::Failed(_) => Err(RepositoryError::AlreadyExists),
                ConditionOutcome::Other => Err(store_error("PutItem", &error)),
            },
        }
    }

    async fn insert_idempotent(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<IdempotentInsert, RepositoryError> {
        // The port's rule: a record is dead once its expiry is not after the new item's creation.
        let now_ms = record.item.created_at.as_millis();
        let put_item = Put::builder()
            .table_name(&self.tables.items)
            .set_item(Some(item_to_attributes(&record.item)?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", ITEM_KEY)
            .build()
            .map_err(|_| RepositoryError::Internal)?;
        // A record whose expiry has passed counts as absent even before TTL removes it.
        let put_record = Put::builder()
            .table_name(&self.tables.idempotency)
            .set_item(Some(record_to_attributes(record)?))
            .condition_expression("attribute_not_exists(#scope) OR #expires_ms <= :now_ms")
            .expression_attribute_names("#scope", IDEMPOTENCY_KEY)
            .expression_attribute_names("#expires_ms", RECORD_EXPIRY_MS_ATTRIBUTE)
            .expression_attribute_values(":now_ms", AttributeValue::N(now_ms.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|_| RepositoryError::Internal)?;
        let transaction = [
            TransactWriteItem::builder().put(put_item).build(),
            TransactWriteItem::builder().put(put_record).build(),
        ];
        for attempt in 0..TRANSACTION_CONFLICT_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(TRANSACTION_CONFLICT_BACKOFF * 2u32.pow(attempt - 1)).await;
            }
            let outcome = self
                .client
                .transact_write_items()
                .set_transact_items(Some(transaction.to_vec()))
                .send()
                .await;
            let error = match outcome {
                Ok(_) => return Ok(IdempotentInsert::Created),
                Err(error) => error,
            };
            let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
                error.as_service_error()
            else {
                return Err(store_error("TransactWriteItems", &error));
            };
            let reasons = cancelled.cancellation_reasons();
            let code = |i: usize| reasons.get(i).and_then(|r| r.code()).unwrap_or("None");
            if code(1) == "ConditionalCheckFailed" {
                let stored = reasons
                    .get(1)
                    .and_then(|r| r.item.clone())
                    .ok_or(RepositoryError::Internal)?;
                let (fingerprint, item) = record_from_attributes(stored)?;
                return Ok(if fingerprint == record.fingerprint {
                    IdempotentInsert::Replayed(item)
                } else {
                    IdempotentInsert::Conflict
                });
            }
            if code(0) == "ConditionalCheckFailed" {
                return Err(RepositoryError::AlreadyExists);
            }
            if code(0) == "TransactionConflict" || code(1) == "TransactionConflict" {
                // Another request with the same key is mid-transaction: once it lands, this
                // one replays it.
                continue;
            }
            return Err(store_error("TransactWriteItems", &error));
        }
        tracing::warn!("idempotent insert kept conflicting with concurrent transactions");
        Err(RepositoryError::Unavailable)
    }
}

#[async_trait]
impl ItemReader for DynamoDbItemRepository {
    async fn get(&self, id: &ItemId) -> Result<Option<Item>, RepositoryError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.items)
            .set_key(Some(item_key(id)))
            // Updates read before their conditional write: a stale read would only cost a
            // retry, but a caller reading their own write expects to see it.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("GetItem", &e))?;
        output.item.map(item_from_attributes).transpose()
    }
}

#[async_trait]
impl ItemUpdater for DynamoDbItemRepository {
    async fn update(&self, item: &Item, expected: Version) -> Result<(), RepositoryError> {
        let (condition, names, values) = Self::version_condition(expected);
        let outcome = self
            .client
            .put_item()
            .table_name(&self.tables.items)
            .set_item(Some(item_to_attributes(item)?))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(error) => match put_condition(&error) {
                ConditionOutcome::Failed(stored) => Err(version_failure(stored)),
                ConditionOutcome::Other => Err(store_error("PutItem", &error)),
            },
        }
    }
}

#[async_trait]
impl ItemDeleter for DynamoDbItemRepository {
    async fn delete(&self, id: &ItemId, expected: Version) -> Result<(), RepositoryError> {
        let (condition, names, values) = Self::version_condition(expected);
        let outcome = self
            .client
            .delete_item()
            .table_name(&self.tables.items)
            .set_key(Some(item_key(id)))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(error) => match delete_condition(&error) {
                ConditionOutcome::Failed(stored) => Err(version_failure(stored)),
                ConditionOutcome::Other => Err(store_error("DeleteItem", &error)),
            },
        }
    }
}

#[async_trait]
impl ItemLister for DynamoDbItemRepository {
    async fn list_page(&self, request: &PageRequest) -> Result<Page<Item>, RepositoryError> {
        let (attributes, has_more) = self.collect_page(request).await?;
        let items = attributes
            .into_iter()
            .map(item_from_attributes)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = match (has_more, items.last()) {
            (true, Some(last)) => Some(Cursor::new(request.position_after(last))),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }
}
