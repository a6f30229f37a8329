//! CloudWatch metrics in Embedded Metric Format: one JSON line on stdout per metric, which
//! Lambda's log pipeline turns into a metric. A few lines of code; no crate needed for two
//! counters.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

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
    /// Records one count of `metric`: one line, one write. A stdout that cannot be written
    /// loses the metric and never fails the request.
    pub fn count(&self, metric: &str) {
        if let Metrics::Emf { function_name } = self {
            if let Ok(mut line) = emf_line(metric, 1.0, function_name, now_millis()) {
                line.push(b'\n');
                let _ = std::io::stdout().lock().write_all(&line);
            }
        }
    }
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// One EMF document for a single count metric, written straight into its bytes: a `json!`
/// tree per line cost a dozen allocations on every create.
pub fn emf_line(
    metric: &str,
    value: f64,
    function_name: &str,
    timestamp_millis: u128,
) -> serde_json::Result<Vec<u8>> {
    let mut line = Vec::with_capacity(256);
    line.extend_from_slice(b"{\"_aws\":{\"Timestamp\":");
    serde_json::to_writer(&mut line, &timestamp_millis)?;
    line.extend_from_slice(b",\"CloudWatchMetrics\":[{\"Namespace\":");
    serde_json::to_writer(&mut line, NAMESPACE)?;
    line.extend_from_slice(b",\"Dimensions\":[[\"FunctionName\"]],\"Metrics\":[{\"Name\":");
    serde_json::to_writer(&mut line, metric)?;
    line.extend_from_slice(b",\"Unit\":\"Count\"}]}]},\"FunctionName\":");
    serde_json::to_writer(&mut line, function_name)?;
    line.push(b',');
    serde_json::to_writer(&mut line, metric)?;
    line.push(b':');
    serde_json::to_writer(&mut line, &value)?;
    line.push(b'}');
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::Value;

    fn parsed(line: serde_json::Result<Vec<u8>>) -> Value {
        serde_json::from_slice(&line.expect("written")).expect("one JSON document")
    }

    #[test]
    fn an_emf_line_declares_its_metric_and_carries_its_value_and_dimension() {
        let line = parsed(emf_line(
            "ItemsCreated",
            1.0,
            "create-item",
            1_700_000_000_000,
        ));
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Metrics"][0]["Name"], "ItemsCreated");
        assert_eq!(directive["Metrics"][0]["Unit"], "Count");
        assert_eq!(directive["Dimensions"][0][0], "FunctionName");
        assert_eq!(line["FunctionName"], "create-item");
        assert_eq!(line["ItemsCreated"], 1.0);
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(line.as_object().map(|members| members.len()), Some(3));
    }

    #[test]
    fn names_that_need_escaping_still_make_one_valid_document() {
        let line = parsed(emf_line("Items\"Created\\", 2.5, "fn\nname", 1));
        assert_eq!(line["FunctionName"], "fn\nname");
        assert_eq!(line["Items\"Created\\"], 2.5);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "Items\"Created\\"
        );
    }
}
