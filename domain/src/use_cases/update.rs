//! `PUT /items/{id}`: an item's fields, replaced.

use std::sync::Arc;

use crate::error::DomainError;
use crate::item::{Item, ItemChanges, ItemFields};
use crate::ports::{Clock, UsesPorts};
use crate::use_cases::patch::PatchItem;
use crate::values::{Caller, ItemId, Version};

/// Updates items: only an item's creator or an admin may. A replacement is the change that
/// sets every field, so it is written as a patch is: one rule for both routes.
#[derive(Clone)]
pub struct UpdateItem<S> {
    changes: PatchItem<S>,
}

crate::store_ports! {
    /// What replacing an item's fields needs of a store.
    pub trait UpdateStore: ItemUpdater;
}

impl<S> UsesPorts for UpdateItem<S> {
    type Store = dyn UpdateStore;
}

impl<S: UpdateStore> UpdateItem<S> {
    /// The use case over a store that can update, and a clock.
    pub fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            changes: PatchItem::new(store, clock),
        }
    }

    /// Replaces an item's fields (an absent category removes it). With `expected`, the stored
    /// version must be that one (`PreconditionFailed` otherwise, and nothing changes); without,
    /// the update applies to whatever version is stored. One atomic store write: the store
    /// checks the precondition and writes in the same step, so no concurrent writer is
    /// overwritten unseen.
    pub async fn update(
        &self,
        caller: &Caller,
        id: &ItemId,
        fields: ItemFields,
        expected: Option<Version>,
    ) -> Result<Item, DomainError> {
        self.changes
            .patch(caller, id, ItemChanges::replace_all(fields), expected)
            .await
    }
}
