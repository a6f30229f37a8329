//! An unreachable store is `Unavailable` (retryable, a 503 upstream) for every operation, and
//! the configured timeouts bound how long finding that out takes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::time::Duration;

use aws_sdk_dynamodb::config::{Credentials, Region};
use items_conformance::fixtures::{
    fields, idempotency_record, item, next_timestamp, unique_category,
};
use items_domain::{
    Caller, ItemCreator, ItemDeleter, ItemLister, ItemReader, ItemUpdater, PageLimit, PageRequest,
    RepositoryError, WritePrecondition,
};
use items_dynamodb::{DynamoDbItemRepository, TableNames};
use items_sdk_config::{sdk_config_loader, Timeouts};

/// Far above what the timeouts below allow for all the calls together (about 6 s), far below
/// the SDK's defaults for a store that never answers: a hang fails instead of blocking.
const BOUND: Duration = Duration::from_secs(60);

/// A repository pointed at a loopback port nothing listens on, with short timeouts.
async fn repository_at_a_closed_port() -> DynamoDbItemRepository {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let timeouts = Timeouts {
        connect: Duration::from_millis(200),
        attempt: Duration::from_millis(300),
        operation: Duration::from_secs(1),
        max_attempts: 2,
    };
    let config = sdk_config_loader(timeouts)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(format!("http://127.0.0.1:{closed_port}"))
        .load()
        .await;
    DynamoDbItemRepository::from_sdk_config(
        &config,
        TableNames {
            items: "items".into(),
            idempotency: "idempotency".into(),
        },
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_store_is_unavailable_for_every_operation() {
    let repository = repository_at_a_closed_port().await;
    let new_item = item("unreachable", None);
    let record = idempotency_record(
        "alice",
        "key",
        fields("unreachable", None),
        next_timestamp(),
    );
    let precondition = WritePrecondition::new(&Caller::user(new_item.created_by().clone()), None);
    let by_category = PageRequest {
        limit: PageLimit::default(),
        category: Some(unique_category("down")),
        cursor: None,
    };
    let outcomes = tokio::time::timeout(BOUND, async {
        [
            ("get", repository.get(&new_item.id()).await.map(|_| ())),
            ("insert", repository.insert(&new_item).await),
            (
                "insert_idempotent",
                repository.insert_idempotent(&record).await.map(|_| ()),
            ),
            (
                "update",
                repository
                    .update(
                        &new_item.id(),
                        &new_item.fields().into(),
                        next_timestamp(),
                        &precondition,
                    )
                    .await
                    .map(|_| ()),
            ),
            (
                "delete",
                repository.delete(&new_item.id(), &precondition).await,
            ),
            (
                "list all",
                repository
                    .list_page(&PageRequest::default())
                    .await
                    .map(|_| ()),
            ),
            (
                "list a category",
                repository.list_page(&by_category).await.map(|_| ()),
            ),
        ]
    })
    .await
    .expect("the timeouts bound an unreachable store");
    for (operation, outcome) in outcomes {
        assert_eq!(outcome, Err(RepositoryError::Unavailable), "{operation}");
    }
}
