//! The use cases, one per route. Each takes a verified caller and already-parsed input, applies
//! the rules that need the store (who may change an item, versions, idempotency), and says what
//! happened. Each holds only the store capabilities it calls: its type says what its route may
//! do to the store.

mod create;
mod delete;
mod get;
mod list;
mod patch;
mod update;

pub use create::{CreateItem, CreateStore, Creation};
pub use delete::{DeleteItem, DeleteStore};
pub use get::{GetItem, GetStore};
pub use list::{ListItems, ListStore};
pub use patch::{PatchItem, PatchStore};
pub use update::{UpdateItem, UpdateStore};
