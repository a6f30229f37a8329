//! Items and idempotency records as DynamoDB attributes, and back. A stored record that does not
//! read back into valid domain values is a store fault (`Internal`), never trusted.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use items_domain::{
    Category, Description, Fingerprint, IdempotencyRecord, IdempotencyScope, Item, ItemId,
    ItemName, ListPosition, RepositoryError, Subject, Timestamp, Version,
};
use serde::{Deserialize, Serialize};

use crate::table_design::{
    CATEGORY_INDEX_PARTITION_KEY, CATEGORY_INDEX_SORT_KEY, IDEMPOTENCY_KEY, ITEM_KEY,
};

/// An attribute map, as the SDK speaks it.
pub type Attributes = HashMap<String, AttributeValue>;

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

/// An idempotency record's attributes: the item it made is kept whole, so a replay answers
/// without reading the items table.
#[derive(Debug, Serialize, Deserialize)]
struct StoredIdempotency {
    scope: String,
    fingerprint: String,
    /// Epoch seconds: the table's TTL attribute.
    expires_at: i64,
    item: StoredItem,
}

fn stored_item(item: &Item) -> StoredItem {
    StoredItem {
        id: item.id.to_string(),
        name: item.name.as_str().to_owned(),
        description: item.description.as_str().to_owned(),
        category: item.category.as_ref().map(|c| c.as_str().to_owned()),
        created_at: item.created_at.to_rfc3339(),
        updated_at: item.updated_at.to_rfc3339(),
        created_by: item.created_by.as_str().to_owned(),
        version: item.version.get(),
    }
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> RepositoryError {
    tracing::error!(record = what, %detail, "a stored record does not read back as valid values");
    RepositoryError::Internal
}

fn domain_item(stored: StoredItem) -> Result<Item, RepositoryError> {
    let item = || -> Result<Item, String> {
        Ok(Item {
            id: ItemId::parse(&stored.id).map_err(|e| e.to_string())?,
            name: ItemName::parse(&stored.name).map_err(|e| e.to_string())?,
            description: Description::parse(&stored.description).map_err(|e| e.to_string())?,
            category: stored
                .category
                .as_deref()
                .map(Category::parse)
                .transpose()
                .map_err(|e| e.to_string())?,
            created_at: Timestamp::parse_rfc3339(&stored.created_at).ok_or("created_at")?,
            updated_at: Timestamp::parse_rfc3339(&stored.updated_at).ok_or("updated_at")?,
            created_by: Subject::parse(&stored.created_by).map_err(|e| e.to_string())?,
            version: Version::new(stored.version).ok_or("version")?,
        })
    };
    item().map_err(|detail| corrupt("item", detail))
}

/// An item's attributes.
pub fn item_to_attributes(item: &Item) -> Result<Attributes, RepositoryError> {
    serde_dynamo::to_item(stored_item(item)).map_err(|e| corrupt("item", e))
}

/// An item from its attributes.
pub fn item_from_attributes(attributes: Attributes) -> Result<Item, RepositoryError> {
    let stored: StoredItem = serde_dynamo::from_item(attributes).map_err(|e| corrupt("item", e))?;
    domain_item(stored)
}

/// The idempotency table's key for a scope. Length-prefixed, so no two (caller, key) pairs
/// share a key even when a subject contains the separator.
pub fn scope_key(scope: &IdempotencyScope) -> String {
    let subject = scope.caller.as_str();
    format!("{}:{subject}:{}", subject.len(), scope.key.as_str())
}

/// An idempotency record's attributes.
pub fn record_to_attributes(record: &IdempotencyRecord) -> Result<Attributes, RepositoryError> {
    serde_dynamo::to_item(StoredIdempotency {
        scope: scope_key(&record.scope),
        fingerprint: record.fingerprint.as_str().to_owned(),
        expires_at: record.expires_at.as_epoch_seconds(),
        item: stored_item(&record.item),
    })
    .map_err(|e| corrupt("idempotency record", e))
}

/// The fingerprint and item of a stored idempotency record.
pub fn record_from_attributes(
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
pub fn item_key(id: &ItemId) -> Attributes {
    HashMap::from([(ITEM_KEY.to_owned(), string(id.to_string()))])
}

/// The `ExclusiveStartKey` that continues a listing after `position`: the table key for a scan,
/// the table and index keys for an index query.
pub fn start_key(position: &ListPosition) -> Attributes {
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

/// The idempotency table's key attribute name, for condition expressions.
pub const SCOPE_ATTRIBUTE: &str = IDEMPOTENCY_KEY;

#[cfg(test)]
mod tests {
    use super::*;
    use items_domain::IdempotencyKey;

    #[test]
    fn scope_keys_do_not_collide_across_the_separator() {
        let scope = |caller: &str, key: &str| IdempotencyScope {
            caller: Subject::parse(caller).expect("subject"),
            key: IdempotencyKey::parse(key).expect("key"),
        };
        assert_ne!(scope_key(&scope("a:b", "c")), scope_key(&scope("a", "b:c")));
    }
}
