//! The conformance cases. Each takes a fresh, empty store and panics (fails the test) when the
//! store breaks the repository rules.

use std::collections::HashSet;
use std::sync::Arc;

use items_domain::{
    Category, IdempotentInsert, Item, ItemId, ItemRepository, Page, PageLimit, PageRequest,
    RepositoryError, Version,
};

use crate::fixtures::{self, fields, idempotency_record, item, next_timestamp, unique_category};

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
        .flat_map(|p| p.items.iter().map(|i| i.id))
        .collect()
}

fn assert_each_exactly_once(seen: &[ItemId], expected: &[Item]) {
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an item was listed twice");
    let wanted: HashSet<_> = expected.iter().map(|i| &i.id).collect();
    assert_eq!(
        unique, wanted,
        "the listing is not exactly the stored items"
    );
}

pub async fn insert_then_get_returns_the_stored_item(store: Store) {
    let with_category = item("with category", Some(fixtures::category("tools")));
    let without_category = item("without category", None);
    insert_all(&store, &[with_category.clone(), without_category.clone()]).await;
    assert_eq!(store.get(&with_category.id).await, Ok(Some(with_category)));
    assert_eq!(
        store.get(&without_category.id).await,
        Ok(Some(without_category))
    );
}

pub async fn get_of_an_unknown_id_is_none(store: Store) {
    assert_eq!(store.get(&item("never stored", None).id).await, Ok(None));
}

pub async fn insert_of_an_existing_id_fails_and_keeps_the_first_item(store: Store) {
    let first = item("first", None);
    insert_all(&store, std::slice::from_ref(&first)).await;
    let mut second = item("second", None);
    second.id = first.id;
    assert_eq!(
        store.insert(&second).await,
        Err(RepositoryError::AlreadyExists)
    );
    assert_eq!(store.get(&first.id).await, Ok(Some(first)));
}

pub async fn update_at_the_stored_version_stores_the_new_item(store: Store) {
    let original = item("original", Some(fixtures::category("a")));
    insert_all(&store, std::slice::from_ref(&original)).await;
    let updated = original.updated(fields("updated", None), next_timestamp());
    assert_eq!(store.update(&updated, Version::FIRST).await, Ok(()));
    let stored = store.get(&original.id).await.expect("get").expect("exists");
    assert_eq!(stored, updated);
    assert_eq!(stored.version, Version::FIRST.next());
    assert_eq!(stored.category, None);
}

pub async fn update_at_a_stale_version_is_a_mismatch_and_changes_nothing(store: Store) {
    let original = item("original", None);
    insert_all(&store, std::slice::from_ref(&original)).await;
    let first_update = original.updated(fields("first update", None), next_timestamp());
    store
        .update(&first_update, Version::FIRST)
        .await
        .expect("first update");
    let stale = original.updated(fields("stale update", None), next_timestamp());
    assert_eq!(
        store.update(&stale, Version::FIRST).await,
        Err(RepositoryError::VersionMismatch)
    );
    assert_eq!(store.get(&original.id).await, Ok(Some(first_update)));
}

pub async fn update_of_a_missing_item_is_not_found_and_creates_nothing(store: Store) {
    let never_stored = item("never stored", None);
    let updated = never_stored.updated(fields("updated", None), next_timestamp());
    assert_eq!(
        store.update(&updated, Version::FIRST).await,
        Err(RepositoryError::NotFound)
    );
    assert_eq!(store.get(&never_stored.id).await, Ok(None));
}

pub async fn delete_at_the_stored_version_removes_the_item(store: Store) {
    let doomed = item("doomed", None);
    insert_all(&store, std::slice::from_ref(&doomed)).await;
    assert_eq!(store.delete(&doomed.id, Version::FIRST).await, Ok(()));
    assert_eq!(store.get(&doomed.id).await, Ok(None));
}

pub async fn delete_at_a_stale_version_is_a_mismatch_and_keeps_the_item(store: Store) {
    let kept = item("kept", None);
    insert_all(&store, std::slice::from_ref(&kept)).await;
    let stale = Version::FIRST.next();
    assert_eq!(
        store.delete(&kept.id, stale).await,
        Err(RepositoryError::VersionMismatch)
    );
    assert_eq!(store.get(&kept.id).await, Ok(Some(kept)));
}

pub async fn delete_of_a_missing_item_is_not_found(store: Store) {
    let never_stored = item("never stored", None);
    assert_eq!(
        store.delete(&never_stored.id, Version::FIRST).await,
        Err(RepositoryError::NotFound)
    );
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
        .filter(|i| i.category.as_ref() == Some(&wanted))
        .collect();
    expected.sort_by_key(|i| std::cmp::Reverse(i.created_at));
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
    let newest_first: Vec<ItemId> = items.iter().rev().map(|i| i.id).collect();
    assert_eq!(listed, newest_first);
}

pub async fn update_that_removes_the_category_drops_the_item_from_its_listing(store: Store) {
    let category = unique_category("moving");
    let staying = item("staying", Some(category.clone()));
    let leaving = item("leaving", Some(category.clone()));
    insert_all(&store, &[staying.clone(), leaving.clone()]).await;
    let uncategorised = leaving.updated(fields("leaving", None), next_timestamp());
    store
        .update(&uncategorised, Version::FIRST)
        .await
        .expect("update");
    let pages = all_pages(&store, 20, Some(category)).await;
    assert_eq!(ids_of(&pages), vec![staying.id]);
}

pub async fn idempotent_insert_stores_the_item_and_replays_it(store: Store) {
    let at = next_timestamp();
    let first = idempotency_record("alice", "key-1", fields("once", None), at);
    assert_eq!(
        store.insert_idempotent(&first).await,
        Ok(IdempotentInsert::Created)
    );
    assert_eq!(
        store.get(&first.item.id).await,
        Ok(Some(first.item.clone()))
    );

    // The same caller, key and fields an hour later: the first item back, nothing stored.
    let again = idempotency_record("alice", "key-1", fields("once", None), at.plus_hours(1));
    assert_eq!(
        store.insert_idempotent(&again).await,
        Ok(IdempotentInsert::Replayed(first.item.clone()))
    );
    assert_eq!(store.get(&again.item.id).await, Ok(None));
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
    assert_eq!(store.get(&other.item.id).await, Ok(None));
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
        store.get(&next_day.item.id).await,
        Ok(Some(next_day.item.clone()))
    );
    assert_eq!(store.get(&first.item.id).await, Ok(Some(first.item)));
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
    assert_eq!(store.get(&bob.item.id).await, Ok(Some(bob.item.clone())));
}

pub async fn concurrent_updates_at_one_version_have_exactly_one_winner(store: Store) {
    let contested = item("contested", None);
    insert_all(&store, std::slice::from_ref(&contested)).await;
    let attempts: Vec<_> = (0..50)
        .map(|n| {
            let store = Arc::clone(&store);
            let update = contested.updated(fields(&format!("writer {n}"), None), next_timestamp());
            tokio::spawn(async move {
                let outcome = store.update(&update, Version::FIRST).await;
                (update, outcome)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for attempt in attempts {
        let (update, outcome) = attempt.await.expect("task");
        match outcome {
            Ok(()) => winners.push(update),
            Err(RepositoryError::VersionMismatch) => {}
            Err(other) => panic!("a losing writer must see VersionMismatch, saw {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins");
    assert_eq!(store.get(&contested.id).await, Ok(Some(winners.remove(0))));
}

pub async fn concurrent_idempotent_inserts_store_exactly_one_item(store: Store) {
    let at = next_timestamp();
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            let record = idempotency_record("alice", "raced-key", fields("raced", None), at);
            tokio::spawn(async move { (record.item.id, store.insert_idempotent(&record).await) })
        })
        .collect();
    let mut created = Vec::new();
    let mut replayed = HashSet::new();
    for attempt in attempts {
        match attempt.await.expect("task") {
            (id, Ok(IdempotentInsert::Created)) => created.push(id),
            (_, Ok(IdempotentInsert::Replayed(item))) => {
                replayed.insert(item.id);
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
