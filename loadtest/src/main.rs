//! `loadtest URL`: a fixed request rate for a set duration over a realistic route mix against
//! any stage, then a table of the achieved rate, latency percentiles and errors by status.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: what it prints is its output"
)]

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use items_loadtest::{run, Config};

/// Fixed-rate load over a realistic mix of the items API's routes (the report's heading lists
/// it), latency measured from each request's scheduled start.
#[derive(Parser)]
#[command(name = "loadtest")]
struct Args {
    /// The stage's base URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com
    url: String,
    /// A bearer token the stage accepts.
    #[arg(long, env = "LOADTEST_TOKEN", hide_env_values = true)]
    token: String,
    /// An API key to send as x-api-key (the REST variant).
    #[arg(long, env = "LOADTEST_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Requests per second.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Seconds to send for.
    #[arg(long, default_value_t = 30.0)]
    duration: f64,
    /// Seconds before one request counts as a timeout.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 256)]
    max_in_flight: usize,
    /// Items created before the run, read and updated by it.
    #[arg(long, default_value_t = 20)]
    seed_items: usize,
    /// Exit 1 when more than this share of requests fails (0 to 1).
    #[arg(long, default_value_t = 0.01)]
    max_error_rate: f64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let seconds = |value: f64, what: &str| {
        Duration::try_from_secs_f64(value)
            .map_err(|_| format!("--{what} must be a number of seconds"))
    };
    let (duration, timeout) = match (
        seconds(args.duration, "duration"),
        seconds(args.timeout, "timeout"),
    ) {
        (Ok(duration), Ok(timeout)) => (duration, timeout),
        (Err(message), _) | (_, Err(message)) => {
            eprintln!("loadtest: {message}");
            return ExitCode::from(2);
        }
    };
    let config = Config {
        url: args.url.trim_end_matches('/').to_owned(),
        token: args.token,
        api_key: args.api_key,
        rate: args.rate,
        duration,
        timeout,
        max_in_flight: args.max_in_flight,
        seed_items: args.seed_items,
    };
    let report = match run(config).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("loadtest: {error}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.to_markdown());
    let error_rate = report.failed() as f64 / report.samples.len().max(1) as f64;
    if error_rate > args.max_error_rate || report.samples.is_empty() {
        eprintln!(
            "loadtest: {:.2}% of requests failed, above --max-error-rate {:.2}%",
            error_rate * 100.0,
            args.max_error_rate * 100.0
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
