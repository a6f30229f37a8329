use items_domain::{Item, ItemId, ItemRecord, Timestamp};
use serde::{Serialize, Serializer};

/// An item as the API shows it (`Item` in `openapi.yaml`, `after` and `before` in
/// `events.schema.json`); `category` is absent when the item has none. It borrows the item:
/// the id and the timestamps are written as text straight into the JSON, with no string of
/// their own (a listing writes sixty of them).
#[derive(Debug, Serialize)]
pub struct ItemView<'a> {
    #[serde(serialize_with = "id_text")]
    id: &'a ItemId,
    name: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
    #[serde(serialize_with = "timestamp_text")]
    created_at: &'a Timestamp,
    #[serde(serialize_with = "timestamp_text")]
    updated_at: &'a Timestamp,
    created_by: &'a str,
    version: u64,
}

/// The id's hyphenated form, as a string: `collect_str` would go through a formatter and
/// serde_json's escaping writer, several times the cost for these fixed ASCII forms.
fn id_text<S: Serializer>(id: &ItemId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(id.text().as_str())
}

/// The timestamp's RFC 3339 form, as a string (see [`id_text`]).
fn timestamp_text<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(at.text().as_str())
}

impl<'a> From<&'a Item> for ItemView<'a> {
    fn from(item: &'a Item) -> Self {
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
        Self {
            id,
            name: name.as_str(),
            description: description.as_str(),
            category: category.as_ref().map(|c| c.as_str()),
            created_at,
            updated_at,
            created_by: created_by.as_str(),
            version: version.get(),
        }
    }
}
