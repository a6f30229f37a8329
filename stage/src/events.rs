//! Change events on the local stage. Every publisher of the stage sends to one local
//! EventBridge (the [emulator](eventbridge_emulator)), which prints an `EVENT` line per event and
//! lists them at `GET /_local/events`:
//!
//! - in-process on the memory store, the store's change feed goes through the domain's
//!   [`ChangeEvents`] use case to the EventBridge publisher, as the stream function's do;
//! - on a DynamoDB store, the items table's stream is read as Lambda's event source mapping
//!   reads it, and the stream function is invoked with Streams events ([`crate::streams`]).

use std::sync::Arc;
use std::time::Duration;

use apigateway_emulator::LineSink;
use eventbridge_emulator::EventBridgeEmulator;
use items_domain::{ChangeEvents, ItemChange};
use items_eventbridge::EventBridgePublisher;
use items_memory::ChangeFeed;
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::store::sdk_config;

/// The event bus the stage's publishers name (EventBridge's bus of a deployment is
/// `<name>-events`); the local bus keeps every event whatever bus it names.
pub const LOCAL_EVENT_BUS: &str = "items-api-events";

/// Changes published per `PutEvents` round: the stream function's most per call.
const FEED_BATCH: usize = items_eventbridge::MAX_ENTRIES_PER_CALL;

/// The wait before publishing again after the local bus refused events.
const RETRY_DELAY: Duration = Duration::from_millis(500);

/// The stage's event bus: what every publisher of the stage sent, oldest first.
#[derive(Clone)]
pub struct EventLog(Arc<EventBridgeEmulator>);

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("EventLog").field(&self.0.url()).finish()
    }
}

impl EventLog {
    /// Starts the local bus on a free loopback port; each event it accepts is written to
    /// `lines` as `EVENT <detail-type> <event_id>`.
    pub(crate) async fn start(lines: LineSink) -> std::io::Result<Self> {
        let bus = EventBridgeEmulator::start().await?;
        bus.on_event(move |event| lines.write(&event_line(event)));
        Ok(Self(Arc::new(bus)))
    }

    /// Every event received so far, oldest first, as a rule's target receives it.
    pub fn events(&self) -> Vec<Value> {
        self.0.events()
    }

    /// How many `PutEvents` calls reached the bus, answered or refused.
    pub fn calls(&self) -> usize {
        self.0.calls()
    }

    /// Takes the bus down (every call answered `503`, as in an EventBridge outage) or brings it
    /// back: for the reliability tests.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.0.set_unavailable(unavailable);
    }

    /// The bus's endpoint, for [`items_eventbridge::ENDPOINT_ENV`].
    pub fn url(&self) -> String {
        self.0.url()
    }

    /// A publisher to this bus with the functions' SDK settings.
    pub(crate) async fn publisher(&self) -> EventBridgePublisher {
        let config = sdk_config(Some(&self.url())).await;
        EventBridgePublisher::new(&config, LOCAL_EVENT_BUS)
    }

    /// The environment a stream function process needs to publish here.
    pub(crate) fn process_environment(&self) -> Vec<(String, String)> {
        vec![
            (
                items_eventbridge::EVENT_BUS_ENV.to_owned(),
                LOCAL_EVENT_BUS.to_owned(),
            ),
            (items_eventbridge::ENDPOINT_ENV.to_owned(), self.url()),
        ]
    }
}

/// `EVENT ItemCreated <event_id>`: one line per event, for a developer watching the stage.
fn event_line(event: &Value) -> String {
    let text = |value: &Value| value.as_str().unwrap_or("?").to_owned();
    format!(
        "EVENT {} {}",
        text(&event["detail-type"]),
        text(&event["detail"]["event_id"])
    )
}

/// Publishes the memory store's changes through `events` until the store is gone, in feed
/// order and at least once: after a failure, publishing resumes at the first change that may
/// not be published, so nothing is skipped.
pub(crate) fn follow_change_feed(
    mut feed: ChangeFeed,
    events: ChangeEvents,
    errors: LineSink,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut pending: Vec<ItemChange> = Vec::new();
        loop {
            if pending.is_empty() {
                match feed.recv().await {
                    Some(change) => pending.push(change),
                    None => return,
                }
            }
            while pending.len() < FEED_BATCH {
                match feed.try_recv() {
                    Ok(change) => pending.push(change),
                    Err(_) => break,
                }
            }
            match events.publish(pending.clone()).await {
                Ok(()) => pending.clear(),
                Err(error) => {
                    errors.write(&format!(
                        "local-stage: change events not published, retrying: {error}"
                    ));
                    pending.drain(..error.first_unpublished.min(pending.len()));
                    tokio::time::sleep(RETRY_DELAY).await;
                }
            }
        }
    })
}
