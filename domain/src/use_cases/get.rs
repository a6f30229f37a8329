//! `GET /items/{id}`: one item.

use crate::error::DomainError;
use crate::item::Item;
use crate::ports::UsesPorts;
use crate::values::{Caller, ItemId};

/// Reads one item; any verified caller may read any item.
#[derive(Debug, Clone)]
pub struct GetItem<S> {
    store: S,
}

crate::store_ports! {
    /// What reading an item needs of a store.
    pub trait GetStore: ItemReader;
}

impl<S> UsesPorts for GetItem<S> {
    type Store = dyn GetStore;
}

impl<S: GetStore> GetItem<S> {
    /// The use case over a store that can read.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The item with this id.
    pub async fn get(&self, _caller: &Caller, id: &ItemId) -> Result<Item, DomainError> {
        self.store.get(id).await?.ok_or(DomainError::NotFound)
    }
}
