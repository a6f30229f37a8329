use std::fmt::Write;

use items_domain::{Item, ItemId, ItemRecord, Timestamp};
use serde::{Serialize, Serializer};

use crate::escape::write_escaped;

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

impl ItemView<'_> {
    /// The item as JSON text, byte for byte what its `Serialize` form writes through
    /// serde_json, appended to `out`. Written by hand for the responses: a listing writes twenty
    /// items per request, and serde_json escapes every key and value a byte at a time, where
    /// here the keys are fixed text and the values are searched a word at a time.
    pub fn write_json(&self, out: &mut String) {
        // Destructured, so a new field of the view is a compile error here.
        let Self {
            id,
            name,
            description,
            category,
            created_at,
            updated_at,
            created_by,
            version,
        } = self;
        out.push_str("{\"id\":\"");
        out.push_str(id.text().as_str());
        out.push_str("\",\"name\":\"");
        push_escaped(out, name);
        out.push_str("\",\"description\":\"");
        push_escaped(out, description);
        if let Some(category) = category {
            out.push_str("\",\"category\":\"");
            push_escaped(out, category);
        }
        out.push_str("\",\"created_at\":\"");
        out.push_str(created_at.text().as_str());
        out.push_str("\",\"updated_at\":\"");
        out.push_str(updated_at.text().as_str());
        out.push_str("\",\"created_by\":\"");
        push_escaped(out, created_by);
        out.push_str("\",\"version\":");
        // Writing a number into a `String` cannot fail.
        let _ = write!(out, "{version}");
        out.push('}');
    }

    /// The item as JSON text (see [`write_json`](Self::write_json)).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.json_bytes_hint());
        self.write_json(&mut out);
        out
    }

    /// About how many bytes [`write_json`](Self::write_json) writes, rounded up, for sizing a
    /// buffer before writing: the free texts, plus the keys, the id, the two timestamps, the
    /// version and the punctuation.
    pub fn json_bytes_hint(&self) -> usize {
        const BEYOND_THE_TEXTS: usize = 224;
        BEYOND_THE_TEXTS
            + self.name.len()
            + self.description.len()
            + self.category.map_or(0, str::len)
            + self.created_by.len()
    }
}

/// `text` as the inside of a JSON string, as serde_json writes the item's texts: a valid
/// item's only control characters are a description's newlines and tabs, which both write as
/// `\n` and `\t`.
fn push_escaped(out: &mut String, text: &str) {
    // Writing into a `String` cannot fail.
    let _ = write_escaped(out, text);
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

#[cfg(test)]
mod tests {
    use items_domain::{Category, Description, ItemName, Subject, Version};
    use proptest::prelude::*;

    use super::*;

    /// Any item the domain accepts: texts with quotes, backslashes, non-ASCII and (in the
    /// description) newlines and tabs; with a category or without; any time from year 0 to 9999.
    fn any_item() -> impl Strategy<Value = Item> {
        let text = "(\\PC|[\"\\\\é日😀\u{7f}]){0,40}";
        (
            any::<u128>(),
            text.prop_filter_map("a name", |t| ItemName::parse(format!("n{t}")).ok()),
            "(\\PC|[\"\\\\\n\t]){0,80}"
                .prop_filter_map("a description", |t| Description::parse(t).ok()),
            proptest::option::of(
                "[a-z0-9][a-z0-9-]{0,20}"
                    .prop_filter_map("a category", |t| Category::parse(t).ok()),
            ),
            (
                -62_167_219_200_000_i64..=253_402_300_799_999,
                0_i64..1_000_000_000,
            ),
            text.prop_filter_map("a subject", |t| Subject::parse(format!("s{t}")).ok()),
            2_u64..,
        )
            .prop_map(
                |(id, name, description, category, (created, later), created_by, version)| {
                    let created_at = Timestamp::from_millis(created).expect("in range");
                    let updated_at =
                        Timestamp::from_millis(created.saturating_add(later)).unwrap_or(created_at);
                    Item::restore(ItemRecord {
                        id: ItemId::from_uuid(uuid::Uuid::from_u128(id)),
                        name,
                        description,
                        category,
                        created_at,
                        updated_at,
                        created_by,
                        version: Version::new(version).expect("not zero"),
                    })
                    .expect("a later version may have changed")
                },
            )
    }

    proptest! {
        #[test]
        fn the_hand_written_json_is_what_serde_json_writes(item in any_item()) {
            let view = ItemView::from(&item);
            let by_serde = serde_json::to_string(&view).expect("a view is JSON");
            prop_assert_eq!(view.to_json(), by_serde);
        }
    }
}
