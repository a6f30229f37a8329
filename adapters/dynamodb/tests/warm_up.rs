//! The init-time warm-up: every kind is answered by a real server and writes nothing; a store
//! that does not answer gets one attempt, bounded by the warm-up's own timeout, whatever the
//! client's retry settings.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::{Credentials, Region};
use items_dynamodb::{DynamoDbItemRepository, TableNames, WarmUp, WARM_UP_TIMEOUT};
use items_sdk_config::{sdk_config_loader, Timeouts};

const EVERY_WARM_UP: [WarmUp; 6] = [
    WarmUp::GetItem,
    WarmUp::PutItem,
    WarmUp::UpdateItem,
    WarmUp::DeleteItem,
    WarmUp::Scan,
    WarmUp::Query,
];

#[tokio::test]
async fn every_warm_up_is_answered_and_writes_nothing() {
    let repository = support::fresh_repository().await;
    for warm_up in EVERY_WARM_UP {
        let outcome = repository.warm_up(warm_up).await;
        assert_eq!(outcome.request, warm_up);
        assert!(outcome.answered, "{warm_up:?} got no answer");
    }
    let stored = repository
        .client()
        .scan()
        .table_name(&repository.tables().items)
        .send()
        .await
        .expect("scan");
    assert_eq!(stored.count(), 0, "a warm-up wrote {:?}", stored.items());
}

/// A repository whose client retries generously, pointed at `endpoint`.
async fn patient_repository(endpoint: String) -> DynamoDbItemRepository {
    let config = sdk_config_loader(Timeouts {
        connect: Duration::from_secs(5),
        attempt: Duration::from_secs(10),
        operation: Duration::from_secs(30),
        max_attempts: 5,
    })
    .region(Region::new("us-east-1"))
    .credentials_provider(Credentials::new("test", "test", None, None, "test"))
    .endpoint_url(endpoint)
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

#[tokio::test]
async fn a_silent_store_gets_one_attempt_within_the_warm_up_timeout() {
    // Accepts connections and never answers, counting them.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("address");
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let repository = patient_repository(format!("http://{address}")).await;

    let outcome =
        tokio::time::timeout(Duration::from_secs(10), repository.warm_up(WarmUp::GetItem))
            .await
            .expect("the warm-up ended");

    assert!(!outcome.answered);
    assert!(
        outcome.elapsed < WARM_UP_TIMEOUT + Duration::from_secs(1),
        "the warm-up took {:?}",
        outcome.elapsed
    );
    assert_eq!(connections.load(Ordering::SeqCst), 1, "retried");
    server.abort();
}

#[tokio::test]
async fn a_closed_port_ends_the_warm_up_at_once() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let repository = patient_repository(format!("http://127.0.0.1:{closed_port}")).await;
    for warm_up in EVERY_WARM_UP {
        let outcome = repository.warm_up(warm_up).await;
        assert!(!outcome.answered, "{warm_up:?}");
        // With retries, backoff alone would take seconds.
        assert!(
            outcome.elapsed < WARM_UP_TIMEOUT,
            "{warm_up:?} took {:?}",
            outcome.elapsed
        );
    }
}
