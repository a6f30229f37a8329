//! Starting and stopping a stage: configuration, wiring the emulators to this API, and the
//! running stage's handle.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use apigateway_emulator::{
    CorsConfig, GatewayConfig, Integration, LineSink, LocalIssuer, PayloadVersion, Server,
    ThrottleConfig, DEFAULT_TOKEN_LIFETIME, INTEGRATION_TIMEOUT, MAX_REQUEST_BYTES,
};
use items_domain::ChangeEvents;
use lambda_emulator::stream_mapping::StreamMapping;
use lambda_emulator::{ProcessConfig, ProcessPool};
use tokio::task::JoinHandle;
use xray_emulator::XrayDaemon;

use crate::auth::{AuthConfig, Authorization};
use crate::docs::{self, SwaggerUi};
use crate::error::StageError;
use crate::events::{follow_change_feed, EventLog};
use crate::functions::in_process_functions;
use crate::gateway::{serve_gateway, Api};
use crate::local_endpoints::{self, LocalState};
use crate::processes::{function_processes, report_sink, FunctionProcesses};
use crate::routes;
use crate::store::StoreConfig;
use crate::streams::{map_streams, StreamFunctions};
use crate::traces::TracedFunctions;

/// How the stage runs its functions.
#[derive(Clone, Default)]
pub enum FunctionMode {
    /// Called directly in the stage's process, sharing one store (the default).
    #[default]
    InProcess,
    /// The real function binaries as child processes behind the Lambda Runtime API.
    Processes(ProcessConfig),
    /// Any integration in place of the API's functions: for testing the stage itself.
    Custom(Arc<dyn Integration>),
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

/// This API's CORS configuration, as the Terraform's `cors_configuration` sets it: any origin,
/// the routes' methods and `OPTIONS` (sorted, as the Terraform sorts them), the headers it
/// reads, and the ones a client reads.
pub fn api_cors() -> CorsConfig {
    let list = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect();
    let methods: std::collections::BTreeSet<&str> = items_apigateway::Route::ALL
        .iter()
        .filter_map(|route| route.route_key().split_once(' ').map(|(method, _)| method))
        .chain(["OPTIONS"])
        .collect();
    CorsConfig {
        allow_origins: list(&["*"]),
        allow_methods: methods.into_iter().map(str::to_owned).collect(),
        allow_headers: list(&[
            "authorization",
            "content-type",
            "idempotency-key",
            "if-match",
        ]),
        expose_headers: list(&["etag", "location", "x-request-id", "retry-after"]),
        max_age: Some(600),
        allow_credentials: false,
    }
}

/// Everything a stage can be configured with. The default is what tests want: in-process
/// functions on the in-memory store, 127.0.0.1 on a free port, payload 2.0, the local issuer,
/// the API's CORS configuration, API Gateway's default throttling, access log on stdout.
#[derive(Debug, Clone)]
pub struct StageConfig {
    /// Where to listen; port 0 picks a free port (see [`RunningStage::url`]).
    pub address: SocketAddr,
    /// Whether `address` may be other than a loopback address: anyone who reaches it can
    /// call the API (the local-only endpoints still answer loopback clients only).
    pub allow_non_loopback: bool,
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
    /// Whether the stage delivers change events to its event bus (the memory store's feed, or
    /// the mapping of the table's stream). On by default; tests that count every request the
    /// store receives turn it off, since reading the stream is requests too.
    pub change_events: bool,
    /// The npm prefix Swagger UI is installed into for `GET /_local/docs` (on the page's first
    /// use): `.tools/swagger-ui` in the project.
    pub swagger_ui: PathBuf,
}

impl Default for StageConfig {
    fn default() -> Self {
        Self {
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            allow_non_loopback: false,
            payload: PayloadVersion::V2,
            functions: FunctionMode::InProcess,
            store: StoreConfig::Memory,
            auth: AuthConfig::default(),
            cors: Some(api_cors()),
            throttle: ThrottleConfig::default(),
            max_request_bytes: MAX_REQUEST_BYTES,
            integration_timeout: INTEGRATION_TIMEOUT,
            access_log: LineSink::Stdout,
            reports: LineSink::Stdout,
            change_events: true,
            swagger_ui: docs::default_prefix(&std::env::current_dir().unwrap_or_default()),
        }
    }
}

/// A running stage. Stop it with [`RunningStage::shutdown`]; dropping it also stops it when
/// the runtime ends, killing any function processes.
pub struct RunningStage {
    server: Server,
    signer: LocalIssuer,
    processes: Option<Arc<ProcessPool>>,
    events: Option<EventLog>,
    /// What delivers change events to the bus; stopped with the stage.
    delivery: Delivery,
}

impl std::fmt::Debug for RunningStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningStage")
            .field("address", &self.server.address())
            .finish_non_exhaustive()
    }
}

/// Starts a stage and returns once it accepts connections.
pub async fn start(config: StageConfig) -> Result<RunningStage, StageError> {
    if !config.address.ip().to_canonical().is_loopback() && !config.allow_non_loopback {
        return Err(StageError::NonLoopback(config.address));
    }
    if let Some(cors) = &config.cors {
        cors.validate()?;
    }
    let authorization = Authorization::new(&config.auth)?;
    let routes = routes::table()?;
    let traces = Arc::new(XrayDaemon::start().await.map_err(StageError::Traces)?);
    let wiring = integration(&config, &traces).await?;
    let local = local_endpoints::router(LocalState {
        issuer: authorization.token_endpoint_issuer,
        swagger_ui: Arc::new(SwaggerUi::new(config.swagger_ui.clone())),
        errors: config.reports.clone(),
        events: wiring.events.clone(),
        traces: Arc::clone(&traces),
    });
    let api = Api {
        routes,
        authorizer: authorization.authorizer,
        functions: wiring.integration,
    };
    let gateway = GatewayConfig {
        payload: config.payload,
        cors: config.cors.clone(),
        throttle: config.throttle,
        max_request_bytes: config.max_request_bytes,
        integration_timeout: config.integration_timeout,
        access_log: config.access_log.clone(),
        errors: config.reports.clone(),
    };
    let server = serve_gateway(config.address, api, traces, gateway, local)
        .await
        .map_err(|source| StageError::Bind {
            address: config.address,
            source,
        })?;
    Ok(RunningStage {
        server,
        signer: authorization.signer,
        processes: wiring.processes,
        events: wiring.events,
        delivery: wiring.delivery,
    })
}

/// What serves the routes, and what runs beside it.
struct Wiring {
    /// The integration behind every route.
    integration: Arc<dyn Integration>,
    /// The process pool to stop with the stage.
    processes: Option<Arc<ProcessPool>>,
    /// The local event bus the stage's change events go to.
    events: Option<EventLog>,
    /// What delivers change events to it: the memory store's feed, or the mappings of the
    /// table's stream.
    delivery: Delivery,
}

/// What delivers change events; stopped with the stage.
#[derive(Default)]
struct Delivery {
    tasks: Vec<JoinHandle<()>>,
    mappings: Vec<StreamMapping>,
}

impl Delivery {
    fn stop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        // A mapping stops when dropped.
        self.mappings.clear();
    }
}

/// The functions' integration (before Lambda's trace segments are added) and what runs beside
/// it; function processes send their traces to `traces`.
async fn integration(config: &StageConfig, traces: &Arc<XrayDaemon>) -> Result<Wiring, StageError> {
    let start_bus = || async {
        EventLog::start(config.reports.clone())
            .await
            .map_err(StageError::EventBus)
    };
    Ok(match &config.functions {
        FunctionMode::Custom(integration) => Wiring {
            integration: Arc::clone(integration),
            processes: None,
            events: None,
            delivery: Delivery::default(),
        },
        FunctionMode::InProcess => {
            let (integration, feed) =
                in_process_functions(&config.store, Arc::clone(traces)).await?;
            if !config.change_events {
                return Ok(Wiring {
                    integration,
                    processes: None,
                    events: None,
                    delivery: Delivery::default(),
                });
            }
            let bus = start_bus().await?;
            let mut delivery = Delivery::default();
            if let Some(feed) = feed {
                let events = ChangeEvents::new(Arc::new(bus.publisher().await));
                delivery
                    .tasks
                    .push(follow_change_feed(feed, events, config.reports.clone()));
            }
            if let StoreConfig::DynamoDb(store) = &config.store {
                let functions = StreamFunctions::InProcess(bus.clone());
                delivery.mappings =
                    map_streams(store, functions, report_sink(&config.reports)).await?;
            }
            Wiring {
                integration,
                processes: None,
                events: Some(bus),
                delivery,
            }
        }
        FunctionMode::Processes(process_config) => {
            // Separate processes cannot share the memory store, so only a DynamoDB store has
            // changes to publish.
            let (bus, store) = match &config.store {
                StoreConfig::DynamoDb(store) if config.change_events => {
                    (Some(start_bus().await?), Some(store))
                }
                _ => (None, None),
            };
            let pool = function_processes(
                process_config,
                &config.store,
                bus.as_ref(),
                traces,
                &config.reports,
            )
            .await?;
            let mut delivery = Delivery::default();
            if let Some(store) = store {
                let functions = StreamFunctions::Processes(Arc::new(TracedFunctions {
                    functions: Arc::new(FunctionProcesses(Arc::clone(&pool))),
                    daemon: Arc::clone(traces),
                }));
                delivery.mappings =
                    map_streams(store, functions, report_sink(&config.reports)).await?;
            }
            Wiring {
                integration: Arc::new(FunctionProcesses(Arc::clone(&pool))),
                processes: Some(pool),
                events: bus,
                delivery,
            }
        }
    })
}

impl RunningStage {
    /// The stage's base URL, e.g. `http://127.0.0.1:3000`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.address())
    }

    /// The address the stage listens on.
    pub fn address(&self) -> SocketAddr {
        self.server.address()
    }

    /// A token from the local issuer for `sub` in `groups` (e.g. `&["admin"]`), valid for an
    /// hour. Signing with a loaded RSA key cannot fail short of a broken crypto backend, which
    /// would make every test meaningless, so that case panics with the reason.
    pub fn mint_token(&self, sub: &str, groups: &[&str]) -> String {
        match self.signer.mint(sub, groups, DEFAULT_TOKEN_LIFETIME) {
            Ok(token) => token,
            #[allow(clippy::panic, reason = "see above: no test could run without signing")]
            Err(error) => panic!("the local issuer could not sign a token: {error}"),
        }
    }

    /// The local issuer, to sign unusual tokens (expired, other audience) in tests.
    pub fn issuer(&self) -> &LocalIssuer {
        &self.signer
    }

    /// The change events the stage's event bus received so far, oldest first, as an
    /// EventBridge rule's target receives them (also at `GET /_local/events`); `None` when the
    /// stage publishes none (a custom integration).
    pub fn events(&self) -> Option<Vec<serde_json::Value>> {
        self.events.as_ref().map(EventLog::events)
    }

    /// The stage's event bus itself, to take it down in tests; `None` as for [`Self::events`].
    pub fn event_log(&self) -> Option<&EventLog> {
        self.events.as_ref()
    }

    /// Stops accepting requests, lets in-flight ones finish, stops delivering change events,
    /// and kills function processes.
    pub async fn shutdown(mut self) {
        self.server.shutdown().await;
        self.delivery.stop();
        if let Some(processes) = self.processes {
            processes.shutdown().await;
        }
    }
}
