//! `POST /items`: a new item, idempotently when the caller sends a key.

use std::sync::Arc;

use crate::error::DomainError;
use crate::idempotency::{IdempotencyKey, IdempotencyRecord, IdempotencyScope, IdempotentInsert};
use crate::item::{Item, NewItem};
use crate::ports::{Clock, IdGenerator, UsesPorts};
use crate::values::Caller;

/// What a creation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creation {
    /// The item: new, or the one an earlier request with the same idempotency key made.
    pub item: Item,
    /// Whether this was a replay, which stored nothing.
    pub replayed: bool,
}

/// Creates items owned by their caller.
#[derive(Clone)]
pub struct CreateItem<S> {
    store: S,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

crate::store_ports! {
    /// What creating an item needs of a store.
    pub trait CreateStore: ItemCreator;
}

impl<S> UsesPorts for CreateItem<S> {
    type Store = dyn CreateStore;
}

impl<S: CreateStore> CreateItem<S> {
    /// The use case over a store that can insert, a clock and an id generator.
    pub fn new(store: S, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { store, clock, ids }
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
            caller.subject().clone(),
            self.clock.now(),
        );
        let Some(key) = idempotency_key else {
            self.store.insert(&item).await?;
            return Ok(Creation {
                item,
                replayed: false,
            });
        };
        let scope = IdempotencyScope {
            caller: caller.subject().clone(),
            key,
        };
        let record = IdempotencyRecord::new(scope, &fields, item);
        match self.store.insert_idempotent(&record).await? {
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
}
