use items_domain::{Item, ItemRecord};
use serde::Serialize;

/// An item as the API shows it (`Item` in `openapi.yaml`, `after` and `before` in
/// `events.schema.json`); `category` is absent when the item has none.
#[derive(Debug, Serialize)]
pub struct ItemView<'a> {
    id: String,
    name: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
    created_at: String,
    updated_at: String,
    created_by: &'a str,
    version: u64,
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
            id: id.to_string(),
            name: name.as_str(),
            description: description.as_str(),
            category: category.as_ref().map(|c| c.as_str()),
            created_at: created_at.to_rfc3339(),
            updated_at: updated_at.to_rfc3339(),
            created_by: created_by.as_str(),
            version: version.get(),
        }
    }
}
