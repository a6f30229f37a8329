//! `PATCH /items/{id}`: some of an item's fields changed, the others kept.

use std::sync::Arc;

use crate::error::DomainError;
use crate::item::{Item, ItemChanges};
use crate::ports::{Clock, UsesPorts};
use crate::precondition::WritePrecondition;
use crate::values::{Caller, ItemId, Version};

crate::store_ports! {
    /// What changing some of an item's fields needs of a store.
    pub trait PatchStore: ItemUpdater;
}

/// Changes some of an item's fields: only its creator or an admin may, under the same rules
/// as a replacement.
#[derive(Clone)]
pub struct PatchItem<S> {
    store: S,
    clock: Arc<dyn Clock>,
}

impl<S> UsesPorts for PatchItem<S> {
    type Store = dyn PatchStore;
}

impl<S: PatchStore> PatchItem<S> {
    /// The use case over a store that can update, and a clock.
    pub fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Applies `changes` (fields set or the category removed; the others kept), moving the
    /// version one on. `expected`, ownership and their order are as for a replacement, and it
    /// is the same single conditional write: the store applies the changes to the item it
    /// holds at that moment, so a concurrent update is never overwritten unseen.
    pub async fn patch(
        &self,
        caller: &Caller,
        id: &ItemId,
        changes: ItemChanges,
        expected: Option<Version>,
    ) -> Result<Item, DomainError> {
        let precondition = WritePrecondition::new(caller, expected);
        Ok(self
            .store
            .update(id, &changes, self.clock.now(), &precondition)
            .await?)
    }
}
