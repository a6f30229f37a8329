//! A stage served from what Terraform applied ([`AppliedStage`]): the API Gateway emulator with
//! the applied routes, authorizer, CORS, throttling and integration settings, and each
//! function's real binary in its own Lambda emulator pool with exactly its applied environment,
//! memory and timeout, plus the endpoint and the credentials of the principal standing in for
//! its role. The stream mapping reads the applied table's stream under the stream function's
//! principal, as Lambda reads it with the function's role.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use apigateway_emulator::{
    GatewayConfig, Integration, IntegrationFuture, LineSink, RouteTable, Server, MAX_REQUEST_BYTES,
};
use lambda_emulator::stream_mapping::{StartingPosition, StreamMapping, StreamMappingConfig};
use lambda_emulator::{CpuModel, InvokeError, ProcessConfig, ProcessPool};
use serde::Deserialize;
use serde_json::Value;
use xray_emulator::XrayDaemon;

use crate::applied::{AppliedFunction, AppliedStage, AppliedStreamMapping};
use crate::applied_events;
use crate::auth::{AuthConfig, Authorization};
use crate::gateway::{serve_gateway, Api};
use crate::local_endpoints::traces_router;
use crate::processes::{function_failure, report_sink};
use crate::traces::{mapping_invoke, TracedFunctions};

/// The keys of the principal a function runs as (`scripts/offline_aws.py principals`).
#[derive(Debug, Clone, Deserialize)]
pub struct Principal {
    /// Its access key id.
    #[serde(rename = "AWS_ACCESS_KEY_ID")]
    pub access_key_id: String,
    /// Its secret.
    #[serde(rename = "AWS_SECRET_ACCESS_KEY")]
    pub secret_access_key: String,
}

/// How to serve an applied stage.
#[derive(Debug, Clone)]
pub struct AppliedServeConfig {
    /// What was applied.
    pub stage: AppliedStage,
    /// Each function's principal, by function name.
    pub principals: HashMap<String, Principal>,
    /// The authorizer issuer's JWKS (a file: the issuer's host is not this machine).
    pub jwks_file: PathBuf,
    /// The AWS-compatible endpoint every function and the stream mapping call.
    pub endpoint: String,
    /// Where the binaries are, each named after its package.
    pub functions_dir: PathBuf,
    /// Processes per function at once.
    pub max_processes: usize,
    /// CPU per function process: Lambda's share for the function's applied memory size, or
    /// unthrottled.
    pub cpu_model: CpuModel,
    /// Where to listen.
    pub address: SocketAddr,
    /// Where REPORT lines, integration errors and the access log go.
    pub reports: LineSink,
}

/// Why the applied stage could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppliedServeError {
    /// A setting cannot be served.
    #[error("{0}")]
    Config(String),
    /// The authorizer could not be built.
    #[error(transparent)]
    Stage(#[from] crate::StageError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// A running applied stage; dropping it stops the mappings, [`Self::shutdown`] everything.
pub struct RunningAppliedStage {
    server: Server,
    pools: Arc<BTreeMap<String, Arc<ProcessPool>>>,
    _mappings: Vec<StreamMapping>,
}

impl RunningAppliedStage {
    /// The stage's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.address())
    }

    /// Stops serving and kills the function processes.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
        for pool in self.pools.values() {
            pool.shutdown().await;
        }
    }
}

/// Starts serving `config.stage`.
pub async fn serve_applied(
    config: AppliedServeConfig,
) -> Result<RunningAppliedStage, AppliedServeError> {
    let stage = &config.stage;
    let authorization = Authorization::new(&AuthConfig::External {
        issuer: stage.authorizer.issuer.clone(),
        audiences: stage.authorizer.audiences.clone(),
        jwks_file: config.jwks_file.clone(),
    })?;
    if let Some(cors) = &stage.cors {
        cors.validate()
            .map_err(|e| AppliedServeError::Config(format!("the applied CORS: {e}")))?;
    }
    let routes = RouteTable::new(
        stage
            .routes
            .iter()
            .map(|route| (route.route_key.as_str(), route.function_name.clone())),
    )
    .map_err(|e| AppliedServeError::Config(format!("an applied route key: {e}")))?;

    let traces = Arc::new(
        XrayDaemon::start()
            .await
            .map_err(|e| AppliedServeError::Config(format!("the local X-Ray daemon: {e}")))?,
    );
    let mut pools = BTreeMap::new();
    for function in stage.functions.values() {
        pools.insert(
            function.function_name.clone(),
            Arc::new(function_pool(function, &config, &traces)?),
        );
    }
    let pools = Arc::new(pools);

    let mut mappings = Vec::new();
    for mapping in &stage.stream_mappings {
        mappings.push(start_mapping(mapping, &pools, &traces, &config).await?);
    }

    // The local stage's own endpoints (token, docs) do not apply to a deployed stage; the
    // events endpoint reads what the applied rule delivered, and the traces endpoints show
    // what the functions sent to the stage's daemon.
    let local = traces_router(Arc::clone(&traces));
    let local = match &stage.event_log_group {
        Some(group) => local.merge(applied_events::router(&config.endpoint, group.clone()).await),
        None => local,
    };
    let api = Api {
        routes,
        authorizer: authorization.authorizer,
        functions: Arc::new(Pools(Arc::clone(&pools))),
    };
    let gateway = GatewayConfig {
        payload: stage.payload,
        cors: stage.cors.clone(),
        throttle: stage.throttle,
        max_request_bytes: MAX_REQUEST_BYTES,
        integration_timeout: stage.integration_timeout,
        access_log: config.reports.clone(),
        errors: config.reports.clone(),
    };
    let server = serve_gateway(config.address, api, traces, gateway, local)
        .await
        .map_err(|source| AppliedServeError::Bind {
            address: config.address,
            source,
        })?;
    Ok(RunningAppliedStage {
        server,
        pools,
        _mappings: mappings,
    })
}

/// The endpoint variables the SDKs read, and the principal's keys.
fn endpoint_environment(principal: &Principal, endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        (items_dynamodb::ENDPOINT_ENV, endpoint),
        (items_eventbridge::ENDPOINT_ENV, endpoint),
        ("AWS_ACCESS_KEY_ID", principal.access_key_id.as_str()),
        (
            "AWS_SECRET_ACCESS_KEY",
            principal.secret_access_key.as_str(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

fn principal_of<'a>(
    function: &str,
    config: &'a AppliedServeConfig,
) -> Result<&'a Principal, AppliedServeError> {
    config.principals.get(function).ok_or_else(|| {
        AppliedServeError::Config(format!(
            "no principal for function {function} in the principals file: it would run with no credentials"
        ))
    })
}

/// One function's pool: its binary (named after its package), its applied settings, and with
/// active tracing the address of the stage's X-Ray daemon `traces`.
fn function_pool(
    function: &AppliedFunction,
    config: &AppliedServeConfig,
    traces: &XrayDaemon,
) -> Result<ProcessPool, AppliedServeError> {
    let principal = principal_of(&function.function_name, config)?;
    let mut environment = function.environment.clone();
    environment.extend(endpoint_environment(principal, &config.endpoint));
    if function.active_tracing {
        environment.extend(traces.lambda_environment());
    }
    let binary = config.functions_dir.join(&function.package);
    if !binary.is_file() {
        return Err(AppliedServeError::Config(format!(
            "function {}: binary {} is missing (build package {})",
            function.function_name,
            binary.display(),
            function.package
        )));
    }
    // The pool names a process after its binary; Lambda's own variable names the function.
    environment.push((
        "AWS_LAMBDA_FUNCTION_NAME".to_owned(),
        function.function_name.clone(),
    ));
    Ok(ProcessPool::new(
        [function.package.as_str()],
        ProcessConfig {
            functions_dir: config.functions_dir.clone(),
            max_processes: config.max_processes,
            timeout: function.timeout,
            memory_size_mb: function.memory_size_mb,
            environment,
            cpu_model: config.cpu_model,
        },
        report_sink(&config.reports),
    ))
}

/// The pools as the gateway's integration: a route's target is its function's name.
struct Pools(Arc<BTreeMap<String, Arc<ProcessPool>>>);

fn package_of(pool: &ProcessPool) -> String {
    pool.binaries()
        .first()
        .and_then(|binary| binary.file_name())
        .and_then(|name| name.to_str())
        .unwrap_or_default()
        .to_owned()
}

async fn invoke_pool(
    pools: &BTreeMap<String, Arc<ProcessPool>>,
    function: &str,
    event: Value,
    trace_id: &str,
) -> Result<Value, InvokeError> {
    let pool = pools
        .get(function)
        .ok_or_else(|| InvokeError::UnknownFunction(function.to_owned()))?;
    pool.invoke(&package_of(pool), event, trace_id).await
}

impl Integration for Pools {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        event: Value,
        trace_id: &'a str,
    ) -> IntegrationFuture<'a> {
        Box::pin(async move {
            invoke_pool(&self.0, function, event, trace_id)
                .await
                .map_err(function_failure)
        })
    }
}

/// The applied mapping of a table's stream to its function; each batch is invoked in a new
/// trace, under Lambda's segment recorded in `traces`.
async fn start_mapping(
    mapping: &AppliedStreamMapping,
    pools: &Arc<BTreeMap<String, Arc<ProcessPool>>>,
    traces: &Arc<XrayDaemon>,
    config: &AppliedServeConfig,
) -> Result<StreamMapping, AppliedServeError> {
    if !mapping.report_batch_item_failures {
        // The stream function answers with partial batch responses; without this response
        // type Lambda ignores them and the records it reports failed are lost.
        return Err(AppliedServeError::Config(format!(
            "the mapping of {}'s stream to {} lacks function_response_types = [\"ReportBatchItemFailures\"]: the function's partial batch responses would be ignored and the records it reports failed lost",
            mapping.table_name, mapping.function_name
        )));
    }
    let principal = principal_of(&mapping.function_name, config)?;
    let sdk = items_sdk_config::sdk_config_loader(items_sdk_config::Timeouts::default())
        .endpoint_url(&config.endpoint)
        .region(aws_config::Region::new(lambda_emulator::region()))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            &principal.access_key_id,
            &principal.secret_access_key,
            None,
            None,
            "applied-stage",
        ))
        .load()
        .await;
    let client = aws_sdk_dynamodbstreams::Client::new(&sdk);
    let mut settings = StreamMappingConfig::new(&mapping.table_name);
    settings.batch_size = mapping.batch_size;
    settings.max_retry_attempts = u32::try_from(mapping.max_retry_attempts).unwrap_or(u32::MAX);
    settings.starting_position = if mapping.starting_position == "LATEST" {
        StartingPosition::Latest
    } else {
        StartingPosition::TrimHorizon
    };
    let functions = TracedFunctions {
        functions: Arc::new(Pools(Arc::clone(pools))),
        daemon: Arc::clone(traces),
    };
    let invoke = mapping_invoke(Arc::new(functions), &mapping.function_name);
    StreamMapping::start(client, settings, invoke, report_sink(&config.reports))
        .await
        .map_err(|e| AppliedServeError::Config(format!("the stream mapping: {e}")))
}

/// Reads the principals file: `{"<function name>": {"AWS_ACCESS_KEY_ID": ..., ...}}`.
pub fn read_principals(path: &Path) -> Result<HashMap<String, Principal>, AppliedServeError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppliedServeError::Config(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| AppliedServeError::Config(format!("{}: {e}", path.display())))
}

/// What the stage prints on start-up about itself: the routes, and what it does not honour.
pub fn describe(stage: &AppliedStage) -> Vec<String> {
    let mut lines = vec![format!(
        "routes (from the applied state, payload {:?}, integration timeout {:?}, throttling burst {} rate {}):",
        stage.payload, stage.integration_timeout, stage.throttle.burst, stage.throttle.rate
    )];
    for route in &stage.routes {
        let Some(function) = stage.functions.get(&route.function_name) else {
            continue;
        };
        lines.push(format!(
            "  {:<22} {} (binary {}, {} MB, timeout {:?}, {} variables)",
            route.route_key,
            route.function_name,
            function.package,
            function.memory_size_mb,
            function.timeout,
            function.environment.len()
        ));
    }
    lines.push(format!(
        "authorizer: issuer {}, audience {:?}",
        stage.authorizer.issuer, stage.authorizer.audiences
    ));
    for mapping in &stage.stream_mappings {
        lines.push(format!(
            "stream: {} -> {} (batch {}, retries {}, from {})",
            mapping.table_name,
            mapping.function_name,
            mapping.batch_size,
            mapping.max_retry_attempts,
            mapping.starting_position
        ));
    }
    lines.push("not honoured (the emulators cannot read these back or act on them):".to_owned());
    lines.extend(stage.gaps.iter().map(|gap| format!("  - {gap}")));
    lines
}
