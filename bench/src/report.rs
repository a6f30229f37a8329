//! The results: one table for people, the same figures as JSON for tools.

use serde::Serialize;

use crate::machine::Machine;
use crate::stats::Summary;
use crate::throughput::Throughput;

/// How the run was made.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Fresh processes per function for the cold figures.
    pub cold_runs: usize,
    /// Unmeasured requests before the warm ones.
    pub warm_up: usize,
    /// Measured warm requests per function.
    pub requests: usize,
    /// Connections of the throughput runs.
    pub connections: usize,
    /// Length of each throughput run, in seconds.
    pub throughput_seconds: u64,
    /// The DynamoDB endpoint the functions used.
    pub dynamodb_endpoint: String,
    /// What the size columns measure.
    pub packages: Option<String>,
}

/// One function's figures.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionResult {
    /// Its name.
    pub function: String,
    /// Its route.
    pub route: String,
    /// Process start to first poll for an event, over fresh processes.
    pub cold_init: Summary,
    /// Process start to the first response back, over the same processes.
    pub cold_request: Summary,
    /// Warm Duration (event handed out to response received) per request.
    pub warm_duration: Summary,
    /// Warm round trip as the Runtime API's client (the bench) sees it.
    pub warm_round_trip: Summary,
    /// CPU time the function process used per warm request, in microseconds.
    pub cpu_per_request_us: Option<f64>,
    /// Warm median Duration over the raw GetItem median.
    pub ratio_to_floor: f64,
    /// Peak resident set after every warm request, in MiB.
    pub peak_rss_mib: Option<f64>,
    /// Stripped bootstrap size.
    pub bootstrap_bytes: Option<u64>,
    /// Zip size.
    pub zip_bytes: Option<u64>,
}

/// A target and whether the run met it.
#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    /// What the target is.
    pub target: String,
    /// What was measured.
    pub measured: String,
    /// Whether it was met.
    pub met: bool,
}

/// The floor GET /items/{id} is compared with, measured request by request beside it.
#[derive(Debug, Clone, Serialize)]
pub struct Floor {
    /// The raw GetItem round trip, timed inside a bare function.
    pub getitem: Summary,
    /// That bare function's Duration: the GetItem plus the Runtime API around it.
    pub function_duration: Summary,
    /// CPU time the bare function used per request, in microseconds.
    pub cpu_per_request_us: Option<f64>,
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// The machine.
    pub machine: Machine,
    /// The run's settings.
    pub settings: Settings,
    /// The raw GetItem floor.
    pub floor: Floor,
    /// One entry per function, in routes.json order.
    pub functions: Vec<FunctionResult>,
    /// The local stage's throughput runs.
    pub throughput: Vec<Throughput>,
    /// The targets.
    pub targets: Vec<TargetCheck>,
}

/// Cold init under this, for every function (median).
pub const COLD_INIT_TARGET_MS: f64 = 15.0;
/// Warm GET /items/{id} within this multiple of the GetItem floor (medians).
pub const GET_RATIO_TARGET: f64 = 1.15;
/// Every zip under this many bytes.
pub const ZIP_TARGET_BYTES: u64 = 3_000_000;
/// Peak RSS under this many MiB (Lambda's "MB").
pub const RSS_TARGET_MIB: f64 = 24.0;

/// Checks the figures against the targets.
pub fn check_targets(functions: &[FunctionResult]) -> Vec<TargetCheck> {
    let mut checks = Vec::new();
    if let Some(slowest) = functions
        .iter()
        .max_by(|a, b| a.cold_init.p50_ms.total_cmp(&b.cold_init.p50_ms))
    {
        checks.push(TargetCheck {
            target: format!("cold init under {COLD_INIT_TARGET_MS} ms for every function (median)"),
            measured: format!(
                "slowest {:.1} ms ({})",
                slowest.cold_init.p50_ms, slowest.function
            ),
            met: slowest.cold_init.p50_ms < COLD_INIT_TARGET_MS,
        });
    }
    if let Some(get) = functions.iter().find(|f| f.route == "GET /items/{id}") {
        checks.push(TargetCheck {
            target: format!(
                "warm GET /items/{{id}} within {GET_RATIO_TARGET}x the raw GetItem floor (medians)"
            ),
            measured: format!("{:.2}x", get.ratio_to_floor),
            met: get.ratio_to_floor <= GET_RATIO_TARGET,
        });
    }
    let zips: Vec<(u64, &str)> = functions
        .iter()
        .filter_map(|f| Some((f.zip_bytes?, f.function.as_str())))
        .collect();
    if let Some(&(largest, function)) = zips.iter().max() {
        checks.push(TargetCheck {
            target: format!("every zip under {} MB", ZIP_TARGET_BYTES as f64 / 1e6),
            measured: format!("largest {} ({function})", megabytes(largest)),
            met: largest < ZIP_TARGET_BYTES && zips.len() == functions.len(),
        });
    }
    let rss: Vec<(f64, &str)> = functions
        .iter()
        .filter_map(|f| Some((f.peak_rss_mib?, f.function.as_str())))
        .collect();
    if let Some(&(largest, function)) = rss.iter().max_by(|a, b| a.0.total_cmp(&b.0)) {
        checks.push(TargetCheck {
            target: format!("peak RSS under {RSS_TARGET_MIB} MiB"),
            measured: format!("largest {largest:.1} MiB ({function})"),
            met: largest < RSS_TARGET_MIB && rss.len() == functions.len(),
        });
    }
    checks
}

fn megabytes(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn micros(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |us| format!("{us:.0} us"))
}

fn ms(value: f64) -> String {
    format!("{value:.2} ms")
}

/// The human-readable report: the machine, one table, throughput and targets.
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    out.push_str(&format!("Machine: {}\n", results.machine.summary()));
    let s = &results.settings;
    out.push_str(&format!(
        "DynamoDB: {}; cold figures are medians over {} fresh processes per function; warm \
         figures over {} requests per function after {} warm-up requests\n\n",
        s.dynamodb_endpoint, s.cold_runs, s.requests, s.warm_up
    ));

    let header = [
        "function",
        "route",
        "cold init",
        "cold request",
        "warm p50",
        "warm p99",
        "x floor",
        "CPU/req",
        "bootstrap",
        "zip",
        "peak RSS",
    ];
    let mut rows: Vec<Vec<String>> = results
        .functions
        .iter()
        .map(|f| {
            vec![
                f.function.clone(),
                f.route.clone(),
                ms(f.cold_init.p50_ms),
                ms(f.cold_request.p50_ms),
                ms(f.warm_duration.p50_ms),
                ms(f.warm_duration.p99_ms),
                format!("{:.2}", f.ratio_to_floor),
                micros(f.cpu_per_request_us),
                f.bootstrap_bytes.map_or_else(|| "-".to_owned(), megabytes),
                f.zip_bytes.map_or_else(|| "-".to_owned(), megabytes),
                f.peak_rss_mib
                    .map_or_else(|| "-".to_owned(), |mib| format!("{mib:.1} MiB")),
            ]
        })
        .collect();
    let floor = &results.floor;
    let floor_row = |route: &str, summary: &Summary, cpu: Option<f64>| {
        let mut row = vec![
            "getitem-floor".to_owned(),
            route.to_owned(),
            "-".to_owned(),
            "-".to_owned(),
            ms(summary.p50_ms),
            ms(summary.p99_ms),
            format!("{:.2}", summary.p50_ms / floor.getitem.p50_ms),
            micros(cpu),
        ];
        row.extend(["-", "-", "-"].map(str::to_owned));
        row
    };
    rows.push(floor_row(
        "bare function, Duration",
        &floor.function_duration,
        floor.cpu_per_request_us,
    ));
    rows.push(floor_row("  its raw GetItem call", &floor.getitem, None));
    out.push_str(&table(&header, &rows));
    out.push_str(
        "\nwarm = the function's Duration (event handed out on /next to /response received); \
         x floor = warm p50 / raw GetItem p50;\nCPU/req = the process's CPU time per warm \
         request; getitem-floor ran request by request beside get-item\n",
    );
    if let Some(packages) = &s.packages {
        out.push_str(&format!("sizes: {packages}\n"));
    }

    out.push_str(&format!(
        "\nLocal stage throughput (in-process functions, in-memory store, {} connections, {} s each):\n",
        s.connections, s.throughput_seconds
    ));
    for run in &results.throughput {
        out.push_str(&format!(
            "  {:<52} {:>9.0} req/s   p50 {}   p99 {}   {} requests, {} errors\n",
            run.mix,
            run.requests_per_second,
            ms(run.latency.p50_ms),
            ms(run.latency.p99_ms),
            run.requests,
            run.errors
        ));
    }

    out.push_str("\nTargets:\n");
    for check in &results.targets {
        out.push_str(&format!(
            "  [{}] {}: {}\n",
            if check.met { "met " } else { "MISS" },
            check.target,
            check.measured
        ));
    }
    out
}

/// A plain text table: columns padded to their widest cell, numbers right-aligned.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, title)| {
            rows.iter()
                .map(|row| row.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
                .max(title.chars().count())
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &width))| {
                if i < 2 {
                    format!("{cell:<width$}")
                } else {
                    format!("{cell:>width$}")
                }
            })
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.to_vec());
    out.push_str(&line(
        widths
            .iter()
            .map(|&w| "-".repeat(w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(p50_ms: f64) -> Summary {
        Summary {
            count: 1,
            p50_ms,
            p90_ms: p50_ms,
            p99_ms: p50_ms,
            max_ms: p50_ms,
        }
    }

    fn function(
        name: &str,
        route: &str,
        init_ms: f64,
        ratio: f64,
        zip: u64,
        rss: f64,
    ) -> FunctionResult {
        FunctionResult {
            function: name.to_owned(),
            route: route.to_owned(),
            cold_init: summary(init_ms),
            cold_request: summary(init_ms + 3.0),
            warm_duration: summary(3.0),
            warm_round_trip: summary(3.1),
            cpu_per_request_us: Some(150.0),
            ratio_to_floor: ratio,
            peak_rss_mib: Some(rss),
            bootstrap_bytes: Some(zip * 2),
            zip_bytes: Some(zip),
        }
    }

    #[test]
    fn targets_are_judged_on_the_worst_function() {
        let functions = [
            function("get-item", "GET /items/{id}", 9.0, 1.10, 2_500_000, 9.0),
            function("create-item", "POST /items", 16.0, 1.9, 3_100_000, 30.0),
        ];
        let checks = check_targets(&functions);
        let met: Vec<bool> = checks.iter().map(|c| c.met).collect();
        // cold init (16 ms), ratio (get only: 1.10), zip (3.1 MB), RSS (30 MiB)
        assert_eq!(met, [false, true, false, false]);
        assert!(checks[0].measured.contains("create-item"));
    }

    #[test]
    fn targets_are_met_when_every_function_meets_them() {
        let functions = [function(
            "get-item",
            "GET /items/{id}",
            9.0,
            1.15,
            2_999_999,
            23.9,
        )];
        assert!(check_targets(&functions).iter().all(|c| c.met));
    }

    #[test]
    fn the_table_left_aligns_names_and_right_aligns_figures() {
        let text = table(
            &["name", "route", "n"],
            &[
                vec!["a".into(), "x".into(), "10".into()],
                vec!["bbb".into(), "yy".into(), "2".into()],
            ],
        );
        assert_eq!(
            text,
            "name  route   n\n----  -----  --\na     x      10\nbbb   yy      2\n"
        );
    }
}
