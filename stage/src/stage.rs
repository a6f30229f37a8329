//! Starting and stopping a stage: configuration, wiring, and the running server's handle.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::authorizer::{AuthorizerConfigError, JwtAuthorizer};
use crate::cors::CorsConfig;
use crate::docs::{self, SwaggerUi};
use crate::events::PayloadVersion;
use crate::integration::{FunctionHandler, Integration};
use crate::issuer::{self, IssuerError, LocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER};
use crate::process_pool::{ProcessConfig, ProcessPool};
use crate::routes::{self, RoutesError};
use crate::server::{self, Gateway};
use crate::sink::LineSink;
use crate::store::{self, StoreConfig, StoreError};
use crate::throttle::{ThrottleConfig, TokenBucket};

/// API Gateway's request payload limit for HTTP APIs.
pub const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;
/// API Gateway's longest integration timeout for HTTP APIs.
pub const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);

/// How the stage runs its functions.
#[derive(Clone, Default)]
pub enum FunctionMode {
    /// Called directly in the stage's process, sharing one store (the default).
    #[default]
    InProcess,
    /// The real function binaries as child processes behind the Lambda Runtime API.
    Processes(ProcessConfig),
    /// Any in-process handler in place of the API's functions: for testing the stage itself.
    Custom(Arc<dyn FunctionHandler>),
}

impl std::fmt::Debug for FunctionMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FunctionMode::InProcess => f.write_str("InProcess"),
            FunctionMode::Processes(config) => f.debug_tuple("Processes").field(config).finish(),
            FunctionMode::Custom(_) => f.write_str("Custom"),
        }
    }
}

/// Whose tokens the authorizer accepts.
#[derive(Debug, Clone)]
pub enum AuthConfig {
    /// The local issuer, with its key in `key_file` (created on first use); tokens come from
    /// [`RunningStage::mint_token`], `local-stage token` or `POST /_local/token`.
    LocalIssuer {
        /// The PEM key file; `.local-stage/issuer.pem` at the project root by default.
        key_file: PathBuf,
    },
    /// Another issuer, e.g. a Cognito user pool: its `iss`, accepted audiences (app client
    /// ids) and a JWKS file (its `/.well-known/jwks.json`).
    External {
        /// The expected `iss`.
        issuer: String,
        /// Accepted `aud` (or `client_id`) values.
        audiences: Vec<String>,
        /// The JWKS file.
        jwks_file: PathBuf,
    },
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig::LocalIssuer {
            key_file: issuer::default_key_path(),
        }
    }
}

/// Everything a stage can be configured with. The default is what tests want: in-process
/// functions on the in-memory store, 127.0.0.1 on a free port, payload 2.0, the local issuer,
/// CORS for any origin, API Gateway's default throttling, access log on stdout.
#[derive(Debug, Clone)]
pub struct StageConfig {
    /// Where to listen; port 0 picks a free port (see [`RunningStage::url`]).
    pub address: SocketAddr,
    /// The event format the functions receive.
    pub payload: PayloadVersion,
    /// How functions run.
    pub functions: FunctionMode,
    /// The store in-process functions use; process mode passes a DynamoDB store to the
    /// processes (with the memory store they get none, which only store-less functions
    /// survive).
    pub store: StoreConfig,
    /// The JWT authorizer's issuer.
    pub auth: AuthConfig,
    /// The HTTP API's `cors_configuration`; `None` turns CORS off.
    pub cors: Option<CorsConfig>,
    /// Stage throttling.
    pub throttle: ThrottleConfig,
    /// Requests with a larger body are 413.
    pub max_request_bytes: usize,
    /// A function answering later than this is API Gateway's 503.
    pub integration_timeout: Duration,
    /// Where access-log lines go.
    pub access_log: LineSink,
    /// Where REPORT lines and integration errors go.
    pub reports: LineSink,
    /// The npm prefix Swagger UI is installed into for `GET /_local/docs` (on the page's first
    /// use): `.tools/swagger-ui` in the project.
    pub swagger_ui: PathBuf,
}

impl Default for StageConfig {
    fn default() -> Self {
        Self {
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            payload: PayloadVersion::V2,
            functions: FunctionMode::InProcess,
            store: StoreConfig::Memory,
            auth: AuthConfig::default(),
            cors: Some(CorsConfig::default()),
            throttle: ThrottleConfig::default(),
            max_request_bytes: MAX_REQUEST_BYTES,
            integration_timeout: INTEGRATION_TIMEOUT,
            access_log: LineSink::Stdout,
            reports: LineSink::Stdout,
            swagger_ui: docs::default_prefix(&std::env::current_dir().unwrap_or_default()),
        }
    }
}

/// Why a stage could not start.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The local issuer's key could not be loaded or created.
    #[error(transparent)]
    Issuer(#[from] IssuerError),
    /// The JWKS file could not be read or holds no usable key.
    #[error("JWKS file {path}: {reason}")]
    Jwks {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The authorizer could not be built from the keys.
    #[error(transparent)]
    Authorizer(#[from] AuthorizerConfigError),
    /// routes.json could not be used.
    #[error(transparent)]
    Routes(#[from] RoutesError),
    /// The store could not be set up.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Process mode needs function binaries that are not there.
    #[error("function binaries missing (build them first, e.g. cargo build): {}", .0.join(", "))]
    MissingBinaries(Vec<String>),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// A running stage. Stop it with [`RunningStage::shutdown`]; dropping it also stops it when
/// the runtime ends, killing any function processes.
pub struct RunningStage {
    address: SocketAddr,
    issuer: LocalIssuer,
    gateway: Arc<Gateway>,
    stop: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RunningStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningStage")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Starts a stage and returns once it accepts connections.
pub async fn start(config: StageConfig) -> Result<RunningStage, StageError> {
    let (issuer, authorizer, dev_issuer) = authorization(&config.auth)?;
    let routes = routes::table()?;
    let integration = match &config.functions {
        FunctionMode::Custom(handler) => Integration::InProcess(Arc::clone(handler)),
        FunctionMode::InProcess => {
            Integration::InProcess(store::in_process_functions(&config.store).await?)
        }
        FunctionMode::Processes(process_config) => {
            let functions: Vec<String> = routes::all()?.into_iter().map(|r| r.function).collect();
            let mut process_config = process_config.clone();
            // With the memory store the processes get no store settings: only functions that
            // need no store (as in tests of the stage itself) can work that way.
            if let StoreConfig::DynamoDb(dynamodb) = &config.store {
                store::prepare_tables(dynamodb).await?;
                process_config
                    .environment
                    .extend(dynamodb.process_environment());
            }
            let pool = ProcessPool::new(
                functions.iter().map(String::as_str),
                process_config,
                config.reports.clone(),
            );
            let missing: Vec<String> = pool
                .binaries()
                .into_iter()
                .filter(|binary| !binary.is_file())
                .map(|binary| binary.display().to_string())
                .collect();
            if !missing.is_empty() {
                return Err(StageError::MissingBinaries(missing));
            }
            Integration::Processes(pool)
        }
    };

    let listener = TcpListener::bind(config.address)
        .await
        .map_err(|source| StageError::Bind {
            address: config.address,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| StageError::Bind {
        address: config.address,
        source,
    })?;
    let gateway = Arc::new(Gateway {
        routes,
        authorizer,
        cors: config.cors.clone(),
        throttle: TokenBucket::new(config.throttle),
        payload: config.payload,
        max_request_bytes: config.max_request_bytes,
        integration,
        integration_timeout: config.integration_timeout,
        access_log: config.access_log.clone(),
        errors: config.reports.clone(),
        dev_issuer,
        port: address.port(),
        swagger_ui: SwaggerUi::new(config.swagger_ui.clone()),
    });
    let app = axum::Router::new()
        .fallback(server::handle)
        .with_state(Arc::clone(&gateway))
        .into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let graceful = axum::serve(listener, app).with_graceful_shutdown(async {
            // A dropped sender also stops the server.
            let _ = stopped.await;
        });
        // Serving only ends with an accept-loop error, which nothing here can repair.
        let _ = graceful.await;
    });
    Ok(RunningStage {
        address,
        issuer,
        gateway,
        stop: Some(stop),
        server,
    })
}

fn authorization(
    auth: &AuthConfig,
) -> Result<(LocalIssuer, JwtAuthorizer, Option<LocalIssuer>), StageError> {
    match auth {
        AuthConfig::LocalIssuer { key_file } => {
            let issuer = LocalIssuer::load_or_create(key_file)?;
            let authorizer = JwtAuthorizer::new(
                LOCAL_ISSUER,
                vec![LOCAL_AUDIENCE.to_owned()],
                &issuer.jwks()?,
            )?;
            Ok((issuer.clone(), authorizer, Some(issuer)))
        }
        AuthConfig::External {
            issuer: expected_issuer,
            audiences,
            jwks_file,
        } => {
            let jwks_error = |reason: String| StageError::Jwks {
                path: jwks_file.clone(),
                reason,
            };
            let text = std::fs::read_to_string(jwks_file).map_err(|e| jwks_error(e.to_string()))?;
            let jwks = serde_json::from_str(&text).map_err(|e| jwks_error(e.to_string()))?;
            let authorizer = JwtAuthorizer::new(expected_issuer.clone(), audiences.clone(), &jwks)?;
            // Minted tokens cannot pass this authorizer; the local key still signs them so
            // `mint_token` keeps working, and the dev endpoint is off.
            let issuer = LocalIssuer::load_or_create(&issuer::default_key_path())?;
            Ok((issuer, authorizer, None))
        }
    }
}

impl RunningStage {
    /// The stage's base URL, e.g. `http://127.0.0.1:3000`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address the stage listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A token from the local issuer for `sub` in `groups` (e.g. `&["admin"]`), valid for an
    /// hour. Signing with a loaded RSA key cannot fail short of a broken crypto backend, which
    /// would make every test meaningless, so that case panics with the reason.
    pub fn mint_token(&self, sub: &str, groups: &[&str]) -> String {
        match self
            .issuer
            .mint(sub, groups, issuer::DEFAULT_TOKEN_LIFETIME)
        {
            Ok(token) => token,
            Err(error) => panic!("the local issuer could not sign a token: {error}"),
        }
    }

    /// The local issuer, to sign unusual tokens (expired, other audience) in tests.
    pub fn issuer(&self) -> &LocalIssuer {
        &self.issuer
    }

    /// Stops accepting requests, lets in-flight ones finish, and kills function processes.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The server task only ends by the signal above; a join error means it panicked,
        // and there is nothing left to stop then.
        let _ = (&mut self.server).await;
        self.gateway.integration.shutdown().await;
    }
}
