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
        if request.extension::<Counted>().is_none() {
            request.add_extension(Counted);
            let _ = CALL_BUDGET.try_with(|budget| budget.sent.fetch_add(1, Ordering::Relaxed));
        }
        self.inner.call(request)
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
    }
}
