//! `DELETE /items/{id}`: an item, removed.

use crate::error::DomainError;
use crate::ports::UsesPorts;
use crate::precondition::WritePrecondition;
use crate::values::{Caller, ItemId, Version};

/// Deletes items: only an item's creator or an admin may.
#[derive(Debug, Clone)]
pub struct DeleteItem<S> {
    store: S,
}

crate::store_ports! {
    /// What deleting an item needs of a store.
    pub trait DeleteStore: ItemDeleter;
}

impl<S> UsesPorts for DeleteItem<S> {
    type Store = dyn DeleteStore;
}

impl<S: DeleteStore> DeleteItem<S> {
    /// The use case over a store that can delete.
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
        let precondition = WritePrecondition::new(caller, expected);
        Ok(self.store.delete(id, &precondition).await?)
    }
}
