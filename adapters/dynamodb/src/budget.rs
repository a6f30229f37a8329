//! The retry budget: how many DynamoDB requests one repository call may send, retries included.
//!
//! Every use case makes exactly one repository call per API request, so this is also the most
//! DynamoDB requests one API request makes. Without it, retries multiply: the SDK's attempts
//! inside a transaction-conflict loop inside a version-retry loop once allowed about 30.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use items_domain::RepositoryError;

/// The most DynamoDB requests one repository call, and so one API request, may send: every
/// attempt of every operation counts. It is also the SDK's attempts per operation, so a call of
/// one operation (get, create, update, delete) spends it on that operation's retries, and a
/// call of several (a listing that follows store pages, an idempotent create retried after a
/// transaction conflict) shares it between them.
pub const MAX_REQUESTS_PER_CALL: u32 = 3;

/// Counts the requests one repository call sends and gives each operation only the attempts
/// left. Clones share the count.
///
/// The count is kept without customising each operation (a per-operation interceptor or
/// configuration makes the SDK rebuild its runtime components for that request, tens of
/// microseconds of CPU): the client carries one [`CountAttempts`] interceptor, and
/// [`RequestBudget::count`] makes the budget the one it counts against while an operation is
/// sent. Only an operation that must be held to fewer attempts than the client allows (a later
/// page of a listing, a transaction sent again) is customised.
#[derive(Debug, Clone)]
pub(crate) struct RequestBudget {
    sent: Arc<AtomicU32>,
    max: u32,
    /// The attempts the client's own retry configuration allows an operation.
    client_attempts: u32,
}

tokio::task_local! {
    /// The budget of the repository call whose operation is being sent.
    static CALL_BUDGET: RequestBudget;
}

impl RequestBudget {
    /// A fresh budget for a client whose retry configuration allows `client_attempts` per
    /// operation: [`MAX_REQUESTS_PER_CALL`], or fewer if the client allows fewer.
    pub(crate) fn new(client_attempts: u32) -> Self {
        Self {
            sent: Arc::new(AtomicU32::new(0)),
            max: client_attempts.clamp(1, MAX_REQUESTS_PER_CALL),
            client_attempts,
        }
    }

    /// Requests sent so far.
    pub(crate) fn sent(&self) -> u32 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Whether more than one request was sent: an earlier attempt may have been applied
    /// although its answer never came.
    pub(crate) fn retried(&self) -> bool {
        self.sent() > 1
    }

    /// What the next operation of the call may send: `None` when the client's own attempts
    /// fit in what is left (send it as it is), `Some(n)` when it must be held to `n` attempts
    /// (see [`limited_to`]), `Unavailable` (logged) when nothing is left.
    pub(crate) fn attempts_left(&self) -> Result<Option<u32>, RepositoryError> {
        let left = self.max.saturating_sub(self.sent());
        if left == 0 {
            tracing::warn!(
                sent = self.sent(),
                "the call spent its DynamoDB request budget"
            );
            return Err(RepositoryError::Unavailable);
        }
        Ok((left < self.client_attempts).then_some(left))
    }

    /// Sends one operation (`send`, its future) with each of its attempts counted against
    /// this budget, by the client's [`CountAttempts`] interceptor.
    pub(crate) async fn count<F: Future>(&self, send: F) -> F::Output {
        CALL_BUDGET.scope(self.clone(), send).await
    }
}

/// An operation held to `attempts` attempts, for [`RequestBudget::attempts_left`]'s `Some`.
pub(crate) fn limited_to(attempts: u32) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::Config::builder()
        .retry_config(RetryConfig::standard().with_max_attempts(attempts))
}

/// The client's interceptor that counts each attempt against the budget of the repository call
/// sending it ([`RequestBudget::count`]); an operation sent outside one is not counted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CountAttempts;

impl CountAttempts {
    /// Its name, by which a client that has it is told apart.
    pub(crate) const NAME: &'static str = "CountAttempts";
}

impl Intercept for CountAttempts {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        // Outside a budget's scope there is nothing to count against.
        let _ = CALL_BUDGET.try_with(|budget| budget.sent.fetch_add(1, Ordering::Relaxed));
        Ok(())
    }
}
