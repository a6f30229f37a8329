//! The item and the fields a caller sends to create or update one.

use crate::error::FieldError;
use crate::values::{Category, Description, ItemId, ItemName, Subject, Timestamp, Version};

/// The fields of a request body before any rule is checked, as an adapter read them. `None`
/// means absent (or JSON `null`, which the contract treats the same for `category`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemInput {
    /// `name`, unchecked.
    pub name: Option<String>,
    /// `description`, unchecked.
    pub description: Option<String>,
    /// `category`, unchecked.
    pub category: Option<String>,
}

/// The caller-controlled fields of an item, each valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemFields {
    /// The display name.
    pub name: ItemName,
    /// The description (may be empty).
    pub description: Description,
    /// The category, if the item has one.
    pub category: Option<Category>,
}

/// The fields of an item to create.
pub type NewItem = ItemFields;

/// The fields an update gives an item (an absent category removes it).
pub type ItemChanges = ItemFields;

impl ItemFields {
    /// Checks every field rule and reports every broken one, not only the first.
    pub fn parse(input: &ItemInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = match &input.name {
            Some(raw) => ItemName::parse(raw).map_err(|e| errors.push(e)).ok(),
            None => {
                errors.push(FieldError::new("name", "is required"));
                None
            }
        };
        let description = match &input.description {
            Some(raw) => Description::parse(raw).map_err(|e| errors.push(e)).ok(),
            None => {
                errors.push(FieldError::new("description", "is required"));
                None
            }
        };
        let category = match &input.category {
            Some(raw) => Category::parse(raw)
                .map(Some)
                .map_err(|e| errors.push(e))
                .ok(),
            None => Some(None),
        };
        match (name, description, category) {
            (Some(name), Some(description), Some(category)) if errors.is_empty() => Ok(Self {
                name,
                description,
                category,
            }),
            _ => Err(errors),
        }
    }
}

/// A stored item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The id the store assigned at creation.
    pub id: ItemId,
    /// The display name.
    pub name: ItemName,
    /// The description (may be empty).
    pub description: Description,
    /// The category, if the item has one.
    pub category: Option<Category>,
    /// When the item was created.
    pub created_at: Timestamp,
    /// When the item last changed.
    pub updated_at: Timestamp,
    /// The caller who created the item: the one who may change it, besides admins.
    pub created_by: Subject,
    /// Starts at 1 and grows by one with every change; the item's `ETag`.
    pub version: Version,
}

impl Item {
    /// A new item at version 1, created now by `creator`.
    pub fn create(id: ItemId, fields: NewItem, creator: Subject, now: Timestamp) -> Self {
        Self {
            id,
            name: fields.name,
            description: fields.description,
            category: fields.category,
            created_at: now,
            updated_at: now,
            created_by: creator,
            version: Version::FIRST,
        }
    }

    /// This item with its fields updated at `updated_at`, one version on. Creation facts stay.
    /// The stores apply exactly this in their atomic update.
    pub fn updated(&self, changes: ItemChanges, updated_at: Timestamp) -> Self {
        Self {
            id: self.id,
            name: changes.name,
            description: changes.description,
            category: changes.category,
            created_at: self.created_at,
            updated_at,
            created_by: self.created_by.clone(),
            version: self.version.next(),
        }
    }

    /// The caller-controlled fields of this item.
    pub fn fields(&self) -> ItemFields {
        ItemFields {
            name: self.name.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
        }
    }
}
