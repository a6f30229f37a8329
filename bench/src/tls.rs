//! The bench's TLS mode: a local TLS proxy in front of the plain-HTTP DynamoDB server, with a
//! throwaway CA, so a cold start pays the TLS handshake it pays on AWS. The functions are told to
//! trust the CA explicitly: `SSL_CERT_FILE` (which replaces the compiled-in roots) names a bundle
//! of those same Amazon Trust Services roots plus the throwaway CA, so loading the root store
//! costs about what it costs on AWS, and `AWS_ENDPOINT_URL_DYNAMODB` is `https://localhost:PORT`.

use std::path::PathBuf;
use std::sync::Arc;

use items_dynamodb::ENDPOINT_ENV;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::BoxError;

/// Where the CA bundle is written.
const BUNDLE: &str = "target/bench/tls-ca-bundle.pem";

/// A running TLS proxy.
pub(crate) struct Proxy {
    port: u16,
    bundle: PathBuf,
    server: JoinHandle<()>,
}

impl Proxy {
    /// Makes a throwaway CA and a `localhost` certificate it signs, writes the trust bundle, and
    /// forwards every TLS connection on a free loopback port to `upstream` (`host:port`).
    pub(crate) async fn start(upstream: String) -> Result<Self, BoxError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "items-bench throwaway CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
        let leaf_key = KeyPair::generate()?;
        let leaf =
            CertificateParams::new(vec!["localhost".to_owned()])?.signed_by(&leaf_key, &ca)?;

        let mut bundle_text = items_sdk_config::AMAZON_TRUST_SERVICES_ROOTS.to_owned();
        bundle_text.push_str(&ca.pem());
        let bundle = PathBuf::from(BUNDLE);
        if let Some(dir) = bundle.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&bundle, bundle_text)?;

        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone(), ca.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let server = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = client.set_nodelay(true);
                    let Ok(mut client) = acceptor.accept(client).await else {
                        return;
                    };
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let _ = server.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Ok(Self {
            port,
            bundle,
            server,
        })
    }

    /// `environment` with the store reached through the proxy and the CA trusted.
    pub(crate) fn environment(&self, environment: &[(String, String)]) -> Vec<(String, String)> {
        let mut environment: Vec<(String, String)> = environment
            .iter()
            .filter(|(name, _)| name != ENDPOINT_ENV && name != "SSL_CERT_FILE")
            .cloned()
            .collect();
        environment.push((
            ENDPOINT_ENV.to_owned(),
            format!("https://localhost:{}", self.port),
        ));
        environment.push((
            "SSL_CERT_FILE".to_owned(),
            self.bundle.to_string_lossy().into_owned(),
        ));
        environment
    }

    /// Stops accepting connections.
    pub(crate) fn stop(self) {
        self.server.abort();
    }
}
