//! The ports: what the domain needs from the outside world, named for the need and split by
//! capability, so a use case (and the function serving its route) holds only what it calls: a
//! route that reads is given an [`ItemReader`] and cannot write.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::RepositoryError;
use crate::idempotency::{IdempotencyRecord, IdempotentInsert};
use crate::item::{Item, ItemChanges};
use crate::page::{Page, PageRequest};
use crate::precondition::WritePrecondition;
use crate::values::{ItemId, Timestamp};

/// Reads one item.
#[async_trait]
pub trait ItemReader: Send + Sync {
    /// The item with this id, if any.
    async fn get(&self, id: &ItemId) -> Result<Option<Item>, RepositoryError>;
}

/// Lists items a page at a time.
#[async_trait]
pub trait ItemLister: Send + Sync {
    /// One page of a listing: all items in the store's order, or one category newest first.
    /// Following `next_cursor` returns every item that existed throughout exactly once.
    async fn list_page(&self, request: &PageRequest) -> Result<Page<Item>, RepositoryError>;
}

/// Stores new items. Every write is conditional and atomic: no adapter may read-then-write.
#[async_trait]
pub trait ItemCreator: Send + Sync {
    /// Stores a new item; `AlreadyExists` if its id is taken.
    async fn insert(&self, item: &Item) -> Result<(), RepositoryError>;

    /// Stores a new item and its idempotency record together, unless a live record for the same
    /// scope exists (records whose `expires_at` is not after `record.item.created_at` are dead).
    async fn insert_idempotent(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<IdempotentInsert, RepositoryError>;
}

/// Updates items in place, each update one atomic conditional write.
#[async_trait]
pub trait ItemUpdater: Send + Sync {
    /// In one atomic step, if `precondition` holds for the stored item: replaces its fields with
    /// `changes` (an absent category is removed), sets `updated_at`, moves the version one on,
    /// and returns the item as stored. Otherwise changes nothing and fails with the first part
    /// of the precondition that does not hold (see [`WritePrecondition::check`]). A write the
    /// store's client sent again after its answer was lost is recognised as this call's own:
    /// it is applied once and the call succeeds.
    async fn update(
        &self,
        id: &ItemId,
        changes: &ItemChanges,
        updated_at: Timestamp,
        precondition: &WritePrecondition,
    ) -> Result<Item, RepositoryError>;
}

/// Deletes items, each delete one atomic conditional write.
#[async_trait]
pub trait ItemDeleter: Send + Sync {
    /// In one atomic step, deletes the item if `precondition` holds; errors as for
    /// [`ItemUpdater::update`].
    async fn delete(
        &self,
        id: &ItemId,
        precondition: &WritePrecondition,
    ) -> Result<(), RepositoryError>;
}

/// The store capabilities, by name: what a use case declares it holds, so the permissions its
/// function needs can be derived (the DynamoDB adapter states each one's actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Port {
    /// [`ItemReader`].
    Reader,
    /// [`ItemLister`].
    Lister,
    /// [`ItemCreator`].
    Creator,
    /// [`ItemUpdater`].
    Updater,
    /// [`ItemDeleter`].
    Deleter,
}

/// A port trait's name as a [`Port`], so a list of port traits can be read as data.
pub trait PortTrait {
    /// The port this trait is.
    const PORT: Port;
}

impl PortTrait for dyn ItemReader {
    const PORT: Port = Port::Reader;
}
impl PortTrait for dyn ItemLister {
    const PORT: Port = Port::Lister;
}
impl PortTrait for dyn ItemCreator {
    const PORT: Port = Port::Creator;
}
impl PortTrait for dyn ItemUpdater {
    const PORT: Port = Port::Updater;
}
impl PortTrait for dyn ItemDeleter {
    const PORT: Port = Port::Deleter;
}

/// A use case's store, as the ports it needs: the trait bound and the [`Port`] list of one
/// declaration (see [`store_ports!`](crate::store_ports)).
pub trait StorePorts {
    /// Every port of the store, and no other.
    const PORTS: &'static [Port];
}

/// Declares a use case's store: a trait that is exactly the listed ports (`A & B`) (every type holding
/// them has it) and the same list as [`Port`]s, so the bound a use case (and its handler)
/// requires and the permissions derived from it cannot drift apart.
#[macro_export]
macro_rules! store_ports {
    ($(#[$meta:meta])* $vis:vis trait $name:ident: $($port:ident)&+;) => {
        $(#[$meta])*
        $vis trait $name: $($crate::ports::$port +)+ Send + Sync {}

        impl<T: $($crate::ports::$port +)+ Send + Sync + ?Sized> $name for T {}

        impl $crate::ports::StorePorts for dyn $name {
            const PORTS: &'static [$crate::ports::Port] =
                &[$(<dyn $crate::ports::$port as $crate::ports::PortTrait>::PORT),+];
        }
    };
}

/// A use case's store, named: the ports it calls are its `Store`'s, declared once with
/// [`store_ports!`](crate::store_ports).
pub trait UsesPorts {
    /// The use case's store trait, as a trait object type (`dyn UpdateStore`).
    type Store: StorePorts + ?Sized;

    /// Every port the use case calls, and no other.
    const PORTS: &'static [Port] = <Self::Store as StorePorts>::PORTS;
}

/// A whole store: every capability. Stores implement the five ports; this name is for the
/// places that hold one store for every route (the local stage, the repository conformance suite).
pub trait ItemRepository:
    ItemReader + ItemLister + ItemCreator + ItemUpdater + ItemDeleter
{
}

impl<T> ItemRepository for T where
    T: ItemReader + ItemLister + ItemCreator + ItemUpdater + ItemDeleter + ?Sized
{
}

/// Shared stores: a port behind an `Arc` is the same port, so one store can serve several use
/// cases.
#[async_trait]
impl<T: ItemReader + ?Sized> ItemReader for Arc<T> {
    async fn get(&self, id: &ItemId) -> Result<Option<Item>, RepositoryError> {
        (**self).get(id).await
    }
}

#[async_trait]
impl<T: ItemLister + ?Sized> ItemLister for Arc<T> {
    async fn list_page(&self, request: &PageRequest) -> Result<Page<Item>, RepositoryError> {
        (**self).list_page(request).await
    }
}

#[async_trait]
impl<T: ItemCreator + ?Sized> ItemCreator for Arc<T> {
    async fn insert(&self, item: &Item) -> Result<(), RepositoryError> {
        (**self).insert(item).await
    }

    async fn insert_idempotent(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<IdempotentInsert, RepositoryError> {
        (**self).insert_idempotent(record).await
    }
}

#[async_trait]
impl<T: ItemUpdater + ?Sized> ItemUpdater for Arc<T> {
    async fn update(
        &self,
        id: &ItemId,
        changes: &ItemChanges,
        updated_at: Timestamp,
        precondition: &WritePrecondition,
    ) -> Result<Item, RepositoryError> {
        (**self).update(id, changes, updated_at, precondition).await
    }
}

#[async_trait]
impl<T: ItemDeleter + ?Sized> ItemDeleter for Arc<T> {
    async fn delete(
        &self,
        id: &ItemId,
        precondition: &WritePrecondition,
    ) -> Result<(), RepositoryError> {
        (**self).delete(id, precondition).await
    }
}

#[cfg(any(test, feature = "mocks"))]
mockall::mock! {
    /// A store whose every capability is mocked, for failures a real store cannot produce on
    /// demand.
    pub ItemRepository {}

    #[async_trait]
    impl ItemReader for ItemRepository {
        async fn get(&self, id: &ItemId) -> Result<Option<Item>, RepositoryError>;
    }

    #[async_trait]
    impl ItemLister for ItemRepository {
        async fn list_page(&self, request: &PageRequest) -> Result<Page<Item>, RepositoryError>;
    }

    #[async_trait]
    impl ItemCreator for ItemRepository {
        async fn insert(&self, item: &Item) -> Result<(), RepositoryError>;
        async fn insert_idempotent(
            &self,
            record: &IdempotencyRecord,
        ) -> Result<IdempotentInsert, RepositoryError>;
    }

    #[async_trait]
    impl ItemUpdater for ItemRepository {
        async fn update(
            &self,
            id: &ItemId,
            changes: &ItemChanges,
            updated_at: Timestamp,
            precondition: &WritePrecondition,
        ) -> Result<Item, RepositoryError>;
    }

    #[async_trait]
    impl ItemDeleter for ItemRepository {
        async fn delete(
            &self,
            id: &ItemId,
            precondition: &WritePrecondition,
        ) -> Result<(), RepositoryError>;
    }
}

/// The time, injected so tests control it.
pub trait Clock: Send + Sync {
    /// Now, at millisecond precision.
    fn now(&self) -> Timestamp;
}

/// Makes ids for new items.
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
