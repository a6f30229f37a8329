//! `DELETE /items/{id}`: an item, removed.

use crate::error::DomainError;
use crate::ports::{ItemDeleter, ItemReader, Port, UsesPorts};
use crate::use_cases::write_checked;
use crate::values::{Caller, ItemId, Version};

/// Deletes items: only an item's creator or an admin may.
#[derive(Debug, Clone)]
pub struct DeleteItem<S> {
    store: S,
}

impl<S> UsesPorts for DeleteItem<S> {
    const PORTS: &'static [Port] = &[Port::Reader, Port::Deleter];
}

impl<S: ItemReader + ItemDeleter> DeleteItem<S> {
    /// The use case over a store that can read and delete.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// Deletes an item, with the same rules as an update.
    pub async fn delete(
        &self,
        caller: &Caller,
        id: &ItemId,
        expected: Option<Version>,
    ) -> Result<(), DomainError> {
        write_checked(&self.store, caller, id, expected, |stored| async move {
            self.store.delete(&stored.id, stored.version).await
        })
        .await
    }
}
