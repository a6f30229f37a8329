//! Change events: what a consumer learns when an item is created, replaced or deleted, and the
//! use case that turns a store's changes into published events.
//!
//! Delivery is at least once and in order per item: an event may arrive twice, never out of
//! order with the events of the same item that the same publisher sent before it. Its [`EventId`]
//! is derived from the item's id, version and kind, so a duplicate carries the same id and a
//! consumer de-duplicates by it.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::item::Item;
use crate::values::{ItemId, Subject, Timestamp, Version};

/// One change to one stored item, as the store saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemChange {
    /// A new item was stored.
    Created {
        /// The item as stored.
        item: Item,
    },
    /// An item's fields were replaced.
    Replaced {
        /// The item before the write.
        before: Item,
        /// The item after the write.
        after: Item,
    },
    /// An item was deleted.
    Deleted {
        /// The item as it was when deleted.
        before: Item,
        /// When the store removed it (items carry no deletion time of their own).
        at: Timestamp,
    },
}

impl ItemChange {
    /// The kind of event this change becomes.
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Created { .. } => EventKind::Created,
            Self::Replaced { .. } => EventKind::Replaced,
            Self::Deleted { .. } => EventKind::Deleted,
        }
    }

    /// The item after the change, if it still exists.
    pub fn after(&self) -> Option<&Item> {
        match self {
            Self::Created { item } => Some(item),
            Self::Replaced { after, .. } => Some(after),
            Self::Deleted { .. } => None,
        }
    }

    /// The item before the change, if it existed.
    pub fn before(&self) -> Option<&Item> {
        match self {
            Self::Created { .. } => None,
            Self::Replaced { before, .. } | Self::Deleted { before, .. } => Some(before),
        }
    }

    /// The item this change is about, as last stored: after a write, before a delete.
    pub fn subject_item(&self) -> &Item {
        match self {
            Self::Created { item } => item,
            Self::Replaced { after, .. } => after,
            Self::Deleted { before, .. } => before,
        }
    }
}

/// The three kinds of change event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `ItemCreated`.
    Created,
    /// `ItemReplaced`.
    Replaced,
    /// `ItemDeleted`.
    Deleted,
}

impl EventKind {
    /// Every kind, in the order of an item's life.
    pub const ALL: [EventKind; 3] = [Self::Created, Self::Replaced, Self::Deleted];

    /// The event's type name, as consumers match on it (EventBridge's `detail-type`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Created => "ItemCreated",
            Self::Replaced => "ItemReplaced",
            Self::Deleted => "ItemDeleted",
        }
    }

    /// The short form used inside event ids.
    fn id_suffix(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Replaced => "replaced",
            Self::Deleted => "deleted",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An event's id: `<item id>:<version>:<created|replaced|deleted>`. The same change always gets
/// the same id, however often it is delivered, and no two changes share one (every write moves
/// an item's version on; a delete is the last change at its version).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(String);

impl EventId {
    /// The id of the `kind` change that left item `id` at `version` (for a delete: the version
    /// deleted).
    pub fn new(id: &ItemId, version: Version, kind: EventKind) -> Self {
        Self(format!("{id}:{version}:{}", kind.id_suffix()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A change event: what happened to which item, when, by whom if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemEvent {
    /// Stable across redeliveries; de-duplicate by it.
    pub id: EventId,
    /// When the change happened: the item's `updated_at` for a create or replace, the store's
    /// time of removal for a delete.
    pub time: Timestamp,
    /// Who made the change, when the store records it: the creator for `ItemCreated`. The
    /// table does not record who replaced or deleted an item, so those carry none.
    pub actor: Option<Subject>,
    /// The change, with the item after (and before, for a replace or delete).
    pub change: ItemChange,
}

impl ItemEvent {
    /// The event of one change. Derived from the change alone, so every delivery of the same
    /// change yields an equal event.
    pub fn from_change(change: ItemChange) -> Self {
        let (id, time, actor) = match &change {
            ItemChange::Created { item } => (
                EventId::new(&item.id(), item.version(), EventKind::Created),
                item.updated_at(),
                Some(item.created_by().clone()),
            ),
            ItemChange::Replaced { after, .. } => (
                EventId::new(&after.id(), after.version(), EventKind::Replaced),
                after.updated_at(),
                None,
            ),
            ItemChange::Deleted { before, at } => (
                EventId::new(&before.id(), before.version(), EventKind::Deleted),
                *at,
                None,
            ),
        };
        Self {
            id,
            time,
            actor,
            change,
        }
    }

    /// The kind of event.
    pub fn kind(&self) -> EventKind {
        self.change.kind()
    }

    /// The id of the item the event is about.
    pub fn item_id(&self) -> ItemId {
        self.change.subject_item().id()
    }
}

/// Why events were not all published. Events before `first_unpublished` were all published;
/// from it on, some may not have been (publishing them again makes duplicates, never gaps).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {first_unpublished} and later may not be published: {reason}")]
pub struct PublishError {
    /// The index of the first event that may not have been published.
    pub first_unpublished: usize,
    /// What went wrong, for logs.
    pub reason: String,
}

/// Where change events go (an event bus, a queue, memory for tests and local use).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes `events` in their order: an event is only sent once every earlier event of
    /// the same item has been accepted.
    async fn publish(&self, events: &[ItemEvent]) -> Result<(), PublishError>;
}

/// The use case of the change feed: a batch of store changes in, their events published in
/// order.
#[derive(Clone)]
pub struct ChangeEvents {
    publisher: Arc<dyn EventPublisher>,
}

impl ChangeEvents {
    /// The use case over a publisher.
    pub fn new(publisher: Arc<dyn EventPublisher>) -> Self {
        Self { publisher }
    }

    /// Publishes the events of `changes`, in order. On failure, the error's
    /// `first_unpublished` is the index of the first change whose event may be missing: the
    /// caller retries from that change, and nothing after it is skipped.
    pub async fn publish(&self, changes: Vec<ItemChange>) -> Result<(), PublishError> {
        if changes.is_empty() {
            return Ok(());
        }
        let events: Vec<ItemEvent> = changes.into_iter().map(ItemEvent::from_change).collect();
        self.publisher.publish(&events).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::ItemFields;
    use crate::values::{Description, ItemName};

    fn item() -> Item {
        Item::create(
            ItemId::parse("6f1c2a9e-3b7d-4c1e-9a2f-5d8e7b6c4a31").expect("id"),
            ItemFields {
                name: ItemName::parse("lamp").expect("name"),
                description: Description::parse("brass").expect("description"),
                category: None,
            },
            Subject::parse("alice").expect("subject"),
            Timestamp::from_millis(1_764_037_800_123).expect("time"),
        )
    }

    fn replaced(before: &Item) -> Item {
        let mut fields = before.fields();
        fields.name = ItemName::parse("desk lamp").expect("name");
        before.updated(
            fields,
            Timestamp::from_millis(1_764_037_900_000).expect("time"),
        )
    }

    #[test]
    fn event_ids_name_the_item_version_and_kind_and_differ_for_every_change() {
        let created = item();
        let after = replaced(&created);
        let deleted_at = Timestamp::from_millis(1_764_038_000_000).expect("time");
        let ids: Vec<EventId> = [
            ItemChange::Created {
                item: created.clone(),
            },
            ItemChange::Replaced {
                before: created.clone(),
                after: after.clone(),
            },
            ItemChange::Deleted {
                before: after,
                at: deleted_at,
            },
        ]
        .into_iter()
        .map(|change| ItemEvent::from_change(change).id)
        .collect();
        assert_eq!(
            ids.iter().map(EventId::as_str).collect::<Vec<_>>(),
            [
                "6f1c2a9e-3b7d-4c1e-9a2f-5d8e7b6c4a31:1:created",
                "6f1c2a9e-3b7d-4c1e-9a2f-5d8e7b6c4a31:2:replaced",
                "6f1c2a9e-3b7d-4c1e-9a2f-5d8e7b6c4a31:2:deleted",
            ]
        );
    }

    #[test]
    fn the_same_change_always_makes_an_equal_event() {
        let change = ItemChange::Created { item: item() };
        assert_eq!(
            ItemEvent::from_change(change.clone()),
            ItemEvent::from_change(change)
        );
    }

    #[test]
    fn a_created_event_names_its_creator_and_the_others_no_actor() {
        let created = item();
        let event = ItemEvent::from_change(ItemChange::Created {
            item: created.clone(),
        });
        assert_eq!(event.actor, Some(created.created_by().clone()));
        assert_eq!(event.time, created.created_at());
        let after = replaced(&created);
        let event = ItemEvent::from_change(ItemChange::Replaced {
            before: created,
            after: after.clone(),
        });
        assert_eq!(event.actor, None);
        assert_eq!(event.time, after.updated_at());
        assert_eq!(event.kind().name(), "ItemReplaced");
    }

    #[tokio::test]
    async fn publishing_no_changes_sends_nothing() {
        let mut publisher = MockEventPublisher::new();
        publisher.expect_publish().never();
        let use_case = ChangeEvents::new(Arc::new(publisher));
        assert_eq!(use_case.publish(Vec::new()).await, Ok(()));
    }

    #[tokio::test]
    async fn changes_are_published_as_events_in_their_order_and_failures_pass_through() {
        let created = item();
        let after = replaced(&created);
        let mut publisher = MockEventPublisher::new();
        publisher
            .expect_publish()
            .withf(|events| {
                events.iter().map(|e| e.kind()).collect::<Vec<_>>()
                    == [EventKind::Created, EventKind::Replaced]
            })
            .times(1)
            .returning(|_| {
                Err(PublishError {
                    first_unpublished: 1,
                    reason: "rejected".into(),
                })
            });
        let use_case = ChangeEvents::new(Arc::new(publisher));
        let outcome = use_case
            .publish(vec![
                ItemChange::Created {
                    item: created.clone(),
                },
                ItemChange::Replaced {
                    before: created,
                    after,
                },
            ])
            .await;
        assert_eq!(outcome.map_err(|e| e.first_unpublished), Err(1));
    }
}
