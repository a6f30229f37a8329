//! Response bodies as the API shows them. The item is [`ItemView`], shared with the change
//! events; a response writes it as JSON text through [`ItemView::write_json`], the page around
//! it here.

use items_domain::{Item, Page};
use items_json::escape::write_escaped;
use items_json::ItemView;

use crate::cursor_key::CursorKey;
use crate::response::ApiResponse;

/// One page of a listing: `{"items":[…],"next_cursor":…}`, `next_cursor` (sealed with `key`)
/// `null` on the last page.
pub(crate) fn page_response(page: &Page<Item>, key: &CursorKey) -> ApiResponse {
    let views: Vec<ItemView<'_>> = page.items.iter().map(ItemView::from).collect();
    let cursor = page.next_cursor.as_ref().map(|c| key.seal(&c.encode()));
    // `{"items":[`, the commas, `],"next_cursor":` and the cursor's quotes or `null`.
    const PAGE_PUNCTUATION: usize = 40;
    let bytes = views.iter().map(ItemView::json_bytes_hint).sum::<usize>()
        + cursor.as_ref().map_or(0, String::len)
        + PAGE_PUNCTUATION;
    let mut body = String::with_capacity(bytes);
    body.push_str("{\"items\":[");
    for (n, view) in views.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        view.write_json(&mut body);
    }
    body.push_str("],\"next_cursor\":");
    match cursor {
        Some(cursor) => {
            body.push('"');
            // Writing into a `String` cannot fail.
            let _ = write_escaped(&mut body, &cursor);
            body.push('"');
        }
        None => body.push_str("null"),
    }
    body.push('}');
    ApiResponse::json_text(200, body)
}

/// An item response: the item with its `ETag`.
pub(crate) fn item_response(status: u16, item: &Item) -> ApiResponse {
    ApiResponse::json_text(status, ItemView::from(item).to_json())
        .header("etag", format!("\"{}\"", item.version()))
}

#[cfg(test)]
mod tests {
    use items_domain::{
        Category, Cursor, Description, ItemFields, ItemId, ItemName, ListPosition, Subject,
        Timestamp,
    };
    use serde_json::{json, Value};

    use super::*;

    fn item(n: u128, name: &str, category: Option<&str>) -> Item {
        let fields = ItemFields {
            name: ItemName::parse(name).unwrap(),
            description: Description::parse("a \"quoted\"\nline\twith a tab").unwrap(),
            category: category.map(|c| Category::parse(c).unwrap()),
        };
        Item::create(
            ItemId::from_uuid(uuid::Uuid::from_u128(n)),
            fields,
            Subject::parse("user-1").unwrap(),
            Timestamp::from_millis(1_765_000_000_123 + n as i64).unwrap(),
        )
    }

    fn body(response: &ApiResponse) -> &str {
        response.body.as_deref().expect("a body")
    }

    #[test]
    fn a_page_holds_its_items_as_their_views_and_the_cursor_that_continues_it() {
        let items = vec![
            item(1, "Lamp", Some("lighting")),
            item(2, "Desk \\ é", None),
        ];
        let cursor = Cursor::new(ListPosition::All {
            last_id: items[1].id(),
        });
        let key = CursorKey::random();
        let expected = json!({
            "items": [ItemView::from(&items[0]), ItemView::from(&items[1])],
            "next_cursor": key.seal(&cursor.encode()),
        });
        let page = Page {
            items,
            next_cursor: Some(cursor),
        };

        let response = page_response(&page, &key);

        assert_eq!(response.status, 200);
        assert_eq!(
            response.headers,
            vec![("content-type", "application/json".to_owned())]
        );
        let read: Value = serde_json::from_str(body(&response)).expect("the page is JSON");
        assert_eq!(read, expected);
    }

    #[test]
    fn the_last_page_has_a_null_cursor_and_an_empty_one_no_items() {
        let page = Page::<Item> {
            items: Vec::new(),
            next_cursor: None,
        };
        assert_eq!(
            body(&page_response(&page, &CursorKey::random())),
            r#"{"items":[],"next_cursor":null}"#
        );
    }

    #[test]
    fn an_item_response_is_the_item_view_with_its_version_as_etag() {
        let item = item(3, "Chair", None);

        let response = item_response(201, &item);

        assert_eq!(response.status, 201);
        assert_eq!(
            response.headers,
            vec![
                ("content-type", "application/json".to_owned()),
                ("etag", "\"1\"".to_owned()),
            ]
        );
        let read: Value = serde_json::from_str(body(&response)).expect("the item is JSON");
        assert_eq!(read, json!(ItemView::from(&item)));
    }
}
