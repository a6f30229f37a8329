//! The AWS SDK configuration every client of the project starts from: one TLS stack (rustls
//! with ring) trusting Amazon's roots (compiled in), explicit timeouts and the standard retry
//! mode, and the region and credentials read from where Lambda puts them. The DynamoDB
//! repository, the stream function's EventBridge publisher, the bench's floors and the local
//! stage all build their clients from [`sdk_config_loader`] or [`sdk_config_from_env`].

use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};

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

/// Why the SDK could not be configured; the message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No region in the environment or profile.
    #[error("no AWS region is configured (set AWS_REGION)")]
    MissingRegion,
}

/// The roots of Amazon Trust Services, which every AWS service endpoint's certificate chains to
/// (PEM, with each root's subject and SHA-256 fingerprint above it).
pub const AMAZON_TRUST_SERVICES_ROOTS: &str = include_str!("../certs/amazon-trust-services.pem");

/// Variables that name a trust bundle for the platform's root store (OpenSSL's convention, read
/// by the SDK's native root loader). A user behind a TLS-inspecting proxy, or a local TLS
/// endpoint, sets one of these.
const TRUST_BUNDLE_VARIABLES: [&str; 2] = ["SSL_CERT_FILE", "SSL_CERT_DIR"];

/// The certificates TLS connections trust: Amazon Trust Services' roots, compiled in, unless
/// the environment names a trust bundle, which then replaces them. Loading the platform's root
/// store reads and parses every certificate it holds (about 3 ms of cold init, in the warm-up);
/// five compiled-in roots cost almost nothing, and a store that trusts only the authorities
/// AWS endpoints use is a narrower trust than the whole platform list.
fn trust_store() -> TrustStore {
    if TRUST_BUNDLE_VARIABLES.into_iter().any(is_set) {
        TrustStore::default()
    } else {
        TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS)
    }
}

/// Whether the environment holds a variable; how the shortcuts below decide.
fn is_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| !value.is_empty())
}

/// The project's SDK settings, ready for more (region, endpoint, credentials) before loading:
/// one TLS stack (rustls with ring) trusting [`trust_store`], explicit timeouts and the standard
/// retry mode, and no stalled-stream monitor (the timeouts end a stalled request first). Every
/// AWS client of the project starts here.
///
/// Where Lambda puts the region and credentials (`AWS_REGION`, `AWS_ACCESS_KEY_ID`), they are
/// taken from there directly. The SDK's default chains look there first too, so the result is
/// the same; skipping the chains saves building their other providers (profile files, web
/// identity, container and instance metadata) at every cold start.
pub fn sdk_config_loader(timeouts: Timeouts) -> ConfigLoader {
    let mut http_client = aws_smithy_http_client::Builder::new().tls_provider(
        tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring),
    );
    // Building a context cannot fail today (its `Result` is for future checks); if it ever
    // does, the SDK's default, the platform's roots, stays.
    if let Ok(context) = TlsContext::builder()
        .with_trust_store(trust_store())
        .build()
    {
        http_client = http_client.tls_context(context);
    }
    let http_client = http_client.build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeouts.connect)
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.operation)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(timeouts.max_attempts))
        // The stalled-stream monitor times every body a request sends or receives, and only
        // cuts one after its grace period (20 s), longer than the whole operation may take: the
        // attempt and operation timeouts end a stalled request first. Off, a request polls no
        // monitor (a few microseconds of CPU per store call, which a 128 MB function pays ~14x).
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    if let Some(region) = std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()) {
        loader = loader.region(Region::new(region));
    }
    if is_set("AWS_ACCESS_KEY_ID") && is_set("AWS_SECRET_ACCESS_KEY") {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    loader
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

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    #[tokio::test]
    async fn a_stalled_request_is_ended_by_the_timeouts_not_a_stream_monitor() {
        let timeouts = Timeouts::default();
        let config = sdk_config_loader(timeouts)
            .region(Region::new("us-east-1"))
            .load()
            .await;
        let monitor = config
            .stalled_stream_protection()
            .expect("the loader sets it");
        assert!(!monitor.is_enabled());
        let limits = config.timeout_config().expect("the loader sets them");
        assert_eq!(limits.operation_timeout(), Some(timeouts.operation));
        assert_eq!(limits.operation_attempt_timeout(), Some(timeouts.attempt));
        // What the monitor would wait before cutting a stalled body, were it on.
        let grace = StalledStreamProtectionConfig::enabled()
            .build()
            .grace_period();
        assert!(timeouts.operation < grace);
    }

    #[test]
    fn the_compiled_in_roots_are_the_five_amazon_trust_services_certificates() {
        let roots: Vec<CertificateDer> =
            CertificateDer::pem_slice_iter(AMAZON_TRUST_SERVICES_ROOTS.as_bytes())
                .collect::<Result<_, _>>()
                .expect("the bundle is valid PEM");
        assert_eq!(roots.len(), 5);
        let mut store = rustls::RootCertStore::empty();
        let (valid, invalid) = store.add_parsable_certificates(roots);
        assert_eq!(
            (valid, invalid),
            (5, 0),
            "each root is a usable trust anchor"
        );
    }
}
