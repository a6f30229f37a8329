//! The use cases. Each takes a verified caller and already-parsed input, applies the rules that
//! need the store (who may change an item, versions, idempotency), and says what happened.

use std::sync::Arc;

use crate::error::{DomainError, RepositoryError};
use crate::idempotency::{IdempotencyKey, IdempotencyRecord, IdempotencyScope, IdempotentInsert};
use crate::item::{Item, ItemChanges, NewItem};
use crate::limits::UNCONDITIONAL_WRITE_ATTEMPTS;
use crate::page::{Page, PageRequest};
use crate::ports::{Clock, IdGenerator, ItemRepository};
use crate::values::{Caller, ItemId, Version};

/// What `create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creation {
    /// The item: new, or the one an earlier request with the same idempotency key made.
    pub item: Item,
    /// Whether this was a replay, which stored nothing.
    pub replayed: bool,
}

/// The items API's use cases, over the ports they need.
#[derive(Clone)]
pub struct ItemService {
    repository: Arc<dyn ItemRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl ItemService {
    /// A service over a repository, a clock and an id generator.
    pub fn new(
        repository: Arc<dyn ItemRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            repository,
            clock,
            ids,
        }
    }

    /// Creates an item owned by the caller. With an idempotency key, the same caller sending
    /// the same fields again within 24 hours gets the first item back and nothing new is
    /// stored; the same key with other fields is `IdempotencyConflict`.
    pub async fn create(
        &self,
        caller: &Caller,
        fields: NewItem,
        idempotency_key: Option<IdempotencyKey>,
    ) -> Result<Creation, DomainError> {
        let item = Item::create(
            self.ids.new_id(),
            fields.clone(),
            caller.subject.clone(),
            self.clock.now(),
        );
        let Some(key) = idempotency_key else {
            self.repository.insert(&item).await?;
            return Ok(Creation {
                item,
                replayed: false,
            });
        };
        let scope = IdempotencyScope {
            caller: caller.subject.clone(),
            key,
        };
        let record = IdempotencyRecord::new(scope, &fields, item);
        match self.repository.insert_idempotent(&record).await? {
            IdempotentInsert::Created => Ok(Creation {
                item: record.item,
                replayed: false,
            }),
            IdempotentInsert::Replayed(item) => Ok(Creation {
                item,
                replayed: true,
            }),
            IdempotentInsert::Conflict => Err(DomainError::IdempotencyConflict),
        }
    }

    /// The item with this id; any verified caller may read any item.
    pub async fn get(&self, _caller: &Caller, id: &ItemId) -> Result<Item, DomainError> {
        self.repository.get(id).await?.ok_or(DomainError::NotFound)
    }

    /// One page of all items, or of one category newest first.
    pub async fn list(
        &self,
        _caller: &Caller,
        request: &PageRequest,
    ) -> Result<Page<Item>, DomainError> {
        Ok(self.repository.list_page(request).await?)
    }

    /// Replaces an item's fields. Only its creator or an admin may. With `expected`, the stored
    /// version must be that one (`PreconditionFailed` otherwise, and nothing changes); without,
    /// a concurrent update is retried on the newer version.
    pub async fn replace(
        &self,
        caller: &Caller,
        id: &ItemId,
        changes: ItemChanges,
        expected: Option<Version>,
    ) -> Result<Item, DomainError> {
        self.write_checked(caller, id, expected, |stored| {
            let updated = stored.replaced(changes.clone(), self.clock.now());
            async move {
                self.repository.replace(&updated, stored.version).await?;
                Ok(updated)
            }
        })
        .await
    }

    /// Deletes an item, with the same rules as `replace`.
    pub async fn delete(
        &self,
        caller: &Caller,
        id: &ItemId,
        expected: Option<Version>,
    ) -> Result<(), DomainError> {
        self.write_checked(caller, id, expected, |stored| async move {
            self.repository.delete(&stored.id, stored.version).await
        })
        .await
    }

    /// The shared shape of an update and a delete: read, apply the owner-or-admin rule and the
    /// caller's version precondition, then write conditionally on the version just read, so a
    /// concurrent writer can never be overwritten unseen.
    async fn write_checked<T, F, Fut>(
        &self,
        caller: &Caller,
        id: &ItemId,
        expected: Option<Version>,
        write: F,
    ) -> Result<T, DomainError>
    where
        F: Fn(Item) -> Fut,
        Fut: std::future::Future<Output = Result<T, RepositoryError>>,
    {
        for _ in 0..UNCONDITIONAL_WRITE_ATTEMPTS {
            let stored = self
                .repository
                .get(id)
                .await?
                .ok_or(DomainError::NotFound)?;
            if !caller.may_change_item_of(&stored.created_by) {
                return Err(DomainError::Forbidden);
            }
            if expected.is_some_and(|version| version != stored.version) {
                return Err(DomainError::PreconditionFailed);
            }
            match write(stored).await {
                // Without If-Match the caller asked for "whatever is there now": read again.
                Err(RepositoryError::VersionMismatch) if expected.is_none() => continue,
                other => return other.map_err(DomainError::from),
            }
        }
        // Lost the race every time: the item is too hot right now; the caller may retry.
        Err(DomainError::Unavailable)
    }
}
