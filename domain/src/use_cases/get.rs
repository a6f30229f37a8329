//! `GET /items/{id}`: one item.

use crate::error::DomainError;
use crate::item::Item;
use crate::ports::{ItemReader, Port, UsesPorts};
use crate::values::{Caller, ItemId};

/// Reads one item; any verified caller may read any item.
#[derive(Debug, Clone)]
pub struct GetItem<S> {
    store: S,
}

impl<S> UsesPorts for GetItem<S> {
    const PORTS: &'static [Port] = &[Port::Reader];
}

impl<S: ItemReader> GetItem<S> {
    /// The use case over a store that can read.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The item with this id.
    pub async fn get(&self, _caller: &Caller, id: &ItemId) -> Result<Item, DomainError> {
        self.store.get(id).await?.ok_or(DomainError::NotFound)
    }
}
