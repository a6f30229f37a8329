//! The memory store's change feed: what the table's stream is to DynamoDB, one change per
//! write that took effect, in write order.

use items_conformance::fixtures::{fields, idempotency_record, item, next_timestamp, subject};
use items_domain::{
    Caller, IdempotentInsert, ItemChange, ItemCreator, ItemDeleter, ItemUpdater, WritePrecondition,
};
use items_memory::{ChangeFeed, InMemoryItemRepository};

fn drain(feed: &mut ChangeFeed) -> Vec<ItemChange> {
    std::iter::from_fn(|| feed.try_recv().ok()).collect()
}

fn anyone() -> WritePrecondition {
    WritePrecondition::new(&Caller::admin(subject("admin")), None)
}

#[tokio::test]
async fn every_write_sends_its_change_in_order_with_the_item_before_and_after() {
    let (store, mut feed) = InMemoryItemRepository::with_change_feed();
    let created = item("lamp", None);
    store.insert(&created).await.expect("insert");
    let replaced = store
        .update(
            &created.id(),
            &fields("desk lamp", None).into(),
            next_timestamp(),
            &anyone(),
        )
        .await
        .expect("update");
    store
        .delete(&created.id(), &anyone())
        .await
        .expect("delete");

    let changes = drain(&mut feed);
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert_eq!(
        changes[0],
        ItemChange::Created {
            item: created.clone()
        }
    );
    assert_eq!(
        changes[1],
        ItemChange::Replaced {
            before: created,
            after: replaced.clone()
        }
    );
    match &changes[2] {
        ItemChange::Deleted { before, at } => {
            assert_eq!(*before, replaced);
            assert!(*at >= replaced.updated_at(), "deleted at {at:?}");
        }
        other => panic!("expected a delete, got {other:?}"),
    }
}

#[tokio::test]
async fn writes_that_do_not_take_effect_and_replayed_creates_send_nothing() {
    let (store, mut feed) = InMemoryItemRepository::with_change_feed();
    let record = idempotency_record("alice", "key-1", fields("lamp", None), next_timestamp());
    assert_eq!(
        store.insert_idempotent(&record).await.expect("first"),
        IdempotentInsert::Created
    );
    assert!(matches!(
        store.insert_idempotent(&record).await.expect("replay"),
        IdempotentInsert::Replayed(_)
    ));
    let not_the_creator = WritePrecondition::new(&Caller::user(subject("mallory")), None);
    assert!(store
        .update(
            &record.item.id(),
            &fields("taken", None).into(),
            next_timestamp(),
            &not_the_creator
        )
        .await
        .is_err());
    assert!(store
        .delete(&record.item.id(), &not_the_creator)
        .await
        .is_err());
    assert!(store.insert(&record.item).await.is_err(), "already exists");

    assert_eq!(
        drain(&mut feed),
        [ItemChange::Created {
            item: record.item.clone()
        }]
    );
}

#[tokio::test]
async fn a_store_without_a_feed_and_a_dropped_feed_still_write() {
    let store = InMemoryItemRepository::new();
    store.insert(&item("lamp", None)).await.expect("insert");
    let (store, feed) = InMemoryItemRepository::with_change_feed();
    drop(feed);
    store.insert(&item("lamp", None)).await.expect("insert");
}
