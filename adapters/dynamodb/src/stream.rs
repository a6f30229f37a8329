//! The items table's stream (`NEW_AND_OLD_IMAGES`) read as domain changes. The table's attribute
//! layout is known in this adapter only; the stream's driving adapter hands records here.

use items_domain::{Item, ItemChange, Timestamp};

use crate::records::{item_from_image, item_to_attributes};
use crate::table_design::{IDEMPOTENCY_KEY, ITEM_KEY};

/// A stream record's image: the table's attributes, in the stream's JSON form.
pub type StreamImage = serde_dynamo::Item;

/// One stream record, as far as the mapping needs it.
#[derive(Debug, Clone, Copy)]
pub struct StreamRecord<'a> {
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: &'a str,
    /// The record's key attributes.
    pub keys: &'a StreamImage,
    /// The item before the write (empty for `INSERT`).
    pub old_image: &'a StreamImage,
    /// The item after the write (empty for `REMOVE`).
    pub new_image: &'a StreamImage,
    /// When the stream saw the write: the time of a delete.
    pub approximate_time: Timestamp,
}

/// The image a stream record carries for `item`: what tests and emulators put in records.
pub fn image_of(item: &Item) -> StreamImage {
    // Serialising a valid item into attributes cannot fail; an empty image would be reported
    // as a missing image by the mapping, never taken for an item.
    item_to_attributes(item)
        .map(StreamImage::from)
        .unwrap_or_default()
}

/// Why a stream record does not read as a change. The record must be looked at: it is
/// reported, never skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamRecordError {
    /// Not `INSERT`, `MODIFY` or `REMOVE`.
    #[error("unknown eventName {0:?}")]
    UnknownEventName(String),
    /// An image the operation needs is absent: the stream is not `NEW_AND_OLD_IMAGES`.
    #[error("the record has no {0} image: the stream must be NEW_AND_OLD_IMAGES")]
    MissingImage(&'static str),
    /// An image does not read as a valid item.
    #[error("the {image} image is not a valid item: {detail}")]
    InvalidImage {
        /// `old` or `new`.
        image: &'static str,
        /// The first broken rule.
        detail: String,
    },
}

/// The change a record of the items table's stream stands for. `Ok(None)` for records that
/// are not items (an idempotency record, should that table's stream ever be attached too).
pub fn change_from_stream_record(
    record: StreamRecord<'_>,
) -> Result<Option<ItemChange>, StreamRecordError> {
    if record.keys.contains_key(IDEMPOTENCY_KEY) && !record.keys.contains_key(ITEM_KEY) {
        return Ok(None);
    }
    let image = |name: &'static str, image: &StreamImage| -> Result<Item, StreamRecordError> {
        if image.is_empty() {
            return Err(StreamRecordError::MissingImage(name));
        }
        item_from_image(image.clone()).map_err(|detail| StreamRecordError::InvalidImage {
            image: name,
            detail,
        })
    };
    let change = match record.event_name {
        "INSERT" => ItemChange::Created {
            item: image("new", record.new_image)?,
        },
        "MODIFY" => ItemChange::Replaced {
            before: image("old", record.old_image)?,
            after: image("new", record.new_image)?,
        },
        "REMOVE" => ItemChange::Deleted {
            before: image("old", record.old_image)?,
            at: record.approximate_time,
        },
        other => return Err(StreamRecordError::UnknownEventName(other.to_owned())),
    };
    Ok(Some(change))
}

#[cfg(test)]
mod tests {
    use super::*;
    use items_conformance::fixtures::{full_item, next_timestamp};
    use items_domain::ItemName;

    /// The fully populated fixture item, so every field makes the trip through an image.
    fn item() -> Item {
        full_item("lamp")
    }

    fn image(item: &Item) -> StreamImage {
        image_of(item)
    }

    fn keys(attribute: &str) -> StreamImage {
        serde_dynamo::to_item(std::collections::HashMap::from([(attribute, "k")])).expect("keys")
    }

    fn record<'a>(
        event_name: &'a str,
        keys: &'a StreamImage,
        old_image: &'a StreamImage,
        new_image: &'a StreamImage,
    ) -> StreamRecord<'a> {
        StreamRecord {
            event_name,
            keys,
            old_image,
            new_image,
            approximate_time: Timestamp::from_millis(1_764_038_000_000).expect("time"),
        }
    }

    #[test]
    fn insert_modify_and_remove_read_as_created_replaced_and_deleted() {
        let before = item();
        let mut fields = before.fields();
        fields.name = ItemName::parse("desk lamp").expect("name");
        let after = before.updated(fields, next_timestamp());
        let (keys, old, new, none) = (
            keys(ITEM_KEY),
            image(&before),
            image(&after),
            StreamImage::default(),
        );
        assert_eq!(
            change_from_stream_record(record("INSERT", &keys, &none, &old)),
            Ok(Some(ItemChange::Created {
                item: before.clone()
            }))
        );
        assert_eq!(
            change_from_stream_record(record("MODIFY", &keys, &old, &new)),
            Ok(Some(ItemChange::Replaced {
                before: before.clone(),
                after: after.clone()
            }))
        );
        let removed = record("REMOVE", &keys, &new, &none);
        assert_eq!(
            change_from_stream_record(removed),
            Ok(Some(ItemChange::Deleted {
                before: after,
                at: removed.approximate_time
            }))
        );
    }

    #[test]
    fn idempotency_records_are_not_changes() {
        let keys = keys(IDEMPOTENCY_KEY);
        let none = StreamImage::default();
        assert_eq!(
            change_from_stream_record(record("INSERT", &keys, &none, &none)),
            Ok(None)
        );
    }

    #[test]
    fn a_record_without_the_images_it_needs_or_with_a_bad_item_is_an_error() {
        let keys = keys(ITEM_KEY);
        let none = StreamImage::default();
        let good = image(&item());
        assert_eq!(
            change_from_stream_record(record("MODIFY", &keys, &none, &good)),
            Err(StreamRecordError::MissingImage("old"))
        );
        let mut attributes = item_to_attributes(&item()).expect("attributes");
        attributes.insert(
            "version".into(),
            aws_sdk_dynamodb::types::AttributeValue::N("0".into()),
        );
        let bad = StreamImage::from(attributes);
        assert!(matches!(
            change_from_stream_record(record("INSERT", &keys, &none, &bad)),
            Err(StreamRecordError::InvalidImage { image: "new", .. })
        ));
        assert_eq!(
            change_from_stream_record(record("TRUNCATE", &keys, &none, &good)),
            Err(StreamRecordError::UnknownEventName("TRUNCATE".into()))
        );
    }
}
