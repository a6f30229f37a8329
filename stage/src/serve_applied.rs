//! `local-stage serve-applied`: the stage a Terraform apply created, served on this machine
//! (see `scripts/deploy-offline`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use lambda_emulator::CpuModel;
use local_stage::applied::AppliedStage;
use local_stage::applied_stage::{describe, read_principals, serve_applied, AppliedServeConfig};
use local_stage::LineSink;

use crate::CpuModelArg;

/// Serve the stage `terraform show -json` describes, each function as its own principal.
#[derive(Args)]
pub(crate) struct ServeAppliedArgs {
    /// `terraform show -json` of the applied stage (after a refresh).
    #[arg(long)]
    applied: PathBuf,
    /// Each function's credentials: `{"<function name>": {"AWS_ACCESS_KEY_ID": ..., "AWS_SECRET_ACCESS_KEY": ...}}`.
    #[arg(long)]
    principals: PathBuf,
    /// The JWKS of the authorizer's issuer.
    #[arg(long)]
    jwks: PathBuf,
    /// The AWS-compatible endpoint the stage was applied to.
    #[arg(long)]
    endpoint: String,
    /// Where the function binaries are, each named after its package.
    #[arg(long, default_value = "target/release")]
    functions_dir: PathBuf,
    /// Most processes per function at once.
    #[arg(long, default_value_t = 4)]
    max_processes: usize,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// CPU per function process: Lambda's share for each function's applied memory size (the
    /// default, as the stage would run on Lambda), or unthrottled (`off`, e.g. for debug builds).
    #[arg(long, value_enum, default_value_t = CpuModelArg::Lambda)]
    cpu_model: CpuModelArg,
    /// The CFS period Lambda's share is measured over, in ms (1 to 1000).
    #[arg(long, default_value_t = CpuModel::DEFAULT_PERIOD_MS)]
    cpu_period_ms: u64,
}

/// Runs the applied stage until Ctrl-C or SIGTERM.
pub(crate) async fn run(
    args: ServeAppliedArgs,
    stop: impl std::future::Future<Output = ()>,
) -> ExitCode {
    let stage = match AppliedStage::read(&args.applied) {
        Ok(stage) => stage,
        Err(error) => {
            eprintln!("local-stage serve-applied: {error}");
            return ExitCode::from(2);
        }
    };
    let principals = match read_principals(&args.principals) {
        Ok(principals) => principals,
        Err(error) => {
            eprintln!("local-stage serve-applied: {error}");
            return ExitCode::from(2);
        }
    };
    let description = describe(&stage);
    let config = AppliedServeConfig {
        stage,
        principals,
        jwks_file: args.jwks,
        endpoint: args.endpoint,
        functions_dir: args.functions_dir,
        max_processes: args.max_processes,
        cpu_model: match args.cpu_model {
            CpuModelArg::Off => CpuModel::Off,
            CpuModelArg::Lambda => CpuModel::LambdaShare {
                period: Duration::from_millis(args.cpu_period_ms),
            },
        },
        address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), args.port),
        reports: LineSink::Stdout,
    };
    let running = match serve_applied(config).await {
        Ok(running) => running,
        Err(error) => {
            eprintln!("local-stage serve-applied: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("Applied stage listening on {}", running.url());
    println!(
        "Traces (each request's waterfall, as X-Ray would show it): {}/_local/traces.html",
        running.url()
    );
    match args.cpu_model {
        CpuModelArg::Off => println!("CPU model off: function processes run unthrottled"),
        CpuModelArg::Lambda => println!(
            "CPU model on: each function process gets memory / 1769 of one CPU for its applied memory size ({} ms period; where the machine does not allow CPU quotas, the emulator says so and runs them unthrottled)",
            args.cpu_period_ms
        ),
    }
    for line in description {
        println!("{line}");
    }
    println!();
    stop.await;
    eprintln!("local-stage: stopping");
    running.shutdown().await;
    ExitCode::SUCCESS
}
