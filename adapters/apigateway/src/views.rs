//! Response bodies as the API shows them: view structs serialised once, not JSON built by hand.
//! The item itself is [`ItemView`], shared with the change events.

use items_domain::{Item, Page};
use items_json::ItemView;
use serde::Serialize;

use crate::response::ApiResponse;

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
    ApiResponse::json(status, &ItemView::from(item))
        .header("etag", format!("\"{}\"", item.version()))
}
