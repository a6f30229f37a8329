//! The use cases on the in-memory store: ownership, versions and idempotency as the contract
//! states them; and, with mocked ports, that store failures surface typed and write nothing.

use std::sync::Arc;

use items_conformance::fixtures::{fields, subject, unique_category, ManualClock};
use items_conformance::MockItemRepository;
use items_domain::{
    Caller, Clock, CreateItem, Creation, DeleteItem, DomainError, GetItem, IdempotencyKey, Item,
    ItemChanges, ItemId, ItemLister, ItemRepository, ListItems, NewItem, Page, PageLimit,
    PageRequest, RepositoryError, UpdateItem, UuidV4Ids, Version,
};
use items_memory::InMemoryItemRepository;

/// The five use cases over one store, as the local stage wires them.
struct Service<S> {
    get: GetItem<S>,
    list: ListItems<S>,
    create: CreateItem<S>,
    update: UpdateItem<S>,
    delete: DeleteItem<S>,
}

impl<S: ItemRepository + Clone> Service<S> {
    fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            get: GetItem::new(store.clone()),
            list: ListItems::new(store.clone()),
            create: CreateItem::new(store.clone(), clock.clone(), Arc::new(UuidV4Ids)),
            update: UpdateItem::new(store.clone(), clock),
            delete: DeleteItem::new(store),
        }
    }

    async fn get(&self, caller: &Caller, id: &ItemId) -> Result<Item, DomainError> {
        self.get.get(caller, id).await
    }

    async fn list(
        &self,
        caller: &Caller,
        request: &PageRequest,
    ) -> Result<Page<Item>, DomainError> {
        self.list.list(caller, request).await
    }

    async fn create(
        &self,
        caller: &Caller,
        fields: NewItem,
        key: Option<IdempotencyKey>,
    ) -> Result<Creation, DomainError> {
        self.create.create(caller, fields, key).await
    }

    async fn update(
        &self,
        caller: &Caller,
        id: &ItemId,
        changes: ItemChanges,
        expected: Option<Version>,
    ) -> Result<Item, DomainError> {
        self.update.update(caller, id, changes, expected).await
    }

    async fn delete(
        &self,
        caller: &Caller,
        id: &ItemId,
        expected: Option<Version>,
    ) -> Result<(), DomainError> {
        self.delete.delete(caller, id, expected).await
    }
}

struct Harness {
    service: Service<Arc<InMemoryItemRepository>>,
    store: Arc<InMemoryItemRepository>,
    clock: Arc<ManualClock>,
}

fn harness() -> Harness {
    let store = Arc::new(InMemoryItemRepository::new());
    let clock = Arc::new(ManualClock::new());
    let service = Service::new(store.clone(), clock.clone());
    Harness {
        service,
        store,
        clock,
    }
}

fn alice() -> Caller {
    Caller::user(subject("alice"))
}

fn bob() -> Caller {
    Caller::user(subject("bob"))
}

fn admin() -> Caller {
    Caller::admin(subject("root"))
}

fn key(raw: &str) -> Option<IdempotencyKey> {
    Some(IdempotencyKey::parse(raw).expect("valid key"))
}

async fn stored_count(store: &InMemoryItemRepository) -> usize {
    let request = PageRequest {
        limit: PageLimit::new(100).expect("valid"),
        ..PageRequest::default()
    };
    store.list_page(&request).await.expect("list").items.len()
}

#[tokio::test]
async fn create_stores_a_first_version_owned_by_the_caller() {
    let h = harness();
    let now = h.clock.now();
    let created = h
        .service
        .create(&alice(), fields("lamp", None), None)
        .await
        .expect("created");
    assert!(!created.replayed);
    let item = created.item;
    assert_eq!(item.version, Version::FIRST);
    assert_eq!(item.created_by, subject("alice"));
    assert_eq!((item.created_at, item.updated_at), (now, now));
    assert_eq!(h.service.get(&bob(), &item.id).await, Ok(item));
}

#[tokio::test]
async fn get_of_an_unknown_item_is_not_found() {
    let h = harness();
    let missing = items_conformance::fixtures::item("never stored", None).id;
    assert_eq!(
        h.service.get(&alice(), &missing).await,
        Err(DomainError::NotFound)
    );
}

#[tokio::test]
async fn update_by_the_creator_bumps_the_version_and_the_update_time_only() {
    let h = harness();
    let original = h
        .service
        .create(&alice(), fields("old", None), None)
        .await
        .expect("created")
        .item;
    h.clock.advance_millis(1500);
    let updated = h
        .service
        .update(
            &alice(),
            &original.id,
            fields("new", Some(unique_category("c"))),
            None,
        )
        .await
        .expect("updated");
    assert_eq!(updated.version.get(), 2);
    assert_eq!(updated.created_at, original.created_at);
    assert_eq!(
        updated.updated_at.as_millis(),
        original.created_at.as_millis() + 1500
    );
    assert_eq!(updated.name.as_str(), "new");
    assert_eq!(h.service.get(&alice(), &original.id).await, Ok(updated));
}

#[tokio::test]
async fn update_by_another_caller_is_forbidden_and_changes_nothing() {
    let h = harness();
    let original = h
        .service
        .create(&alice(), fields("mine", None), None)
        .await
        .expect("created")
        .item;
    let outcome = h
        .service
        .update(&bob(), &original.id, fields("theirs", None), None)
        .await;
    assert_eq!(outcome, Err(DomainError::Forbidden));
    assert_eq!(h.service.get(&alice(), &original.id).await, Ok(original));
}

#[tokio::test]
async fn an_admin_may_update_and_delete_any_item() {
    let h = harness();
    let item = h
        .service
        .create(&alice(), fields("mine", None), None)
        .await
        .expect("created")
        .item;
    let updated = h
        .service
        .update(&admin(), &item.id, fields("moderated", None), None)
        .await
        .expect("admin updates");
    assert_eq!(updated.created_by, subject("alice"), "the creator stays");
    h.service
        .delete(&admin(), &item.id, None)
        .await
        .expect("admin deletes");
    assert_eq!(
        h.service.get(&alice(), &item.id).await,
        Err(DomainError::NotFound)
    );
}

#[tokio::test]
async fn update_with_the_current_version_succeeds_and_with_a_stale_one_changes_nothing() {
    let h = harness();
    let item = h
        .service
        .create(&alice(), fields("v1", None), None)
        .await
        .expect("created")
        .item;
    let v2 = h
        .service
        .update(&alice(), &item.id, fields("v2", None), Some(Version::FIRST))
        .await
        .expect("current version");
    let stale = h
        .service
        .update(
            &alice(),
            &item.id,
            fields("stale", None),
            Some(Version::FIRST),
        )
        .await;
    assert_eq!(stale, Err(DomainError::PreconditionFailed));
    assert_eq!(h.service.get(&alice(), &item.id).await, Ok(v2));
}

#[tokio::test]
async fn a_non_owner_learns_forbidden_before_any_version_mismatch() {
    let h = harness();
    let item = h
        .service
        .create(&alice(), fields("v1", None), None)
        .await
        .expect("created")
        .item;
    let stale = Version::new(7);
    let outcome = h
        .service
        .update(&bob(), &item.id, fields("x", None), stale)
        .await;
    assert_eq!(outcome, Err(DomainError::Forbidden));
}

#[tokio::test]
async fn writes_to_a_missing_item_are_not_found() {
    let h = harness();
    let missing = items_conformance::fixtures::item("never stored", None).id;
    let update = h
        .service
        .update(&alice(), &missing, fields("x", None), None)
        .await;
    assert_eq!(update, Err(DomainError::NotFound));
    let delete = h
        .service
        .delete(&alice(), &missing, Some(Version::FIRST))
        .await;
    assert_eq!(delete, Err(DomainError::NotFound));
    assert_eq!(stored_count(&h.store).await, 0);
}

#[tokio::test]
async fn delete_checks_owner_and_version_before_removing() {
    let h = harness();
    let item = h
        .service
        .create(&alice(), fields("doomed", None), None)
        .await
        .expect("created")
        .item;
    assert_eq!(
        h.service.delete(&bob(), &item.id, None).await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        h.service.delete(&alice(), &item.id, Version::new(2)).await,
        Err(DomainError::PreconditionFailed)
    );
    assert_eq!(stored_count(&h.store).await, 1);
    assert_eq!(
        h.service
            .delete(&alice(), &item.id, Some(Version::FIRST))
            .await,
        Ok(())
    );
    assert_eq!(stored_count(&h.store).await, 0);
}

#[tokio::test]
async fn a_repeated_idempotency_key_replays_the_first_item_and_stores_nothing() {
    let h = harness();
    let first = h
        .service
        .create(&alice(), fields("once", None), key("k-1"))
        .await
        .expect("first");
    h.clock.advance_hours(23);
    let again = h
        .service
        .create(&alice(), fields("  once ", None), key("k-1"))
        .await
        .expect("again");
    assert!(again.replayed);
    assert_eq!(again.item, first.item);
    assert_eq!(stored_count(&h.store).await, 1);
}

#[tokio::test]
async fn a_repeated_idempotency_key_with_another_body_conflicts() {
    let h = harness();
    h.service
        .create(&alice(), fields("first", None), key("k-2"))
        .await
        .expect("first");
    let other = h
        .service
        .create(&alice(), fields("second", None), key("k-2"))
        .await;
    assert_eq!(other, Err(DomainError::IdempotencyConflict));
    assert_eq!(stored_count(&h.store).await, 1);
}

#[tokio::test]
async fn an_idempotency_key_counts_for_24_hours_and_per_caller() {
    let h = harness();
    let first = h
        .service
        .create(&alice(), fields("daily", None), key("k-3"))
        .await
        .expect("first");
    let bobs = h
        .service
        .create(&bob(), fields("daily", None), key("k-3"))
        .await
        .expect("bob");
    assert!(!bobs.replayed);
    assert_ne!(bobs.item.id, first.item.id);
    h.clock.advance_hours(24);
    let next_day = h
        .service
        .create(&alice(), fields("daily", None), key("k-3"))
        .await
        .expect("later");
    assert!(!next_day.replayed);
    assert_ne!(next_day.item.id, first.item.id);
    assert_eq!(stored_count(&h.store).await, 3);
}

#[tokio::test]
async fn list_returns_a_category_newest_first() {
    let h = harness();
    let category = unique_category("list");
    let mut created = Vec::new();
    for n in 0..3 {
        h.clock.advance_millis(10);
        let item = h
            .service
            .create(
                &alice(),
                fields(&format!("item {n}"), Some(category.clone())),
                None,
            )
            .await
            .expect("created")
            .item;
        created.push(item);
    }
    let request = PageRequest {
        category: Some(category),
        ..PageRequest::default()
    };
    let page = h.service.list(&bob(), &request).await.expect("listed");
    created.reverse();
    assert_eq!(page.items, created);
    assert_eq!(page.next_cursor, None);
}

fn service_over(store: MockItemRepository) -> Service<Arc<MockItemRepository>> {
    Service::new(Arc::new(store), Arc::new(ManualClock::new()))
}

#[tokio::test]
async fn an_unavailable_store_surfaces_as_unavailable_on_create() {
    let mut store = MockItemRepository::new();
    store
        .expect_insert()
        .times(1)
        .returning(|_| Err(RepositoryError::Unavailable));
    store
        .expect_insert_idempotent()
        .times(1)
        .returning(|_| Err(RepositoryError::Unavailable));
    let service = service_over(store);
    let plain = service.create(&alice(), fields("x", None), None).await;
    assert_eq!(plain, Err(DomainError::Unavailable));
    assert!(DomainError::Unavailable.is_retryable());
    let keyed = service.create(&alice(), fields("x", None), key("k")).await;
    assert_eq!(keyed, Err(DomainError::Unavailable));
}

#[tokio::test]
async fn a_failing_store_surfaces_as_internal_on_reads() {
    let mut store = MockItemRepository::new();
    store
        .expect_get()
        .returning(|_| Err(RepositoryError::Internal));
    store
        .expect_list_page()
        .returning(|_| Err(RepositoryError::Internal));
    let service = service_over(store);
    let id = items_conformance::fixtures::item("x", None).id;
    assert_eq!(service.get(&alice(), &id).await, Err(DomainError::Internal));
    let listed = service.list(&alice(), &PageRequest::default()).await;
    assert_eq!(listed, Err(DomainError::Internal));
}

#[tokio::test]
async fn a_failed_read_before_an_update_writes_nothing() {
    let mut store = MockItemRepository::new();
    store
        .expect_get()
        .times(2)
        .returning(|_| Err(RepositoryError::Unavailable));
    store.expect_update().never();
    store.expect_delete().never();
    let service = service_over(store);
    let id = items_conformance::fixtures::item("x", None).id;
    let updated = service.update(&alice(), &id, fields("y", None), None).await;
    assert_eq!(updated, Err(DomainError::Unavailable));
    assert_eq!(
        service.delete(&alice(), &id, None).await,
        Err(DomainError::Unavailable)
    );
}

#[tokio::test]
async fn an_update_without_if_match_retries_when_a_concurrent_writer_wins() {
    let stored = items_conformance::fixtures::item("contested", None);
    let newer = stored.updated(fields("by someone else", None), stored.created_at);
    let mut store = MockItemRepository::new();
    let reads = [stored.clone(), newer.clone()];
    let mut read = 0;
    store.expect_get().times(2).returning(move |_| {
        read += 1;
        Ok(Some(reads[read - 1].clone()))
    });
    let mut sequence = mockall::Sequence::new();
    store
        .expect_update()
        .withf(|_, expected| *expected == Version::FIRST)
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _| Err(RepositoryError::VersionMismatch));
    store
        .expect_update()
        .withf(|_, expected| expected.get() == 2)
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _| Ok(()));
    let service = service_over(store);
    let caller = Caller::user(stored.created_by.clone());
    let updated = service
        .update(&caller, &stored.id, fields("mine", None), None)
        .await
        .expect("retried on the newer version");
    assert_eq!(updated.version.get(), 3);
}

#[tokio::test]
async fn an_update_with_if_match_is_not_retried_after_losing_a_race() {
    let stored = items_conformance::fixtures::item("contested", None);
    let mut store = MockItemRepository::new();
    let read = stored.clone();
    store
        .expect_get()
        .times(1)
        .returning(move |_| Ok(Some(read.clone())));
    store
        .expect_update()
        .times(1)
        .returning(|_, _| Err(RepositoryError::VersionMismatch));
    let service = service_over(store);
    let caller = Caller::user(stored.created_by.clone());
    let outcome = service
        .update(
            &caller,
            &stored.id,
            fields("mine", None),
            Some(Version::FIRST),
        )
        .await;
    assert_eq!(outcome, Err(DomainError::PreconditionFailed));
}
