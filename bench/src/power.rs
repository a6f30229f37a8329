//! Power tuning before deploying: every function measured at several memory sizes under
//! Lambda's CPU model (a share of one CPU of memory / 1,769 MB), as AWS Lambda Power Tuning
//! measures a deployed function: Duration and Lambda's cost per million requests at each size,
//! the cheapest size, and the size past which more memory buys less than 10 % Duration. Printed
//! as a table and drawn as an SVG chart, one panel per function.

use std::fmt::Write as _;

use items_apigateway::Route;
use serde::Serialize;

use crate::cost::Prices;
use crate::function::Launch;
use crate::latency::{warm_run, Environments, Workload};
use crate::stats::Summary;
use crate::BoxError;

/// The memory sizes tried, smallest first: Lambda's default up to one full vCPU.
pub(crate) const MEMORY_SIZES_MB: [u32; 5] = [128, 256, 512, 1024, 1769];

/// More memory is worth it while the next size cuts the mean Duration by at least this share.
pub(crate) const WORTHWHILE_GAIN: f64 = 0.10;

/// One function at one memory size.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SizeFigures {
    /// The configured memory.
    pub memory_mb: u32,
    /// The warm Duration per request (per batch for the stream function).
    pub duration: Summary,
    /// The mean Duration as billed, each invocation rounded up to the millisecond.
    pub billed_ms_mean: f64,
    /// Lambda's cost per million invocations at this size: requests and billed Duration.
    pub lambda_cost_per_million: f64,
}

/// What the figures recommend for one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Recommendation {
    /// The size with the lowest cost (the smaller one on a tie).
    pub cheapest_mb: u32,
    /// The size past which the next one cuts the mean Duration by less than
    /// [`WORTHWHILE_GAIN`] (the largest size when every step is worth it).
    pub diminishing_past_mb: u32,
}

/// One function's figures at every size, and what they recommend.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FunctionTuning {
    /// The function's name.
    pub function: String,
    /// What one invocation is (a route key, or a batch of stream records).
    pub invocation: String,
    /// One entry per size, smallest first.
    pub sizes: Vec<SizeFigures>,
    /// What they recommend.
    pub recommendation: Recommendation,
}

/// The whole power-tuning run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PowerTuning {
    /// Whether the CPU model was in force (without it every size runs unthrottled).
    pub cpu_model: String,
    /// Unmeasured invocations per size.
    pub warm_up: usize,
    /// Measured invocations per size.
    pub requests: usize,
    /// One entry per function.
    pub functions: Vec<FunctionTuning>,
    /// Wall time the measuring took, in seconds.
    pub seconds: f64,
}

/// Lambda's cost of a million invocations of `memory_mb` with a mean billed Duration of
/// `billed_ms`: the request price plus the GB-seconds.
pub(crate) fn lambda_cost_per_million(memory_mb: u32, billed_ms: f64, prices: &Prices) -> f64 {
    let gb = f64::from(memory_mb) / 1024.0;
    prices.lambda_per_million + 1e6 * gb * billed_ms / 1000.0 * prices.lambda_gb_second
}

/// The cheapest size and the size past which more memory stops paying off, from `sizes`
/// (smallest first); `None` when there are none.
pub(crate) fn recommend(sizes: &[SizeFigures]) -> Option<Recommendation> {
    let cheapest = sizes.iter().reduce(|best, size| {
        if size.lambda_cost_per_million < best.lambda_cost_per_million {
            size
        } else {
            best
        }
    })?;
    let diminishing = sizes
        .windows(2)
        .find(|pair| {
            let (now, next) = (pair[0].duration.mean_ms, pair[1].duration.mean_ms);
            now <= 0.0 || (now - next) / now < WORTHWHILE_GAIN
        })
        .map_or(sizes.last()?, |pair| &pair[0]);
    Some(Recommendation {
        cheapest_mb: cheapest.memory_mb,
        diminishing_past_mb: diminishing.memory_mb,
    })
}

/// The figures of one function whose invocations at each size are `measured`.
fn tuning(
    function: &str,
    invocation: String,
    sizes: Vec<SizeFigures>,
) -> Result<FunctionTuning, BoxError> {
    let recommendation = recommend(&sizes).ok_or("no size was measured")?;
    Ok(FunctionTuning {
        function: function.to_owned(),
        invocation,
        sizes,
        recommendation,
    })
}

fn size_figures(
    memory_mb: u32,
    duration: Summary,
    billed_ms_mean: f64,
    prices: &Prices,
) -> SizeFigures {
    SizeFigures {
        memory_mb,
        duration,
        billed_ms_mean,
        lambda_cost_per_million: lambda_cost_per_million(memory_mb, billed_ms_mean, prices),
    }
}

/// A route's function at every size: a fresh process per size, `warm_up` unmeasured then
/// `requests` measured back-to-back requests.
pub(crate) async fn tune_route(
    launch: &Launch,
    kind: Route,
    workload: &mut Workload,
    warm_up: usize,
    requests: usize,
    prices: &Prices,
) -> Result<FunctionTuning, BoxError> {
    let mut sizes = Vec::with_capacity(MEMORY_SIZES_MB.len());
    for memory_mb in MEMORY_SIZES_MB {
        let (run, _) = warm_run(
            &launch.at_memory(memory_mb),
            kind,
            workload,
            warm_up,
            requests,
            // A fresh process per size.
            &Environments::InPlace,
            None,
        )
        .await?;
        sizes.push(size_figures(
            memory_mb,
            run.duration,
            run.billed_ms_mean,
            prices,
        ));
    }
    tuning(&launch.name, kind.route_key().to_owned(), sizes)
}

/// The stream function at every size: a fresh process per size, batches of stream records.
pub(crate) async fn tune_stream(
    launch: &Launch,
    warm_up: usize,
    batches: usize,
    prices: &Prices,
) -> Result<FunctionTuning, BoxError> {
    let mut sizes = Vec::with_capacity(MEMORY_SIZES_MB.len());
    for memory_mb in MEMORY_SIZES_MB {
        let run = crate::stream::measure(&launch.at_memory(memory_mb), 1, warm_up, batches).await?;
        sizes.push(size_figures(
            memory_mb,
            run.batch_duration,
            run.billed_ms_mean,
            prices,
        ));
    }
    tuning(
        &launch.name,
        format!(
            "a batch of {} stream records",
            crate::stream::RECORDS_PER_BATCH
        ),
        sizes,
    )
}

/// The table: one row per function and size, then each function's recommendation.
pub(crate) fn render(tuning: &PowerTuning) -> String {
    let mut out = format!(
        "\nPower tuning ({}; {} back-to-back invocations per size after {} warm-up, a fresh \
         process per size; measured in {:.0} s):\n",
        tuning.cpu_model, tuning.requests, tuning.warm_up, tuning.seconds
    );
    let mut rows = Vec::new();
    for function in &tuning.functions {
        for size in &function.sizes {
            rows.push(vec![
                function.function.clone(),
                format!("{} MB", size.memory_mb),
                format!("{:.2} ms", size.duration.p50_ms),
                format!("{:.2} ms", size.duration.p99_ms),
                format!("{:.2} ms", size.duration.mean_ms),
                format!("{:.2}", size.billed_ms_mean),
                format!("{:.3}", size.lambda_cost_per_million),
            ]);
        }
    }
    out.push_str(&crate::table::table(
        &[
            "function",
            "memory",
            "p50",
            "p99",
            "mean",
            "billed ms",
            "Lambda $/M",
        ],
        &rows,
    ));
    out.push_str(&format!(
        "Lambda $/M = the request price plus the mean billed Duration's GB-seconds, per million \
         invocations (API Gateway and DynamoDB do not change with memory). Recommended, per \
         function: the cheapest size, and the size past which the next one cuts the mean \
         Duration by less than {:.0} %:\n",
        WORTHWHILE_GAIN * 100.0
    ));
    for function in &tuning.functions {
        let r = function.recommendation;
        out.push_str(&format!(
            "  {:<20} ({}): cheapest {} MB; more memory buys less than {:.0} % past {} MB\n",
            function.function,
            function.invocation,
            r.cheapest_mb,
            WORTHWHILE_GAIN * 100.0,
            r.diminishing_past_mb
        ));
    }
    out
}

/// Panel size and margins of the chart, in SVG units.
const PANEL_WIDTH: f64 = 420.0;
const PANEL_HEIGHT: f64 = 260.0;
const PANELS_PER_ROW: usize = 2;
const MARGIN_LEFT: f64 = 60.0;
const MARGIN_RIGHT: f64 = 60.0;
const MARGIN_TOP: f64 = 40.0;
const MARGIN_BOTTOM: f64 = 40.0;
const DURATION_COLOUR: &str = "#1f77b4";
const COST_COLOUR: &str = "#d62728";

/// The chart as Power Tuning draws it: per function, Duration (mean solid, p99 dashed, left
/// axis) and Lambda's cost per million (right axis) against memory size.
pub(crate) fn chart_svg(tuning: &PowerTuning) -> String {
    let rows = tuning.functions.len().div_ceil(PANELS_PER_ROW).max(1);
    let width = PANEL_WIDTH * PANELS_PER_ROW as f64;
    let height = PANEL_HEIGHT * rows as f64 + 30.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{width}" height="{height}" fill="white"/><text x="10" y="20" font-size="13">Power tuning: {}</text>"#,
        escape(&tuning.cpu_model)
    );
    for (index, function) in tuning.functions.iter().enumerate() {
        let x = (index % PANELS_PER_ROW) as f64 * PANEL_WIDTH;
        let y = 30.0 + (index / PANELS_PER_ROW) as f64 * PANEL_HEIGHT;
        panel(&mut svg, function, x, y);
    }
    svg.push_str("</svg>\n");
    svg
}

/// One function's panel with its top-left corner at (`left`, `top`).
fn panel(svg: &mut String, function: &FunctionTuning, left: f64, top: f64) {
    let plot_left = left + MARGIN_LEFT;
    let plot_right = left + PANEL_WIDTH - MARGIN_RIGHT;
    let plot_top = top + MARGIN_TOP;
    let plot_bottom = top + PANEL_HEIGHT - MARGIN_BOTTOM;
    let count = function.sizes.len();
    let x_of = |i: usize| {
        if count <= 1 {
            (plot_left + plot_right) / 2.0
        } else {
            plot_left + (plot_right - plot_left) * i as f64 / (count - 1) as f64
        }
    };
    let max_duration = function
        .sizes
        .iter()
        .map(|s| s.duration.p99_ms.max(s.duration.mean_ms))
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let max_cost = function
        .sizes
        .iter()
        .map(|s| s.lambda_cost_per_million)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let y_of = |value: f64, max: f64| plot_bottom - (plot_bottom - plot_top) * value / max;
    let _ = writeln!(
        svg,
        r#"<g><text x="{}" y="{}" font-size="12" font-weight="bold">{} ({})</text>"#,
        left + 10.0,
        top + 18.0,
        escape(&function.function),
        escape(&function.invocation)
    );
    let _ = writeln!(
        svg,
        r##"<rect x="{plot_left}" y="{plot_top}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
        plot_right - plot_left,
        plot_bottom - plot_top
    );
    // Axis labels: the largest value of each axis, and zero.
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="end" fill="{DURATION_COLOUR}">{:.1} ms</text><text x="{}" y="{plot_bottom}" text-anchor="end" fill="{DURATION_COLOUR}">0</text>"#,
        plot_left - 4.0,
        plot_top + 4.0,
        max_duration,
        plot_left - 4.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" fill="{COST_COLOUR}">${:.3}/M</text><text x="{}" y="{plot_bottom}" fill="{COST_COLOUR}">0</text>"#,
        plot_right + 4.0,
        plot_top + 4.0,
        max_cost,
        plot_right + 4.0
    );
    for (i, size) in function.sizes.iter().enumerate() {
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{} MB</text>"#,
            x_of(i),
            plot_bottom + 14.0,
            size.memory_mb
        );
    }
    let line = |value: &dyn Fn(&SizeFigures) -> f64, max: f64| -> String {
        function
            .sizes
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{:.1},{:.1}", x_of(i), y_of(value(s), max)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = writeln!(
        svg,
        r#"<polyline class="duration-mean" points="{}" fill="none" stroke="{DURATION_COLOUR}" stroke-width="2"/>"#,
        line(&|s| s.duration.mean_ms, max_duration)
    );
    let _ = writeln!(
        svg,
        r#"<polyline class="duration-p99" points="{}" fill="none" stroke="{DURATION_COLOUR}" stroke-dasharray="4 3"/>"#,
        line(&|s| s.duration.p99_ms, max_duration)
    );
    let _ = writeln!(
        svg,
        r#"<polyline class="cost" points="{}" fill="none" stroke="{COST_COLOUR}" stroke-width="2"/>"#,
        line(&|s| s.lambda_cost_per_million, max_cost)
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" fill="{DURATION_COLOUR}">Duration mean (solid), p99 (dashed)</text><text x="{}" y="{}" text-anchor="end" fill="{COST_COLOUR}">Lambda cost per million</text></g>"#,
        plot_left,
        plot_bottom + 30.0,
        plot_right,
        plot_bottom + 30.0
    );
}

/// `text` with XML's special characters escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::US_EAST_1;

    fn summary(mean_ms: f64) -> Summary {
        Summary {
            count: 100,
            p50_ms: mean_ms * 0.9,
            p90_ms: mean_ms,
            p99_ms: mean_ms * 3.0,
            max_ms: mean_ms * 4.0,
            mean_ms,
        }
    }

    /// Figures at the five sizes from mean Durations, billed as Lambda bills them.
    fn sizes(means: [f64; 5]) -> Vec<SizeFigures> {
        MEMORY_SIZES_MB
            .iter()
            .zip(means)
            .map(|(&mb, mean)| size_figures(mb, summary(mean), mean.ceil(), &US_EAST_1))
            .collect()
    }

    #[test]
    fn a_million_invocations_cost_the_request_price_plus_their_gb_seconds() {
        // 0.20 + 1e6 * 0.125 GB * 0.004 s * 0.0000133334
        let cost = lambda_cost_per_million(128, 4.0, &US_EAST_1);
        assert!(
            (cost - (0.20 + 0.125 * 4.0 * 13.3334e-3)).abs() < 1e-9,
            "{cost}"
        );
        assert!(lambda_cost_per_million(256, 4.0, &US_EAST_1) > cost);
    }

    #[test]
    fn a_cpu_bound_function_is_cheapest_where_duration_halves_with_memory_and_pays_to_the_top() {
        // Duration halves with each doubling until 1,024 MB, then falls by 42 % to 1,769 MB:
        // the cost stays flat while billed ms shrink with memory, so rounding decides.
        let tuned = recommend(&sizes([40.0, 20.0, 10.0, 5.0, 2.9])).expect("sizes");
        assert_eq!(tuned.diminishing_past_mb, 1769);
        // billed 40 ms at 128 MB = 5 GB-ms; 3 ms at 1,769 MB = 5.18 GB-ms.
        assert_eq!(tuned.cheapest_mb, 128);
    }

    #[test]
    fn a_store_bound_function_stops_gaining_where_the_store_call_dominates() {
        // 128 -> 256 cuts 40 %, 256 -> 512 cuts 25 %, 512 -> 1,024 only 5 %.
        let tuned = recommend(&sizes([10.0, 6.0, 4.5, 4.275, 4.2])).expect("sizes");
        assert_eq!(tuned.diminishing_past_mb, 512);
        assert_eq!(tuned.cheapest_mb, 128);
    }

    #[test]
    fn when_more_memory_buys_nothing_the_smallest_size_is_both_answers() {
        let tuned = recommend(&sizes([3.0, 3.0, 2.9, 2.9, 2.9])).expect("sizes");
        assert_eq!(
            tuned,
            Recommendation {
                cheapest_mb: 128,
                diminishing_past_mb: 128
            }
        );
    }

    #[test]
    fn the_cheapest_size_can_be_a_larger_one_when_duration_falls_faster_than_memory_grows() {
        // 128 MB throttled to 30 ms, 256 MB 9 ms: 3.75 against 2.25 GB-ms.
        let tuned = recommend(&sizes([30.0, 9.0, 8.5, 8.4, 8.4])).expect("sizes");
        assert_eq!(tuned.cheapest_mb, 256);
        assert_eq!(tuned.diminishing_past_mb, 256);
    }

    #[test]
    fn no_sizes_recommend_nothing() {
        assert_eq!(recommend(&[]), None);
    }

    fn run(functions: &[(&str, [f64; 5])]) -> PowerTuning {
        PowerTuning {
            cpu_model: "CPU model on <test> & more".to_owned(),
            warm_up: 10,
            requests: 100,
            functions: functions
                .iter()
                .map(|(name, means)| {
                    tuning(name, "GET /items/{id}".to_owned(), sizes(*means)).expect("tuning")
                })
                .collect(),
            seconds: 1.0,
        }
    }

    #[test]
    fn the_chart_draws_one_panel_per_function_with_a_point_per_size_on_each_line() {
        let svg = chart_svg(&run(&[
            ("get-item", [10.0, 6.0, 4.5, 4.3, 4.2]),
            ("list-items", [30.0, 15.0, 8.0, 5.0, 4.0]),
            ("publish-item-events", [50.0, 25.0, 12.0, 7.0, 6.0]),
        ]));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<g>").count(), 3);
        assert_eq!(svg.matches("</g>").count(), 3);
        for class in ["duration-mean", "duration-p99", "cost"] {
            let lines: Vec<&str> = svg
                .lines()
                .filter(|line| line.contains(&format!("class=\"{class}\"")))
                .collect();
            assert_eq!(lines.len(), 3, "{class}");
            for line in lines {
                let points = line.split("points=\"").nth(1).expect("points");
                let points = points.split('"').next().expect("closing quote");
                assert_eq!(points.split(' ').count(), MEMORY_SIZES_MB.len(), "{line}");
            }
        }
        assert!(svg.contains(">1769 MB</text>"));
        // Three panels in two columns make two rows.
        assert!(svg.contains(&format!("height=\"{}\"", PANEL_HEIGHT * 2.0 + 30.0)));
    }

    #[test]
    fn the_chart_puts_the_largest_duration_at_the_top_and_escapes_its_text() {
        let svg = chart_svg(&run(&[("get-item", [10.0, 6.0, 4.5, 4.3, 4.2])]));
        // The p99 at 128 MB (30 ms) is the largest Duration: the top of the plot.
        let p99 = svg
            .lines()
            .find(|line| line.contains("duration-p99"))
            .expect("p99 line");
        assert!(
            p99.contains(&format!("{:.1},{:.1}", MARGIN_LEFT, 30.0 + MARGIN_TOP)),
            "{p99}"
        );
        assert!(svg.contains("30.0 ms</text>"));
        assert!(svg.contains("CPU model on &lt;test&gt; &amp; more"));
        assert!(!svg.contains("<test>"));
    }

    #[test]
    fn the_table_names_each_functions_recommendation() {
        let text = render(&run(&[("get-item", [10.0, 6.0, 4.5, 4.275, 4.2])]));
        assert_eq!(text.matches("get-item ").count(), 6, "{text}");
        assert!(
            text.contains("get-item             (GET /items/{id}): cheapest 128 MB; more memory buys less than 10 % past 512 MB"),
            "{text}"
        );
    }
}
