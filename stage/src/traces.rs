//! Traces on the local stage. One local X-Ray daemon (the [emulator](xray_emulator)) receives
//! the segment documents of every function process, each started with the daemon's address as
//! Lambda starts a function with active tracing. The stage records what Lambda itself records:
//! a segment per sampled invocation (`AWS::Lambda::Function`), under which the function's own
//! segments hang. Functions called in-process export nothing, so for them the stage records
//! the handler's segment too. `GET /_local/traces` lists the traces and
//! `/_local/traces.html` draws one's waterfall ([`crate::local_endpoints`]).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use apigateway_emulator::{Integration, IntegrationFuture};
use items_apigateway::Route;
use lambda_emulator::stream_mapping::Invoke;
use serde_json::{json, Map, Value};
use xray_emulator::{new_segment_id, Segment, TraceHeader, XrayDaemon};

/// The origin X-Ray gives the segment Lambda records for each invocation of a function.
pub const LAMBDA_FUNCTION_ORIGIN: &str = "AWS::Lambda::Function";

/// The name of the handler's segment the stage records for an in-process function.
pub const HANDLER_SEGMENT: &str = "handler";

/// Any integration, with Lambda's segment recorded for every sampled invocation; the function
/// is called with the trace header naming that segment as its parent, as Lambda calls it.
pub(crate) struct TracedFunctions {
    pub(crate) functions: Arc<dyn Integration>,
    pub(crate) daemon: Arc<XrayDaemon>,
}

impl Integration for TracedFunctions {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        event: Value,
        trace_header: &'a str,
    ) -> IntegrationFuture<'a> {
        Box::pin(async move {
            let Some(trace) = TraceHeader::parse(trace_header).filter(TraceHeader::is_sampled)
            else {
                return self.functions.invoke(function, event, trace_header).await;
            };
            let segment_id = new_segment_id();
            let start_time = epoch_seconds();
            let for_function = trace.with_parent(&segment_id).to_string();
            let result = self.functions.invoke(function, event, &for_function).await;
            let failure = result.as_ref().err();
            record(
                &self.daemon,
                Segment {
                    name: function.to_owned(),
                    id: segment_id,
                    trace_id: Some(trace.root.to_string()),
                    parent_id: trace.parent,
                    start_time,
                    end_time: Some(epoch_seconds()),
                    origin: Some(LAMBDA_FUNCTION_ORIGIN.to_owned()),
                    fault: failure.is_some(),
                    cause: failure
                        .map(|failure| json!({"exceptions": [{"message": failure.to_string()}]})),
                    ..Segment::default()
                },
            );
            result
        })
    }
}

/// `functions` (a [`TracedFunctions`]) as an event source mapping invokes `function`: each
/// batch in a new sampled trace, as Lambda starts one for a function with active tracing.
pub(crate) fn mapping_invoke(functions: Arc<dyn Integration>, function: &str) -> Invoke {
    let function = function.to_owned();
    Arc::new(move |event: Value| {
        let functions = Arc::clone(&functions);
        let function = function.clone();
        Box::pin(async move {
            let trace = TraceHeader::new_sampled().to_string();
            functions
                .invoke(&function, event, &trace)
                .await
                .map_err(|failure| failure.to_string())
        })
    })
}

/// Keeps a segment of the stage's own making. Its ids and trace come from a parsed header or
/// are generated, so the daemon has no reason to refuse it; if it did, the trace would only
/// lack that segment.
pub(crate) fn record(daemon: &XrayDaemon, segment: Segment) {
    let _ = daemon.record(segment);
}

/// The time now as X-Ray writes it: epoch seconds, fractional.
pub(crate) fn epoch_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

/// What a handler's segment tells of its request, read from the event before the handler takes
/// it (so the event is not copied to be read afterwards).
pub(crate) struct RequestLine {
    method: Option<String>,
    path: Option<String>,
    request_id: Option<String>,
}

impl RequestLine {
    /// The method, path and API Gateway request id of a payload 2.0 or 1.0 event.
    pub(crate) fn of(event: &Value) -> Self {
        let text = |pointers: &[&str]| {
            pointers
                .iter()
                .find_map(|pointer| event.pointer(pointer)?.as_str())
                .map(str::to_owned)
        };
        // Payload 2.0 first, then 1.0.
        Self {
            method: text(&["/requestContext/http/method", "/httpMethod"]),
            path: text(&["/rawPath", "/path"]),
            request_id: text(&["/requestContext/requestId"]),
        }
    }
}

/// The segment an in-process function's handler would export for one invocation under
/// `trace`: the route, the response status, the request id and the cold start (never, in
/// this process) as annotations, the request line and status as its `http`. Nothing of the
/// request's content or its caller is recorded.
pub(crate) fn handler_segment(
    trace: &TraceHeader,
    route: Route,
    request: RequestLine,
    response: &Value,
    start_time: f64,
) -> Segment {
    let RequestLine {
        method,
        path,
        request_id,
    } = request;
    let status = response.get("statusCode").and_then(Value::as_u64);

    let mut annotations = Map::new();
    annotations.insert("route".to_owned(), json!(route.route_key()));
    annotations.insert("cold_start".to_owned(), json!(false));
    if let Some(status) = status {
        annotations.insert("status".to_owned(), json!(status));
    }
    if let Some(request_id) = request_id {
        annotations.insert("request_id".to_owned(), json!(request_id));
    }
    let status_class = status.unwrap_or_default();
    Segment {
        name: HANDLER_SEGMENT.to_owned(),
        id: new_segment_id(),
        trace_id: Some(trace.root.to_string()),
        parent_id: trace.parent.clone(),
        document_type: Some(xray_emulator::document::SUBSEGMENT.to_owned()),
        start_time,
        end_time: Some(epoch_seconds()),
        fault: status_class >= 500,
        error: (400..500).contains(&status_class),
        throttle: status_class == 429,
        annotations,
        http: Some(json!({
            "request": {"method": method, "url": path},
            "response": {"status": status},
        })),
        ..Segment::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace() -> TraceHeader {
        TraceHeader::parse(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .unwrap()
    }

    #[test]
    fn the_handler_segment_names_the_route_and_status_and_nothing_of_the_request() {
        let event = json!({
            "version": "2.0",
            "rawPath": "/items/42",
            "requestContext": {"requestId": "abc=", "http": {"method": "PUT"},
                               "authorizer": {"jwt": {"claims": {"sub": "alice"}}}},
            "body": "{\"name\": \"secret\"}",
        });
        let segment = handler_segment(
            &trace(),
            Route::ALL[0],
            RequestLine::of(&event),
            &json!({"statusCode": 412, "body": "{}"}),
            1.0,
        );
        assert!(segment.validate().is_ok(), "{segment:?}");
        assert_eq!(segment.parent_id.as_deref(), Some("53995c3f42cd8ad8"));
        assert_eq!(segment.annotations["route"], Route::ALL[0].route_key());
        assert_eq!(segment.annotations["status"], 412);
        assert_eq!(segment.annotations["cold_start"], false);
        assert_eq!(segment.annotations["request_id"], "abc=");
        assert!(
            segment.error && !segment.fault,
            "a refused precondition is no fault"
        );
        let http = segment.http.unwrap();
        assert_eq!(
            http["request"],
            json!({"method": "PUT", "url": "/items/42"})
        );
        let recorded = serde_json::to_string(&segment.annotations).unwrap();
        assert!(!recorded.contains("alice") && !recorded.contains("secret"));
    }

    #[test]
    fn a_payload_1_0_event_gives_the_same_request_line() {
        let event = json!({"httpMethod": "GET", "path": "/items",
                           "requestContext": {"requestId": "r1"}});
        let segment = handler_segment(
            &trace(),
            Route::ALL[0],
            RequestLine::of(&event),
            &json!({"statusCode": 503}),
            1.0,
        );
        let http = segment.http.unwrap();
        assert_eq!(http["request"], json!({"method": "GET", "url": "/items"}));
        assert!(segment.fault);
    }
}
