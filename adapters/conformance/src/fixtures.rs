//! Items and records for the conformance cases: valid by construction, unique ids, times that
//! step forward so "newest first" is well defined.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use items_domain::{
    Category, Clock, Description, IdempotencyKey, IdempotencyRecord, IdempotencyScope, Item,
    ItemFields, ItemId, ItemName, Subject, Timestamp,
};

/// 2026-01-01T00:00:00Z: a fixed start keeps stored timestamps readable in failures.
const EPOCH_MILLIS: i64 = 1_767_225_600_000;
static NEXT_MILLI: AtomicI64 = AtomicI64::new(0);

/// A timestamp later than every one handed out before in this process.
pub fn next_timestamp() -> Timestamp {
    let offset = NEXT_MILLI.fetch_add(1, Ordering::Relaxed);
    Timestamp::from_millis(EPOCH_MILLIS + offset).expect("fixture times are in chrono's range")
}

/// A category made unique to one test, so listings of shared stores stay isolated.
pub fn unique_category(prefix: &str) -> Category {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    category(&format!("{prefix}-{}", &suffix[..12]))
}

/// A category from a literal the test knows is valid.
pub fn category(raw: &str) -> Category {
    Category::parse(raw).unwrap_or_else(|e| panic!("fixture category {raw:?}: {e}"))
}

/// A subject from a literal.
pub fn subject(raw: &str) -> Subject {
    Subject::parse(raw).unwrap_or_else(|e| panic!("fixture subject {raw:?}: {e}"))
}

/// Valid fields with the given name and category.
pub fn fields(name: &str, category: Option<Category>) -> ItemFields {
    ItemFields {
        name: ItemName::parse(name).unwrap_or_else(|e| panic!("fixture name {name:?}: {e}")),
        description: Description::parse("made by the conformance suite")
            .unwrap_or_else(|e| panic!("fixture description: {e}")),
        category,
    }
}

/// Fields with every optional field set: the one fully populated item that the conformance
/// cases store and read back, the change event tests publish, and the end-to-end suite sends
/// and reads over HTTP. A new field of `ItemFields` stops this from compiling until it is set
/// here, and then every one of those tests exercises it.
pub fn full_fields(name: &str) -> ItemFields {
    ItemFields {
        name: ItemName::parse(name).unwrap_or_else(|e| panic!("fixture name {name:?}: {e}")),
        // The characters a description may hold beyond plain text: a line break and a tab.
        description: Description::parse("Every optional field is set.\nOn two lines,\twith a tab.")
            .unwrap_or_else(|e| panic!("fixture description: {e}")),
        category: Some(category("fully-populated")),
    }
}

/// The subject that creates every fixture item.
pub const CREATOR: &str = "conformance-user";

/// A new item from [`full_fields`] at version 1 with a fresh id, created now by [`CREATOR`].
pub fn full_item(name: &str) -> Item {
    Item::create(
        ItemId::from_uuid(uuid::Uuid::new_v4()),
        full_fields(name),
        subject(CREATOR),
        next_timestamp(),
    )
}

/// A new item at version 1 with a fresh id, created now by [`CREATOR`].
pub fn item(name: &str, category: Option<Category>) -> Item {
    Item::create(
        ItemId::from_uuid(uuid::Uuid::new_v4()),
        fields(name, category),
        subject(CREATOR),
        next_timestamp(),
    )
}

/// An idempotency record for a new item made from `fields` by `caller` with `key`, at `at`.
pub fn idempotency_record(
    caller: &str,
    key: &str,
    fields: ItemFields,
    at: Timestamp,
) -> IdempotencyRecord {
    let item = Item::create(
        ItemId::from_uuid(uuid::Uuid::new_v4()),
        fields.clone(),
        subject(caller),
        at,
    );
    let scope = IdempotencyScope {
        caller: subject(caller),
        key: IdempotencyKey::parse(key).unwrap_or_else(|e| panic!("fixture key {key:?}: {e}")),
    };
    IdempotencyRecord::new(scope, &fields, item)
}

/// A clock that stands still until a test moves it.
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    /// A clock reading `at`.
    pub fn at(at: Timestamp) -> Self {
        Self(Mutex::new(at))
    }

    /// A clock reading a fresh fixture time.
    pub fn new() -> Self {
        Self::at(next_timestamp())
    }

    /// Moves the clock forward by some hours.
    pub fn advance_hours(&self, hours: i64) {
        let mut now = self.0.lock().expect("clock lock");
        *now = now.plus_hours(hours);
    }

    /// Moves the clock forward by some milliseconds.
    pub fn advance_millis(&self, millis: i64) {
        let mut now = self.0.lock().expect("clock lock");
        *now = Timestamp::from_millis(now.as_millis() + millis).expect("in range");
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock")
    }
}

/// The three changes of one new, fully populated item's life ([`full_item`]): created,
/// replaced (renamed to `"{name} v2"`, every field still set), deleted.
pub fn lifecycle(name: &str) -> [items_domain::ItemChange; 3] {
    use items_domain::ItemChange;
    let created = full_item(name);
    let replaced = created.updated(full_fields(&format!("{name} v2")), next_timestamp());
    [
        ItemChange::Created {
            item: created.clone(),
        },
        ItemChange::Replaced {
            before: created,
            after: replaced.clone(),
        },
        ItemChange::Deleted {
            before: replaced,
            at: next_timestamp(),
        },
    ]
}
