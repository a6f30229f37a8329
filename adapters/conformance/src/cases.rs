//! The conformance cases. Each takes a fresh, empty store and panics (fails the test) when the
//! store breaks the repository rules.

#![allow(missing_docs, reason = "a case's name is its specification")]

use std::collections::HashSet;
use std::sync::Arc;

use items_domain::{
    Caller, Category, IdempotentInsert, Item, ItemChanges, ItemId, ItemPatchInput, ItemRepository,
    Page, PageLimit, PageRequest, PatchValue, RepositoryError, Version, WritePrecondition,
};

use crate::fixtures::{
    self, fields, full_fields, full_item, idempotency_record, item, next_timestamp, unique_category,
};

type Store = Arc<dyn ItemRepository>;

async fn insert_all(store: &Store, items: &[Item]) {
    for item in items {
        store.insert(item).await.expect("insert of a fresh item");
    }
}

/// Follows `next_cursor` from the first page to the last, checking that only the last page may
/// be empty, and returns the pages.
async fn all_pages(store: &Store, limit: u32, category: Option<Category>) -> Vec<Page<Item>> {
    let mut request = PageRequest {
        limit: PageLimit::new(limit).expect("test limits are valid"),
        category,
        cursor: None,
    };
    let mut pages = Vec::new();
    loop {
        let page = store.list_page(&request).await.expect("list_page");
        assert!(
            page.items.len() <= limit as usize,
            "a page holds at most `limit` items"
        );
        let next = page.next_cursor.clone();
        assert!(
            !(page.items.is_empty() && next.is_some()),
            "only the last page may be empty"
        );
        pages.push(page);
        match next {
            Some(cursor) => request.cursor = Some(cursor),
            None => return pages,
        }
        assert!(pages.len() < 1000, "paging does not terminate");
    }
}

fn ids_of(pages: &[Page<Item>]) -> Vec<ItemId> {
    pages
        .iter()
        .flat_map(|p| p.items.iter().map(|i| i.id()))
        .collect()
}

fn assert_each_exactly_once(seen: &[ItemId], expected: &[Item]) {
    let unique: HashSet<ItemId> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an item was listed twice");
    let wanted: HashSet<ItemId> = expected.iter().map(Item::id).collect();
    assert_eq!(
        unique, wanted,
        "the listing is not exactly the stored items"
    );
}

pub async fn insert_then_get_returns_the_stored_item(store: Store) {
    let fully_populated = full_item("fully populated");
    let without_category = item("without category", None);
    insert_all(&store, &[fully_populated.clone(), without_category.clone()]).await;
    assert_eq!(
        store.get(&fully_populated.id()).await,
        Ok(Some(fully_populated))
    );
    assert_eq!(
        store.get(&without_category.id()).await,
        Ok(Some(without_category))
    );
}

pub async fn get_of_an_unknown_id_is_none(store: Store) {
    assert_eq!(store.get(&item("never stored", None).id()).await, Ok(None));
}

pub async fn insert_of_an_existing_id_fails_and_keeps_the_first_item(store: Store) {
    let first = item("first", None);
    insert_all(&store, std::slice::from_ref(&first)).await;
    let second = Item::create(
        first.id(),
        fields("second", None),
        fixtures::subject(fixtures::CREATOR),
        next_timestamp(),
    );
    assert_eq!(
        store.insert(&second).await,
        Err(RepositoryError::AlreadyExists)
    );
    assert_eq!(store.get(&first.id()).await, Ok(Some(first)));
}

/// The creator of every fixture item, and callers who are not.
fn creator() -> Caller {
    Caller::user(fixtures::subject(fixtures::CREATOR))
}

fn someone_else() -> Caller {
    Caller::user(fixtures::subject("someone-else"))
}

fn admin() -> Caller {
    Caller::admin(fixtures::subject("an-admin"))
}

fn precondition(caller: &Caller, version: Option<Version>) -> WritePrecondition {
    WritePrecondition::new(caller, version)
}

/// Replaces `item`'s fields with a new name at a fresh time, as `caller` expecting `version`.
async fn update_as(
    store: &Store,
    item: &Item,
    name: &str,
    caller: &Caller,
    version: Option<Version>,
) -> Result<Item, RepositoryError> {
    store
        .update(
            &item.id(),
            &fields(name, None).into(),
            next_timestamp(),
            &precondition(caller, version),
        )
        .await
}

pub async fn update_at_the_stored_version_stores_and_returns_the_new_item(store: Store) {
    let original = full_item("original");
    insert_all(&store, std::slice::from_ref(&original)).await;
    let at = next_timestamp();
    let returned = store
        .update(
            &original.id(),
            &fields("updated", None).into(),
            at,
            &precondition(&creator(), Some(Version::FIRST)),
        )
        .await
        .expect("update");
    let expected = original.updated(fields("updated", None), at);
    assert_eq!(returned, expected);
    assert_eq!(returned.version(), Version::FIRST.next());
    assert_eq!(returned.category(), None, "an absent category is removed");
    assert_eq!(store.get(&original.id()).await, Ok(Some(expected)));
}

pub async fn update_without_a_version_applies_to_the_stored_one(store: Store) {
    let original = item("original", None);
    insert_all(&store, std::slice::from_ref(&original)).await;
    let first = update_as(&store, &original, "first", &creator(), None)
        .await
        .expect("first update");
    let second = update_as(&store, &original, "second", &creator(), None)
        .await
        .expect("second update");
    assert_eq!(first.version().get(), 2);
    assert_eq!(second.version().get(), 3);
    assert_eq!(
        second.created_at(),
        original.created_at(),
        "creation facts stay"
    );
    assert_eq!(second.created_by(), original.created_by());
    assert_eq!(store.get(&original.id()).await, Ok(Some(second)));
}

pub async fn update_at_a_stale_version_is_a_mismatch_and_changes_nothing(store: Store) {
    let original = item("original", None);
    insert_all(&store, std::slice::from_ref(&original)).await;
    let first = update_as(&store, &original, "first", &creator(), Some(Version::FIRST))
        .await
        .expect("first update");
    assert_eq!(
        update_as(&store, &original, "stale", &creator(), Some(Version::FIRST)).await,
        Err(RepositoryError::VersionMismatch)
    );
    assert_eq!(store.get(&original.id()).await, Ok(Some(first)));
}

pub async fn update_by_another_caller_is_not_creator_and_changes_nothing(store: Store) {
    let original = item("original", None);
    insert_all(&store, std::slice::from_ref(&original)).await;
    for version in [None, Some(Version::FIRST)] {
        assert_eq!(
            update_as(&store, &original, "taken over", &someone_else(), version).await,
            Err(RepositoryError::NotCreator)
        );
    }
    assert_eq!(store.get(&original.id()).await, Ok(Some(original)));
}

pub async fn update_by_an_admin_needs_no_creator_but_the_version(store: Store) {
    let original = item("original", None);
    insert_all(&store, std::slice::from_ref(&original)).await;
    assert_eq!(
        update_as(
            &store,
            &original,
            "stale",
            &admin(),
            Some(Version::FIRST.next())
        )
        .await,
        Err(RepositoryError::VersionMismatch)
    );
    let by_admin = update_as(
        &store,
        &original,
        "by an admin",
        &admin(),
        Some(Version::FIRST),
    )
    .await
    .expect("an admin may update any item");
    assert_eq!(
        by_admin.created_by(),
        original.created_by(),
        "the creator stays"
    );
    assert_eq!(store.get(&original.id()).await, Ok(Some(by_admin)));
}

pub async fn update_of_a_missing_item_is_not_found_and_creates_nothing(store: Store) {
    let never_stored = item("never stored", None);
    for caller in [creator(), admin()] {
        assert_eq!(
            update_as(&store, &never_stored, "updated", &caller, None).await,
            Err(RepositoryError::NotFound)
        );
    }
    assert_eq!(store.get(&never_stored.id()).await, Ok(None));
}

pub async fn failing_preconditions_are_reported_in_the_contracts_order(store: Store) {
    let stored = item("stored", None);
    let missing = item("missing", None);
    insert_all(&store, std::slice::from_ref(&stored)).await;
    let stale = Some(Version::FIRST.next());
    // Missing, another creator and a stale version at once: absence comes first.
    assert_eq!(
        update_as(&store, &missing, "x", &someone_else(), stale).await,
        Err(RepositoryError::NotFound)
    );
    assert_eq!(
        store
            .delete(&missing.id(), &precondition(&someone_else(), stale))
            .await,
        Err(RepositoryError::NotFound)
    );
    // Another creator and a stale version: the creator comes first, so a non-creator learns
    // nothing about versions.
    assert_eq!(
        update_as(&store, &stored, "x", &someone_else(), stale).await,
        Err(RepositoryError::NotCreator)
    );
    assert_eq!(
        store
            .delete(&stored.id(), &precondition(&someone_else(), stale))
            .await,
        Err(RepositoryError::NotCreator)
    );
    assert_eq!(store.get(&stored.id()).await, Ok(Some(stored)));
}

pub async fn delete_at_the_stored_version_removes_the_item(store: Store) {
    let doomed = item("doomed", None);
    insert_all(&store, std::slice::from_ref(&doomed)).await;
    assert_eq!(
        store
            .delete(
                &doomed.id(),
                &precondition(&creator(), Some(Version::FIRST))
            )
            .await,
        Ok(())
    );
    assert_eq!(store.get(&doomed.id()).await, Ok(None));
}

pub async fn delete_at_a_stale_version_is_a_mismatch_and_keeps_the_item(store: Store) {
    let kept = item("kept", None);
    insert_all(&store, std::slice::from_ref(&kept)).await;
    let stale = Some(Version::FIRST.next());
    for caller in [creator(), admin()] {
        assert_eq!(
            store
                .delete(&kept.id(), &precondition(&caller, stale))
                .await,
            Err(RepositoryError::VersionMismatch)
        );
    }
    assert_eq!(store.get(&kept.id()).await, Ok(Some(kept)));
}

pub async fn delete_by_another_caller_is_not_creator_and_keeps_the_item(store: Store) {
    let kept = item("kept", None);
    insert_all(&store, std::slice::from_ref(&kept)).await;
    assert_eq!(
        store
            .delete(&kept.id(), &precondition(&someone_else(), None))
            .await,
        Err(RepositoryError::NotCreator)
    );
    assert_eq!(store.get(&kept.id()).await, Ok(Some(kept)));
}

pub async fn delete_by_an_admin_removes_any_item(store: Store) {
    let doomed = item("doomed", None);
    insert_all(&store, std::slice::from_ref(&doomed)).await;
    assert_eq!(
        store
            .delete(&doomed.id(), &precondition(&admin(), None))
            .await,
        Ok(())
    );
    assert_eq!(store.get(&doomed.id()).await, Ok(None));
}

pub async fn delete_of_a_missing_item_is_not_found(store: Store) {
    let never_stored = item("never stored", None);
    for caller in [creator(), admin()] {
        assert_eq!(
            store
                .delete(
                    &never_stored.id(),
                    &precondition(&caller, Some(Version::FIRST))
                )
                .await,
            Err(RepositoryError::NotFound)
        );
    }
}

pub async fn listing_an_empty_store_is_one_empty_last_page(store: Store) {
    let pages = all_pages(&store, 20, None).await;
    assert_eq!(pages.len(), 1);
    assert!(pages[0].items.is_empty());
    let pages = all_pages(&store, 20, Some(unique_category("empty"))).await;
    assert_eq!(pages.len(), 1);
    assert!(pages[0].items.is_empty());
}

pub async fn listing_one_item_is_one_page_without_cursor(store: Store) {
    let only = item("only", None);
    insert_all(&store, std::slice::from_ref(&only)).await;
    let pages = all_pages(&store, 20, None).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].items, vec![only]);
}

pub async fn listing_exactly_a_page_of_items_needs_no_second_page(store: Store) {
    let category = unique_category("full");
    let items: Vec<Item> = (0..10)
        .map(|n| item(&format!("item {n}"), Some(category.clone())))
        .collect();
    insert_all(&store, &items).await;
    for listing in [None, Some(category)] {
        let pages = all_pages(&store, 10, listing).await;
        assert_eq!(pages.len(), 1, "a full last page has no next cursor");
        assert_each_exactly_once(&ids_of(&pages), &items);
    }
}

pub async fn listing_250_items_returns_each_exactly_once(store: Store) {
    let items: Vec<Item> = (0..250).map(|n| item(&format!("item {n}"), None)).collect();
    insert_all(&store, &items).await;
    for limit in [1, 7, 100] {
        let pages = all_pages(&store, limit, None).await;
        assert_each_exactly_once(&ids_of(&pages), &items);
        assert_eq!(pages.len(), 250usize.div_ceil(limit as usize));
    }
}

pub async fn category_listing_holds_only_that_category_newest_first(store: Store) {
    let wanted = unique_category("wanted");
    let other = unique_category("other");
    let mut items = Vec::new();
    for n in 0..6 {
        items.push(item(&format!("wanted {n}"), Some(wanted.clone())));
        items.push(item(&format!("other {n}"), Some(other.clone())));
        items.push(item(&format!("none {n}"), None));
    }
    insert_all(&store, &items).await;
    let pages = all_pages(&store, 100, Some(wanted.clone())).await;
    let listed: Vec<&Item> = pages.iter().flat_map(|p| &p.items).collect();
    let mut expected: Vec<&Item> = items
        .iter()
        .filter(|i| i.category() == Some(&wanted))
        .collect();
    expected.sort_by_key(|i| std::cmp::Reverse(i.created_at()));
    assert_eq!(listed, expected);
}

pub async fn category_listing_pages_newest_first_without_gaps_or_repeats(store: Store) {
    let category = unique_category("paged");
    let items: Vec<Item> = (0..23)
        .map(|n| item(&format!("paged {n}"), Some(category.clone())))
        .collect();
    insert_all(&store, &items).await;
    let pages = all_pages(&store, 5, Some(category)).await;
    assert_eq!(pages.len(), 5);
    let listed: Vec<ItemId> = ids_of(&pages);
    let newest_first: Vec<ItemId> = items.iter().rev().map(|i| i.id()).collect();
    assert_eq!(listed, newest_first);
}

pub async fn update_that_removes_the_category_drops_the_item_from_its_listing(store: Store) {
    let category = unique_category("moving");
    let staying = item("staying", Some(category.clone()));
    let leaving = item("leaving", Some(category.clone()));
    insert_all(&store, &[staying.clone(), leaving.clone()]).await;
    update_as(
        &store,
        &leaving,
        "leaving",
        &creator(),
        Some(Version::FIRST),
    )
    .await
    .expect("update");
    let pages = all_pages(&store, 20, Some(category)).await;
    assert_eq!(ids_of(&pages), vec![staying.id()]);
}

/// A partial update (`PATCH`) of `input`'s fields.
fn patch(input: ItemPatchInput) -> ItemChanges {
    ItemChanges::parse_patch(&input).expect("a valid patch")
}

pub async fn partial_update_changes_only_its_fields_and_keeps_the_others(store: Store) {
    let original = full_item("original");
    insert_all(&store, std::slice::from_ref(&original)).await;
    let rename = patch(ItemPatchInput {
        name: PatchValue::Text("renamed".into()),
        ..ItemPatchInput::default()
    });
    let at = next_timestamp();
    let returned = store
        .update(
            &original.id(),
            &rename,
            at,
            &precondition(&creator(), Some(Version::FIRST)),
        )
        .await
        .expect("partial update");
    assert_eq!(returned, original.updated(rename, at));
    assert_eq!(returned.name().as_str(), "renamed");
    assert_eq!(returned.description(), original.description(), "kept");
    assert_eq!(returned.category(), original.category(), "kept");
    assert_eq!(returned.version(), Version::FIRST.next());
    assert_eq!(store.get(&original.id()).await, Ok(Some(returned)));
}

pub async fn partial_update_with_null_category_removes_it_from_the_item_and_its_listing(
    store: Store,
) {
    let category = unique_category("patched");
    let original = item("original", Some(category.clone()));
    insert_all(&store, std::slice::from_ref(&original)).await;
    let uncategorise = patch(ItemPatchInput {
        category: PatchValue::Null,
        ..ItemPatchInput::default()
    });
    let returned = store
        .update(
            &original.id(),
            &uncategorise,
            next_timestamp(),
            &precondition(&creator(), None),
        )
        .await
        .expect("partial update");
    assert_eq!(returned.category(), None);
    assert_eq!(returned.name(), original.name(), "kept");
    assert_eq!(store.get(&original.id()).await, Ok(Some(returned)));
    assert!(ids_of(&all_pages(&store, 20, Some(category)).await).is_empty());
}

pub async fn partial_update_applies_to_the_item_as_stored_at_that_moment(store: Store) {
    let original = item("original", None);
    insert_all(&store, std::slice::from_ref(&original)).await;
    // Another writer replaces the item first; the partial update, without a version, keeps
    // what that writer stored in the fields it does not change.
    let replaced = update_as(&store, &original, "replaced", &creator(), None)
        .await
        .expect("replacement");
    let describe = patch(ItemPatchInput {
        description: PatchValue::Text("described later".into()),
        ..ItemPatchInput::default()
    });
    let patched = store
        .update(
            &original.id(),
            &describe,
            next_timestamp(),
            &precondition(&creator(), None),
        )
        .await
        .expect("partial update");
    assert_eq!(
        patched.name(),
        replaced.name(),
        "the concurrent writer's name stays"
    );
    assert_eq!(patched.description().as_str(), "described later");
    assert_eq!(patched.version().get(), 3);
    // At the version it read before the replacement, the same patch is refused.
    assert_eq!(
        store
            .update(
                &original.id(),
                &describe,
                next_timestamp(),
                &precondition(&creator(), Some(Version::FIRST)),
            )
            .await,
        Err(RepositoryError::VersionMismatch)
    );
}

pub async fn idempotent_insert_stores_the_item_and_replays_it(store: Store) {
    let at = next_timestamp();
    let first = idempotency_record("alice", "key-1", full_fields("once"), at);
    assert_eq!(
        store.insert_idempotent(&first).await,
        Ok(IdempotentInsert::Created)
    );
    assert_eq!(
        store.get(&first.item.id()).await,
        Ok(Some(first.item.clone()))
    );

    // The same caller, key and fields an hour later: the first item back, nothing stored.
    let again = idempotency_record("alice", "key-1", full_fields("once"), at.plus_hours(1));
    assert_eq!(
        store.insert_idempotent(&again).await,
        Ok(IdempotentInsert::Replayed(first.item.clone()))
    );
    assert_eq!(store.get(&again.item.id()).await, Ok(None));
}

pub async fn idempotent_insert_with_other_fields_conflicts_and_stores_nothing(store: Store) {
    let at = next_timestamp();
    let first = idempotency_record("alice", "key-2", fields("first body", None), at);
    store.insert_idempotent(&first).await.expect("first insert");
    let other = idempotency_record("alice", "key-2", fields("other body", None), at);
    assert_eq!(
        store.insert_idempotent(&other).await,
        Ok(IdempotentInsert::Conflict)
    );
    assert_eq!(store.get(&other.item.id()).await, Ok(None));
}

pub async fn idempotent_record_expires_after_24_hours(store: Store) {
    let at = next_timestamp();
    let first = idempotency_record("alice", "key-3", fields("day one", None), at);
    store.insert_idempotent(&first).await.expect("first insert");

    let just_before =
        idempotency_record("alice", "key-3", fields("day one", None), at.plus_hours(23));
    assert_eq!(
        store.insert_idempotent(&just_before).await,
        Ok(IdempotentInsert::Replayed(first.item.clone()))
    );

    let next_day = idempotency_record("alice", "key-3", fields("day one", None), at.plus_hours(24));
    assert_eq!(
        store.insert_idempotent(&next_day).await,
        Ok(IdempotentInsert::Created)
    );
    assert_eq!(
        store.get(&next_day.item.id()).await,
        Ok(Some(next_day.item.clone()))
    );
    assert_eq!(store.get(&first.item.id()).await, Ok(Some(first.item)));
}

pub async fn idempotency_keys_are_scoped_to_the_caller(store: Store) {
    let at = next_timestamp();
    let alice = idempotency_record("alice", "shared-key", fields("alice's", None), at);
    let bob = idempotency_record("bob", "shared-key", fields("bob's", None), at);
    assert_eq!(
        store.insert_idempotent(&alice).await,
        Ok(IdempotentInsert::Created)
    );
    assert_eq!(
        store.insert_idempotent(&bob).await,
        Ok(IdempotentInsert::Created)
    );
    assert_eq!(store.get(&bob.item.id()).await, Ok(Some(bob.item.clone())));
}

pub async fn concurrent_updates_at_one_version_have_exactly_one_winner(store: Store) {
    let contested = item("contested", None);
    insert_all(&store, std::slice::from_ref(&contested)).await;
    let attempts: Vec<_> = (0..50)
        .map(|n| {
            let (store, contested) = (Arc::clone(&store), contested.clone());
            tokio::spawn(async move {
                let name = format!("writer {n}");
                update_as(&store, &contested, &name, &creator(), Some(Version::FIRST)).await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for attempt in attempts {
        match attempt.await.expect("task") {
            Ok(item) => winners.push(item),
            Err(RepositoryError::VersionMismatch) => {}
            Err(other) => panic!("a losing writer must see VersionMismatch, saw {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins");
    assert_eq!(
        store.get(&contested.id()).await,
        Ok(Some(winners.remove(0)))
    );
}

pub async fn concurrent_updates_without_a_version_each_apply_once(store: Store) {
    let contested = item("contested", None);
    insert_all(&store, std::slice::from_ref(&contested)).await;
    let writers = 20;
    let attempts: Vec<_> = (0..writers)
        .map(|n| {
            let (store, contested) = (Arc::clone(&store), contested.clone());
            let caller = if n % 2 == 0 { creator() } else { admin() };
            tokio::spawn(async move {
                update_as(&store, &contested, &format!("writer {n}"), &caller, None).await
            })
        })
        .collect();
    let mut versions = HashSet::new();
    let mut last = None;
    for attempt in attempts {
        let item = attempt.await.expect("task").expect("every writer applies");
        versions.insert(item.version().get());
        if item.version().get() == 1 + writers {
            last = Some(item);
        }
    }
    let expected: HashSet<u64> = (2..=1 + writers).collect();
    assert_eq!(
        versions, expected,
        "each write moved the version on exactly once"
    );
    assert_eq!(store.get(&contested.id()).await, Ok(last));
}

pub async fn concurrent_deletes_have_exactly_one_winner(store: Store) {
    let contested = item("contested", None);
    insert_all(&store, std::slice::from_ref(&contested)).await;
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            let id = contested.id();
            tokio::spawn(async move { store.delete(&id, &precondition(&creator(), None)).await })
        })
        .collect();
    let mut deleted = 0;
    for attempt in attempts {
        match attempt.await.expect("task") {
            Ok(()) => deleted += 1,
            Err(RepositoryError::NotFound) => {}
            Err(other) => panic!("a losing delete must see NotFound, saw {other:?}"),
        }
    }
    assert_eq!(deleted, 1, "exactly one delete wins");
    assert_eq!(store.get(&contested.id()).await, Ok(None));
}

pub async fn concurrent_idempotent_inserts_store_exactly_one_item(store: Store) {
    let at = next_timestamp();
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            let record = idempotency_record("alice", "raced-key", fields("raced", None), at);
            tokio::spawn(async move { (record.item.id(), store.insert_idempotent(&record).await) })
        })
        .collect();
    let mut created = Vec::new();
    let mut replayed = HashSet::new();
    for attempt in attempts {
        match attempt.await.expect("task") {
            (id, Ok(IdempotentInsert::Created)) => created.push(id),
            (_, Ok(IdempotentInsert::Replayed(item))) => {
                replayed.insert(item.id());
            }
            (_, other) => panic!("a raced idempotent insert returned {other:?}"),
        }
    }
    assert_eq!(created.len(), 1, "exactly one request creates the item");
    assert!(
        replayed.iter().all(|id| *id == created[0]),
        "every replay returns the created item"
    );
    let pages = all_pages(&store, 100, None).await;
    assert_eq!(ids_of(&pages), created);
}
