//! CloudWatch metrics in Embedded Metric Format: one JSON line on stdout per count, which
//! Lambda's log pipeline turns into a metric. A few lines of code; no crate needed for two
//! counters (`ColdStart` from every route, `ItemsCreated` from the stream function).

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::escape::write_escaped;

/// The CloudWatch namespace of the API's metrics.
pub const NAMESPACE: &str = "ItemsApi";

/// The variable Lambda sets to the function's name: the metrics' `FunctionName` dimension; its
/// presence turns metrics on.
pub const FUNCTION_NAME_ENV: &str = "AWS_LAMBDA_FUNCTION_NAME";

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
    /// EMF lines dimensioned by `function_name` (Lambda's `AWS_LAMBDA_FUNCTION_NAME`), or none
    /// outside Lambda, where nothing reads them.
    pub fn for_function(function_name: Option<String>) -> Self {
        match function_name {
            Some(function_name) if !function_name.is_empty() => Metrics::Emf { function_name },
            _ => Metrics::Off,
        }
    }

    /// EMF lines for the function Lambda names in [`FUNCTION_NAME_ENV`], or none outside Lambda.
    pub fn from_env() -> Self {
        Self::for_function(std::env::var(FUNCTION_NAME_ENV).ok())
    }

    /// Records `value` counts of `metric`: one line, one write. A stdout that cannot be
    /// written loses the metric and never fails the invocation.
    pub fn count(&self, metric: &str, value: u64) {
        if let Metrics::Emf { function_name } = self {
            let mut line = emf_line(metric, value, function_name, now_millis());
            line.push('\n');
            let _ = std::io::stdout().lock().write_all(line.as_bytes());
        }
    }
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// One EMF document for a single count metric, written straight into its text.
pub fn emf_line(metric: &str, value: u64, function_name: &str, timestamp_millis: u128) -> String {
    let mut line = String::with_capacity(256);
    // Writing into a String cannot fail.
    let _ = write_document(&mut line, metric, value, function_name, timestamp_millis);
    line
}

fn write_document(
    line: &mut String,
    metric: &str,
    value: u64,
    function_name: &str,
    timestamp_millis: u128,
) -> std::fmt::Result {
    write!(
        line,
        "{{\"_aws\":{{\"Timestamp\":{timestamp_millis},\"CloudWatchMetrics\":[{{\"Namespace\":\"{NAMESPACE}\",\
         \"Dimensions\":[[\"FunctionName\"]],\"Metrics\":[{{\"Name\":\""
    )?;
    write_escaped(line, metric)?;
    line.push_str("\",\"Unit\":\"Count\"}]}]},\"FunctionName\":\"");
    write_escaped(line, function_name)?;
    line.push_str("\",\"");
    write_escaped(line, metric)?;
    write!(line, "\":{value}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::Value;

    fn parsed(line: String) -> Value {
        serde_json::from_str(&line).expect("one JSON document")
    }

    #[test]
    fn an_emf_line_declares_its_metric_and_carries_its_value_and_dimension() {
        let line = parsed(emf_line(
            "ItemsCreated",
            3,
            "publish-item-events",
            1_700_000_000_000,
        ));
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Metrics"][0]["Name"], "ItemsCreated");
        assert_eq!(directive["Metrics"][0]["Unit"], "Count");
        assert_eq!(directive["Dimensions"][0][0], "FunctionName");
        assert_eq!(line["FunctionName"], "publish-item-events");
        assert_eq!(line["ItemsCreated"], 3);
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(line.as_object().map(|members| members.len()), Some(3));
    }

    #[test]
    fn names_that_need_escaping_still_make_one_valid_document() {
        let line = parsed(emf_line("Items\"Created\\", 2, "fn\nname", 1));
        assert_eq!(line["FunctionName"], "fn\nname");
        assert_eq!(line["Items\"Created\\"], 2);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "Items\"Created\\"
        );
    }

    #[test]
    fn metrics_are_off_without_a_function_name() {
        assert_eq!(Metrics::for_function(None), Metrics::Off);
        assert_eq!(Metrics::for_function(Some(String::new())), Metrics::Off);
        assert_eq!(
            Metrics::for_function(Some("create-item".into())),
            Metrics::Emf {
                function_name: "create-item".into()
            }
        );
    }
}
