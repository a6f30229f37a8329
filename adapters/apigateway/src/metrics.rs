//! CloudWatch metrics in Embedded Metric Format: one JSON line on stdout per metric, which
//! Lambda's log pipeline turns into a metric. A few lines of code; no crate needed for two
//! counters.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The CloudWatch namespace of the API's metrics.
pub const NAMESPACE: &str = "ItemsApi";

/// Where metric lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Metrics {
    /// Standard output, as Lambda expects EMF lines, dimensioned by function name.
    Emf {
        /// The function's name, the metrics' `FunctionName` dimension.
        function_name: String,
    },
    /// Nowhere (tests, the local stage's in-process mode).
    Off,
}

impl Metrics {
    /// Records one count of `metric`.
    #[allow(clippy::print_stdout, reason = "Lambda reads EMF lines from stdout")]
    pub fn count(&self, metric: &str) {
        if let Metrics::Emf { function_name } = self {
            println!("{}", emf_line(metric, 1.0, function_name, now_millis()));
        }
    }
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// One EMF document for a single count metric.
pub fn emf_line(metric: &str, value: f64, function_name: &str, timestamp_millis: u128) -> Value {
    json!({
        "_aws": {
            "Timestamp": timestamp_millis,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["FunctionName"]],
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        "FunctionName": function_name,
        metric: value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emf_line_declares_its_metric_and_carries_its_value_and_dimension() {
        let line = emf_line("ItemsCreated", 1.0, "create-item", 1_700_000_000_000);
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Metrics"][0]["Name"], "ItemsCreated");
        assert_eq!(directive["Dimensions"][0][0], "FunctionName");
        assert_eq!(line["FunctionName"], "create-item");
        assert_eq!(line["ItemsCreated"], 1.0);
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
    }
}
