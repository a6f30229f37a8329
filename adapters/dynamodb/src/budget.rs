//! The retry budget: how many DynamoDB requests one repository call may send, retries included.
//!
//! Every use case makes exactly one repository call per API request, so this is also the most
//! DynamoDB requests one API request makes. Without it, retries multiply: the SDK's attempts
//! inside a transaction-conflict loop inside a version-retry loop once allowed about 30.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::http::HttpRequest;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{
    ConfigBag, HttpClient, RuntimeComponents, RuntimeComponentsBuilder, SharedHttpClient,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
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
/// The count is kept where each request leaves, in the client's HTTP client
/// ([`CountingHttpClient`]), and [`RequestBudget::count`] makes the budget the one it counts
/// against while an operation is sent. Not in an interceptor: the SDK runs every interceptor's
/// hooks, about twenty per attempt, and one more interceptor measured 7 to 10 µs of CPU per
/// request, a few percent of a whole `GET` at 128 MB. Not by customising each operation either
/// (a per-operation interceptor or configuration makes the SDK rebuild its runtime components
/// for that request, tens of microseconds): only an operation that must be held to fewer
/// attempts than the client allows (a later page of a listing, a transaction sent again) is
/// customised.
#[derive(Debug, Clone)]
pub(crate) struct RequestBudget {
    sent: Arc<AtomicU32>,
    /// Requests that may have been applied without the caller knowing: no answer came (the
    /// attempt timed out, the connection failed) or a 5xx did. A 4xx answer (throttled,
    /// refused, a condition that failed) means DynamoDB did not apply the request.
    unknown_outcome: Arc<AtomicU32>,
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
            unknown_outcome: Arc::new(AtomicU32::new(0)),
            max: client_attempts.clamp(1, MAX_REQUESTS_PER_CALL),
            client_attempts,
        }
    }

    /// Requests sent so far.
    pub(crate) fn sent(&self) -> u32 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Whether an attempt may have been applied although its answer never came (it timed
    /// out, its connection failed, or DynamoDB answered 5xx). An attempt that was answered,
    /// a throttled one say, was not applied, and does not count.
    pub(crate) fn may_have_applied_unseen(&self) -> bool {
        self.unknown_outcome.load(Ordering::Relaxed) > 0
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

    /// Sends one operation (`send`, its future) with each of its requests counted against
    /// this budget, by the client's [`CountingHttpClient`].
    pub(crate) async fn count<F: Future>(&self, send: F) -> F::Output {
        CALL_BUDGET.scope(self.clone(), send).await
    }
}

/// An operation held to `attempts` attempts, for [`RequestBudget::attempts_left`]'s `Some`.
pub(crate) fn limited_to(attempts: u32) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::Config::builder()
        .retry_config(RetryConfig::standard().with_max_attempts(attempts))
}

/// The HTTP client of a repository's DynamoDB client: the client it was given, with each request
/// it sends counted against the budget of the repository call sending it
/// ([`RequestBudget::count`]); a request sent outside one is not counted.
#[derive(Debug, Clone)]
pub(crate) struct CountingHttpClient {
    inner: SharedHttpClient,
}

impl CountingHttpClient {
    /// `config` sending through `http_client` (its own), counted. Without an HTTP client it is
    /// left as it is: the project builds the SDK without a default one, so such a client sends
    /// nothing that could be counted.
    pub(crate) fn count_requests_of(
        mut config: aws_sdk_dynamodb::config::Builder,
        http_client: Option<SharedHttpClient>,
    ) -> aws_sdk_dynamodb::config::Builder {
        if let Some(inner) = http_client {
            config.set_http_client(Some(SharedHttpClient::new(Self { inner })));
        }
        config
    }
}

impl HttpClient for CountingHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(CountingConnector {
            inner: self.inner.http_connector(settings, components),
        })
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

/// The connector of a [`CountingHttpClient`]: counts, then sends.
#[derive(Debug)]
struct CountingConnector {
    inner: SharedHttpConnector,
}

/// Marks a request already counted, so a client wrapped twice (a repository's client given to
/// another repository) counts each request once.
#[derive(Debug, Clone, Copy)]
struct Counted;

impl HttpConnector for CountingConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        if request.extension::<Counted>().is_some() {
            return self.inner.call(request);
        }
        request.add_extension(Counted);
        let Ok(unknown_outcome) = CALL_BUDGET.try_with(|budget| {
            budget.sent.fetch_add(1, Ordering::Relaxed);
            Arc::clone(&budget.unknown_outcome)
        }) else {
            return self.inner.call(request);
        };
        let sending = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            // Counted unless an answer below 500 comes; dropped unanswered (the attempt
            // timeout), it counts too.
            let pending = UnknownOutcome(Some(unknown_outcome));
            let answer = sending.await;
            if answer
                .as_ref()
                .is_ok_and(|response| !response.status().is_server_error())
            {
                pending.settle();
            }
            answer
        })
    }
}

/// An attempt whose outcome is unknown until [`UnknownOutcome::settle`]: dropped before, it
/// adds itself to its budget's count.
struct UnknownOutcome(Option<Arc<AtomicU32>>);

impl UnknownOutcome {
    fn settle(mut self) {
        self.0 = None;
    }
}

impl Drop for UnknownOutcome {
    fn drop(&mut self) {
        if let Some(count) = self.0.take() {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::config::http::HttpResponse;
    use aws_smithy_types::body::SdkBody;

    /// The network: answers every request with 200 at once.
    #[derive(Debug)]
    struct Answers;

    impl HttpConnector for Answers {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let status = 200.try_into().expect("a status");
            HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::empty())))
        }
    }

    fn counting(inner: impl HttpConnector + 'static) -> CountingConnector {
        CountingConnector {
            inner: SharedHttpConnector::new(inner),
        }
    }

    #[tokio::test]
    async fn each_request_a_call_sends_is_counted_once_and_only_within_its_budget() {
        let once = counting(Answers);
        let twice = counting(counting(Answers));
        let budget = RequestBudget::new(MAX_REQUESTS_PER_CALL);
        for connector in [&once, &twice, &once] {
            // As the SDK does: the connector is called while the operation's future is polled.
            budget
                .count(async { connector.call(HttpRequest::empty()).await })
                .await
                .expect("answered");
        }
        assert_eq!(budget.sent(), 3);
        assert!(
            budget.attempts_left().is_err(),
            "three requests spend the budget"
        );
        // Outside a call's scope there is nothing to count against.
        once.call(HttpRequest::empty()).await.expect("answered");
        assert_eq!(budget.sent(), 3);
        assert!(
            !budget.may_have_applied_unseen(),
            "every request was answered 200"
        );
    }

    /// The network: answers every request with `status` at once, or never.
    #[derive(Debug)]
    struct Status(Option<u16>);

    impl HttpConnector for Status {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            match self.0 {
                Some(status) => {
                    let status = status.try_into().expect("a status");
                    HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::empty())))
                }
                None => HttpConnectorFuture::new(std::future::pending()),
            }
        }
    }

    #[tokio::test]
    async fn only_an_attempt_answered_below_500_is_known_not_applied() {
        for (status, unknown) in [(Some(400), false), (Some(200), false), (Some(500), true)] {
            let budget = RequestBudget::new(MAX_REQUESTS_PER_CALL);
            let connector = counting(Status(status));
            let _ = budget
                .count(async { connector.call(HttpRequest::empty()).await })
                .await;
            assert_eq!(budget.may_have_applied_unseen(), unknown, "{status:?}");
        }
        // An attempt given up unanswered (the SDK's attempt timeout drops it).
        let budget = RequestBudget::new(MAX_REQUESTS_PER_CALL);
        let connector = counting(Status(None));
        let timed_out = tokio::time::timeout(
            std::time::Duration::from_millis(10),
            budget.count(async { connector.call(HttpRequest::empty()).await }),
        )
        .await;
        assert!(timed_out.is_err(), "never answered");
        assert!(budget.may_have_applied_unseen());
    }
}
