//! Publishing with `PutEvents`: batching within EventBridge's limits, per-item order, and
//! retrying rejected entries.

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use aws_smithy_types::error::display::DisplayErrorContext;
use items_domain::{EventPublisher, ItemEvent, ItemId, PublishError};

use crate::detail::{event_detail, EVENT_SOURCE};
use crate::traced_calls::traced_calls;

/// The variable naming the event bus.
pub const EVENT_BUS_ENV: &str = "EVENT_BUS_NAME";
/// The SDK's variable for an EventBridge endpoint other than AWS's (a local one).
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_EVENTBRIDGE";
/// EventBridge's limit of entries in one `PutEvents` call.
pub const MAX_ENTRIES_PER_CALL: usize = 10;
/// EventBridge's limit on one entry (and, kept here too, on one call's entries together), as
/// EventBridge counts it: the bytes of `Source`, `DetailType`, `Detail`, plus 14 for `Time`.
pub const MAX_ENTRY_BYTES: usize = 256 * 1024;
/// The bytes EventBridge counts for an entry's `Time`.
const TIME_BYTES: usize = 14;
/// Sends of an entry EventBridge rejects, before the publish fails at it.
const REJECTED_ENTRY_ATTEMPTS: u32 = 3;
/// The wait before sending rejected entries again; doubled each time.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(100);
/// What a `PutEvents` is allowed when the client sets no operation timeout.
const UNBOUNDED_CALL: Duration = Duration::from_secs(30);
/// Time kept after the last `PutEvents` for the invocation to answer.
const ANSWER_SLACK: Duration = Duration::from_millis(500);

tokio::task_local! {
    /// The instant by which the invocation publishing must have answered.
    static DEADLINE: Instant;
}

/// Runs `publishing` (a stream batch's publish) to end by `deadline`, the invocation's: the
/// publisher starts no `PutEvents`, nor a resend of rejected entries, that its operation timeout
/// could carry past it, and reports the events from there on as unpublished. Lambda then
/// retries the batch from them, rather than timing the invocation out with what was sent
/// unknown (the whole batch sent again, and bisected).
pub async fn publish_before<F: Future>(deadline: Instant, publishing: F) -> F::Output {
    DEADLINE.scope(deadline, publishing).await
}

/// Why the publisher could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `EVENT_BUS_NAME` is unset or empty.
    #[error("environment variable {EVENT_BUS_ENV} must name an EventBridge event bus")]
    MissingBus,
}

/// Reads `EVENT_BUS_NAME`.
pub fn bus_name_from_env() -> Result<String, ConfigError> {
    match std::env::var(EVENT_BUS_ENV) {
        Ok(name) if !name.trim().is_empty() => Ok(name.trim().to_owned()),
        _ => Err(ConfigError::MissingBus),
    }
}

/// Publishes change events to one EventBridge bus.
#[derive(Debug, Clone)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
    first_retry_delay: Duration,
    /// The longest one `PutEvents` may take, its retries included.
    call_timeout: Duration,
}

/// One event, ready to send.
struct Entry {
    item_id: ItemId,
    request: PutEventsRequestEntry,
    bytes: usize,
}

impl EventBridgePublisher {
    /// A publisher to `bus` with an SDK configuration (region, credentials, endpoint: set
    /// [`ENDPOINT_ENV`] for a local EventBridge). Each PutEvents is traced as a subsegment of
    /// the invocation's trace when traces are on, and its entries carry that trace on (build
    /// it after `items_traces::init`).
    pub fn new(config: &SdkConfig, bus: impl Into<String>) -> Self {
        let mut client_config = aws_sdk_eventbridge::config::Builder::from(config);
        if let Some(traced) = traced_calls() {
            client_config = client_config.interceptor(traced);
        }
        let client_config = client_config.build();
        let call_timeout = config
            .timeout_config()
            .and_then(|timeouts| timeouts.operation_timeout())
            .unwrap_or(UNBOUNDED_CALL);
        Self {
            client: Client::from_conf(client_config),
            bus: bus.into(),
            first_retry_delay: FIRST_RETRY_DELAY,
            call_timeout,
        }
    }

    /// The same publisher waiting `delay` (then doubling it) before resending rejected
    /// entries; tests shorten it.
    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.first_retry_delay = delay;
        self
    }

    fn entry(&self, event: &ItemEvent) -> Entry {
        let detail = event_detail(event).to_string();
        let detail_type = event.kind().name();
        let bytes = TIME_BYTES + EVENT_SOURCE.len() + detail_type.len() + detail.len();
        let time = DateTime::from_millis(event.time.as_millis());
        Entry {
            item_id: event.item_id(),
            request: PutEventsRequestEntry::builder()
                .event_bus_name(&self.bus)
                .source(EVENT_SOURCE)
                .detail_type(detail_type)
                .detail(detail)
                .time(time)
                .build(),
            bytes,
        }
    }

    /// Sends `entries` (a batch within the limits, one entry per item), sending rejected ones
    /// again. On failure, the error names the first entry (by its index in `entries`, offset by
    /// `first`) that may not be published.
    async fn put_batch(&self, entries: &[Entry], first: usize) -> Result<(), PublishError> {
        let mut pending: Vec<usize> = (0..entries.len()).collect();
        let mut delay = self.first_retry_delay;
        for attempt in 1..=REJECTED_ENTRY_ATTEMPTS {
            let failed = |reason: String, pending: &[usize]| PublishError {
                first_unpublished: first + pending.first().copied().unwrap_or(0),
                reason,
            };
            if self.too_late_for_a_call() {
                let reason = "the invocation's deadline is nearer than a PutEvents may take: \
                              the rest waits for Lambda's retry"
                    .to_owned();
                tracing::warn!(%reason, entries = pending.len(), "events not published");
                return Err(failed(reason, &pending));
            }
            let sent = self
                .client
                .put_events()
                .set_entries(Some(
                    pending
                        .iter()
                        .map(|&i| entries[i].request.clone())
                        .collect(),
                ))
                .send()
                .await;
            let output = match sent {
                Ok(output) => output,
                // The SDK has already retried the call itself: the bus is unreachable or
                // refusing; Lambda retries the batch later.
                Err(error) => {
                    let reason = format!("PutEvents failed: {}", DisplayErrorContext(&error));
                    tracing::warn!(%reason, entries = pending.len(), "events not published");
                    return Err(failed(reason, &pending));
                }
            };
            let results = output.entries();
            let mut rejected = Vec::new();
            let mut reasons = Vec::new();
            for (position, &index) in pending.iter().enumerate() {
                match results.get(position) {
                    Some(result)
                        if result.error_code().is_none() && result.event_id().is_some() => {}
                    // A rejected entry, or an answer that does not account for it: send again.
                    other => {
                        rejected.push(index);
                        reasons.push(match other {
                            Some(result) => format!(
                                "{}: {}",
                                result.error_code().unwrap_or("no event id"),
                                result.error_message().unwrap_or_default()
                            ),
                            None => "no result for the entry".to_owned(),
                        });
                    }
                }
            }
            if rejected.is_empty() {
                return Ok(());
            }
            let reason = format!(
                "EventBridge rejected {} of {} entries (attempt {attempt}): {}",
                rejected.len(),
                pending.len(),
                reasons.join("; ")
            );
            tracing::warn!(%reason, "events rejected");
            if attempt == REJECTED_ENTRY_ATTEMPTS {
                return Err(failed(reason, &rejected));
            }
            pending = rejected;
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        Ok(())
    }
}

impl EventBridgePublisher {
    /// Whether a `PutEvents` started now could outlast the deadline of [`publish_before`]
    /// (never, outside one).
    fn too_late_for_a_call(&self) -> bool {
        DEADLINE
            .try_with(|deadline| Instant::now() + self.call_timeout + ANSWER_SLACK > *deadline)
            .unwrap_or(false)
    }
}

/// Where the batch starting at `start` ends: at most ten entries, at most `MAX_ENTRY_BYTES`
/// together, and no item twice (so a rejected entry never has a later event of its item
/// accepted before it). An entry too large on its own gives an empty batch.
fn batch_end(entries: &[Entry], start: usize) -> usize {
    let mut bytes = 0;
    let mut items = HashSet::new();
    let mut end = start;
    while end < entries.len() && end - start < MAX_ENTRIES_PER_CALL {
        let entry = &entries[end];
        if bytes + entry.bytes > MAX_ENTRY_BYTES || !items.insert(entry.item_id) {
            break;
        }
        bytes += entry.bytes;
        end += 1;
    }
    end
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, events: &[ItemEvent]) -> Result<(), PublishError> {
        let entries: Vec<Entry> = events.iter().map(|event| self.entry(event)).collect();
        let mut start = 0;
        while start < entries.len() {
            let end = batch_end(&entries, start);
            if end == start {
                let reason = format!(
                    "event {} is {} bytes, over EventBridge's entry limit of {MAX_ENTRY_BYTES}",
                    events[start].id, entries[start].bytes
                );
                tracing::error!(%reason, "event not published");
                return Err(PublishError {
                    first_unpublished: start,
                    reason,
                });
            }
            self.put_batch(&entries[start..end], start).await?;
            start = end;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(item: u128, bytes: usize) -> Entry {
        Entry {
            item_id: item_id(item),
            request: PutEventsRequestEntry::builder().build(),
            bytes,
        }
    }

    /// Distinct ids; the batching only compares them.
    fn item_id(n: u128) -> ItemId {
        ItemId::parse(&format!("00000000-0000-4000-8000-{n:012x}")).expect("id")
    }

    #[test]
    fn batches_hold_at_most_ten_entries() {
        let entries: Vec<Entry> = (0..25).map(|i| entry(i, 100)).collect();
        assert_eq!(batch_end(&entries, 0), 10);
        assert_eq!(batch_end(&entries, 20), 25);
    }

    #[test]
    fn a_batch_never_holds_two_events_of_one_item() {
        let entries = vec![entry(1, 100), entry(2, 100), entry(1, 100), entry(3, 100)];
        assert_eq!(batch_end(&entries, 0), 2);
        assert_eq!(batch_end(&entries, 2), 4);
    }

    #[test]
    fn a_batch_stays_within_the_size_limit_and_an_oversized_entry_is_alone_and_empty() {
        let half = MAX_ENTRY_BYTES / 2;
        let entries = vec![
            entry(1, half),
            entry(2, half),
            entry(3, 1),
            entry(4, MAX_ENTRY_BYTES + 1),
        ];
        assert_eq!(batch_end(&entries, 0), 2);
        assert_eq!(batch_end(&entries, 2), 3);
        assert_eq!(batch_end(&entries, 3), 3);
    }
}
