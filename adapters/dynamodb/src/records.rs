//! Items and idempotency records as DynamoDB attributes, and back. A stored record that does not
//! read back into valid domain values is a store fault (`Internal`), never trusted.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use items_domain::{
    Category, Description, Fingerprint, IdempotencyRecord, IdempotencyScope, Item, ItemChanges,
    ItemId, ItemName, ItemRecord, ListPosition, OptionalChange, RepositoryError, Subject,
    Timestamp, Version,
};
use serde::{Deserialize, Serialize};

use crate::table_design::{CATEGORY_INDEX_PARTITION_KEY, CATEGORY_INDEX_SORT_KEY, ITEM_KEY};

/// An attribute map, as the SDK speaks it.
pub(crate) type Attributes = HashMap<String, AttributeValue>;

/// An item's attributes. `category` is left out when absent: DynamoDB rejects NULL in an index
/// key attribute, and an absent attribute keeps the item out of the sparse category index.
#[derive(Debug, Serialize, Deserialize)]
struct StoredItem {
    id: String,
    name: String,
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    created_at: String,
    updated_at: String,
    created_by: String,
    version: u64,
}

/// An update's attributes: those it sets, and those it removes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttributeChanges {
    /// The attributes set, with their new values, in the order of their names.
    pub(crate) set: Vec<(&'static str, AttributeValue)>,
    /// The attributes removed.
    pub(crate) remove: Vec<&'static str>,
}

/// An idempotency record's attributes: the item it made is kept whole, so a replay answers
/// without reading the items table.
#[derive(Debug, Serialize, Deserialize)]
struct StoredIdempotency {
    scope: String,
    fingerprint: String,
    /// The table's TTL attribute, in epoch seconds as TTL requires, rounded up so TTL never
    /// removes a record that still counts.
    expires_at: i64,
    /// The exact expiry (epoch milliseconds) the write condition compares with: a record is
    /// dead from this instant, not from the start of its second.
    expires_at_ms: i64,
    item: StoredItem,
}

/// The idempotency record attribute holding the exact expiry, in epoch milliseconds.
pub(crate) const RECORD_EXPIRY_MS_ATTRIBUTE: &str = "expires_at_ms";
/// The items table attribute holding the version, for conditions.
pub(crate) const VERSION_ATTRIBUTE: &str = "version";
/// The items table attribute holding the creator, for the owner condition.
pub(crate) const CREATED_BY_ATTRIBUTE: &str = "created_by";
/// The items table attribute holding the category, which an update without one removes.
pub(crate) const CATEGORY_ATTRIBUTE: &str = CATEGORY_INDEX_PARTITION_KEY;
/// The items table attribute holding a random id of the request that last updated the item.
/// An update the SDK sends again after its first answer was lost finds its own id there, and
/// so knows the write is its own. The API never shows it.
pub(crate) const WRITE_ID_ATTRIBUTE: &str = "last_write_id";

fn stored_item(item: &Item) -> StoredItem {
    // Destructured, so a new field of the item is a compile error here.
    let ItemRecord {
        id,
        name,
        description,
        category,
        created_at,
        updated_at,
        created_by,
        version,
    } = item.record();
    StoredItem {
        id: id.to_string(),
        name: name.as_str().to_owned(),
        description: description.as_str().to_owned(),
        category: category.as_ref().map(|c| c.as_str().to_owned()),
        created_at: created_at.to_rfc3339(),
        updated_at: updated_at.to_rfc3339(),
        created_by: created_by.as_str().to_owned(),
        version: version.get(),
    }
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> RepositoryError {
    tracing::error!(record = what, %detail, "a stored record does not read back as valid values");
    RepositoryError::Internal
}

fn domain_item(stored: StoredItem) -> Result<Item, RepositoryError> {
    checked_item(stored).map_err(|detail| corrupt("item", detail))
}

/// The domain item a stored one reads as, or the first rule it breaks.
fn checked_item(stored: StoredItem) -> Result<Item, String> {
    Item::restore(ItemRecord {
        id: ItemId::parse(&stored.id).map_err(|e| e.to_string())?,
        // The stored texts are moved into the item, not copied.
        name: ItemName::parse(stored.name).map_err(|e| e.to_string())?,
        description: Description::parse(stored.description).map_err(|e| e.to_string())?,
        category: stored
            .category
            .map(Category::parse)
            .transpose()
            .map_err(|e| e.to_string())?,
        created_at: Timestamp::parse_rfc3339(&stored.created_at).ok_or("created_at")?,
        updated_at: Timestamp::parse_rfc3339(&stored.updated_at).ok_or("updated_at")?,
        created_by: Subject::parse(stored.created_by).map_err(|e| e.to_string())?,
        version: Version::new(stored.version).ok_or("version")?,
    })
    .map_err(|e| e.to_string())
}

/// An item from a stream record's image (a stream carries the table's attributes), or why it
/// does not read as one. Not logged here: the stream's driving adapter reports the record.
pub(crate) fn item_from_image(image: serde_dynamo::Item) -> Result<Item, String> {
    let stored: StoredItem = serde_dynamo::from_item(image).map_err(|e| e.to_string())?;
    checked_item(stored)
}

/// An item's attributes.
pub(crate) fn item_to_attributes(item: &Item) -> Result<Attributes, RepositoryError> {
    // Built by hand, as [`item_from_attributes`] reads them: serde_dynamo would build its own
    // map first and convert it.
    let StoredItem {
        id,
        name,
        description,
        category,
        created_at,
        updated_at,
        created_by,
        version,
    } = stored_item(item);
    let mut attributes = HashMap::with_capacity(8);
    attributes.insert(ITEM_KEY.to_owned(), string(id));
    attributes.insert("name".to_owned(), string(name));
    attributes.insert("description".to_owned(), string(description));
    if let Some(category) = category {
        attributes.insert(CATEGORY_ATTRIBUTE.to_owned(), string(category));
    }
    attributes.insert("created_at".to_owned(), string(created_at));
    attributes.insert("updated_at".to_owned(), string(updated_at));
    attributes.insert(CREATED_BY_ATTRIBUTE.to_owned(), string(created_by));
    attributes.insert(
        VERSION_ATTRIBUTE.to_owned(),
        AttributeValue::N(version.to_string()),
    );
    Ok(attributes)
}

/// The attributes an update sets (the fields it changes and `updated_at`, named as in
/// [`StoredItem`]) and removes.
pub(crate) fn changes_to_attributes(
    changes: &ItemChanges,
    updated_at: Timestamp,
) -> AttributeChanges {
    let mut set = Vec::with_capacity(4);
    let mut remove = Vec::new();
    // In the order of the names, so the same update is always the same expression text.
    match changes.category() {
        OptionalChange::Keep => {}
        OptionalChange::Set(category) => set.push((CATEGORY_ATTRIBUTE, string(category.as_str()))),
        OptionalChange::Remove => remove.push(CATEGORY_ATTRIBUTE),
    }
    if let Some(description) = changes.description() {
        set.push(("description", string(description.as_str())));
    }
    if let Some(name) = changes.name() {
        set.push(("name", string(name.as_str())));
    }
    set.push(("updated_at", string(updated_at.to_rfc3339())));
    AttributeChanges { set, remove }
}

/// An item from its attributes. Read by hand rather than through serde_dynamo, which first
/// converts the whole map into its own attribute type: a listing reads 21 items per request,
/// and here each attribute's text is moved into the item, not copied. The attributes are
/// those [`StoredItem`] writes; any other (the write id) is ignored, as serde_dynamo did.
pub(crate) fn item_from_attributes(attributes: Attributes) -> Result<Item, RepositoryError> {
    let stored = stored_item_from(attributes).map_err(|detail| corrupt("item", detail))?;
    domain_item(stored)
}

/// One pass over the map, each attribute matched by name: no key is hashed again.
fn stored_item_from(attributes: Attributes) -> Result<StoredItem, String> {
    let mut id = None;
    let mut name = None;
    let mut description = None;
    let mut category = None;
    let mut created_at = None;
    let mut updated_at = None;
    let mut created_by = None;
    let mut version = None;
    for (attribute, value) in attributes {
        let slot = match attribute.as_str() {
            ITEM_KEY => &mut id,
            "name" => &mut name,
            "description" => &mut description,
            "created_at" => &mut created_at,
            "updated_at" => &mut updated_at,
            CREATED_BY_ATTRIBUTE => &mut created_by,
            CATEGORY_ATTRIBUTE => {
                category = match value {
                    AttributeValue::Null(_) => None,
                    AttributeValue::S(text) => Some(text),
                    _ => return Err(format!("{CATEGORY_ATTRIBUTE}: not a string")),
                };
                continue;
            }
            VERSION_ATTRIBUTE => {
                version = Some(match value {
                    AttributeValue::N(number) => number
                        .parse()
                        .map_err(|e| format!("{VERSION_ATTRIBUTE}: {e}"))?,
                    _ => return Err(format!("{VERSION_ATTRIBUTE}: not a number")),
                });
                continue;
            }
            _ => continue,
        };
        *slot = Some(match value {
            AttributeValue::S(text) => text,
            _ => return Err(format!("{attribute}: not a string")),
        });
    }
    let missing = |field: &str| format!("missing field `{field}`");
    Ok(StoredItem {
        id: id.ok_or_else(|| missing(ITEM_KEY))?,
        name: name.ok_or_else(|| missing("name"))?,
        description: description.ok_or_else(|| missing("description"))?,
        category,
        created_at: created_at.ok_or_else(|| missing("created_at"))?,
        updated_at: updated_at.ok_or_else(|| missing("updated_at"))?,
        created_by: created_by.ok_or_else(|| missing(CREATED_BY_ATTRIBUTE))?,
        version: version.ok_or_else(|| missing(VERSION_ATTRIBUTE))?,
    })
}

/// The idempotency table's key for a scope. Length-prefixed, so no two (caller, key) pairs
/// share a key even when a subject contains the separator.
pub(crate) fn scope_key(scope: &IdempotencyScope) -> String {
    let subject = scope.caller.as_str();
    format!("{}:{subject}:{}", subject.len(), scope.key.as_str())
}

/// Epoch milliseconds as TTL's epoch seconds, rounded up.
fn ttl_seconds(millis: i64) -> i64 {
    millis.div_euclid(1000) + i64::from(millis.rem_euclid(1000) != 0)
}

/// An idempotency record's attributes.
pub(crate) fn record_to_attributes(
    record: &IdempotencyRecord,
) -> Result<Attributes, RepositoryError> {
    serde_dynamo::to_item(StoredIdempotency {
        scope: scope_key(&record.scope),
        fingerprint: record.fingerprint.as_str().to_owned(),
        expires_at: ttl_seconds(record.expires_at.as_millis()),
        expires_at_ms: record.expires_at.as_millis(),
        item: stored_item(&record.item),
    })
    .map_err(|e| corrupt("idempotency record", e))
}

/// The fingerprint and item of a stored idempotency record.
pub(crate) fn record_from_attributes(
    attributes: Attributes,
) -> Result<(Fingerprint, Item), RepositoryError> {
    let stored: StoredIdempotency =
        serde_dynamo::from_item(attributes).map_err(|e| corrupt("idempotency record", e))?;
    Ok((
        Fingerprint::from_stored(stored.fingerprint),
        domain_item(stored.item)?,
    ))
}

fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// The key of an item.
pub(crate) fn item_key(id: &ItemId) -> Attributes {
    HashMap::from([(ITEM_KEY.to_owned(), string(id.to_string()))])
}

/// The `ExclusiveStartKey` that continues a listing after `position`: the table key for a scan,
/// the table and index keys for an index query.
pub(crate) fn start_key(position: &ListPosition) -> Attributes {
    match position {
        ListPosition::All { last_id } => item_key(last_id),
        ListPosition::Category {
            category,
            last_created_at,
            last_id,
        } => HashMap::from([
            (ITEM_KEY.to_owned(), string(last_id.to_string())),
            (
                CATEGORY_INDEX_PARTITION_KEY.to_owned(),
                string(category.as_str()),
            ),
            (
                CATEGORY_INDEX_SORT_KEY.to_owned(),
                string(last_created_at.to_rfc3339()),
            ),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use items_domain::{IdempotencyKey, ItemFields, ItemPatchInput, PatchValue};

    fn item_with(category: Option<&str>) -> Item {
        Item::create(
            ItemId::parse("6f1c2a9e-3b7d-4c1e-9a2f-5d8e7b6c4a31").expect("id"),
            ItemFields {
                name: ItemName::parse("lamp").expect("name"),
                description: Description::parse("brass").expect("description"),
                category: category.map(|c| Category::parse(c).expect("category")),
            },
            Subject::parse("alice").expect("subject"),
            Timestamp::from_millis(1_764_037_800_123).expect("timestamp"),
        )
    }

    #[test]
    fn an_item_without_category_has_no_category_attribute_not_even_null() {
        let attributes = item_to_attributes(&item_with(None)).expect("attributes");
        assert!(!attributes.contains_key(CATEGORY_INDEX_PARTITION_KEY));
        assert!(attributes.values().all(|value| !value.is_null()));
    }

    #[test]
    fn items_are_stored_with_text_timestamps_and_a_numeric_version() {
        let item = item_with(Some("lighting"));
        let attributes = item_to_attributes(&item).expect("attributes");
        assert_eq!(
            attributes.get(CATEGORY_INDEX_SORT_KEY),
            Some(&AttributeValue::S("2025-11-25T02:30:00.123Z".into()))
        );
        assert_eq!(
            attributes.get(VERSION_ATTRIBUTE),
            Some(&AttributeValue::N("1".into()))
        );
        assert_eq!(item_from_attributes(attributes), Ok(item));
    }

    #[test]
    fn an_update_sets_exactly_the_stored_attributes_it_changes() {
        let item = item_with(Some("lighting"));
        let stored = item_to_attributes(&item).expect("attributes");
        let replace = ItemChanges::replace_all(item.fields());
        let changes = changes_to_attributes(&replace, item.updated_at());
        let set: Vec<&str> = changes.set.iter().map(|(name, _)| *name).collect();
        assert_eq!(set, ["category", "description", "name", "updated_at"]);
        assert!(changes.remove.is_empty());
        for (name, value) in &changes.set {
            assert_eq!(stored.get(*name), Some(value), "{name} is named as stored");
        }
        let uncategorised = ItemChanges::replace_all(ItemFields {
            category: None,
            ..item.fields()
        });
        let changes = changes_to_attributes(&uncategorised, item.updated_at());
        assert!(!changes
            .set
            .iter()
            .any(|(name, _)| *name == CATEGORY_ATTRIBUTE));
        assert_eq!(changes.remove, [CATEGORY_ATTRIBUTE]);
        assert!(stored.contains_key(CREATED_BY_ATTRIBUTE));
    }

    #[test]
    fn a_partial_update_sets_only_its_fields_and_removes_only_what_it_removes() {
        let item = item_with(Some("lighting"));
        let patch = |body: ItemPatchInput| ItemChanges::parse_patch(&body).expect("valid patch");
        let rename = patch(ItemPatchInput {
            name: PatchValue::Text("desk lamp".into()),
            ..ItemPatchInput::default()
        });
        let changes = changes_to_attributes(&rename, item.updated_at());
        let set: Vec<&str> = changes.set.iter().map(|(name, _)| *name).collect();
        assert_eq!(set, ["name", "updated_at"]);
        assert!(changes.remove.is_empty());

        let uncategorise = patch(ItemPatchInput {
            category: PatchValue::Null,
            ..ItemPatchInput::default()
        });
        let changes = changes_to_attributes(&uncategorise, item.updated_at());
        let set: Vec<&str> = changes.set.iter().map(|(name, _)| *name).collect();
        assert_eq!(set, ["updated_at"]);
        assert_eq!(changes.remove, [CATEGORY_ATTRIBUTE]);
    }

    #[test]
    fn an_item_reads_back_whatever_else_its_record_holds_and_a_null_category_is_none() {
        let item = item_with(None);
        let mut attributes = item_to_attributes(&item).expect("attributes");
        attributes.insert(WRITE_ID_ATTRIBUTE.into(), AttributeValue::S("w-1".into()));
        attributes.insert(CATEGORY_ATTRIBUTE.into(), AttributeValue::Null(true));
        assert_eq!(item_from_attributes(attributes), Ok(item));
        for missing in [ITEM_KEY, "created_at", VERSION_ATTRIBUTE] {
            let mut attributes = item_to_attributes(&item_with(None)).expect("attributes");
            attributes.remove(missing);
            assert_eq!(
                item_from_attributes(attributes),
                Err(RepositoryError::Internal),
                "{missing}"
            );
        }
        let mut attributes = item_to_attributes(&item_with(None)).expect("attributes");
        attributes.insert("description".into(), AttributeValue::N("7".into()));
        assert_eq!(
            item_from_attributes(attributes),
            Err(RepositoryError::Internal)
        );
    }

    #[test]
    fn a_stored_item_that_breaks_a_rule_is_internal() {
        let mut attributes = item_to_attributes(&item_with(None)).expect("attributes");
        attributes.insert("name".into(), AttributeValue::S("   ".into()));
        assert_eq!(
            item_from_attributes(attributes),
            Err(RepositoryError::Internal)
        );
        let mut attributes = item_to_attributes(&item_with(None)).expect("attributes");
        attributes.insert(VERSION_ATTRIBUTE.into(), AttributeValue::S("one".into()));
        assert_eq!(
            item_from_attributes(attributes),
            Err(RepositoryError::Internal)
        );
    }

    #[test]
    fn a_record_keeps_its_item_and_fingerprint_and_expires_to_the_millisecond() {
        let item = item_with(None);
        let scope = IdempotencyScope {
            caller: Subject::parse("alice").expect("subject"),
            key: IdempotencyKey::parse("key-1").expect("key"),
        };
        let record = IdempotencyRecord::new(scope, &item.fields(), item.clone());
        let attributes = record_to_attributes(&record).expect("attributes");
        let expiry_ms = record.expires_at.as_millis();
        assert_eq!(
            attributes.get(RECORD_EXPIRY_MS_ATTRIBUTE),
            Some(&AttributeValue::N(expiry_ms.to_string()))
        );
        // TTL is in seconds; rounded up, it never removes a record before it expires.
        assert_eq!(
            attributes.get(crate::table_design::IDEMPOTENCY_TTL_ATTRIBUTE),
            Some(&AttributeValue::N((expiry_ms / 1000 + 1).to_string()))
        );
        assert_eq!(
            record_from_attributes(attributes),
            Ok((record.fingerprint, item))
        );
    }

    #[test]
    fn scope_keys_do_not_collide_across_the_separator() {
        let scope = |caller: &str, key: &str| IdempotencyScope {
            caller: Subject::parse(caller).expect("subject"),
            key: IdempotencyKey::parse(key).expect("key"),
        };
        assert_ne!(scope_key(&scope("a:b", "c")), scope_key(&scope("a", "b:c")));
    }
}
