//! The repository: one conditional request per write.

use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;
use items_domain::{
    Cursor, IdempotencyRecord, IdempotentInsert, Item, ItemChanges, ItemCreator, ItemDeleter,
    ItemId, ItemLister, ItemReader, ItemUpdater, Page, PageRequest, RepositoryError, Timestamp,
    WritePrecondition,
};

use crate::budget::{limited_to, CountingHttpClient, RequestBudget};
use crate::conditions::{delete_expression, failed_delete, failed_update, update_expression};
use crate::config::TableNames;
use crate::errors::store_error;
use crate::records::{
    changes_to_attributes, item_from_attributes, item_key, item_to_attributes,
    record_from_attributes, record_to_attributes, start_key, Attributes,
    RECORD_EXPIRY_MS_ATTRIBUTE,
};
use crate::table_design::{
    CATEGORY_INDEX, CATEGORY_INDEX_PARTITION_KEY, IDEMPOTENCY_KEY, ITEM_KEY,
};
use crate::traced_calls::traced_calls;

/// Sends one DynamoDB operation of a repository call within the call's [`RequestBudget`]: each
/// attempt counted, and the operation held to the attempts left when fewer than the client
/// allows (only then is it customised: see [`RequestBudget`]).
macro_rules! send_within {
    ($budget:expr, $operation:expr) => {{
        let budget: &RequestBudget = &$budget;
        let operation = $operation;
        match budget.attempts_left()? {
            None => budget.count(operation.send()).await,
            Some(left) => {
                budget
                    .count(
                        operation
                            .customize()
                            .config_override(limited_to(left))
                            .send(),
                    )
                    .await
            }
        }
    }};
}

/// The pause before the first retry of a conflicting transaction; doubled each time.
const TRANSACTION_CONFLICT_BACKOFF: Duration = Duration::from_millis(20);

/// Whether a transaction cancelled for this reason (one per item) may go through when sent
/// again: a conflict with another transaction, or throttling. DynamoDB answers both as a
/// cancellation (HTTP 400), which the SDK does not retry, so the store does, within its
/// budget; spent, the caller gets `Unavailable` (503), never a 500.
fn is_transient_cancellation(reason: &str) -> bool {
    matches!(
        reason,
        "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
    )
}

/// Items in DynamoDB. Build it once per process and share it: the client keeps its connections.
#[derive(Debug, Clone)]
pub struct DynamoDbItemRepository {
    client: Client,
    tables: TableNames,
}

impl DynamoDbItemRepository {
    /// A repository over a client and tables. The client's HTTP client is wrapped to count each
    /// call's requests against its budget.
    pub fn new(client: Client, tables: TableNames) -> Self {
        let config = CountingHttpClient::count_requests_of(
            client.config().to_builder(),
            client.config().http_client(),
        );
        Self {
            client: Client::from_conf(config.build()),
            tables,
        }
    }

    /// A repository whose client is built from `config`, e.g. one made with
    /// `items_sdk_config::sdk_config_loader` and custom timeouts. Each of its
    /// calls is traced as a subsegment of the invocation's trace when traces are on (build it
    /// after `items_traces::init`).
    pub fn from_sdk_config(config: &SdkConfig, tables: TableNames) -> Self {
        let mut client_config =
            CountingHttpClient::count_requests_of(config.into(), config.http_client());
        if let Some(traced) = traced_calls() {
            client_config = client_config.interceptor(traced);
        }
        let client_config = client_config.build();
        Self {
            client: Client::from_conf(client_config),
            tables,
        }
    }

    /// The client, e.g. to create tables for local use.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The tables.
    pub fn tables(&self) -> &TableNames {
        &self.tables
    }

    /// A fresh request budget for one call.
    fn budget(&self) -> RequestBudget {
        let client_attempts = self
            .client
            .config()
            .retry_config()
            .map_or(1, |retry| retry.max_attempts());
        RequestBudget::new(client_attempts)
    }

    /// Follows the pages of a scan or query until it has one more item than the page holds (so
    /// a full last page is known to be last) or the store has no more.
    async fn collect_page(
        &self,
        request: &PageRequest,
    ) -> Result<(Vec<Attributes>, bool), RepositoryError> {
        let budget = self.budget();
        let wanted = request.limit.get() as usize + 1;
        let mut items: Vec<Attributes> = Vec::with_capacity(wanted);
        let mut start = request.cursor.as_ref().map(|c| start_key(c.position()));
        loop {
            let remaining = (wanted - items.len()) as i32;
            let (found, last_key) = match &request.category {
                None => {
                    let scan = self
                        .client
                        .scan()
                        .table_name(&self.tables.items)
                        .limit(remaining)
                        .set_exclusive_start_key(start.take());
                    let output = send_within!(budget, scan).map_err(|e| store_error("Scan", &e))?;
                    (output.items, output.last_evaluated_key)
                }
                Some(category) => {
                    let query = self
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
                        .set_exclusive_start_key(start.take());
                    let output =
                        send_within!(budget, query).map_err(|e| store_error("Query", &e))?;
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

/// The item as it was when a PutItem's condition failed, or `None` for any other error.
fn put_condition_failed(error: &SdkError<PutItemError>) -> Option<Option<Attributes>> {
    match error.as_service_error() {
        Some(PutItemError::ConditionalCheckFailedException(failed)) => Some(failed.item.clone()),
        _ => None,
    }
}

/// The item as it was when an UpdateItem's condition failed, or `None` for any other error.
fn update_condition_failed(error: &SdkError<UpdateItemError>) -> Option<Option<Attributes>> {
    match error.as_service_error() {
        Some(UpdateItemError::ConditionalCheckFailedException(failed)) => Some(failed.item.clone()),
        _ => None,
    }
}

/// The item as it was when a DeleteItem's condition failed, or `None` for any other error.
fn delete_condition_failed(error: &SdkError<DeleteItemError>) -> Option<Option<Attributes>> {
    match error.as_service_error() {
        Some(DeleteItemError::ConditionalCheckFailedException(failed)) => Some(failed.item.clone()),
        _ => None,
    }
}

/// Whether the item a create found under its id is the one this create made: an attempt whose
/// answer was lost, sent again by the SDK. Ids are fresh random UUIDs, so the same id, creator
/// and creation time can only be this request's own.
fn is_own_creation(stored: &Option<Attributes>, item: &Item) -> Result<bool, RepositoryError> {
    match stored {
        Some(attributes) if !attributes.is_empty() => {
            let stored = item_from_attributes(attributes.clone())?;
            Ok(stored.id() == item.id()
                && stored.created_by() == item.created_by()
                && stored.created_at() == item.created_at())
        }
        _ => Ok(false),
    }
}

/// A request that could not be built: our bug, logged.
fn unbuildable(what: &'static str, error: impl std::fmt::Display) -> RepositoryError {
    tracing::error!(request = what, %error, "a DynamoDB request could not be built");
    RepositoryError::Internal
}

#[async_trait]
impl ItemCreator for DynamoDbItemRepository {
    async fn insert(&self, item: &Item) -> Result<(), RepositoryError> {
        let budget = self.budget();
        let put = self
            .client
            .put_item()
            .table_name(&self.tables.items)
            .set_item(Some(item_to_attributes(item)?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", ITEM_KEY)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let error = match send_within!(budget, put) {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        match put_condition_failed(&error) {
            Some(stored) if is_own_creation(&stored, item)? => {
                tracing::info!(id = %item.id(), "a create sent again found its own earlier write");
                Ok(())
            }
            Some(_) => Err(RepositoryError::AlreadyExists),
            None => Err(store_error("PutItem", &error)),
        }
    }

    async fn insert_idempotent(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<IdempotentInsert, RepositoryError> {
        // The port's rule: a record is dead once its expiry is not after the new item's creation.
        let now_ms = record.item.created_at().as_millis();
        let put_item = Put::builder()
            .table_name(&self.tables.items)
            .set_item(Some(item_to_attributes(&record.item)?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", ITEM_KEY)
            .build()
            .map_err(|e| unbuildable("item Put", e))?;
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
            .map_err(|e| unbuildable("idempotency record Put", e))?;
        let transaction = [
            TransactWriteItem::builder().put(put_item).build(),
            TransactWriteItem::builder().put(put_record).build(),
        ];
        // Each try draws on the call's request budget, which ends the loop when spent.
        let budget = self.budget();
        let mut backoff = TRANSACTION_CONFLICT_BACKOFF;
        loop {
            if budget.sent() > 0 {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            let transact = self
                .client
                .transact_write_items()
                .set_transact_items(Some(transaction.to_vec()));
            let outcome = send_within!(budget, transact);
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
                let Some(stored) = reasons.get(1).and_then(|r| r.item.clone()) else {
                    tracing::error!(
                        "a cancelled transaction did not return the idempotency record"
                    );
                    return Err(RepositoryError::Internal);
                };
                let (fingerprint, item) = record_from_attributes(stored)?;
                return Ok(if fingerprint == record.fingerprint {
                    IdempotentInsert::Replayed(item)
                } else {
                    IdempotentInsert::Conflict
                });
            }
            if code(0) == "ConditionalCheckFailed" {
                // The record was free but the new item's id was taken: ids are fresh random
                // UUIDs, so this is a bug or a corrupted table, never the caller's doing.
                return Err(RepositoryError::AlreadyExists);
            }
            if [code(0), code(1)]
                .into_iter()
                .any(is_transient_cancellation)
            {
                // Another request with the same key is mid-transaction (once it lands, this
                // one replays it), or an item was throttled: nothing was written either way.
                continue;
            }
            return Err(store_error("TransactWriteItems", &error));
        }
    }
}

#[async_trait]
impl ItemReader for DynamoDbItemRepository {
    async fn get(&self, id: &ItemId) -> Result<Option<Item>, RepositoryError> {
        let get = self
            .client
            .get_item()
            .table_name(&self.tables.items)
            .set_key(Some(item_key(id)))
            // A caller reading their own write expects to see it.
            .consistent_read(true);
        let output = send_within!(self.budget(), get).map_err(|e| store_error("GetItem", &e))?;
        output.item.map(item_from_attributes).transpose()
    }
}

#[async_trait]
impl ItemUpdater for DynamoDbItemRepository {
    async fn update(
        &self,
        id: &ItemId,
        changes: &ItemChanges,
        updated_at: Timestamp,
        precondition: &WritePrecondition,
    ) -> Result<Item, RepositoryError> {
        // Identifies this call's write on the item, so that the SDK sending it again after a
        // lost answer recognises its own write instead of applying it twice.
        let write_id = uuid::Uuid::new_v4().simple().to_string();
        let expression = update_expression(
            precondition,
            changes_to_attributes(changes, updated_at),
            &write_id,
        );
        let budget = self.budget();
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.items)
            .set_key(Some(item_key(id)))
            .condition_expression(expression.condition)
            .set_update_expression(expression.update)
            .set_expression_attribute_names(Some(expression.names))
            .set_expression_attribute_values(Some(expression.values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match send_within!(budget, update) {
            Ok(output) => match output.attributes {
                Some(attributes) => item_from_attributes(attributes),
                None => Err(unbuildable("UpdateItem answer", "no attributes returned")),
            },
            Err(error) => match update_condition_failed(&error) {
                Some(stored) => failed_update(stored, precondition, &write_id),
                None => Err(store_error("UpdateItem", &error)),
            },
        }
    }
}

#[async_trait]
impl ItemDeleter for DynamoDbItemRepository {
    async fn delete(
        &self,
        id: &ItemId,
        precondition: &WritePrecondition,
    ) -> Result<(), RepositoryError> {
        let expression = delete_expression(precondition);
        let budget = self.budget();
        let delete = self
            .client
            .delete_item()
            .table_name(&self.tables.items)
            .set_key(Some(item_key(id)))
            .condition_expression(expression.condition)
            .set_expression_attribute_names(Some(expression.names))
            // DynamoDB rejects an empty map (an admin's delete without If-Match has no values).
            .set_expression_attribute_values(
                (!expression.values.is_empty()).then_some(expression.values),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match send_within!(budget, delete) {
            Ok(_) => Ok(()),
            Err(error) => match delete_condition_failed(&error) {
                Some(stored) => {
                    failed_delete(stored, precondition, budget.may_have_applied_unseen())
                }
                None => Err(store_error("DeleteItem", &error)),
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
