//! `PUT /items/{id}`: an item's fields, replaced.

use std::sync::Arc;

use crate::error::DomainError;
use crate::item::{Item, ItemChanges};
use crate::ports::{Clock, ItemReader, ItemUpdater, Port, UsesPorts};
use crate::use_cases::write_checked;
use crate::values::{Caller, ItemId, Version};

/// Updates items: only an item's creator or an admin may.
#[derive(Clone)]
pub struct UpdateItem<S> {
    store: S,
    clock: Arc<dyn Clock>,
}

impl<S> UsesPorts for UpdateItem<S> {
    const PORTS: &'static [Port] = &[Port::Reader, Port::Updater];
}

impl<S: ItemReader + ItemUpdater> UpdateItem<S> {
    /// The use case over a store that can read and update, and a clock.
    pub fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Replaces an item's fields (an absent category removes it). With `expected`, the stored
    /// version must be that one (`PreconditionFailed` otherwise, and nothing changes); without,
    /// a concurrent update is retried on the newer version.
    pub async fn update(
        &self,
        caller: &Caller,
        id: &ItemId,
        changes: ItemChanges,
        expected: Option<Version>,
    ) -> Result<Item, DomainError> {
        write_checked(&self.store, caller, id, expected, |stored| {
            let updated = stored.updated(changes.clone(), self.clock.now());
            async move {
                self.store.update(&updated, stored.version).await?;
                Ok(updated)
            }
        })
        .await
    }
}
