//! The benchmark command (`scripts/bench` builds everything and runs it against a local
//! DynamoDB server): cold starts against a do-nothing function and where init goes, warm latency
//! of every route against its raw store call, sizes, peak memory, response compression, what a
//! million requests cost, and the local stage's throughput. Prints one report and writes the
//! same figures as JSON.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: what it prints is its output"
)]

mod compression;
mod cost;
mod events;
mod function;
mod latency;
mod machine;
mod power;
mod report;
mod sizes;
mod stats;
mod stream;
mod table;
mod throughput;
mod tls;
mod traces;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use items_apigateway::Route;
use items_dynamodb::{table_design, ENDPOINT_ENV};
use lambda_emulator::cpu_model::CpuGroups;
use lambda_emulator::{CpuModel, CpuModelStatus};
use local_stage::{DynamoDbStore, LocalIssuer};

use crate::events::EventFactory;
use crate::function::{Launch, FUNCTION_MEMORY_MB};
use crate::latency::{ColdStarts, FloorRun, InitSteps, WarmRun, Workload};
use crate::power::PowerTuning;
use crate::report::{CpuModelSetting, FunctionResult, Results, Settings};
use crate::throughput::Mix;

/// Errors end the run with their message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// When a route is measured, relative to the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// Reads, while the table holds the seed items.
    Reads,
    /// Changes to the seed items, which keep the table's size.
    Changes,
    /// Creates, whose items the deletes then delete.
    Creates,
    /// Deletes of the items the creates made.
    Deletes,
}

/// The stage a route is measured in: its requests need what the earlier stages leave.
fn stage(route: Route) -> Stage {
    match route {
        Route::ListItems | Route::GetItem => Stage::Reads,
        Route::UpdateItem | Route::PatchItem => Stage::Changes,
        Route::CreateItem => Stage::Creates,
        Route::DeleteItem => Stage::Deletes,
    }
}

/// Every route in the order it is measured in (cold starts, then warm runs): by stage, then
/// in the order of the declaration.
fn measuring_order() -> Vec<Route> {
    let mut routes = Route::ALL.to_vec();
    routes.sort_by_key(|route| stage(*route));
    routes
}

/// Items created before the runs, for reads, listings, replaces and patches.
const SEED_ITEMS: u64 = 40;

/// The page size of the compression figures: the contract's largest page.
const LARGE_PAGE: u32 = 100;

/// Whether function processes run in Lambda's CPU share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CpuModelChoice {
    /// Each process gets memory / 1,769 of one CPU (where the machine allows it).
    On,
    /// Every process may use the whole machine.
    Off,
}

/// Whether the run measures each function with traces off and on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TracesChoice {
    /// After the warm runs.
    On,
    /// Not at all.
    Off,
    /// Only traces off and on: no floors, compression, throughput or power tuning.
    Only,
}

/// Whether the run measures every function at several memory sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PowerTuningChoice {
    /// After the other figures.
    On,
    /// Not at all.
    Off,
    /// Only power tuning: no cold starts, floors, compression or throughput.
    Only,
}

#[derive(Debug, Parser)]
#[command(
    about = "Benchmarks the functions and the local stage (run it through scripts/bench)",
    // scripts/bench passes its directories first; an option given again overrides them.
    args_override_self = true
)]
struct Args {
    /// Where the release function binaries (and store-floor, bare-runtime, init-alternatives) are.
    #[arg(long, default_value = "target/release")]
    functions_dir: PathBuf,
    /// The sizes file scripts/bench writes when it packages the functions.
    #[arg(long, default_value = "target/bench/packages.json")]
    packages: PathBuf,
    /// Where the JSON results go.
    #[arg(long, default_value = "target/bench/results.json")]
    out: PathBuf,
    /// The local issuer's key for the bench's tokens.
    #[arg(long, default_value = "target/bench/issuer.pem")]
    issuer_key: PathBuf,
    /// Fresh processes per function for the cold figures.
    #[arg(long, default_value_t = 20)]
    cold_runs: usize,
    /// Unmeasured requests per function before the warm ones.
    #[arg(long, default_value_t = 100)]
    warm_up: usize,
    /// Measured warm requests per function. 3,000 by default: over 1,000 a route's CPU ratio
    /// to its floor moved by up to 0.15 from run to run and its p99 is its tenth-slowest
    /// request; over 3,000 the same ratio moved by 0.01.
    #[arg(long, default_value_t = 3000)]
    requests: usize,
    /// Execution environments the measured warm requests of a route are spread over, as Lambda
    /// spreads a route's traffic: each a fresh function process beside a fresh floor process,
    /// both run from copies of their binaries of the environment's own (where a binary's code
    /// lands in memory moves its CPU per request by several percent).
    #[arg(long, default_value_t = 5)]
    environments: usize,
    /// Concurrent connections of the throughput runs.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Length of each throughput run, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Share of requests that start a new execution environment, for the cost table.
    #[arg(long, default_value_t = 0.01)]
    cold_start_share: f64,
    /// Measure only this function (repeatable; GET /items/{id} always runs).
    #[arg(long, value_name = "FUNCTION")]
    only: Vec<String>,
    /// Hold every function process to Lambda's CPU share for its memory size (memory / 1,769
    /// of one CPU, a CFS quota over a 20 ms period); needs root and a cgroup cpu controller,
    /// and runs unthrottled, saying so, where the machine has neither.
    #[arg(long, value_enum, default_value_t = CpuModelChoice::On)]
    cpu_model: CpuModelChoice,
    /// The CFS period Lambda's share is measured over, in ms (1 to 1000).
    #[arg(long, default_value_t = CpuModel::DEFAULT_PERIOD_MS)]
    cpu_period_ms: u64,
    /// Measure every function at 128, 256, 512, 1,024 and 1,769 MB.
    #[arg(long, value_enum, default_value_t = PowerTuningChoice::On)]
    power_tuning: PowerTuningChoice,
    /// Measured invocations per function and memory size in power tuning (the stream
    /// function's batches are a tenth of it).
    #[arg(long, default_value_t = 200)]
    tuning_requests: usize,
    /// Unmeasured invocations per function and memory size before those.
    #[arg(long, default_value_t = 20)]
    tuning_warm_up: usize,
    /// Measure each route's function with traces off and on (cold init, warm Duration).
    #[arg(long, value_enum, default_value_t = TracesChoice::On)]
    traces: TracesChoice,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(error) = run(args).await {
        eprintln!("bench failed: {error}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), BoxError> {
    let machine = machine::Machine::describe();
    eprintln!("machine: {}", machine.summary());
    let endpoint = std::env::var(ENDPOINT_ENV).map_err(|_| {
        format!(
            "{ENDPOINT_ENV} is not set: run the bench through scripts/bench, which starts a local \
             DynamoDB server"
        )
    })?;

    let (cpu_groups, cpu_status) = CpuGroups::probe(match args.cpu_model {
        CpuModelChoice::On => CpuModel::LambdaShare {
            period: Duration::from_millis(args.cpu_period_ms),
        },
        CpuModelChoice::Off => CpuModel::Off,
    });
    let cpu_model = cpu_model_setting(&cpu_status);
    eprintln!("{}", cpu_model.description);
    let cpu_groups = cpu_groups.map(Arc::new);
    let tool = |name: &str| -> Result<Launch, BoxError> {
        Ok(Launch {
            binary: function::binary(&args.functions_dir, name)?,
            name: name.to_owned(),
            environment: Vec::new(),
            memory_size_mb: FUNCTION_MEMORY_MB,
            cpu_groups: cpu_groups.clone(),
            sampled_traces: false,
        })
    };
    let mut functions = Vec::new();
    for route in Route::ALL {
        functions.push((
            route,
            tool(route.function_name())?.at_memory(route.memory_size_mb()),
        ));
    }
    let floors = Floors {
        store: tool("store-floor")?,
        bare: tool("bare-runtime")?,
        init_alternatives: tool("init-alternatives")?,
    };

    // Fresh tables, so nothing earlier (or another run) changes what the routes find.
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let store = DynamoDbStore {
        endpoint: Some(endpoint.clone()),
        items_table: format!("bench-items-{}", &run_id[..8]),
        idempotency_table: format!("bench-idempotency-{}", &run_id[..8]),
    };
    let client = store.client().await;
    table_design::create_tables(&client, &store.table_names()).await?;
    let stream_launch = Launch {
        binary: function::binary(&args.functions_dir, stream::FUNCTION)?,
        name: stream::FUNCTION.to_owned(),
        // Region and credentials; it reads no table.
        environment: store.process_environment(&items_apigateway::AdapterConfig::default()),
        memory_size_mb: items_dynamodb_streams::PUBLISH_ITEM_EVENTS.memory_size_mb,
        cpu_groups: cpu_groups.clone(),
        sampled_traces: false,
    };
    if args.traces == TracesChoice::Only {
        let outcome = traces_only(&args, &store, &functions, &cpu_model).await;
        for table in [&store.items_table, &store.idempotency_table] {
            let _ = client.delete_table().table_name(table).send().await;
        }
        return outcome;
    }
    if args.power_tuning == PowerTuningChoice::Only {
        let outcome =
            power_tuning_only(&args, &store, &functions, &stream_launch, &cpu_model).await;
        for table in [&store.items_table, &store.idempotency_table] {
            let _ = client.delete_table().table_name(table).send().await;
        }
        return outcome;
    }
    let outcome = measure(
        &args,
        &store,
        &functions,
        &floors,
        &stream_launch,
        &cpu_model,
    )
    .await;
    let item_bytes = match &outcome {
        Ok(measured) => stored_item_size(&client, &store.items_table, &measured.sample_item).await,
        Err(_) => None,
    };
    for table in [&store.items_table, &store.idempotency_table] {
        let _ = client.delete_table().table_name(table).send().await;
    }
    let measured = outcome?;

    let stream_function = if args.only.is_empty() || args.only.iter().any(|f| f == stream::FUNCTION)
    {
        eprintln!(
            "stream function: {} cold starts, then {} batches of {} records",
            args.cold_runs,
            args.requests / 10,
            stream::RECORDS_PER_BATCH
        );
        Some(
            stream::measure(
                &stream_launch,
                args.cold_runs,
                args.warm_up / 10,
                args.requests / 10,
            )
            .await?,
        )
    } else {
        None
    };

    eprintln!(
        "throughput: local stage, {} connections, {} s per mix",
        args.connections, args.seconds
    );
    let throughput = throughput::measure(
        args.issuer_key.clone(),
        &[Mix::GetItem, Mix::Mixed],
        args.connections,
        Duration::from_secs(args.seconds),
    )
    .await?;

    let packages = match sizes::Packages::read(&args.packages) {
        Ok(packages) => Some(packages),
        Err(error) => {
            eprintln!("no sizes: {error}");
            None
        }
    };
    let stream_function = stream_function.map(|mut run| {
        let size = packages
            .as_ref()
            .and_then(|p| p.functions.get(stream::FUNCTION));
        run.bootstrap_bytes = size.map(|s| s.bootstrap_bytes);
        run.zip_bytes = size.map(|s| s.zip_bytes);
        run
    });
    let traces = measured
        .traces
        .map(|functions| with_zip_sizes(functions, packages.as_ref()));
    // Every route's size was measured (the sizes come from `Route::ALL`); were one missing, its
    // ratios would be NaN and its targets unmet, never a panic.
    let bare_init_ms = |route: Route| {
        measured
            .bare
            .iter()
            .find(|b| b.memory_mb == route.memory_size_mb())
            .map_or(f64::NAN, |b| b.cold_starts.init.p50_ms)
    };
    let mut results: Vec<FunctionResult> = Vec::new();
    let mut cost_inputs = Vec::new();
    for (route, cold, unthrottled, tls, warm, floor) in measured.functions {
        let size = packages
            .as_ref()
            .and_then(|p| p.functions.get(route.function_name()));
        cost_inputs.push(cost::RouteFigures {
            route,
            billed_ms: warm.billed_ms_mean,
            init_ms: cold.init.p50_ms,
        });
        results.push(FunctionResult {
            ratio_to_floor: warm.duration.p50_ms / floor.store_call.p50_ms,
            init_ratio_to_bare: cold.init.p50_ms / bare_init_ms(route),
            init_less_warm_up_ratio_to_bare: cold
                .init_less_warm_up
                .map(|s| s.p50_ms / bare_init_ms(route)),
            route: report::NamedRoute(route),
            cold_init: cold.init,
            cold_init_unthrottled: unthrottled.map(|u| u.init),
            cold_init_warm_up: cold.warm_up,
            cold_init_less_warm_up: cold.init_less_warm_up,
            cold_request: cold.first_response,
            cold_init_tls: tls.as_ref().map(|t| t.init),
            cold_init_tls_warm_up: tls.and_then(|t| t.warm_up),
            warm_duration: warm.duration,
            warm_round_trip: warm.round_trip,
            warm_billed_ms_mean: warm.billed_ms_mean,
            cpu_per_request_us: warm.cpu_per_request_us,
            quota_pauses: warm.quota_pauses,
            peak_rss_mib: warm.peak_rss_kib.map(|kib| kib as f64 / 1024.0),
            bootstrap_bytes: size.map(|s| s.bootstrap_bytes),
            zip_bytes: size.map(|s| s.zip_bytes),
            floor: report::Floor {
                store_call: floor.store_call,
                function_duration: floor.duration,
                cpu_per_request_us: floor.cpu_per_request_us,
                quota_pauses: floor.quota_pauses,
            },
        });
    }
    let assumptions = cost::Assumptions {
        cold_start_share: args.cold_start_share,
        item_bytes: item_bytes.unwrap_or(0),
        listing_items: 21,
    };
    let costs = cost::estimate(&cost_inputs, &cost::US_EAST_1, &assumptions);
    let targets = report::check_targets(&results);
    let results = Results {
        machine,
        settings: Settings {
            cold_runs: args.cold_runs,
            warm_up: args.warm_up,
            requests: args.requests,
            environments: args.environments,
            connections: args.connections,
            throughput_seconds: args.seconds,
            dynamodb_endpoint: std::env::var("BENCH_DYNAMODB_DESCRIPTION").unwrap_or(endpoint),
            functions_build: std::env::var("BENCH_FUNCTIONS_BUILD")
                .unwrap_or_else(|_| format!("the binaries in {}", args.functions_dir.display())),
            packages: packages.map(|p| p.kind),
            cpu_model,
        },
        bare_runtime: measured.bare,
        init_steps: measured.init_steps,
        functions: results,
        compression: measured.compression,
        prices: cost::US_EAST_1,
        assumptions,
        costs,
        stream_function,
        throughput,
        targets,
        power_tuning: measured.power_tuning,
        traces,
    };
    println!("\n{}", report::render(&results));
    write_results(&args.out, &results, results.power_tuning.as_ref())
}

/// Writes the JSON results to `out` and, with power tuning, its chart beside them.
fn write_results(
    out: &Path,
    results: &impl serde::Serialize,
    power_tuning: Option<&PowerTuning>,
) -> Result<(), BoxError> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(out, serde_json::to_string_pretty(results)? + "\n")?;
    println!("JSON: {}", out.display());
    if let Some(tuning) = power_tuning {
        let chart = out.with_file_name("power-tuning.svg");
        std::fs::write(&chart, power::chart_svg(tuning))?;
        println!("Power tuning chart: {}", chart.display());
    }
    Ok(())
}

/// What the report says about the CPU model, from what the probe found.
fn cpu_model_setting(status: &CpuModelStatus) -> CpuModelSetting {
    let period_ms = match status {
        CpuModelStatus::Active { period, .. } => Some(period.as_millis()),
        _ => None,
    };
    CpuModelSetting {
        active: period_ms.is_some(),
        period_ms,
        memory_mb: FUNCTION_MEMORY_MB,
        description: status.describe(FUNCTION_MEMORY_MB),
    }
}

/// The functions with the store's environment, and a workload seeded with items through the
/// create function: where a run that measures the functions on their own starts.
async fn seeded_workload(
    args: &Args,
    store: &DynamoDbStore,
    functions: &[(Route, Launch)],
) -> Result<(HashMap<Route, Launch>, Workload), BoxError> {
    let environment = store.process_environment(&items_apigateway::AdapterConfig::default());
    let launches = with_environment(functions, &environment);
    let events = EventFactory::new(&LocalIssuer::load_or_create(&args.issuer_key)?)?;
    let create = launches
        .get(&Route::CreateItem)
        .ok_or("no function for the create route")?;
    eprintln!("seeding {SEED_ITEMS} items through the create function");
    let seeds = latency::seed(create, &events, SEED_ITEMS).await?;
    Ok((launches, Workload::new(events, seeds)))
}

/// The power-tuning run alone: seed items, measure every selected function at every size,
/// print the table and write the JSON and chart.
async fn power_tuning_only(
    args: &Args,
    store: &DynamoDbStore,
    functions: &[(Route, Launch)],
    stream_launch: &Launch,
    cpu_model: &CpuModelSetting,
) -> Result<(), BoxError> {
    let (launches, mut workload) = seeded_workload(args, store, functions).await?;
    let tuning =
        tune_every_function(args, &launches, stream_launch, &mut workload, cpu_model).await?;
    println!("\n{}", cpu_model.description);
    println!("{}", power::render(&tuning));
    #[derive(serde::Serialize)]
    struct PowerTuningResults<'a> {
        cpu_model: &'a CpuModelSetting,
        power_tuning: &'a PowerTuning,
    }
    write_results(
        &args.out.with_file_name("power-tuning.json"),
        &PowerTuningResults {
            cpu_model,
            power_tuning: &tuning,
        },
        Some(&tuning),
    )
}

/// Each route's launch with the store's environment.
fn with_environment(
    functions: &[(Route, Launch)],
    environment: &[(String, String)],
) -> HashMap<Route, Launch> {
    functions
        .iter()
        .map(|(route, launch)| {
            (
                *route,
                Launch {
                    environment: environment.to_vec(),
                    ..launch.clone()
                },
            )
        })
        .collect()
}

/// Whether `--only` selects `function` (none given: every function).
fn selected_function(args: &Args, function: &str) -> bool {
    args.only.is_empty() || args.only.iter().any(|f| f == function)
}

/// Every selected function (routes in measuring order, then the stream function) at every
/// memory size of [`power::MEMORY_SIZES_MB`].
async fn tune_every_function(
    args: &Args,
    launches: &HashMap<Route, Launch>,
    stream_launch: &Launch,
    workload: &mut Workload,
    cpu_model: &CpuModelSetting,
) -> Result<PowerTuning, BoxError> {
    let started = Instant::now();
    let mut functions = Vec::new();
    for route in measuring_order() {
        let Some(launch) = launches.get(&route) else {
            continue;
        };
        if !selected_function(args, &launch.name) {
            continue;
        }
        eprintln!(
            "power tuning: {} at {:?} MB, {} requests each after {} warm-up",
            launch.name,
            power::MEMORY_SIZES_MB,
            args.tuning_requests,
            args.tuning_warm_up
        );
        functions.push(
            power::tune_route(
                launch,
                route,
                workload,
                args.tuning_warm_up,
                args.tuning_requests,
                &cost::US_EAST_1,
            )
            .await?,
        );
    }
    if selected_function(args, stream::FUNCTION) {
        let batches = (args.tuning_requests / 10).max(1);
        eprintln!(
            "power tuning: {} at {:?} MB, {batches} batches each",
            stream_launch.name,
            power::MEMORY_SIZES_MB
        );
        functions.push(
            power::tune_stream(
                stream_launch,
                (args.tuning_warm_up / 10).max(1),
                batches,
                &cost::US_EAST_1,
            )
            .await?,
        );
    }
    let cpu_model = if cpu_model.active {
        format!(
            "CPU model on: memory / {} MB of one CPU, CFS period {} ms",
            lambda_emulator::cpu_model::MB_PER_VCPU,
            cpu_model.period_ms.unwrap_or_default()
        )
    } else {
        format!("{}: every size ran unthrottled", cpu_model.description)
    };
    Ok(PowerTuning {
        cpu_model,
        warm_up: args.tuning_warm_up,
        requests: args.tuning_requests,
        functions,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The bare functions the routes are compared with.
struct Floors {
    /// The raw store call of each route.
    store: Launch,
    /// A function that does nothing.
    bare: Launch,
    /// What two of a function's init steps replace, timed alone.
    init_alternatives: Launch,
}

/// One route's figures: cold starts (at its share, unthrottled when the share was active, and
/// over TLS), warm run, floor.
type MeasuredRoute = (
    Route,
    ColdStarts,
    Option<ColdStarts>,
    Option<ColdStarts>,
    WarmRun,
    FloorRun,
);

/// Everything measured against DynamoDB.
struct Measured {
    /// Per route: cold starts (at its share, unthrottled when the share was active, and over
    /// TLS), warm run, floor.
    functions: Vec<MeasuredRoute>,
    /// Every function at several memory sizes, when asked for.
    power_tuning: Option<PowerTuning>,
    /// The bare runtime at each route's memory size.
    bare: Vec<report::BareRuntime>,
    init_steps: InitSteps,
    compression: Option<compression::CompressionRun>,
    /// An item the run created, for its stored size.
    sample_item: String,
    /// Each function with traces off and on, when asked for.
    traces: Option<Vec<traces::TracesFunction>>,
}

/// The stored size of an item, for the cost table.
async fn stored_item_size(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    id: &str,
) -> Option<usize> {
    let output = client
        .get_item()
        .table_name(table)
        .key(
            table_design::ITEM_KEY,
            aws_sdk_dynamodb::types::AttributeValue::S(id.to_owned()),
        )
        .send()
        .await
        .ok()?;
    Some(cost::item_size(output.item.as_ref()?))
}

/// The runs against DynamoDB: seed items, cold starts, the bare runtime and init steps, warm
/// runs beside their floors, and compression.
async fn measure(
    args: &Args,
    store: &DynamoDbStore,
    functions: &[(Route, Launch)],
    floors: &Floors,
    stream_launch: &Launch,
    cpu_model: &CpuModelSetting,
) -> Result<Measured, BoxError> {
    let environment = store.process_environment(&items_apigateway::AdapterConfig::default());
    let with_store = |launch: &Launch, environment: &[(String, String)]| Launch {
        environment: environment.to_vec(),
        ..launch.clone()
    };
    let launches = with_environment(functions, &environment);
    let launch_of = |kind: Route| {
        launches
            .get(&kind)
            .ok_or_else(|| format!("no function for {}", kind.route_key()))
    };

    let events = EventFactory::new(&LocalIssuer::load_or_create(&args.issuer_key)?)?;
    eprintln!("seeding {SEED_ITEMS} items through the create function");
    let seeds = latency::seed(launch_of(Route::CreateItem)?, &events, SEED_ITEMS).await?;
    let sample_item = seeds.first().cloned().ok_or("no item was seeded")?;
    let mut workload = Workload::new(events, seeds);

    let selected = |kind: Route| {
        kind == Route::GetItem
            || args.only.is_empty()
            || launches
                .get(&kind)
                .is_some_and(|launch| args.only.contains(&launch.name))
    };

    // At each memory size a route's function has, so each function's init is compared with
    // the bare runtime's at the same CPU share.
    let sizes: BTreeSet<u32> = Route::ALL.iter().map(|r| r.memory_size_mb()).collect();
    let mut bare = Vec::new();
    for memory_mb in sizes {
        eprintln!(
            "cold starts: bare-runtime at {memory_mb} MB x {}",
            args.cold_runs
        );
        let cold_starts = latency::cold_starts(
            &with_store(&floors.bare.at_memory(memory_mb), &environment),
            Route::GetItem,
            &mut workload,
            args.cold_runs,
        )
        .await?;
        bare.push(report::BareRuntime {
            memory_mb,
            cold_starts,
        });
    }
    eprintln!(
        "init steps: {} and init-alternatives x {}",
        Route::GetItem.function_name(),
        args.cold_runs
    );
    let init_steps = latency::init_steps(
        launch_of(Route::GetItem)?,
        &with_store(&floors.init_alternatives, &environment),
        &mut workload,
        args.cold_runs,
    )
    .await?;

    // The same cold starts over TLS: a local TLS proxy in front of the store, with a throwaway
    // CA the functions are told to trust.
    let tls_proxy = match tls::Proxy::start(store_endpoint(store)?).await {
        Ok(proxy) => Some(proxy),
        Err(error) => {
            eprintln!("no TLS cold starts: {error}");
            None
        }
    };
    let mut cold: HashMap<Route, ColdStarts> = HashMap::new();
    let mut cold_unthrottled: HashMap<Route, ColdStarts> = HashMap::new();
    let mut cold_tls: HashMap<Route, ColdStarts> = HashMap::new();
    for kind in measuring_order().into_iter().filter(|&kind| selected(kind)) {
        let launch = launch_of(kind)?;
        eprintln!("cold starts: {} x {}", launch.name, args.cold_runs);
        cold.insert(
            kind,
            latency::cold_starts(launch, kind, &mut workload, args.cold_runs).await?,
        );
        if launch.cpu_groups.is_some() {
            eprintln!(
                "cold starts unthrottled: {} x {}",
                launch.name, args.cold_runs
            );
            cold_unthrottled.insert(
                kind,
                latency::cold_starts(&launch.unthrottled(), kind, &mut workload, args.cold_runs)
                    .await?,
            );
        }
        if let Some(proxy) = &tls_proxy {
            eprintln!("cold starts over TLS: {} x {}", launch.name, args.cold_runs);
            let over_tls = with_store(launch, &proxy.environment(&environment));
            // The TLS figures are extra: a machine where they cannot be made still gets the rest.
            match latency::cold_starts(&over_tls, kind, &mut workload, args.cold_runs).await {
                Ok(cold_starts) => {
                    cold_tls.insert(kind, cold_starts);
                }
                Err(error) => eprintln!("no TLS cold starts for {}: {error}", launch.name),
            }
        }
    }
    if let Some(proxy) = tls_proxy {
        proxy.stop();
    }

    let floor_launch = with_store(&floors.store, &environment);
    let mut warm: HashMap<Route, (WarmRun, FloorRun)> = HashMap::new();
    let environments = latency::Environments::Copies {
        root: args.out.with_file_name("environments"),
        count: args.environments,
    };
    let mut compression = None;
    for kind in measuring_order().into_iter().filter(|&kind| selected(kind)) {
        let launch = launch_of(kind)?;
        if stage(kind) == Stage::Deletes && compression.is_none() && selected(Route::ListItems) {
            // Before the deletes, while the table holds well over a large page.
            eprintln!(
                "compression: {} x {} pages of {LARGE_PAGE}, with and without gzip",
                launch_of(Route::ListItems)?.name,
                args.requests / 5
            );
            compression = Some(
                compression::measure(
                    launch_of(Route::ListItems)?,
                    workload.events(),
                    LARGE_PAGE,
                    args.warm_up / 5,
                    args.requests / 5,
                )
                .await?,
            );
        }
        eprintln!(
            "warm: {} x {} in {} environments (each after {} warm-up requests), each beside the same request to store-floor",
            launch.name, args.requests, args.environments, args.warm_up,
        );
        let (run, floor) = latency::warm_run(
            launch,
            kind,
            &mut workload,
            args.warm_up,
            args.requests,
            &environments,
            // The floor at the route's size, so both get the same CPU share.
            Some(&floor_launch.at_memory(launch.memory_size_mb)),
        )
        .await?;
        warm.insert(kind, (run, floor.ok_or("the floor was not measured")?));
    }
    environments.remove();

    let mut results = Vec::new();
    for (kind, launch) in functions.iter().filter(|(kind, _)| selected(*kind)) {
        let (Some(cold), Some((warm, floor))) = (cold.remove(kind), warm.remove(kind)) else {
            return Err(format!("{} was not measured", launch.name).into());
        };
        results.push((
            *kind,
            cold,
            cold_unthrottled.remove(kind),
            cold_tls.remove(kind),
            warm,
            floor,
        ));
    }
    let power_tuning = match args.power_tuning {
        PowerTuningChoice::Off => None,
        PowerTuningChoice::On | PowerTuningChoice::Only => Some(
            tune_every_function(args, &launches, stream_launch, &mut workload, cpu_model).await?,
        ),
    };
    let traces = match args.traces {
        TracesChoice::Off => None,
        TracesChoice::On | TracesChoice::Only => {
            let selected: Vec<Route> = measuring_order()
                .into_iter()
                .filter(|&kind| selected(kind))
                .collect();
            Some(traces_off_and_on(args, &launches, &selected, &mut workload).await?)
        }
    };
    Ok(Measured {
        functions: results,
        power_tuning,
        bare,
        init_steps,
        compression,
        sample_item,
        traces,
    })
}

/// Each of `routes`' functions with traces off and on, in measuring order.
async fn traces_off_and_on(
    args: &Args,
    launches: &HashMap<Route, Launch>,
    routes: &[Route],
    workload: &mut Workload,
) -> Result<Vec<traces::TracesFunction>, BoxError> {
    let mut measured = Vec::new();
    for &kind in routes {
        let launch = launches
            .get(&kind)
            .ok_or_else(|| format!("no function for {}", kind.route_key()))?;
        eprintln!(
            "traces off and on: {} x {} cold starts and {} warm requests each",
            launch.name, args.cold_runs, args.requests
        );
        measured.push(
            traces::measure(
                launch,
                kind,
                workload,
                args.cold_runs,
                args.warm_up,
                args.requests,
                None,
            )
            .await?,
        );
    }
    Ok(measured)
}

/// `functions` with their zip sizes from `packages`.
fn with_zip_sizes(
    functions: Vec<traces::TracesFunction>,
    packages: Option<&sizes::Packages>,
) -> Vec<traces::TracesFunction> {
    functions
        .into_iter()
        .map(|mut function| {
            function.zip_bytes = packages
                .and_then(|p| p.functions.get(&function.function))
                .map(|size| size.zip_bytes);
            function
        })
        .collect()
}

/// Traces off and on alone: seed items, measure every selected route's function, print the
/// table and write traces.json.
async fn traces_only(
    args: &Args,
    store: &DynamoDbStore,
    functions: &[(Route, Launch)],
    cpu_model: &CpuModelSetting,
) -> Result<(), BoxError> {
    let (launches, mut workload) = seeded_workload(args, store, functions).await?;
    let routes: Vec<Route> = measuring_order()
        .into_iter()
        .filter(|route| {
            launches
                .get(route)
                .is_some_and(|launch| selected_function(args, &launch.name))
        })
        .collect();
    let measured = traces_off_and_on(args, &launches, &routes, &mut workload).await?;
    let packages = sizes::Packages::read(&args.packages)
        .map_err(|error| eprintln!("no sizes: {error}"))
        .ok();
    let measured = with_zip_sizes(measured, packages.as_ref());
    println!("\n{}", cpu_model.description);
    println!("{}", traces::render(&measured));
    write_results(&args.out.with_file_name("traces.json"), &measured, None)
}

/// The store's address, from the endpoint the functions use.
fn store_endpoint(store: &DynamoDbStore) -> Result<String, BoxError> {
    let endpoint = store.endpoint.as_deref().ok_or("no DynamoDB endpoint")?;
    Ok(endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("the TLS proxy needs a plain http:// store, not {endpoint}"))?
        .trim_end_matches('/')
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_measured_once_reads_first_and_deletes_after_the_creates() {
        let order = measuring_order();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, Route::ALL);
        let position = |route| order.iter().position(|r| *r == route).expect("measured");
        assert!(position(Route::GetItem) < position(Route::UpdateItem));
        assert!(position(Route::ListItems) < position(Route::CreateItem));
        assert!(position(Route::PatchItem) < position(Route::CreateItem));
        assert!(position(Route::CreateItem) < position(Route::DeleteItem));
        assert_eq!(order.last(), Some(&Route::DeleteItem));
    }
}
