//! Change events: every create, replace and delete over HTTP becomes exactly one event on the
//! stage's event bus, in order per item, with the item after (and before) the change, each as
//! `events.schema.json` describes it.
//!
//! The local stage lists what its bus received at `GET /_local/events`; a deployed stage has
//! no such endpoint (its events go to EventBridge), so these tests skip there and say why.
//! Delivery is asynchronous (in process mode the stage reads the table's stream and invokes
//! the stream function), so the tests wait for the events with a bounded deadline.

use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{fresh_category, full_item_body, item_body, target, Api};

/// Longest wait for a write's events: a stream poll, a cold start of the stream function and
/// its `PutEvents` calls take well under a second locally.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(30);

fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let schema: Value = serde_json::from_str(include_str!("../../../events.schema.json"))
            .expect("events.schema.json is JSON");
        jsonschema::validator_for(&schema).expect("events.schema.json is a JSON Schema")
    })
}

/// The stage's received events, read from `GET /_local/events`.
struct EventFeed {
    client: reqwest::Client,
}

impl EventFeed {
    /// The feed of the stage under test; `None`, with the reason written to the test's output,
    /// when the stage has none (a deployed stage, whose events go to EventBridge).
    async fn of_stage(test: &str) -> Option<Self> {
        let feed = Self {
            client: reqwest::Client::new(),
        };
        match feed.fetch().await {
            Ok(_) => Some(feed),
            Err(reason) => {
                // Straight to stderr: the test harness captures print! output of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: {} has no local event feed ({reason}); a deployed stage's \
                     events are on its EventBridge bus",
                    target().base_url
                );
                None
            }
        }
    }

    async fn fetch(&self) -> Result<Vec<Value>, String> {
        let response = self
            .client
            .get(target().url("/_local/events"))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("GET /_local/events: {e}"))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(format!("GET /_local/events answered {status}"));
        }
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("GET /_local/events: not JSON: {e}"))?;
        match body.get("events").and_then(Value::as_array) {
            Some(events) => Ok(events.clone()),
            None => Err("GET /_local/events has no events list".to_owned()),
        }
    }

    /// The events about item `id`, in arrival order, once the last one is `last_type`; fails
    /// the test when it has not arrived by the deadline.
    async fn events_until(&self, id: &str, last_type: &str) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let events: Vec<Value> = self
                .fetch()
                .await
                .unwrap_or_else(|e| panic!("the event feed went away: {e}"))
                .into_iter()
                .filter(|event| event["detail"]["item_id"] == json!(id))
                .collect();
            if events
                .last()
                .is_some_and(|event| event["detail-type"] == json!(last_type))
            {
                return events;
            }
            assert!(
                started.elapsed() < DELIVERY_DEADLINE,
                "no {last_type} event of item {id} within {DELIVERY_DEADLINE:?}; its events so far: {events:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Fails the test unless every event is what `events.schema.json` describes.
fn assert_schema_valid(events: &[Value]) {
    for event in events {
        let errors: Vec<String> = schema()
            .iter_errors(event)
            .map(|e| format!("at '{}': {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{event:#}\nbreaks events.schema.json: {errors:#?}"
        );
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event["detail-type"].as_str().unwrap_or("?"))
        .collect()
}

fn event_ids(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event["detail"]["event_id"].as_str().unwrap_or("?"))
        .collect()
}

#[tokio::test]
async fn create_replace_patch_and_delete_each_publish_one_event_with_the_item_before_and_after() {
    let Some(feed) = EventFeed::of_stage("change events of a create, replace and delete").await
    else {
        return;
    };
    let api = Api::user_a();
    let created = api.create_item(&full_item_body("Event lamp")).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    let replace = api
        .replace(
            &id,
            &json!({"name": "Event lamp v2", "description": "replaced"}),
            None,
        )
        .await;
    replace.assert_status(200);
    let replaced = replace.json();
    let patch = api
        .patch(&id, &json!({"description": "patched"}), Some("\"2\""))
        .await;
    patch.assert_status(200);
    let patched = patch.json();
    api.delete(&id, None).await.assert_status(204);

    let events = feed.events_until(&id, "ItemDeleted").await;
    assert_schema_valid(&events);
    assert_eq!(
        types(&events),
        ["ItemCreated", "ItemReplaced", "ItemReplaced", "ItemDeleted"],
        "one event per change, in order: {events:#?}"
    );
    assert_eq!(
        event_ids(&events),
        [
            format!("{id}:1:created"),
            format!("{id}:2:replaced"),
            format!("{id}:3:replaced"),
            format!("{id}:3:deleted"),
        ]
    );
    let [created_event, replaced_event, patched_event, deleted_event] =
        [0, 1, 2, 3].map(|i| &events[i]["detail"]);

    assert_eq!(
        created_event["after"], created,
        "the item as the API showed it"
    );
    assert!(created_event.get("before").is_none());
    assert_eq!(created_event["actor"], created["created_by"]);
    assert_eq!(created_event["version"], 1);

    assert_eq!(replaced_event["before"], created);
    assert_eq!(replaced_event["after"], replaced);
    assert_eq!(replaced_event["version"], 2);

    // A partial update is a replacement as far as events go: the whole item before and after.
    assert_eq!(patched_event["before"], replaced);
    assert_eq!(patched_event["after"], patched);
    assert_eq!(patched_event["version"], 3);

    assert_eq!(deleted_event["before"], patched, "the item as deleted");
    assert!(deleted_event.get("after").is_none());
    assert_eq!(deleted_event["version"], 3);
}

#[tokio::test]
async fn writes_that_change_nothing_publish_no_event() {
    let Some(feed) = EventFeed::of_stage("no change events for writes that change nothing").await
    else {
        return;
    };
    let api = Api::user_a();
    let body = item_body("Quiet lamp", Some(&fresh_category()));
    let key = uuid::Uuid::new_v4().to_string();
    let first = api.create_with_key(&body, Some(&key)).await;
    first.assert_status(201);
    let id = first.json()["id"].as_str().expect("an id").to_owned();
    // A replayed create, a stale If-Match, another caller's replace and delete: none changes
    // the item.
    api.create_with_key(&body, Some(&key))
        .await
        .assert_status(201);
    api.replace(&id, &item_body("Stale", None), Some("\"7\""))
        .await
        .assert_problem(412);
    let other = Api::user_b();
    other
        .replace(&id, &item_body("Not mine", None), None)
        .await
        .assert_problem(403);
    other
        .patch(&id, &json!({"name": "Not mine"}), None)
        .await
        .assert_problem(403);
    api.patch(&id, &json!({"name": "Stale"}), Some("\"7\""))
        .await
        .assert_problem(412);
    api.patch(&id, &json!({}), None).await.assert_problem(400);
    other.delete(&id, None).await.assert_problem(403);
    api.delete(&id, Some("\"1\"")).await.assert_status(204);

    // The delete's event comes after any event the failed writes could have caused.
    let events = feed.events_until(&id, "ItemDeleted").await;
    assert_schema_valid(&events);
    assert_eq!(
        event_ids(&events),
        [format!("{id}:1:created"), format!("{id}:1:deleted")],
        "{events:#?}"
    );
}
