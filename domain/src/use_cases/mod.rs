//! The use cases, one per route. Each takes a verified caller and already-parsed input, applies
//! the rules that need the store (who may change an item, versions, idempotency), and says what
//! happened. Each holds only the store capabilities it calls: its type says what its route may
//! do to the store.

mod create;
mod delete;
mod get;
mod list;
mod update;

pub use create::{CreateItem, Creation};
pub use delete::DeleteItem;
pub use get::GetItem;
pub use list::ListItems;
pub use update::UpdateItem;

use std::future::Future;

use crate::error::{DomainError, RepositoryError};
use crate::item::Item;
use crate::limits::UNCONDITIONAL_WRITE_ATTEMPTS;
use crate::ports::ItemReader;
use crate::values::{Caller, ItemId, Version};

/// The shared shape of an update and a delete: read, apply the owner-or-admin rule and the
/// caller's version precondition, then write conditionally on the version just read, so a
/// concurrent writer can never be overwritten unseen.
async fn write_checked<T, F, Fut>(
    reader: &impl ItemReader,
    caller: &Caller,
    id: &ItemId,
    expected: Option<Version>,
    write: F,
) -> Result<T, DomainError>
where
    F: Fn(Item) -> Fut,
    Fut: Future<Output = Result<T, RepositoryError>>,
{
    for _ in 0..UNCONDITIONAL_WRITE_ATTEMPTS {
        let stored = reader.get(id).await?.ok_or(DomainError::NotFound)?;
        if !caller.may_change_item_of(&stored.created_by) {
            return Err(DomainError::Forbidden);
        }
        if expected.is_some_and(|version| version != stored.version) {
            return Err(DomainError::PreconditionFailed);
        }
        match write(stored).await {
            // Without If-Match the caller asked for "whatever is there now": read again.
            Err(RepositoryError::VersionMismatch) if expected.is_none() => continue,
            other => return other.map_err(DomainError::from),
        }
    }
    // Lost the race every time: the item is too hot right now; the caller may retry.
    Err(DomainError::Unavailable)
}
