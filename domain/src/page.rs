//! Paging: how many items a page holds, which listing it belongs to, and where the next one
//! starts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::FieldError;
use crate::item::Item;
use crate::limits::{PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, PAGE_LIMIT_MIN};
use crate::values::{Category, ItemId, Timestamp};

/// How many items a page may hold: 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u32);

impl Default for PageLimit {
    fn default() -> Self {
        Self(PAGE_LIMIT_DEFAULT)
    }
}

impl PageLimit {
    /// Reads a `limit` query parameter: plain decimal digits, 1 to 100.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let error = || {
            FieldError::new(
                "limit",
                format!("must be an integer from {PAGE_LIMIT_MIN} to {PAGE_LIMIT_MAX}"),
            )
        };
        if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        match raw.parse::<u32>() {
            Ok(n) if (PAGE_LIMIT_MIN..=PAGE_LIMIT_MAX).contains(&n) => Ok(Self(n)),
            _ => Err(error()),
        }
    }

    /// A limit from a number, for callers that are not parsing text.
    pub fn new(n: u32) -> Option<Self> {
        (PAGE_LIMIT_MIN..=PAGE_LIMIT_MAX)
            .contains(&n)
            .then_some(Self(n))
    }

    /// The number of items.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Where a listing stopped: the last item a page returned, in that listing's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListPosition {
    /// All items, in the store's own order (by id): the page ended at this id.
    All {
        /// The id of the page's last item.
        last_id: ItemId,
    },
    /// One category, newest first: the page ended at this item.
    Category {
        /// The category listed.
        category: Category,
        /// The creation time of the page's last item.
        last_created_at: Timestamp,
        /// The id of the page's last item.
        last_id: ItemId,
    },
}

/// An opaque continuation token. Callers see only its text; a token that does not decode to a
/// position is a validation error, never a server error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(ListPosition);

const CURSOR_ALL: &str = "1a";
const CURSOR_CATEGORY: &str = "1c";

impl Cursor {
    /// The rule a bad cursor breaks, as callers see it.
    pub const RULE: &'static str = "is not a cursor returned by this API";

    /// The cursor that continues after `position`.
    pub fn new(position: ListPosition) -> Self {
        Self(position)
    }

    /// The position this cursor continues after.
    pub fn position(&self) -> &ListPosition {
        &self.0
    }

    /// The token callers see: base64url of a compact, versioned form of the position.
    pub fn encode(&self) -> String {
        let compact = match &self.0 {
            ListPosition::All { last_id } => format!("{CURSOR_ALL}|{last_id}"),
            ListPosition::Category {
                category,
                last_created_at,
                last_id,
            } => format!(
                "{CURSOR_CATEGORY}|{}|{last_id}|{}",
                last_created_at.as_millis(),
                category.as_str()
            ),
        };
        URL_SAFE_NO_PAD.encode(compact)
    }

    /// Reads a token a caller sent back.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::decode(raw).ok_or_else(|| FieldError::new("cursor", Self::RULE))
    }

    fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.split('|');
        let position = match parts.next()? {
            CURSOR_ALL => ListPosition::All {
                last_id: ItemId::parse(parts.next()?).ok()?,
            },
            CURSOR_CATEGORY => {
                let millis = parts.next()?.parse::<i64>().ok()?;
                let last_id = ItemId::parse(parts.next()?).ok()?;
                let category = Category::parse(parts.next()?).ok()?;
                ListPosition::Category {
                    category,
                    last_created_at: Timestamp::from_millis(millis)?,
                    last_id,
                }
            }
            _ => return None,
        };
        parts.next().is_none().then_some(Self(position))
    }
}

/// What page of which listing a caller asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    /// At most this many items.
    pub limit: PageLimit,
    /// Only items of this category, newest first; `None` lists every item.
    pub category: Option<Category>,
    /// Where the previous page stopped; `None` for the first page.
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// Reads the `limit`, `category` and `cursor` query parameters, reporting every bad one.
    /// A cursor from another listing (all items vs. a category, or another category) is bad.
    pub fn parse(
        limit: Option<&str>,
        category: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let limit = match limit.map(PageLimit::parse).transpose() {
            Ok(limit) => limit.unwrap_or_default(),
            Err(e) => {
                errors.push(e);
                PageLimit::default()
            }
        };
        let category = category
            .map(Category::parse)
            .transpose()
            .map_err(|e| errors.push(e))
            .ok();
        let cursor = cursor
            .map(Cursor::parse)
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        if let (Some(category), Some(cursor)) = (&category, &cursor) {
            if !cursor_belongs_to(cursor, category.as_ref()) {
                errors.push(FieldError::new("cursor", "belongs to another listing"));
            }
        }
        match category {
            Some(category) if errors.is_empty() => Ok(Self {
                limit,
                category,
                cursor,
            }),
            _ => Err(errors),
        }
    }
}

impl PageRequest {
    /// The position of `last`, the last item of a page of this listing.
    pub fn position_after(&self, last: &Item) -> ListPosition {
        match &self.category {
            None => ListPosition::All { last_id: last.id() },
            Some(category) => ListPosition::Category {
                category: category.clone(),
                last_created_at: last.created_at(),
                last_id: last.id(),
            },
        }
    }
}

fn cursor_belongs_to(cursor: &Cursor, category: Option<&Category>) -> bool {
    match (cursor.position(), category) {
        (ListPosition::All { .. }, None) => true,
        (ListPosition::Category { category: from, .. }, Some(asked)) => from == asked,
        _ => false,
    }
}

/// One page of a listing. `next_cursor` is `None` on the last page; only the last page may be
/// empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The page's items, in the listing's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<Cursor>,
}
