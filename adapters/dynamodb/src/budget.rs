//! The retry budget: how many DynamoDB requests one repository call may send, retries included.
//!
//! Every use case makes exactly one repository call per API request, so this is also the most
//! DynamoDB requests one API request makes. Without it, retries multiply: the SDK's attempts
//! inside a transaction-conflict loop inside a version-retry loop once allowed about 30.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::client::customize::CustomizableOperation;
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
#[derive(Debug, Clone)]
pub(crate) struct RequestBudget {
    sent: Arc<AtomicU32>,
    max: u32,
    /// The attempts the client's own retry configuration allows an operation.
    client_attempts: u32,
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

    /// Limits an operation to the attempts left and counts each one it sends; `Unavailable`
    /// (logged) when none are left.
    pub(crate) fn limit<T, E, B>(
        &self,
        operation: CustomizableOperation<T, E, B>,
    ) -> Result<CustomizableOperation<T, E, B>, RepositoryError> {
        let left = self.max.saturating_sub(self.sent());
        if left == 0 {
            tracing::warn!(
                sent = self.sent(),
                "the call spent its DynamoDB request budget"
            );
            return Err(RepositoryError::Unavailable);
        }
        let operation = operation.interceptor(self.clone());
        // Overriding the retry configuration costs a little per request: only when needed.
        Ok(if left < self.client_attempts {
            operation.config_override(
                aws_sdk_dynamodb::Config::builder()
                    .retry_config(RetryConfig::standard().with_max_attempts(left)),
            )
        } else {
            operation
        })
    }
}

impl Intercept for RequestBudget {
    fn name(&self) -> &'static str {
        "RequestBudget"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
