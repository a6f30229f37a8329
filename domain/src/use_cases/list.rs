//! `GET /items`: one page of items.

use crate::error::DomainError;
use crate::item::Item;
use crate::page::{Page, PageRequest};
use crate::ports::UsesPorts;
use crate::values::Caller;

/// Lists items; any verified caller may list every item.
#[derive(Debug, Clone)]
pub struct ListItems<S> {
    store: S,
}

crate::store_ports! {
    /// What listing items needs of a store.
    pub trait ListStore: ItemLister;
}

impl<S> UsesPorts for ListItems<S> {
    type Store = dyn ListStore;
}

impl<S: ListStore> ListItems<S> {
    /// The use case over a store that can list.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// One page of all items, or of one category newest first.
    pub async fn list(
        &self,
        _caller: &Caller,
        request: &PageRequest,
    ) -> Result<Page<Item>, DomainError> {
        Ok(self.store.list_page(request).await?)
    }
}
