//! What the conformance suite cannot see: how items and records sit in DynamoDB, the table design, and
//! listings whose store pages are cut short by DynamoDB's 1 MB limit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::collections::HashSet;

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, ProjectionType, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;
use items_conformance::fixtures::{
    fields, idempotency_record, item, next_timestamp, unique_category,
};
use items_domain::{
    Caller, Category, Cursor, IdempotentInsert, Item, ItemCreator, ItemDeleter, ItemLister,
    ItemReader, PageLimit, PageRequest, RepositoryError, Timestamp, WritePrecondition,
};
use items_dynamodb::table_design::{
    create_tables, CATEGORY_INDEX, CATEGORY_INDEX_PARTITION_KEY, CATEGORY_INDEX_SORT_KEY,
    IDEMPOTENCY_KEY, IDEMPOTENCY_TTL_ATTRIBUTE, ITEM_KEY,
};
use items_dynamodb::{DynamoDbItemRepository, TableNames};

async fn stored_attributes(
    client: &Client,
    tables: &TableNames,
    item: &Item,
) -> std::collections::HashMap<String, AttributeValue> {
    client
        .get_item()
        .table_name(&tables.items)
        .key(ITEM_KEY, AttributeValue::S(item.id().to_string()))
        .send()
        .await
        .expect("GetItem")
        .item
        .expect("the item is stored")
}

#[tokio::test(flavor = "multi_thread")]
async fn create_tables_builds_the_design_and_is_safe_to_run_again() {
    let client = support::client().await;
    let tables = support::fresh_tables(&client).await;
    create_tables(&client, &tables)
        .await
        .expect("a second run accepts the existing tables");

    let items = client
        .describe_table()
        .table_name(&tables.items)
        .send()
        .await
        .expect("DescribeTable")
        .table
        .expect("items table");
    let key = &items.key_schema()[0];
    assert_eq!(
        (key.attribute_name(), key.key_type()),
        (ITEM_KEY, &KeyType::Hash)
    );
    assert_eq!(
        items.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    let index = &items.global_secondary_indexes()[0];
    assert_eq!(index.index_name(), Some(CATEGORY_INDEX));
    let index_keys: Vec<_> = index
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().clone()))
        .collect();
    assert_eq!(
        index_keys,
        [
            (CATEGORY_INDEX_PARTITION_KEY, KeyType::Hash),
            (CATEGORY_INDEX_SORT_KEY, KeyType::Range)
        ]
    );
    assert_eq!(
        index.projection().and_then(|p| p.projection_type()),
        Some(&ProjectionType::All)
    );

    let idempotency = client
        .describe_table()
        .table_name(&tables.idempotency)
        .send()
        .await
        .expect("DescribeTable")
        .table
        .expect("idempotency table");
    assert_eq!(
        idempotency.key_schema()[0].attribute_name(),
        IDEMPOTENCY_KEY
    );
    let ttl = client
        .describe_time_to_live()
        .table_name(&tables.idempotency)
        .send()
        .await
        .expect("DescribeTimeToLive")
        .time_to_live_description
        .expect("TTL description");
    assert_eq!(ttl.attribute_name(), Some(IDEMPOTENCY_TTL_ATTRIBUTE));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_item_without_category_is_stored_without_the_attribute() {
    let client = support::client().await;
    let tables = support::fresh_tables(&client).await;
    let repository = DynamoDbItemRepository::new(client.clone(), tables.clone());
    let uncategorised = item("no category", None);
    repository.insert(&uncategorised).await.expect("insert");

    let stored = stored_attributes(&client, &tables, &uncategorised).await;
    assert!(!stored.contains_key(CATEGORY_INDEX_PARTITION_KEY));
    assert!(stored.values().all(|value| !value.is_null()));
    assert_eq!(
        stored.get(CATEGORY_INDEX_SORT_KEY),
        Some(&AttributeValue::S(uncategorised.created_at().to_rfc3339()))
    );
    assert_eq!(stored.get("version"), Some(&AttributeValue::N("1".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_item_that_breaks_the_rules_is_an_internal_error_for_reads_and_listings() {
    let client = support::client().await;
    let tables = support::fresh_tables(&client).await;
    let repository = DynamoDbItemRepository::new(client.clone(), tables.clone());
    let broken = item("soon broken", None);
    repository.insert(&broken).await.expect("insert");
    client
        .update_item()
        .table_name(&tables.items)
        .key(ITEM_KEY, AttributeValue::S(broken.id().to_string()))
        .update_expression("SET #name = :blank")
        .expression_attribute_names("#name", "name")
        .expression_attribute_values(":blank", AttributeValue::S("   ".into()))
        .send()
        .await
        .expect("UpdateItem");

    assert_eq!(
        repository.get(&broken.id()).await,
        Err(RepositoryError::Internal)
    );
    assert_eq!(
        repository.list_page(&PageRequest::default()).await,
        Err(RepositoryError::Internal)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replay_returns_the_item_as_first_created_without_reading_the_items_table() {
    let repository = support::fresh_repository().await;
    let first = idempotency_record(
        "alice",
        "snapshot",
        fields("original", None),
        next_timestamp(),
    );
    assert_eq!(
        repository.insert_idempotent(&first).await,
        Ok(IdempotentInsert::Created)
    );
    // The item changes and then disappears; the record still answers with what was created.
    let as_creator = WritePrecondition::new(&Caller::user(first.item.created_by().clone()), None);
    repository
        .delete(&first.item.id(), &as_creator)
        .await
        .expect("delete");
    let again = idempotency_record(
        "alice",
        "snapshot",
        fields("original", None),
        first.item.created_at().plus_hours(1),
    );
    assert_eq!(
        repository.insert_idempotent(&again).await,
        Ok(IdempotentInsert::Replayed(first.item.clone()))
    );
    assert_eq!(repository.get(&again.item.id()).await, Ok(None));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_record_counts_until_the_millisecond_it_expires() {
    let repository = support::fresh_repository().await;
    // Half-way through a second, where a seconds-precision comparison would be wrong.
    let at = Timestamp::from_millis(next_timestamp().as_millis() + 500).expect("in range");
    let first = idempotency_record("alice", "edge", fields("edge", None), at);
    repository.insert_idempotent(&first).await.expect("first");

    let expiry = first.expires_at.as_millis();
    let just_before = Timestamp::from_millis(expiry - 1).expect("in range");
    let last_moment = idempotency_record("alice", "edge", fields("edge", None), just_before);
    assert_eq!(
        repository.insert_idempotent(&last_moment).await,
        Ok(IdempotentInsert::Replayed(first.item.clone()))
    );
    let expired = idempotency_record("alice", "edge", fields("edge", None), first.expires_at);
    assert_eq!(
        repository.insert_idempotent(&expired).await,
        Ok(IdempotentInsert::Created)
    );
}

/// Items far bigger than the API allows (an extra attribute), so DynamoDB's 1 MB response limit
/// cuts each store page after three of them, well before the page is full.
async fn insert_padded(client: &Client, tables: &TableNames, items: &[Item]) {
    let repository = DynamoDbItemRepository::new(client.clone(), tables.clone());
    let padding = "p".repeat(300 * 1024);
    for stored in items {
        repository.insert(stored).await.expect("insert");
        client
            .update_item()
            .table_name(&tables.items)
            .key(ITEM_KEY, AttributeValue::S(stored.id().to_string()))
            .update_expression("SET padding = :padding")
            .expression_attribute_values(":padding", AttributeValue::S(padding.clone()))
            .send()
            .await
            .expect("UpdateItem");
    }
}

/// Follows a listing to its end; returns each page's items.
async fn all_pages(
    repository: &DynamoDbItemRepository,
    category: Option<Category>,
) -> Vec<Vec<Item>> {
    let mut pages = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let request = PageRequest {
            limit: PageLimit::new(5).expect("a valid limit"),
            category: category.clone(),
            cursor: cursor.take(),
        };
        let page = repository.list_page(&request).await.expect("list_page");
        pages.push(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return pages,
        }
        assert!(pages.len() <= 12, "the listing does not end");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn listings_fill_each_page_across_store_pages_cut_by_the_size_limit() {
    let client = support::client().await;
    let tables = support::fresh_tables(&client).await;
    let category = unique_category("big");
    let items: Vec<Item> = (0..12)
        .map(|n| item(&format!("big {n}"), Some(category.clone())))
        .collect();
    insert_padded(&client, &tables, &items).await;
    let repository = DynamoDbItemRepository::new(client, tables);

    for listing in [None, Some(category.clone())] {
        let pages = all_pages(&repository, listing.clone()).await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [5, 5, 2], "page sizes for {listing:?}");
        let listed: Vec<&Item> = pages.iter().flatten().collect();
        let unique: HashSet<_> = listed.iter().map(|i| i.id()).collect();
        assert_eq!(unique.len(), items.len(), "each item once for {listing:?}");
        if listing.is_some() {
            let newest_first: Vec<&Item> = items.iter().rev().collect();
            assert_eq!(listed, newest_first);
        }
    }
}
