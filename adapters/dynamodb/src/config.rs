//! Configuration from the environment, as AWS does it: region and credentials from the default
//! chain, `AWS_ENDPOINT_URL_DYNAMODB` for a local endpoint. The table names are the functions'
//! own variables, read with the rest of a function's configuration (`items-apigateway`).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_smithy_http_client::tls;

/// The two tables the repository uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    /// The items table.
    pub items: String,
    /// The idempotency records table.
    pub idempotency: String,
}

/// How long the SDK may take. Well under a Lambda timeout: a store that does not answer in time
/// becomes a 503 the caller can retry, not a function timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a connection (TCP and TLS).
    pub connect: Duration,
    /// One attempt of a request.
    pub attempt: Duration,
    /// A whole operation, retries included.
    pub operation: Duration,
    /// Attempts per operation (standard retry mode, exponential backoff with jitter).
    pub max_attempts: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(1000),
            attempt: Duration::from_millis(2000),
            operation: Duration::from_millis(5000),
            max_attempts: 3,
        }
    }
}

/// Why the repository could not be configured; the message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No region in the environment or profile.
    #[error("no AWS region is configured (set AWS_REGION)")]
    MissingRegion,
}

/// The project's SDK settings, ready for more (region, endpoint, credentials) before loading:
/// one TLS stack (rustls with ring), explicit timeouts and the standard retry mode. Every
/// DynamoDB client of the project starts here.
pub fn sdk_config_loader(timeouts: Timeouts) -> ConfigLoader {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeouts.connect)
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.operation)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(timeouts.max_attempts))
}

/// The SDK configuration from the environment (region, credentials chain,
/// `AWS_ENDPOINT_URL_DYNAMODB`) with the project's settings; a missing region fails now rather
/// than on the first request.
pub async fn sdk_config_from_env(timeouts: Timeouts) -> Result<SdkConfig, ConfigError> {
    let config = sdk_config_loader(timeouts).load().await;
    if config.region().is_none() {
        return Err(ConfigError::MissingRegion);
    }
    Ok(config)
}
