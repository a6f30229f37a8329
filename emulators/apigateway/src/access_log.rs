//! One JSON access-log line per request, with the keys and value spelling of the deployed
//! stage's access log format: every value a string, `-` where API Gateway has no value.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::events::clf_time;

/// What one request did, for its access-log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogEntry {
    /// API Gateway's request id.
    pub request_id: String,
    /// The request's X-Ray trace id, e.g. `1-5759e988-bd862e3fe1be46a994272793`.
    pub trace_id: String,
    /// The client's address.
    pub ip: String,
    /// When the request arrived.
    pub request_time: DateTime<Utc>,
    /// The request method.
    pub http_method: String,
    /// The matched route key; `None` when no route matched.
    pub route_key: Option<String>,
    /// The verified token's `sub` claim; `None` when the request carried no verified token.
    pub caller: Option<String>,
    /// The response status.
    pub status: u16,
    /// The response body length in bytes.
    pub response_length: usize,
    /// From arrival to response.
    pub latency: Duration,
    /// Time spent in the function; `None` when no function ran.
    pub integration_latency: Option<Duration>,
    /// The message of an answer API Gateway made itself (`$context.error.message`: 401, 404,
    /// 413, 429, a failed integration's 500 or 503); `None` when the function answered.
    pub error_message: Option<String>,
    /// Why the authorizer refused the request (`$context.authorizer.error`).
    pub authorizer_error: Option<String>,
    /// Why the integration failed (`$context.integrationErrorMessage`): the function's error, a
    /// response API Gateway could not read, or the integration's timeout.
    pub integration_error: Option<String>,
}

impl AccessLogEntry {
    /// The line as the deployed stage writes it: `requestId`, `ip`, `requestTime`,
    /// `httpMethod`, `routeKey`, `caller` (`$context.authorizer.claims.sub`), `status`,
    /// `responseLength`, `latency`, `integrationLatency`, `errorMessage`, `authorizerError`,
    /// `integrationError`, and `xrayTraceId` (`$context.xrayTraceId`), the trace to look up for
    /// the request. A value API Gateway does not have is `-`, as it writes one.
    pub fn to_line(&self) -> String {
        let dash = || "-".to_owned();
        json!({
            "requestId": self.request_id,
            "ip": self.ip,
            "requestTime": clf_time(self.request_time),
            "httpMethod": self.http_method,
            "routeKey": self.route_key.clone().unwrap_or_else(dash),
            "caller": self.caller.clone().unwrap_or_else(dash),
            "status": self.status.to_string(),
            "responseLength": self.response_length.to_string(),
            "latency": self.latency.as_millis().to_string(),
            "integrationLatency": self
                .integration_latency
                .map_or_else(dash, |d| d.as_millis().to_string()),
            "errorMessage": self.error_message.clone().unwrap_or_else(dash),
            "authorizerError": self.authorizer_error.clone().unwrap_or_else(dash),
            "integrationError": self.integration_error.clone().unwrap_or_else(dash),
            "xrayTraceId": self.trace_id,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::Value;

    #[test]
    fn a_line_has_exactly_the_stage_keys_as_strings() {
        let entry = AccessLogEntry {
            request_id: "abc=".to_owned(),
            trace_id: "1-5759e988-bd862e3fe1be46a994272793".to_owned(),
            ip: "127.0.0.1".to_owned(),
            request_time: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            http_method: "GET".to_owned(),
            route_key: None,
            caller: None,
            status: 404,
            response_length: 23,
            latency: Duration::from_millis(3),
            integration_latency: None,
            error_message: Some("Not Found".to_owned()),
            authorizer_error: None,
            integration_error: None,
        };
        let line: Value = serde_json::from_str(&entry.to_line()).unwrap();
        let mut keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "authorizerError",
                "caller",
                "errorMessage",
                "httpMethod",
                "integrationError",
                "integrationLatency",
                "ip",
                "latency",
                "requestId",
                "requestTime",
                "responseLength",
                "routeKey",
                "status",
                "xrayTraceId"
            ]
        );
        assert_eq!(line["status"], "404");
        assert_eq!(line["routeKey"], "-");
        assert_eq!(line["caller"], "-");
        assert_eq!(line["integrationLatency"], "-");
        assert_eq!(line["errorMessage"], "Not Found");
        assert_eq!(line["authorizerError"], "-");
        assert_eq!(line["integrationError"], "-");
        assert_eq!(line["requestTime"], "02/Jan/2026:03:04:05 +0000");
        assert_eq!(line["xrayTraceId"], "1-5759e988-bd862e3fe1be46a994272793");
    }
}
