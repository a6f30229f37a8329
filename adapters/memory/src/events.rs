//! An [`EventPublisher`] that keeps events in memory, in publication order: the local stage's
//! event feed and the tests' view of what was published.

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use items_domain::{EventPublisher, ItemEvent, PublishError};

/// Events published so far, oldest first. Share it behind an `Arc`.
#[derive(Default)]
pub struct InMemoryEventPublisher {
    events: Mutex<Vec<ItemEvent>>,
}

impl InMemoryEventPublisher {
    /// A publisher with no events yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event published so far, oldest first.
    pub fn events(&self) -> Vec<ItemEvent> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<ItemEvent>> {
        // The list is only ever appended to whole events: a panicking holder cannot have left
        // it half-changed, so a poisoned lock is still safe to read.
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl EventPublisher for InMemoryEventPublisher {
    async fn publish(&self, events: &[ItemEvent]) -> Result<(), PublishError> {
        self.lock().extend_from_slice(events);
        Ok(())
    }
}
