//! The published form of an event: the `source`, `detail-type` and `detail` of an EventBridge
//! event. `events.schema.json` at the repository root describes the same shape, and tests hold
//! the two together.

use items_domain::ItemEvent;
use items_json::ItemView;
use serde_json::{json, Value};

/// The `source` of every event the items API publishes.
pub const EVENT_SOURCE: &str = "items-api";

/// An event's `detail`: its id (de-duplicate by it), type, time, the item's id and version,
/// the actor when known, and the item `after` the change and `before` it (each absent when
/// there is none: no `before` on a create, no `after` on a delete), each as the API shows it.
pub fn event_detail(event: &ItemEvent) -> Value {
    let item = event.change.subject_item();
    let mut detail = json!({
        "event_id": event.id.as_str(),
        "event_type": event.kind().name(),
        "occurred_at": event.time.to_rfc3339(),
        "item_id": item.id().to_string(),
        "version": item.version().get(),
    });
    if let Some(actor) = &event.actor {
        detail["actor"] = Value::String(actor.as_str().to_owned());
    }
    if let Some(after) = event.change.after() {
        detail["after"] = json!(ItemView::from(after));
    }
    if let Some(before) = event.change.before() {
        detail["before"] = json!(ItemView::from(before));
    }
    detail
}
