//! The benchmark command (`scripts/bench` builds everything and runs it against a local
//! DynamoDB server): cold starts, warm latency against the raw GetItem floor, sizes, peak
//! memory of every function, and the local stage's throughput. Prints one table and writes the
//! same figures as JSON.

mod events;
mod function;
mod latency;
mod machine;
mod report;
mod sizes;
mod stats;
mod throughput;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use items_dynamodb::table_design;
use local_stage::{DynamoDbStore, LocalIssuer};

use crate::events::EventFactory;
use crate::function::Launch;
use crate::latency::{ColdStarts, FloorRun, RouteKind, WarmRun, Workload};
use crate::report::{FunctionResult, Results, Settings};
use crate::throughput::Mix;

/// Errors end the run with their message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The order the routes are measured in: reads before the table grows, and the create
/// function's items are what the delete function deletes.
const COLD_ORDER: [RouteKind; 5] = [
    RouteKind::List,
    RouteKind::Get,
    RouteKind::Create,
    RouteKind::Update,
    RouteKind::Delete,
];
const WARM_ORDER: [RouteKind; 5] = [
    RouteKind::List,
    RouteKind::Get,
    RouteKind::Update,
    RouteKind::Create,
    RouteKind::Delete,
];

/// Items created before the runs, for reads, listings and updates.
const SEED_ITEMS: u64 = 40;

#[derive(Debug, Parser)]
#[command(about = "Benchmarks the functions and the local stage (run it through scripts/bench)")]
struct Args {
    /// Where the release function binaries (and getitem-floor) are.
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
    /// Measured warm requests per function.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Concurrent connections of the throughput runs.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Length of each throughput run, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Measure only this function (repeatable; GET /items/{id} and its floor always run).
    #[arg(long, value_name = "FUNCTION")]
    only: Vec<String>,
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
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").map_err(|_| {
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run the bench through scripts/bench, which starts \
         a local DynamoDB server"
    })?;

    let mut functions = Vec::new();
    for route in local_stage::routes::all()? {
        let kind = RouteKind::of(&route.route_key)
            .ok_or_else(|| format!("the bench has no requests for route {}", route.route_key))?;
        let launch = Launch {
            binary: function::binary(&args.functions_dir, &route.function)?,
            name: route.function.clone(),
            environment: Vec::new(),
        };
        functions.push((route.route_key, kind, launch));
    }
    let floor = Launch {
        binary: function::binary(&args.functions_dir, "getitem-floor")?,
        name: "getitem-floor".to_owned(),
        environment: Vec::new(),
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
    let outcome = measure(&args, &store, &functions, &floor).await;
    for table in [&store.items_table, &store.idempotency_table] {
        let _ = client.delete_table().table_name(table).send().await;
    }
    let (function_results, floor) = outcome?;

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
    let mut results: Vec<FunctionResult> = Vec::new();
    for (route, (name, cold, warm)) in function_results {
        let size = packages.as_ref().and_then(|p| p.functions.get(&name));
        results.push(FunctionResult {
            ratio_to_floor: warm.duration.p50_ms / floor.getitem.p50_ms,
            function: name,
            route,
            cold_init: cold.init,
            cold_request: cold.first_response,
            warm_duration: warm.duration,
            warm_round_trip: warm.round_trip,
            cpu_per_request_us: warm.cpu_per_request_us,
            peak_rss_mib: warm.peak_rss_kib.map(|kib| kib as f64 / 1024.0),
            bootstrap_bytes: size.map(|s| s.bootstrap_bytes),
            zip_bytes: size.map(|s| s.zip_bytes),
        });
    }
    let targets = report::check_targets(&results);
    let results = Results {
        machine,
        settings: Settings {
            cold_runs: args.cold_runs,
            warm_up: args.warm_up,
            requests: args.requests,
            connections: args.connections,
            throughput_seconds: args.seconds,
            dynamodb_endpoint: std::env::var("BENCH_DYNAMODB_DESCRIPTION").unwrap_or(endpoint),
            packages: packages.map(|p| p.kind),
        },
        floor: report::Floor {
            getitem: floor.getitem,
            function_duration: floor.duration,
            cpu_per_request_us: floor.cpu_per_request_us,
        },
        functions: results,
        throughput,
        targets,
    };
    println!("\n{}", report::render(&results));
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&results)? + "\n")?;
    println!("JSON: {}", args.out.display());
    Ok(())
}

type Measured = (Vec<(String, (String, ColdStarts, WarmRun))>, FloorRun);

/// The runs against DynamoDB: seed items, cold starts, warm runs and the floor.
async fn measure(
    args: &Args,
    store: &DynamoDbStore,
    functions: &[(String, RouteKind, Launch)],
    floor: &Launch,
) -> Result<Measured, BoxError> {
    let environment = store.process_environment();
    let launches: HashMap<RouteKind, Launch> = functions
        .iter()
        .map(|(_, kind, launch)| {
            let mut launch = launch.clone();
            launch.environment = environment.clone();
            (*kind, launch)
        })
        .collect();
    let launch_of = |kind: RouteKind| {
        launches
            .get(&kind)
            .ok_or_else(|| format!("routes.json has no function for {kind:?}"))
    };

    let events = EventFactory::new(&LocalIssuer::load_or_create(&args.issuer_key)?)?;
    eprintln!("seeding {SEED_ITEMS} items through the create function");
    let seeds = latency::seed(launch_of(RouteKind::Create)?, &events, SEED_ITEMS).await?;
    let mut workload = Workload::new(events, seeds);

    let mut cold: HashMap<RouteKind, ColdStarts> = HashMap::new();
    let selected = |kind: RouteKind| {
        kind == RouteKind::Get
            || args.only.is_empty()
            || launches
                .get(&kind)
                .is_some_and(|launch| args.only.contains(&launch.name))
    };
    for kind in COLD_ORDER.into_iter().filter(|&kind| selected(kind)) {
        let launch = launch_of(kind)?;
        eprintln!("cold starts: {} x {}", launch.name, args.cold_runs);
        cold.insert(
            kind,
            latency::cold_starts(launch, kind, &mut workload, args.cold_runs).await?,
        );
    }

    let floor_launch = Launch {
        environment: environment.clone(),
        ..floor.clone()
    };
    let mut warm: HashMap<RouteKind, WarmRun> = HashMap::new();
    let mut floor_run = None;
    for kind in WARM_ORDER.into_iter().filter(|&kind| selected(kind)) {
        let launch = launch_of(kind)?;
        // GET /items/{id} runs request by request beside its floor.
        let floor = (kind == RouteKind::Get).then_some(&floor_launch);
        eprintln!(
            "warm: {} x {} (after {} warm-up requests){}",
            launch.name,
            args.requests,
            args.warm_up,
            if floor.is_some() {
                ", each beside the same request to getitem-floor"
            } else {
                ""
            }
        );
        let (run, floor) = latency::warm_run(
            launch,
            kind,
            &mut workload,
            args.warm_up,
            args.requests,
            floor,
        )
        .await?;
        warm.insert(kind, run);
        floor_run = floor_run.or(floor);
    }

    let mut results = Vec::new();
    for (route, kind, launch) in functions.iter().filter(|(_, kind, _)| selected(*kind)) {
        let (Some(cold), Some(warm)) = (cold.remove(kind), warm.remove(kind)) else {
            return Err(format!("{} was not measured", launch.name).into());
        };
        results.push((route.clone(), (launch.name.clone(), cold, warm)));
    }
    Ok((results, floor_run.ok_or("the floor was not measured")?))
}
