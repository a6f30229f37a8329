//! The EventBridge publisher against an emulated bus: batching, order, rejected entries and an
//! unavailable bus.

use std::time::{Duration, Instant};

use aws_config::Region;
use aws_sdk_eventbridge::config::Credentials;
use eventbridge_emulator::EventBridgeEmulator;
use items_conformance::fixtures::lifecycle;
use items_domain::{EventPublisher, ItemEvent};
use items_eventbridge::{publish_before, EventBridgePublisher, EVENT_SOURCE};
use items_sdk_config::{sdk_config_loader, Timeouts};
use serde_json::Value;

const BUS: &str = "items-events";

async fn publisher(bus: &EventBridgeEmulator) -> EventBridgePublisher {
    let timeouts = Timeouts {
        connect: Duration::from_millis(500),
        attempt: Duration::from_millis(1000),
        operation: Duration::from_millis(3000),
        max_attempts: 2,
    };
    let config = sdk_config_loader(timeouts)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(bus.url())
        .load()
        .await;
    EventBridgePublisher::new(&config, BUS).with_retry_delay(Duration::from_millis(1))
}

/// Events of `items` items, each created, replaced and deleted, item after item.
fn events(items: usize) -> Vec<ItemEvent> {
    (0..items)
        .flat_map(|i| lifecycle(&format!("item {i}")))
        .map(ItemEvent::from_change)
        .collect()
}

fn event_ids(published: &[Value]) -> Vec<String> {
    published
        .iter()
        .map(|event| {
            event["detail"]["event_id"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

fn ids(events: &[ItemEvent]) -> Vec<String> {
    events.iter().map(|e| e.id.to_string()).collect()
}

#[tokio::test]
async fn events_arrive_in_order_with_the_source_type_and_detail() {
    let bus = EventBridgeEmulator::start().await.expect("emulator");
    let events = events(1);
    publisher(&bus)
        .await
        .publish(&events)
        .await
        .expect("published");
    let published = bus.events();
    assert_eq!(event_ids(&published), ids(&events));
    let types: Vec<&str> = published
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(types, ["ItemCreated", "ItemReplaced", "ItemDeleted"]);
    assert!(published.iter().all(|e| e["source"] == EVENT_SOURCE));
    // Every field of the fixture's fully populated item, as the API shows it.
    let shown = |item: &items_domain::Item| {
        serde_json::to_value(items_json::ItemView::from(item)).expect("an item view is JSON")
    };
    assert_eq!(
        published[0]["detail"]["after"],
        shown(events[0].change.after().expect("created"))
    );
    let replaced = &published[1]["detail"];
    assert_eq!(replaced["before"]["version"], 1);
    assert_eq!(replaced["after"]["version"], 2);
    assert_eq!(
        replaced["after"],
        shown(events[1].change.after().expect("replaced"))
    );
    assert!(published[0]["detail"].get("before").is_none());
    assert!(published[2]["detail"].get("after").is_none());
}

#[tokio::test]
async fn a_large_batch_takes_several_calls_of_at_most_ten_and_one_event_per_item_each() {
    let bus = EventBridgeEmulator::start().await.expect("emulator");
    // 12 items x 3 events, item after item. A call holds at most one event per item, so the
    // calls are [0 created], [0 replaced], [0 deleted, 1 created], [1 replaced], ...
    let events = events(12);
    publisher(&bus)
        .await
        .publish(&events)
        .await
        .expect("published");
    assert_eq!(event_ids(&bus.events()), ids(&events));
    assert_eq!(bus.calls(), 1 + 2 * 12);

    let bus = EventBridgeEmulator::start().await.expect("emulator");
    let created: Vec<ItemEvent> = events
        .iter()
        .filter(|e| e.change.before().is_none())
        .cloned()
        .collect();
    publisher(&bus)
        .await
        .publish(&created)
        .await
        .expect("published");
    assert_eq!(event_ids(&bus.events()), ids(&created));
    assert_eq!(bus.calls(), 2, "12 events of distinct items: 10 then 2");
}

#[tokio::test]
async fn a_rejected_entry_is_sent_again_and_nothing_is_lost() {
    let bus = EventBridgeEmulator::start().await.expect("emulator");
    let mut rejections_left = 2;
    bus.reject(move |entry| {
        let replaced = entry["DetailType"] == "ItemReplaced";
        (replaced && rejections_left > 0).then(|| {
            rejections_left -= 1;
            "ThrottlingException".to_owned()
        })
    });
    let events = events(1);
    publisher(&bus)
        .await
        .publish(&events)
        .await
        .expect("published after resending");
    assert_eq!(event_ids(&bus.events()), ids(&events));
}

#[tokio::test]
async fn an_entry_rejected_every_time_fails_the_publish_at_that_event_and_later_events_of_its_item_wait(
) {
    let bus = EventBridgeEmulator::start().await.expect("emulator");
    bus.reject(|entry| {
        (entry["DetailType"] == "ItemReplaced").then(|| "InternalFailure".to_owned())
    });
    let events = events(1);
    let error = publisher(&bus)
        .await
        .publish(&events)
        .await
        .expect_err("rejected");
    assert_eq!(error.first_unpublished, 1);
    assert!(error.reason.contains("InternalFailure"), "{}", error.reason);
    // The create went out; the delete of the same item was never sent ahead of its replace.
    assert_eq!(event_ids(&bus.events()), ids(&events[..1]));
}

#[tokio::test]
async fn an_unavailable_bus_fails_at_the_first_unsent_event_and_a_retry_after_recovery_publishes_all(
) {
    let bus = EventBridgeEmulator::start().await.expect("emulator");
    let publisher = publisher(&bus).await;
    let events = events(2);
    publisher
        .publish(&events[..2])
        .await
        .expect("published before the outage");
    bus.set_unavailable(true);
    let error = publisher.publish(&events[2..]).await.expect_err("outage");
    assert_eq!(error.first_unpublished, 0);
    bus.set_unavailable(false);
    publisher
        .publish(&events[2..])
        .await
        .expect("published after recovery");
    assert_eq!(event_ids(&bus.events()), ids(&events));
}

#[tokio::test]
async fn published_events_are_what_events_schema_json_describes() {
    let schema: Value =
        serde_json::from_str(include_str!("../../../events.schema.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    assert_eq!(schema["properties"]["source"]["const"], EVENT_SOURCE);
    let kinds: Vec<&str> = items_domain::EventKind::ALL
        .iter()
        .map(|k| k.name())
        .collect();
    assert_eq!(
        schema["properties"]["detail-type"]["enum"],
        serde_json::json!(kinds)
    );

    let bus = EventBridgeEmulator::start().await.expect("emulator");
    let mut events = events(1);
    // The fixture's fully populated item's three events, and a created event of an item
    // without any optional field, both covered.
    let minimal = items_conformance::fixtures::item("without optional fields", None);
    events.push(ItemEvent::from_change(items_domain::ItemChange::Created {
        item: minimal,
    }));
    publisher(&bus)
        .await
        .publish(&events)
        .await
        .expect("published");
    let published = bus.events();
    assert_eq!(published.len(), 4);
    for event in &published {
        let errors: Vec<String> = validator
            .iter_errors(event)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{event}: {errors:?}");
    }
    // And the schema is strict enough to catch a wrong shape.
    let mut wrong = published[1].clone();
    wrong["detail"]["before"] = Value::Null;
    assert!(!validator.is_valid(&wrong));
}

#[tokio::test]
async fn no_call_starts_that_could_outlast_the_invocations_deadline() {
    let bus = EventBridgeEmulator::start().await.expect("emulator");
    let publisher = publisher(&bus).await;
    let events = events(2);
    // The publisher's PutEvents may take its 3 s operation timeout: with 1 s left, none starts,
    // and every event is reported unpublished, for Lambda to retry.
    let near = Instant::now() + Duration::from_secs(1);
    let outcome = publish_before(near, publisher.publish(&events)).await;
    assert_eq!(outcome.map_err(|e| e.first_unpublished), Err(0));
    assert!(bus.events().is_empty(), "nothing was sent");
    // With time for it, the same events go out, in order.
    let far = Instant::now() + Duration::from_secs(60);
    publish_before(far, publisher.publish(&events))
        .await
        .expect("published before a distant deadline");
    assert_eq!(event_ids(&bus.events()), ids(&events));
}
