//! An unreachable store is `Unavailable` (retryable, a 503 upstream), within the timeouts.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::Client;
use items_contract::fixtures::item;
use items_domain::{ItemRepository, PageRequest, RepositoryError};
use items_dynamodb::{sdk_config_loader, DynamoDbItemRepository, TableNames, Timeouts};

/// A repository pointed at a loopback port nothing listens on.
async fn repository_at_a_closed_port() -> DynamoDbItemRepository {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let timeouts = Timeouts {
        connect: Duration::from_millis(200),
        attempt: Duration::from_millis(300),
        operation: Duration::from_secs(2),
        max_attempts: 2,
    };
    let config = sdk_config_loader(timeouts)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(format!("http://127.0.0.1:{closed_port}"))
        .load()
        .await;
    DynamoDbItemRepository::new(
        Client::new(&config),
        TableNames {
            items: "items".into(),
            idempotency: "idempotency".into(),
        },
    )
}

#[tokio::test]
async fn an_unreachable_store_is_unavailable_for_reads_and_writes() {
    let repository = repository_at_a_closed_port().await;
    let started = Instant::now();
    let new_item = item("unreachable", None);
    assert_eq!(
        repository.get(&new_item.id).await,
        Err(RepositoryError::Unavailable)
    );
    assert_eq!(
        repository.insert(&new_item).await,
        Err(RepositoryError::Unavailable)
    );
    assert_eq!(
        repository.list_page(&PageRequest::default()).await,
        Err(RepositoryError::Unavailable)
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the timeouts bound an unreachable store"
    );
}
