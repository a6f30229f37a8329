//! A store held in memory, implementing every item port, with the semantics of the DynamoDB table: every write
//! is conditional and atomic (one lock held for the check and the write), listings page by
//! position so nothing is seen twice, and idempotency records stop counting after their expiry.
//!
//! It backs the local stage's default mode and the tests that need no server.
//! [`InMemoryItemRepository::with_change_feed`] gives it what the table's stream gives DynamoDB:
//! every write's change, in write order. [`InMemoryEventPublisher`] is the change-event
//! publisher for the same uses.

mod events;
pub use events::InMemoryEventPublisher;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use items_domain::{
    Clock, Cursor, IdempotencyRecord, IdempotencyScope, IdempotentInsert, Item, ItemChange,
    ItemChanges, ItemCreator, ItemDeleter, ItemId, ItemLister, ItemReader, ItemUpdater,
    ListPosition, Page, PageRequest, RepositoryError, SystemClock, Timestamp, WritePrecondition,
};
use tokio::sync::mpsc;

/// The store's change feed: the change of every write, in the order the writes took effect
/// (what the items table's stream is to the DynamoDB store).
pub type ChangeFeed = mpsc::UnboundedReceiver<ItemChange>;

#[derive(Default)]
struct Tables {
    /// Ordered by id: the "store's order" of an unfiltered listing.
    items: BTreeMap<ItemId, Item>,
    idempotency: HashMap<IdempotencyScope, IdempotencyRecord>,
}

/// The in-memory store. Cheap to create; share it behind an `Arc`.
#[derive(Default)]
pub struct InMemoryItemRepository {
    tables: Mutex<Tables>,
    changes: Option<mpsc::UnboundedSender<ItemChange>>,
}

impl InMemoryItemRepository {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store that also sends every write's change to the returned feed. A change is
    /// sent while the write still holds the store's lock, so the feed's order is the order in
    /// which writes took effect, per item and overall.
    pub fn with_change_feed() -> (Self, ChangeFeed) {
        let (sender, feed) = mpsc::unbounded_channel();
        let store = Self {
            tables: Mutex::default(),
            changes: Some(sender),
        };
        (store, feed)
    }

    /// Sends `change` to the feed, if there is one. Call with the lock held.
    fn record(&self, change: impl FnOnce() -> ItemChange) {
        if let Some(changes) = &self.changes {
            // A closed feed means nobody follows the changes any more; the write stands.
            let _ = changes.send(change());
        }
    }

    fn tables(&self) -> Result<MutexGuard<'_, Tables>, RepositoryError> {
        // A poisoned lock means a writer panicked mid-change: refuse rather than serve it.
        self.tables.lock().map_err(|_| {
            tracing::error!("the in-memory store's lock is poisoned: a writer panicked mid-change");
            RepositoryError::Internal
        })
    }
}

#[async_trait]
impl ItemCreator for InMemoryItemRepository {
    async fn insert(&self, item: &Item) -> Result<(), RepositoryError> {
        let mut tables = self.tables()?;
        if tables.items.contains_key(&item.id()) {
            return Err(RepositoryError::AlreadyExists);
        }
        tables.items.insert(item.id(), item.clone());
        self.record(|| ItemChange::Created { item: item.clone() });
        Ok(())
    }

    async fn insert_idempotent(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<IdempotentInsert, RepositoryError> {
        let mut tables = self.tables()?;
        let now = record.item.created_at();
        if let Some(existing) = tables.idempotency.get(&record.scope) {
            if existing.is_live_at(now) {
                return Ok(if existing.fingerprint == record.fingerprint {
                    IdempotentInsert::Replayed(existing.item.clone())
                } else {
                    IdempotentInsert::Conflict
                });
            }
        }
        if tables.items.contains_key(&record.item.id()) {
            return Err(RepositoryError::AlreadyExists);
        }
        tables.items.insert(record.item.id(), record.item.clone());
        tables
            .idempotency
            .insert(record.scope.clone(), record.clone());
        self.record(|| ItemChange::Created {
            item: record.item.clone(),
        });
        Ok(IdempotentInsert::Created)
    }
}

#[async_trait]
impl ItemReader for InMemoryItemRepository {
    async fn get(&self, id: &ItemId) -> Result<Option<Item>, RepositoryError> {
        Ok(self.tables()?.items.get(id).cloned())
    }
}

#[async_trait]
impl ItemUpdater for InMemoryItemRepository {
    async fn update(
        &self,
        id: &ItemId,
        changes: &ItemChanges,
        updated_at: Timestamp,
        precondition: &WritePrecondition,
    ) -> Result<Item, RepositoryError> {
        // The lock is held from the check to the write: the same atomicity as a conditional
        // UpdateItem.
        let mut tables = self.tables()?;
        let before = precondition.check(tables.items.get(id))?;
        let updated = before.updated(changes.clone(), updated_at);
        self.record(|| ItemChange::Replaced {
            before: before.clone(),
            after: updated.clone(),
        });
        tables.items.insert(*id, updated.clone());
        Ok(updated)
    }
}

#[async_trait]
impl ItemDeleter for InMemoryItemRepository {
    async fn delete(
        &self,
        id: &ItemId,
        precondition: &WritePrecondition,
    ) -> Result<(), RepositoryError> {
        let mut tables = self.tables()?;
        let before = precondition.check(tables.items.get(id))?;
        self.record(|| ItemChange::Deleted {
            before: before.clone(),
            // Items carry no deletion time: stamped now, as the table's stream stamps it.
            at: SystemClock.now(),
        });
        tables.items.remove(id);
        Ok(())
    }
}

#[async_trait]
impl ItemLister for InMemoryItemRepository {
    async fn list_page(&self, request: &PageRequest) -> Result<Page<Item>, RepositoryError> {
        let tables = self.tables()?;
        let limit = request.limit.get() as usize;
        // Take one more than the page holds: it says whether a next page exists, so the last
        // page is never followed by an empty one.
        let mut items: Vec<Item> = match &request.category {
            None => {
                let after = match request.cursor.as_ref().map(Cursor::position) {
                    Some(ListPosition::All { last_id }) => Some(*last_id),
                    _ => None,
                };
                tables
                    .items
                    .values()
                    .filter(|item| after.is_none_or(|last| item.id() > last))
                    .take(limit + 1)
                    .cloned()
                    .collect()
            }
            Some(category) => {
                let mut in_category: Vec<&Item> = tables
                    .items
                    .values()
                    .filter(|item| item.category() == Some(category))
                    .collect();
                // Newest first; the id breaks ties so the order is total.
                in_category.sort_by_key(|item| std::cmp::Reverse((item.created_at(), item.id())));
                let after = match request.cursor.as_ref().map(Cursor::position) {
                    Some(ListPosition::Category {
                        last_created_at,
                        last_id,
                        ..
                    }) => Some((*last_created_at, *last_id)),
                    _ => None,
                };
                in_category
                    .into_iter()
                    .filter(|item| after.is_none_or(|last| (item.created_at(), item.id()) < last))
                    .take(limit + 1)
                    .cloned()
                    .collect()
            }
        };
        let has_more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = match (has_more, items.last()) {
            (true, Some(last)) => Some(Cursor::new(request.position_after(last))),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }
}
