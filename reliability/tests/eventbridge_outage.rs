//! EventBridge goes away while items change: nothing is lost. The real `publish-item-events`
//! binary reads the items table's stream through the local stage's event source mapping; while
//! the bus answers every `PutEvents` with a `503`, the function reports the batch as failed and
//! the mapping retries it; once the bus is back, every change is published, in order per item.
//! Duplicates are allowed (at-least-once delivery) and carry the same `event_id`, so a consumer
//! de-duplicates by it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::time::{Duration, Instant};

use local_stage::RunningStage;
use serde_json::{json, Value};
use support::{client, dynamodb_endpoint, fresh_store, item_body, process_stage};

/// Longest wait for events after the bus is back: the mapping retries with a growing pause of
/// at most a few seconds, and the function's SDK retries each call.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(60);

/// How long the bus stays down: long enough for several failed invocations, well within the
/// mapping's retries (it gives a batch up only after 10 retries without progress).
const OUTAGE: Duration = Duration::from_secs(4);

fn event_ids(stage: &RunningStage) -> Vec<String> {
    stage
        .events()
        .expect("the stage has an event bus")
        .iter()
        .map(|event| {
            event["detail"]["event_id"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

/// Waits until every id of `expected` has been published at least once.
async fn wait_for(stage: &RunningStage, expected: &[String], deadline: Duration) -> Vec<String> {
    let started = Instant::now();
    loop {
        let published = event_ids(stage);
        if expected.iter().all(|id| published.contains(id)) {
            return published;
        }
        assert!(
            started.elapsed() < deadline,
            "within {deadline:?} only these events were published: {published:#?}; expected {expected:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_eventbridge_outage_loses_no_change_and_duplicates_share_their_event_id() {
    let stage = process_stage(fresh_store(dynamodb_endpoint()), 2).await;
    let bus = stage.event_log().expect("the stage has an event bus");
    let token = stage.mint_token("writer", &[]);
    let client = client();
    let items_url = format!("{}/items", stage.url());

    let create = |name: &'static str| {
        let request = client
            .post(&items_url)
            .bearer_auth(&token)
            .json(&item_body(name, None));
        async move {
            let response = request.send().await.expect("the stage answers");
            assert_eq!(response.status().as_u16(), 201);
            let item: Value = response.json().await.expect("JSON");
            item["id"].as_str().expect("an id").to_owned()
        }
    };
    let replace = |id: String, name: &'static str| {
        let request = client
            .put(format!("{items_url}/{id}"))
            .bearer_auth(&token)
            .json(&json!({"name": name, "description": "replaced during the outage"}));
        async move {
            let response = request.send().await.expect("the stage answers");
            assert_eq!(response.status().as_u16(), 200);
        }
    };
    let delete = |id: String| {
        let request = client
            .delete(format!("{items_url}/{id}"))
            .bearer_auth(&token);
        async move {
            let response = request.send().await.expect("the stage answers");
            assert_eq!(response.status().as_u16(), 204);
        }
    };

    // Before the outage: the pipeline works (and the stream function is warm).
    let a = create("before the outage").await;
    wait_for(&stage, &[format!("{a}:1:created")], RECOVERY_DEADLINE).await;

    bus.set_unavailable(true);
    let calls_before = bus.calls();
    let published_before = event_ids(&stage).len();
    replace(a.clone(), "a, replaced").await;
    let b = create("during the outage").await;
    replace(b.clone(), "b, replaced").await;
    delete(a.clone()).await;
    tokio::time::sleep(OUTAGE).await;
    assert!(
        bus.calls() > calls_before,
        "the stream function tried to publish during the outage"
    );
    assert_eq!(
        event_ids(&stage).len(),
        published_before,
        "nothing is accepted while the bus is down"
    );
    bus.set_unavailable(false);

    let expected = [
        format!("{a}:1:created"),
        format!("{a}:2:replaced"),
        format!("{b}:1:created"),
        format!("{b}:2:replaced"),
        format!("{a}:2:deleted"),
    ];
    let published = wait_for(&stage, &expected, RECOVERY_DEADLINE).await;
    // De-duplicated by event id (first arrival kept), the events are every change in the
    // order the table's stream holds them.
    let mut unique: Vec<String> = Vec::new();
    for id in published {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    assert_eq!(unique, expected);
    stage.shutdown().await;
}
