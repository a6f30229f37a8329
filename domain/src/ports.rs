//! The ports: what the domain needs from the outside world, named for the need.

use async_trait::async_trait;

use crate::error::RepositoryError;
use crate::idempotency::{IdempotencyRecord, IdempotentInsert};
use crate::item::Item;
use crate::page::{Page, PageRequest};
use crate::values::{ItemId, Timestamp, Version};

/// Where items live. Every write is conditional and atomic: no adapter may read-then-write.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ItemRepository: Send + Sync {
    /// Stores a new item; `AlreadyExists` if its id is taken.
    async fn insert(&self, item: &Item) -> Result<(), RepositoryError>;

    /// Stores a new item and its idempotency record together, unless a live record for the same
    /// scope exists (records whose `expires_at` is not after `record.item.created_at` are dead).
    async fn insert_idempotent(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<IdempotentInsert, RepositoryError>;

    /// The item with this id, if any.
    async fn get(&self, id: &ItemId) -> Result<Option<Item>, RepositoryError>;

    /// Replaces the stored item with `item` if the stored one is at `expected`;
    /// `NotFound` if there is none, `VersionMismatch` if it is at another version.
    async fn replace(&self, item: &Item, expected: Version) -> Result<(), RepositoryError>;

    /// Deletes the item if it is at `expected`; errors as for `replace`.
    async fn delete(&self, id: &ItemId, expected: Version) -> Result<(), RepositoryError>;

    /// One page of a listing: all items in the store's order, or one category newest first.
    /// Following `next_cursor` returns every item that existed throughout exactly once.
    async fn list_page(&self, request: &PageRequest) -> Result<Page<Item>, RepositoryError>;
}

/// The time, injected so tests control it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, at millisecond precision.
    fn now(&self) -> Timestamp;
}

/// Makes ids for new items.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A fresh, unique id.
    fn new_id(&self) -> ItemId;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(chrono::Utc::now())
    }
}

/// Random UUID v4 ids.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV4Ids;

impl IdGenerator for UuidV4Ids {
    fn new_id(&self) -> ItemId {
        ItemId::from_uuid(uuid::Uuid::new_v4())
    }
}
