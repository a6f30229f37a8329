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

/// One field of a JSON Merge Patch body before any rule is checked: absent (keep the stored
/// value), `null` (remove it) or a text (set it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PatchValue {
    /// Not in the body: the stored value is kept.
    #[default]
    Absent,
    /// `null`: the field is removed, which only an optional field allows.
    Null,
    /// A new value, unchecked.
    Text(String),
}

/// The fields of a partial-update body, as an adapter read them, each unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemPatchInput {
    /// `name`.
    pub name: PatchValue,
    /// `description`.
    pub description: PatchValue,
    /// `category`.
    pub category: PatchValue,
}

/// What an update does to an optional field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OptionalChange<T> {
    /// The stored value stays.
    Keep,
    /// The field gets this value.
    Set(T),
    /// The field is removed.
    Remove,
}

/// What an update changes in an item, each new value valid: a replacement (`PUT`) sets every
/// field and removes an absent category; a partial update (`PATCH`) changes at least one field
/// and keeps the others. The stores apply it in one conditional write.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemChanges {
    name: Option<ItemName>,
    description: Option<Description>,
    category: OptionalChange<Category>,
}

impl ItemChanges {
    /// The rule a partial update that changes nothing breaks.
    pub const EMPTY_PATCH_RULE: &'static str = "must change at least one field";

    /// Every field replaced by `fields` (an absent category removes the stored one).
    pub fn replace_all(fields: ItemFields) -> Self {
        // Destructured, so a new field is a compile error here: an update must say what it
        // does to every field.
        let ItemFields {
            name,
            description,
            category,
        } = fields;
        Self {
            name: Some(name),
            description: Some(description),
            category: match category {
                Some(category) => OptionalChange::Set(category),
                None => OptionalChange::Remove,
            },
        }
    }

    /// A partial update (JSON Merge Patch): present fields are set under the same rules as a
    /// replacement, `null` removes the category, and `null` for a required field is an error
    /// naming it. A patch that changes nothing is an error naming the body. Every broken rule
    /// is reported, not only the first.
    pub fn parse_patch(input: &ItemPatchInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut required = |field: &str, value: &PatchValue| match value {
            PatchValue::Absent => Some(None),
            PatchValue::Null => {
                errors.push(FieldError::new(field, "is required and cannot be removed"));
                None
            }
            PatchValue::Text(text) => Some(Some(text.clone())),
        };
        let name = required("name", &input.name)
            .map(|raw| raw.map(|raw| ItemName::parse(&raw)).transpose());
        let description = required("description", &input.description)
            .map(|raw| raw.map(|raw| Description::parse(&raw)).transpose());
        let category = match &input.category {
            PatchValue::Absent => Ok(OptionalChange::Keep),
            PatchValue::Null => Ok(OptionalChange::Remove),
            PatchValue::Text(raw) => Category::parse(raw).map(OptionalChange::Set),
        };
        let name = name.and_then(|parsed| parsed.map_err(|e| errors.push(e)).ok());
        let description = description.and_then(|parsed| parsed.map_err(|e| errors.push(e)).ok());
        let category = category.map_err(|e| errors.push(e)).ok();
        let (Some(name), Some(description), Some(category)) = (name, description, category) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        if name.is_none() && description.is_none() && category == OptionalChange::Keep {
            return Err(vec![FieldError::new("body", Self::EMPTY_PATCH_RULE)]);
        }
        Ok(Self {
            name,
            description,
            category,
        })
    }

    /// The new name, if the update sets one.
    pub fn name(&self) -> Option<&ItemName> {
        self.name.as_ref()
    }

    /// The new description, if the update sets one.
    pub fn description(&self) -> Option<&Description> {
        self.description.as_ref()
    }

    /// What the update does to the category.
    pub fn category(&self) -> &OptionalChange<Category> {
        &self.category
    }
}

impl From<ItemFields> for ItemChanges {
    fn from(fields: ItemFields) -> Self {
        Self::replace_all(fields)
    }
}

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

/// An item's facts as a store keeps them, each a valid value: what [`Item::restore`] reads
/// back, and what [`Item::record`] hands a store or a view to write out (destructure it whole,
/// so a new field is a compile error where it must be handled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
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

/// Why a stored record is not an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRecord {
    /// At version 1 an item has never changed, so it was last changed when it was created.
    #[error("an item at version 1 has an updated_at other than its created_at")]
    FirstVersionChanged,
}

/// An item. Only [`Item::create`] and [`Item::updated`] make one, as the rules say, and
/// [`Item::restore`] reads one back from a store; its fields are read through its accessors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item(ItemRecord);

impl Item {
    /// A new item at version 1, created now by `creator`.
    pub fn create(id: ItemId, fields: NewItem, creator: Subject, now: Timestamp) -> Self {
        let ItemFields {
            name,
            description,
            category,
        } = fields;
        Self(ItemRecord {
            id,
            name,
            description,
            category,
            created_at: now,
            updated_at: now,
            created_by: creator,
            version: Version::FIRST,
        })
    }

    /// This item with `changes` applied at `updated_at`, one version on. Creation facts stay.
    /// The stores apply exactly this in their atomic update.
    pub fn updated(&self, changes: impl Into<ItemChanges>, updated_at: Timestamp) -> Self {
        let changes = changes.into();
        let item = &self.0;
        Self(ItemRecord {
            id: item.id,
            name: changes.name.unwrap_or_else(|| item.name.clone()),
            description: changes
                .description
                .unwrap_or_else(|| item.description.clone()),
            category: match changes.category {
                OptionalChange::Keep => item.category.clone(),
                OptionalChange::Set(category) => Some(category),
                OptionalChange::Remove => None,
            },
            created_at: item.created_at,
            updated_at,
            created_by: item.created_by.clone(),
            version: item.version.next(),
        })
    }

    /// An item read back from a store: the one place that trusts stored facts, each already a
    /// valid value; it still refuses a record no sequence of writes can produce.
    pub fn restore(record: ItemRecord) -> Result<Self, InvalidRecord> {
        if record.version == Version::FIRST && record.updated_at != record.created_at {
            return Err(InvalidRecord::FirstVersionChanged);
        }
        Ok(Self(record))
    }

    /// The item's facts, for a store or a view to write out.
    pub fn record(&self) -> &ItemRecord {
        &self.0
    }

    /// The id the store assigned at creation.
    pub fn id(&self) -> ItemId {
        self.0.id
    }

    /// The display name.
    pub fn name(&self) -> &ItemName {
        &self.0.name
    }

    /// The description (may be empty).
    pub fn description(&self) -> &Description {
        &self.0.description
    }

    /// The category, if the item has one.
    pub fn category(&self) -> Option<&Category> {
        self.0.category.as_ref()
    }

    /// When the item was created.
    pub fn created_at(&self) -> Timestamp {
        self.0.created_at
    }

    /// When the item last changed.
    pub fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// The caller who created the item.
    pub fn created_by(&self) -> &Subject {
        &self.0.created_by
    }

    /// The item's version: 1 at creation, one more with every change.
    pub fn version(&self) -> Version {
        self.0.version
    }

    /// The caller-controlled fields of this item.
    pub fn fields(&self) -> ItemFields {
        let ItemRecord {
            name,
            description,
            category,
            ..
        } = &self.0;
        ItemFields {
            name: name.clone(),
            description: description.clone(),
            category: category.clone(),
        }
    }
}
