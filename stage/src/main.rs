//! `local-stage serve` runs the whole API on this machine as API Gateway would serve it;
//! `local-stage token` prints a token the local stage accepts.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: what it prints is its output"
)]

mod serve_applied;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use items_apigateway::config::{IDEMPOTENCY_TABLE_ENV, ITEMS_TABLE_ENV};
use items_dynamodb::ENDPOINT_ENV;
use lambda_emulator::CpuModel;
use local_stage::{
    api_cors, default_key_path, AuthConfig, CorsConfig, DynamoDbStore, FunctionMode, LineSink,
    LocalIssuer, PayloadVersion, ProcessConfig, RunningStage, StageConfig, StoreConfig,
    ThrottleConfig,
};

/// The items API on one machine, served as API Gateway serves it.
#[derive(Parser)]
#[command(name = "local-stage", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (in-process on the in-memory store unless told otherwise).
    Serve(Box<ServeArgs>),
    /// Print a token from the local issuer, for `Authorization: Bearer <token>`.
    Token(TokenArgs),
    /// Serve a stage Terraform applied, from its `terraform show -json` (scripts/deploy-offline).
    ServeApplied(serve_applied::ServeAppliedArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on; anything but a loopback address needs --allow-non-loopback.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Allow --host to be reachable from other machines: anyone who reaches it can call the
    /// API (the local-only endpoints still answer this machine only).
    #[arg(long)]
    allow_non_loopback: bool,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Event payload format: 2.0 (HTTP API) or 1.0 (REST API proxy events).
    #[arg(long, default_value = "2.0", value_parser = ["2.0", "1.0"])]
    payload: String,
    /// How functions run: in this process, or as the real binaries behind the Runtime API.
    #[arg(long, value_enum, default_value_t = Mode::InProcess)]
    mode: Mode,
    /// Where the function binaries are, in process mode.
    #[arg(long, default_value = "target/debug")]
    functions_dir: PathBuf,
    /// Most processes per function at once, in process mode.
    #[arg(long, default_value_t = 4)]
    max_processes: usize,
    /// Function timeout in seconds, in process mode.
    #[arg(long, default_value_t = 10)]
    function_timeout: u64,
    /// Memory size reported to functions and in REPORT lines, in MB.
    #[arg(long, default_value_t = 128)]
    memory_size: u32,
    /// CPU per function process, in process mode: unthrottled, or Lambda's share for
    /// --memory-size (memory / 1769 MB of one CPU, as a CFS quota; needs root and a cgroup
    /// cpu controller, else the processes run unthrottled and the stage says so).
    #[arg(long, value_enum, default_value_t = CpuModelArg::Off)]
    cpu_model: CpuModelArg,
    /// The CFS period Lambda's share is measured over, in ms (1 to 1000).
    #[arg(long, default_value_t = CpuModel::DEFAULT_PERIOD_MS)]
    cpu_period_ms: u64,
    /// The store: in-memory, or DynamoDB at --endpoint (tables created when missing).
    #[arg(long, value_enum, default_value_t = Store::Memory)]
    store: Store,
    /// The DynamoDB endpoint, e.g. http://127.0.0.1:8000.
    #[arg(long, env = ENDPOINT_ENV)]
    endpoint: Option<String>,
    /// With --store dynamodb and no --endpoint: use DynamoDB in AWS itself, with this
    /// environment's credentials and region (never implied).
    #[arg(long, conflicts_with = "endpoint")]
    aws: bool,
    /// The items table.
    #[arg(long, env = ITEMS_TABLE_ENV, default_value = "items")]
    items_table: String,
    /// The idempotency table.
    #[arg(long, env = IDEMPOTENCY_TABLE_ENV, default_value = "items-idempotency")]
    idempotency_table: String,
    /// Accept tokens of this issuer instead of the local one (needs --audience and --jwks).
    #[arg(long, requires_all = ["audience", "jwks"])]
    issuer: Option<String>,
    /// Accepted audiences (app client ids) of --issuer.
    #[arg(long, value_delimiter = ',')]
    audience: Vec<String>,
    /// The JWKS file of --issuer (its /.well-known/jwks.json).
    #[arg(long)]
    jwks: Option<PathBuf>,
    /// The local issuer's key file (created on first use).
    #[arg(long)]
    key_file: Option<PathBuf>,
    #[command(flatten)]
    cors: CorsArgs,
    /// Stage throttling: burst (bucket size).
    #[arg(long, default_value_t = 5000)]
    throttle_burst: u32,
    /// Stage throttling: steady rate, requests per second.
    #[arg(long, default_value_t = 10000.0)]
    throttle_rate: f64,
    /// Where the access log goes.
    #[arg(long, value_enum, default_value_t = LogTarget::Stdout)]
    access_log: LogTarget,
}

/// Each CORS setting defaults to the API's own (as the Terraform configures it).
#[derive(Args)]
struct CorsArgs {
    /// CORS allowed origins [default: *].
    #[arg(long, value_delimiter = ',')]
    cors_allow_origins: Option<Vec<String>>,
    /// CORS allowed methods [default: the API's methods and OPTIONS].
    #[arg(long, value_delimiter = ',')]
    cors_allow_methods: Option<Vec<String>>,
    /// CORS allowed request headers [default: the headers the API reads].
    #[arg(long, value_delimiter = ',')]
    cors_allow_headers: Option<Vec<String>>,
    /// CORS headers a browser may read [default: the headers a client reads].
    #[arg(long, value_delimiter = ',')]
    cors_expose_headers: Option<Vec<String>>,
    /// CORS preflight cache time, seconds [default: 600].
    #[arg(long)]
    cors_max_age: Option<u32>,
    /// Allow credentials cross-origin.
    #[arg(long)]
    cors_allow_credentials: bool,
    /// Turn CORS off (no preflight answers, no access-control headers).
    #[arg(long)]
    no_cors: bool,
}

#[derive(Args)]
struct TokenArgs {
    /// The caller's subject.
    #[arg(long)]
    sub: String,
    /// Groups (cognito:groups), comma-separated or repeated.
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    expires_in: u64,
    /// The local issuer's key file (created on first use).
    #[arg(long)]
    key_file: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    InProcess,
    Process,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CpuModelArg {
    Off,
    Lambda,
}

#[derive(Clone, Copy, ValueEnum)]
enum Store {
    Memory,
    Dynamodb,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogTarget {
    Stdout,
    Stderr,
    Off,
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Token(args) => token(args),
        Command::Serve(args) => serve(*args).await,
        Command::ServeApplied(args) => serve_applied::run(args, wait_for_stop_signal()).await,
    }
}

fn token(args: TokenArgs) -> ExitCode {
    let key_file = args.key_file.unwrap_or_else(default_key_path);
    let groups: Vec<&str> = args
        .groups
        .iter()
        .map(String::as_str)
        .filter(|g| !g.is_empty())
        .collect();
    let minted = LocalIssuer::load_or_create(&key_file)
        .and_then(|issuer| issuer.mint(&args.sub, &groups, Duration::from_secs(args.expires_in)));
    match minted {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("local-stage token: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    let config = match stage_config(args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("local-stage serve: {message}");
            return ExitCode::from(2);
        }
    };
    let in_process = matches!(config.functions, FunctionMode::InProcess);
    let cpu_model_off = matches!(
        &config.functions,
        FunctionMode::Processes(processes) if processes.cpu_model == CpuModel::Off
    );
    let stage = match local_stage::start(config).await {
        Ok(stage) => stage,
        Err(error) => {
            eprintln!("local-stage serve: {error}");
            return ExitCode::FAILURE;
        }
    };
    if !stage.address().ip().to_canonical().is_loopback() {
        eprintln!(
            "local-stage: WARNING: listening on {}, which other machines may reach: whoever reaches it can call the API with any token this machine mints. The local-only endpoints (/_local/...) answer this machine only.",
            stage.address()
        );
    }
    print_banner(&stage, in_process, cpu_model_off);
    wait_for_stop_signal().await;
    eprintln!("local-stage: stopping");
    stage.shutdown().await;
    ExitCode::SUCCESS
}

fn stage_config(args: ServeArgs) -> Result<StageConfig, String> {
    let payload = if args.payload == "1.0" {
        PayloadVersion::V1
    } else {
        PayloadVersion::V2
    };
    if matches!(args.store, Store::Dynamodb) && args.endpoint.is_none() && !args.aws {
        return Err("--store dynamodb needs --endpoint URL (a local DynamoDB-compatible server, e.g. from scripts/dynamodb-server) or AWS_ENDPOINT_URL_DYNAMODB; without one it would reach DynamoDB in AWS with whatever credentials this environment holds, so that takes --aws".to_owned());
    }
    let store = match args.store {
        Store::Memory => StoreConfig::Memory,
        Store::Dynamodb => StoreConfig::DynamoDb(DynamoDbStore {
            endpoint: args.endpoint.clone(),
            items_table: args.items_table.clone(),
            idempotency_table: args.idempotency_table.clone(),
        }),
    };
    let functions = match args.mode {
        Mode::InProcess if args.cpu_model != CpuModelArg::Off => {
            return Err(
                "--cpu-model holds function processes to a CPU share: it needs --mode process"
                    .to_owned(),
            );
        }
        Mode::InProcess => FunctionMode::InProcess,
        Mode::Process => {
            if matches!(store, StoreConfig::Memory) {
                return Err("--mode process needs --store dynamodb --endpoint URL: separate processes cannot share the in-memory store".to_owned());
            }
            FunctionMode::Processes(ProcessConfig {
                functions_dir: args.functions_dir.clone(),
                max_processes: args.max_processes,
                timeout: Duration::from_secs(args.function_timeout),
                memory_size_mb: args.memory_size,
                environment: Vec::new(),
                cpu_model: match args.cpu_model {
                    CpuModelArg::Off => CpuModel::Off,
                    CpuModelArg::Lambda => CpuModel::LambdaShare {
                        period: Duration::from_millis(args.cpu_period_ms),
                    },
                },
            })
        }
    };
    let auth = match (args.issuer, args.jwks) {
        (Some(issuer), Some(jwks_file)) => AuthConfig::External {
            issuer,
            audiences: args.audience,
            jwks_file,
        },
        _ => AuthConfig::LocalIssuer {
            key_file: args.key_file.unwrap_or_else(default_key_path),
        },
    };
    let cors = (!args.cors.no_cors).then(|| cors_config(args.cors));
    let sink = match args.access_log {
        LogTarget::Stdout => LineSink::Stdout,
        LogTarget::Stderr => LineSink::Stderr,
        LogTarget::Off => LineSink::Off,
    };
    Ok(StageConfig {
        address: SocketAddr::new(args.host, args.port),
        allow_non_loopback: args.allow_non_loopback,
        payload,
        functions,
        store,
        auth,
        cors,
        throttle: ThrottleConfig {
            burst: args.throttle_burst,
            rate: args.throttle_rate,
        },
        access_log: sink,
        reports: LineSink::Stdout,
        ..StageConfig::default()
    })
}

fn cors_config(args: CorsArgs) -> CorsConfig {
    let api = api_cors();
    CorsConfig {
        allow_origins: args.cors_allow_origins.unwrap_or(api.allow_origins),
        allow_methods: args.cors_allow_methods.unwrap_or(api.allow_methods),
        allow_headers: args.cors_allow_headers.unwrap_or(api.allow_headers),
        expose_headers: args.cors_expose_headers.unwrap_or(api.expose_headers),
        max_age: args.cors_max_age.or(api.max_age),
        allow_credentials: args.cors_allow_credentials || api.allow_credentials,
    }
}

/// With the CPU model on, the Lambda emulator has already printed whether it is in force and
/// at what share; with it off in process mode, the banner says so.
fn print_banner(stage: &RunningStage, in_process: bool, cpu_model_off: bool) {
    let url = stage.url();
    let token = stage.mint_token("alice", &[]);
    let mode = if in_process {
        "in-process functions"
    } else {
        "function processes"
    };
    println!("Local stage ({mode}) listening on {url}");
    if cpu_model_off {
        println!("CPU model off: function processes run unthrottled (--cpu-model lambda gives each Lambda's share for its memory size)");
    }
    println!("API docs (try every route in the browser): {url}/_local/docs");
    println!("Traces (each request's waterfall, as X-Ray would show it): {url}/_local/traces.html");
    println!();
    println!("Create an item as caller \"alice\" (the token is valid for an hour):");
    println!(
        "  curl -i -X POST {url}/items -H 'Authorization: Bearer {token}' -H 'content-type: application/json' -d '{{\"name\": \"First item\", \"description\": \"made locally\", \"category\": \"tools\"}}'"
    );
    println!();
    println!("List items:");
    println!("  curl -i {url}/items -H 'Authorization: Bearer {token}'");
    println!();
    if stage.events().is_some() {
        println!("Change events of every write (also printed below, one EVENT line each):");
        println!("  curl -s {url}/_local/events");
        println!();
    }
    println!("More tokens: `local-stage token --sub NAME [--groups admin]`, or");
    println!(
        "  curl -s -X POST {url}/_local/token -d '{{\"sub\": \"NAME\", \"groups\": [\"admin\"]}}'"
    );
    println!();
    println!("Access log: one JSON line per request below. Ctrl-C stops the stage.");
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
