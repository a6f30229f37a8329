//! What a run measured, and the table it prints.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use items_apigateway::Route;

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// An HTTP answer with this status.
    Status(u16),
    /// No answer within the request timeout.
    Timeout,
    /// No answer: connection refused or reset, TLS failure.
    Transport,
}

impl Outcome {
    fn label(self) -> String {
        match self {
            Outcome::Status(status) => status.to_string(),
            Outcome::Timeout => "timeout".to_owned(),
            Outcome::Transport => "connection".to_owned(),
        }
    }
}

/// One finished request.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// The route it called.
    pub route: Route,
    /// From its scheduled start to its answer: includes any wait before it could be sent, so a
    /// stalled server cannot hide its stall by slowing the sender down (coordinated omission).
    pub latency: Duration,
    /// From the moment it was actually sent to its answer.
    pub service_time: Duration,
    /// How it ended.
    pub outcome: Outcome,
}

/// Latency percentiles of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentiles {
    /// The median.
    pub p50: Duration,
    /// The 90th percentile.
    pub p90: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The slowest.
    pub max: Duration,
}

impl Percentiles {
    /// Nearest-rank percentiles; `None` for no samples.
    pub fn of(mut latencies: Vec<Duration>) -> Option<Percentiles> {
        if latencies.is_empty() {
            return None;
        }
        latencies.sort_unstable();
        let rank = |p: usize| {
            // The smallest value with at least p% of the samples at or below it.
            let index = (p * latencies.len()).div_ceil(100).max(1) - 1;
            latencies[index.min(latencies.len() - 1)]
        };
        Some(Percentiles {
            p50: rank(50),
            p90: rank(90),
            p99: rank(99),
            max: latencies[latencies.len() - 1],
        })
    }
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The stage's base URL.
    pub url: String,
    /// The requested rate, per second.
    pub rate: f64,
    /// The requested duration.
    pub duration: Duration,
    /// The mix, as its heading describes it.
    pub mix: String,
    /// Requests scheduled (rate x duration).
    pub scheduled: usize,
    /// From the first scheduled start to the last answer.
    pub elapsed: Duration,
    /// Every finished request.
    pub samples: Vec<Sample>,
}

impl Report {
    /// Requests answered with their route's success status.
    pub fn succeeded(&self) -> usize {
        self.samples.iter().filter(|s| is_success(s)).count()
    }

    /// Requests that failed (another status, a timeout, no connection).
    pub fn failed(&self) -> usize {
        self.samples.len() - self.succeeded()
    }

    /// Answered requests per second over the whole run.
    pub fn achieved_rate(&self) -> f64 {
        self.samples.len() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Failures by route and outcome.
    pub fn errors(&self) -> BTreeMap<(Route, Outcome), usize> {
        let mut errors = BTreeMap::new();
        for sample in self.samples.iter().filter(|s| !is_success(s)) {
            *errors.entry((sample.route, sample.outcome)).or_insert(0) += 1;
        }
        errors
    }

    /// The report as Markdown: readable in a terminal, and a table in a CI job summary.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "### Load test: {} req/s for {} s against {}\n",
            trim_float(self.rate),
            trim_float(self.duration.as_secs_f64()),
            self.url
        );
        let _ = writeln!(out, "Mix: {}.\n", self.mix);
        let _ = writeln!(
            out,
            "Scheduled {}, answered {}, achieved **{:.1} req/s**, failed {} ({:.2}%).\n",
            self.scheduled,
            self.samples.len(),
            self.achieved_rate(),
            self.failed(),
            100.0 * self.failed() as f64 / self.samples.len().max(1) as f64
        );
        let _ = writeln!(
            out,
            "| route | requests | p50 ms | p90 ms | p99 ms | max ms | errors |"
        );
        let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        let row = |out: &mut String, name: &str, samples: Vec<&Sample>| {
            let errors = samples.iter().filter(|s| !is_success(s)).count();
            let count = samples.len();
            let latencies = samples.into_iter().map(|s| s.latency).collect();
            let cells = match Percentiles::of(latencies) {
                Some(p) => [p.p50, p.p90, p.p99, p.max].map(millis).join(" | "),
                None => "- | - | - | -".to_owned(),
            };
            let _ = writeln!(out, "| {name} | {count} | {cells} | {errors} |");
        };
        for route in Route::ALL {
            let samples: Vec<&Sample> = self.samples.iter().filter(|s| s.route == route).collect();
            if !samples.is_empty() {
                row(&mut out, route.route_key(), samples);
            }
        }
        row(&mut out, "**all**", self.samples.iter().collect());
        if let Some(service) =
            Percentiles::of(self.samples.iter().map(|s| s.service_time).collect())
        {
            let _ = writeln!(
                out,
                "\nLatency is measured from each request's scheduled start, so time spent waiting \
                 to be sent counts. Service time alone (from the actual send): p50 {} ms, p99 {} ms, max {} ms.",
                millis(service.p50),
                millis(service.p99),
                millis(service.max)
            );
        }
        let errors = self.errors();
        if errors.is_empty() {
            let _ = writeln!(out, "\nErrors by status: none.");
        } else {
            let _ = writeln!(out, "\nErrors by status:\n");
            for ((route, outcome), count) in errors {
                let _ = writeln!(out, "- {}: {} x{count}", route.route_key(), outcome.label());
            }
        }
        out
    }
}

fn is_success(sample: &Sample) -> bool {
    sample.outcome == Outcome::Status(sample.route.success_status())
}

fn millis(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

fn trim_float(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let p = Percentiles::of(ms(&(1..=100).rev().collect::<Vec<_>>())).unwrap();
        assert_eq!(p.p50, Duration::from_millis(50));
        assert_eq!(p.p90, Duration::from_millis(90));
        assert_eq!(p.p99, Duration::from_millis(99));
        assert_eq!(p.max, Duration::from_millis(100));
    }

    #[test]
    fn one_slow_request_in_ten_is_the_p99_and_the_max() {
        let p = Percentiles::of(ms(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 500])).unwrap();
        assert_eq!(p.p50, Duration::from_millis(1));
        assert_eq!(p.p90, Duration::from_millis(1));
        assert_eq!(p.p99, Duration::from_millis(500));
    }

    #[test]
    fn no_samples_have_no_percentiles() {
        assert_eq!(Percentiles::of(Vec::new()), None);
    }

    #[test]
    fn errors_are_counted_by_route_and_status() {
        let sample = |route, outcome| Sample {
            route,
            latency: Duration::from_millis(2),
            service_time: Duration::from_millis(1),
            outcome,
        };
        let report = Report {
            url: "http://stage".to_owned(),
            rate: 10.0,
            duration: Duration::from_secs(1),
            mix: crate::mix::Mix::realistic().describe(),
            scheduled: 4,
            elapsed: Duration::from_secs(1),
            samples: vec![
                sample(Route::GetItem, Outcome::Status(200)),
                sample(Route::CreateItem, Outcome::Status(201)),
                sample(Route::CreateItem, Outcome::Status(429)),
                sample(Route::DeleteItem, Outcome::Timeout),
            ],
        };
        assert_eq!(report.succeeded(), 2);
        assert_eq!(report.failed(), 2);
        let table = report.to_markdown();
        assert!(table.contains("- POST /items: 429 x1"), "{table}");
        assert!(
            table.contains("- DELETE /items/{id}: timeout x1"),
            "{table}"
        );
        assert!(
            table.contains("| POST /items | 2 | 2.0 | 2.0 | 2.0 | 2.0 | 1 |"),
            "{table}"
        );
    }
}
