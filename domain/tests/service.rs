//! The use cases on the in-memory store: ownership, versions and idempotency as the contract
//! states them; and, with mocked ports, that store failures surface typed and write nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::sync::Arc;

use items_conformance::fixtures::{fields, subject, unique_category, ManualClock};
use items_conformance::MockItemRepository;
use items_domain::{
    Caller, Clock, CreateItem, Creation, DeleteItem, DomainError, FieldError, GetItem,
    IdempotencyKey, Item, ItemChanges, ItemId, ItemLister, ItemPatchInput, ItemRepository,
    ListItems, NewItem, Page, PageLimit, PageRequest, PatchItem, PatchValue, RepositoryError,
    UpdateItem, UuidV4Ids, Version, WritePrecondition,
};
use items_memory::InMemoryItemRepository;

/// The five use cases over one store, as the local stage wires them.
struct Service<S> {
    get: GetItem<S>,
    list: ListItems<S>,
    create: CreateItem<S>,
    update: UpdateItem<S>,
    patch: PatchItem<S>,
    delete: DeleteItem<S>,
}

impl<S: ItemRepository + Clone> Service<S> {
    fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            get: GetItem::new(store.clone()),
            list: ListItems::new(store.clone()),
            create: CreateItem::new(store.clone(), clock.clone(), Arc::new(UuidV4Ids)),
            update: UpdateItem::new(store.clone(), clock.clone()),
            patch: PatchItem::new(store.clone(), clock),
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
        fields: NewItem,
        expected: Option<Version>,
    ) -> Result<Item, DomainError> {
        self.update.update(caller, id, fields, expected).await
    }

    async fn patch(
        &self,
        caller: &Caller,
        id: &ItemId,
        changes: ItemChanges,
        expected: Option<Version>,
    ) -> Result<Item, DomainError> {
        self.patch.patch(caller, id, changes, expected).await
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
    assert_eq!(item.version(), Version::FIRST);
    assert_eq!(item.created_by(), &subject("alice"));
    assert_eq!((item.created_at(), item.updated_at()), (now, now));
    assert_eq!(h.service.get(&bob(), &item.id()).await, Ok(item));
}

#[tokio::test]
async fn get_of_an_unknown_item_is_not_found() {
    let h = harness();
    let missing = items_conformance::fixtures::item("never stored", None).id();
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
            &original.id(),
            fields("new", Some(unique_category("c"))),
            None,
        )
        .await
        .expect("updated");
    assert_eq!(updated.version().get(), 2);
    assert_eq!(updated.created_at(), original.created_at());
    assert_eq!(
        updated.updated_at().as_millis(),
        original.created_at().as_millis() + 1500
    );
    assert_eq!(updated.name().as_str(), "new");
    assert_eq!(h.service.get(&alice(), &original.id()).await, Ok(updated));
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
        .update(&bob(), &original.id(), fields("theirs", None), None)
        .await;
    assert_eq!(outcome, Err(DomainError::Forbidden));
    assert_eq!(h.service.get(&alice(), &original.id()).await, Ok(original));
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
        .update(&admin(), &item.id(), fields("moderated", None), None)
        .await
        .expect("admin updates");
    assert_eq!(updated.created_by(), &subject("alice"), "the creator stays");
    h.service
        .delete(&admin(), &item.id(), None)
        .await
        .expect("admin deletes");
    assert_eq!(
        h.service.get(&alice(), &item.id()).await,
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
        .update(
            &alice(),
            &item.id(),
            fields("v2", None),
            Some(Version::FIRST),
        )
        .await
        .expect("current version");
    let stale = h
        .service
        .update(
            &alice(),
            &item.id(),
            fields("stale", None),
            Some(Version::FIRST),
        )
        .await;
    assert_eq!(stale, Err(DomainError::PreconditionFailed));
    assert_eq!(h.service.get(&alice(), &item.id()).await, Ok(v2));
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
        .update(&bob(), &item.id(), fields("x", None), stale)
        .await;
    assert_eq!(outcome, Err(DomainError::Forbidden));
}

fn rename(name: &str) -> ItemChanges {
    ItemChanges::parse_patch(&ItemPatchInput {
        name: PatchValue::Text(name.to_owned()),
        ..ItemPatchInput::default()
    })
    .expect("a valid patch")
}

#[tokio::test]
async fn patch_keeps_absent_fields_and_follows_the_same_rules_as_update() {
    let h = harness();
    let category = unique_category("kept");
    let item = h
        .service
        .create(&alice(), fields("v1", Some(category.clone())), None)
        .await
        .expect("created")
        .item;
    h.clock.advance_millis(5);
    let patched = h
        .service
        .patch(&alice(), &item.id(), rename("v2"), Some(Version::FIRST))
        .await
        .expect("patched");
    assert_eq!(patched.name().as_str(), "v2");
    assert_eq!(patched.description(), item.description());
    assert_eq!(patched.category(), Some(&category));
    assert_eq!(patched.version().get(), 2);
    assert!(patched.updated_at() > item.updated_at());
    assert_eq!(patched.created_at(), item.created_at());
    // A stale version, another caller (checked first), a missing item: as for update.
    let stale = h
        .service
        .patch(&alice(), &item.id(), rename("v3"), Some(Version::FIRST))
        .await;
    assert_eq!(stale, Err(DomainError::PreconditionFailed));
    let theirs = h
        .service
        .patch(&bob(), &item.id(), rename("v3"), Version::new(9))
        .await;
    assert_eq!(theirs, Err(DomainError::Forbidden));
    let missing = items_conformance::fixtures::item("never stored", None).id();
    let absent = h.service.patch(&alice(), &missing, rename("x"), None).await;
    assert_eq!(absent, Err(DomainError::NotFound));
    assert_eq!(h.service.get(&alice(), &item.id()).await, Ok(patched));
    let moderated = h
        .service
        .patch(&admin(), &item.id(), rename("mod"), None)
        .await;
    assert_eq!(moderated.map(|i| i.version().get()), Ok(3));
}

#[test]
fn a_patch_names_every_bad_field_and_refuses_to_remove_a_required_one() {
    let errors = ItemChanges::parse_patch(&ItemPatchInput {
        name: PatchValue::Null,
        description: PatchValue::Null,
        category: PatchValue::Text("Not Valid".into()),
    })
    .expect_err("invalid patch");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["name", "description", "category"]);
    let empty = ItemChanges::parse_patch(&ItemPatchInput::default()).expect_err("empty patch");
    assert_eq!(
        empty,
        [FieldError::new("body", ItemChanges::EMPTY_PATCH_RULE)]
    );
    let blank_name = ItemChanges::parse_patch(&ItemPatchInput {
        name: PatchValue::Text("   ".into()),
        ..ItemPatchInput::default()
    })
    .expect_err("blank name");
    assert_eq!(blank_name.len(), 1);
    assert_eq!(blank_name[0].field, "name");
}

#[tokio::test]
async fn writes_to_a_missing_item_are_not_found() {
    let h = harness();
    let missing = items_conformance::fixtures::item("never stored", None).id();
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
        h.service.delete(&bob(), &item.id(), None).await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        h.service
            .delete(&alice(), &item.id(), Version::new(2))
            .await,
        Err(DomainError::PreconditionFailed)
    );
    assert_eq!(stored_count(&h.store).await, 1);
    assert_eq!(
        h.service
            .delete(&alice(), &item.id(), Some(Version::FIRST))
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
    assert_ne!(bobs.item.id(), first.item.id());
    h.clock.advance_hours(24);
    let next_day = h
        .service
        .create(&alice(), fields("daily", None), key("k-3"))
        .await
        .expect("later");
    assert!(!next_day.replayed);
    assert_ne!(next_day.item.id(), first.item.id());
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
    let keyed = service.create(&alice(), fields("x", None), key("k")).await;
    assert_eq!(keyed, Err(DomainError::Unavailable));
}

#[tokio::test]
async fn a_failing_store_surfaces_as_internal_with_its_cause() {
    let mut store = MockItemRepository::new();
    store
        .expect_get()
        .returning(|_| Err(RepositoryError::Internal));
    store
        .expect_list_page()
        .returning(|_| Err(RepositoryError::Internal));
    store
        .expect_insert()
        .returning(|_| Err(RepositoryError::AlreadyExists));
    let service = service_over(store);
    let id = items_conformance::fixtures::item("x", None).id();
    let is_internal = |outcome: DomainError| match outcome {
        DomainError::Internal(cause) => !cause.is_empty(),
        _ => false,
    };
    assert!(is_internal(
        service.get(&alice(), &id).await.expect_err("fails")
    ));
    let listed = service.list(&alice(), &PageRequest::default()).await;
    assert!(is_internal(listed.expect_err("fails")));
    // A fresh id already taken cannot be the caller's doing: a 500, with its own cause.
    let created = service.create(&alice(), fields("x", None), None).await;
    assert_eq!(
        created,
        Err(DomainError::Internal(
            "the store already holds an item with the new item's id"
        ))
    );
}

#[tokio::test]
async fn an_update_is_one_store_write_carrying_the_callers_precondition() {
    let stored = items_conformance::fixtures::item("stored", None);
    let clock = Arc::new(ManualClock::new());
    let now = clock.now();
    let updated = stored.updated(fields("mine", None), now);
    let returned = updated.clone();
    let mut store = MockItemRepository::new();
    store.expect_get().never();
    store
        .expect_update()
        .withf(move |_, changes, updated_at, precondition| {
            *changes == ItemChanges::replace_all(fields("mine", None))
                && *updated_at == now
                && *precondition == WritePrecondition::new(&alice(), Some(Version::FIRST))
        })
        .times(1)
        .returning(move |_, _, _, _| Ok(returned.clone()));
    let service = Service::new(Arc::new(store), clock);
    let outcome = service
        .update(
            &alice(),
            &stored.id(),
            fields("mine", None),
            Some(Version::FIRST),
        )
        .await;
    assert_eq!(outcome, Ok(updated));
}

#[tokio::test]
async fn a_delete_is_one_store_write_and_an_admin_needs_no_creator() {
    let mut store = MockItemRepository::new();
    store.expect_get().never();
    store
        .expect_delete()
        .withf(|_, precondition| *precondition == WritePrecondition::new(&admin(), None))
        .times(1)
        .returning(|_, _| Ok(()));
    let service = service_over(store);
    let id = items_conformance::fixtures::item("x", None).id();
    assert_eq!(service.delete(&admin(), &id, None).await, Ok(()));
}

#[tokio::test]
async fn failed_write_preconditions_become_the_contracts_outcomes() {
    let cases = [
        (RepositoryError::NotFound, DomainError::NotFound),
        (RepositoryError::NotCreator, DomainError::Forbidden),
        (
            RepositoryError::VersionMismatch,
            DomainError::PreconditionFailed,
        ),
        (RepositoryError::Unavailable, DomainError::Unavailable),
    ];
    for (failure, outcome) in cases {
        let mut store = MockItemRepository::new();
        store
            .expect_update()
            .times(1)
            .returning(move |_, _, _, _| Err(failure));
        store
            .expect_delete()
            .times(1)
            .returning(move |_, _| Err(failure));
        let service = service_over(store);
        let id = items_conformance::fixtures::item("x", None).id();
        let updated = service.update(&alice(), &id, fields("y", None), None).await;
        assert_eq!(updated, Err(outcome.clone()), "{failure:?}");
        assert_eq!(service.delete(&alice(), &id, None).await, Err(outcome));
    }
}
