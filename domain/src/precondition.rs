//! What must hold for an update or a delete to apply. The domain states the rule; each store
//! enforces it atomically with the write itself (DynamoDB in the write's condition, the memory
//! store under its lock), so nothing can change between the check and the write, and a write
//! costs one store round trip.

use crate::error::RepositoryError;
use crate::item::Item;
use crate::values::{Caller, Subject, Version};

/// The precondition of an update or a delete: the item exists, the caller created it (unless
/// the caller is an admin), and with `If-Match` it is at the expected version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritePrecondition {
    creator: Option<Subject>,
    version: Option<Version>,
}

impl WritePrecondition {
    /// The precondition for `caller` writing, with the version `If-Match` named, if any.
    pub fn new(caller: &Caller, expected_version: Option<Version>) -> Self {
        Self {
            creator: (!caller.is_admin()).then(|| caller.subject().clone()),
            version: expected_version,
        }
    }

    /// The creator the item must have; `None` when the caller is an admin, who may change any
    /// item.
    pub fn creator(&self) -> Option<&Subject> {
        self.creator.as_ref()
    }

    /// The version the item must be at; `None` when the caller named none (no `If-Match`, or
    /// `If-Match: *`).
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// Checks the stored item, in the contract's order: no item is `NotFound`, another creator
    /// `NotCreator` (so a non-creator learns nothing about versions), another version
    /// `VersionMismatch`. Returns the item when every part holds.
    pub fn check<'a>(&self, stored: Option<&'a Item>) -> Result<&'a Item, RepositoryError> {
        let item = stored.ok_or(RepositoryError::NotFound)?;
        if self
            .creator
            .as_ref()
            .is_some_and(|creator| creator != item.created_by())
        {
            return Err(RepositoryError::NotCreator);
        }
        if self
            .version
            .is_some_and(|version| version != item.version())
        {
            return Err(RepositoryError::VersionMismatch);
        }
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::ItemFields;
    use crate::values::{Description, ItemId, ItemName, Timestamp};

    fn subject(raw: &str) -> Subject {
        Subject::parse(raw).expect("valid subject")
    }

    fn item_by(creator: &str) -> Item {
        Item::create(
            ItemId::from_uuid(uuid::Uuid::new_v4()),
            ItemFields {
                name: ItemName::parse("lamp").expect("name"),
                description: Description::parse("brass").expect("description"),
                category: None,
            },
            subject(creator),
            Timestamp::from_millis(1_767_225_600_000).expect("timestamp"),
        )
    }

    #[test]
    fn every_part_is_checked_in_the_contracts_order() {
        let stale = Version::FIRST.next();
        let alice = Caller::user(subject("alice"));
        let by_bob = item_by("bob");
        // Everything wrong at once: absence wins, then the creator, then the version.
        assert_eq!(
            WritePrecondition::new(&alice, Some(stale)).check(None),
            Err(RepositoryError::NotFound)
        );
        assert_eq!(
            WritePrecondition::new(&alice, Some(stale)).check(Some(&by_bob)),
            Err(RepositoryError::NotCreator)
        );
        let by_alice = item_by("alice");
        assert_eq!(
            WritePrecondition::new(&alice, Some(stale)).check(Some(&by_alice)),
            Err(RepositoryError::VersionMismatch)
        );
        assert_eq!(
            WritePrecondition::new(&alice, Some(Version::FIRST)).check(Some(&by_alice)),
            Ok(&by_alice)
        );
        assert_eq!(
            WritePrecondition::new(&alice, None).check(Some(&by_alice)),
            Ok(&by_alice)
        );
    }

    #[test]
    fn an_admin_needs_no_creator_but_still_the_version() {
        let root = Caller::admin(subject("root"));
        let by_bob = item_by("bob");
        assert_eq!(WritePrecondition::new(&root, None).creator(), None);
        assert_eq!(
            WritePrecondition::new(&root, None).check(Some(&by_bob)),
            Ok(&by_bob)
        );
        assert_eq!(
            WritePrecondition::new(&root, Some(Version::FIRST.next())).check(Some(&by_bob)),
            Err(RepositoryError::VersionMismatch)
        );
    }
}
