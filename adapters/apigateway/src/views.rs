//! Response bodies as the API shows them: view structs serialised once, not JSON built by hand.

use items_domain::{Item, Page};
use serde::Serialize;

use crate::response::ApiResponse;

/// An item; `category` is absent when the item has none.
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
        Self {
            id: item.id.to_string(),
            name: item.name.as_str(),
            description: item.description.as_str(),
            category: item.category.as_ref().map(|c| c.as_str()),
            created_at: item.created_at.to_rfc3339(),
            updated_at: item.updated_at.to_rfc3339(),
            created_by: item.created_by.as_str(),
            version: item.version.get(),
        }
    }
}

/// One page of a listing; `next_cursor` is `null` on the last page.
#[derive(Debug, Serialize)]
pub struct PageView<'a> {
    items: Vec<ItemView<'a>>,
    next_cursor: Option<String>,
}

impl<'a> From<&'a Page<Item>> for PageView<'a> {
    fn from(page: &'a Page<Item>) -> Self {
        Self {
            items: page.items.iter().map(ItemView::from).collect(),
            next_cursor: page.next_cursor.as_ref().map(|c| c.encode()),
        }
    }
}

/// An item response: the item with its `ETag`.
pub(crate) fn item_response(status: u16, item: &Item) -> ApiResponse {
    ApiResponse::json(status, &ItemView::from(item)).header("etag", format!("\"{}\"", item.version))
}
