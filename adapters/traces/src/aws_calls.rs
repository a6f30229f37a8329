//! A span per AWS call, from the SDK's interceptor hooks: a subsegment in the `aws` namespace
//! named for the service, with the operation, the table or bus, the attempts the SDK made, and
//! on failure the error code (an error for a 4xx answer, a fault for a 5xx or no answer).

use std::collections::HashMap;
use std::fmt;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextMut, Error, FinalizerInterceptorContextRef, Input,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Status, TraceContextExt};
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_aws::trace::XrayPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::TARGET;

/// What an AWS call acts on, as its subsegment names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallResource {
    /// The DynamoDB tables a request names (a transaction may name two).
    Tables(Vec<String>),
    /// An EventBridge event bus.
    Bus(String),
}

/// Reads what a request acts on from its input (the SDK's typed input, type-erased).
pub type DescribeCall = fn(&Input) -> Option<CallResource>;

/// Sets the trace header on a request's input (e.g. each PutEvents entry's `TraceHeader`), so
/// the receiver's trace continues this call's.
pub type PropagateTrace = fn(&mut Input, &str);

/// The interceptor that traces a client's calls: add it to the client's configuration
/// (`Config::builder().interceptor(...)`), as [`AwsCallSpans::when_traced`] gives it: with
/// traces off a client is built without it.
#[derive(Clone)]
pub struct AwsCallSpans {
    describe: DescribeCall,
    propagate: Option<PropagateTrace>,
}

impl fmt::Debug for AwsCallSpans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCallSpans")
            .field("propagates", &self.propagate.is_some())
            .finish()
    }
}

impl AwsCallSpans {
    /// Traces each call, naming what it acts on with `describe`.
    pub fn new(describe: DescribeCall) -> Self {
        Self {
            describe,
            propagate: None,
        }
    }

    /// The interceptor when this process traces AWS calls (its subscriber records the traces'
    /// spans: [`init`](crate::init) found an X-Ray daemon), `None` when it does not: a client
    /// built with traces off carries nothing of them, and its calls skip the interceptor's
    /// hooks, which the SDK runs on every call whether or not a span is made. Build clients
    /// after `init`.
    pub fn when_traced(describe: DescribeCall) -> Option<Self> {
        tracing::span_enabled!(target: TARGET, tracing::Level::INFO).then(|| Self::new(describe))
    }

    /// Also hands each call's trace header to `propagate`, to put on the request.
    pub fn propagating(self, propagate: PropagateTrace) -> Self {
        Self {
            propagate: Some(propagate),
            ..self
        }
    }
}

/// The span of the call in progress, kept in the call's configuration bag between hooks.
#[derive(Debug, Clone)]
struct CallSpan(Span);

impl Storable for CallSpan {
    type Storer = StoreReplace<Self>;
}

/// Error codes that mean the service throttled the call.
const THROTTLING_CODES: [&str; 4] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
];

impl Intercept for AwsCallSpans {
    fn name(&self) -> &'static str {
        "AwsCallSpans"
    }

    // The first hook after the operation's configuration (its service and name) is in the bag.
    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        // `rpc.system = aws-api` and `rpc.service` make X-Ray's translator name the subsegment
        // after the service, in the `aws` namespace, with `rpc.method` as its operation.
        let span = tracing::info_span!(
            target: TARGET,
            "aws call",
            otel.kind = "client",
            rpc.system = "aws-api",
            rpc.service = metadata.service(),
            rpc.method = metadata.name(),
        );
        if span.is_disabled() {
            return Ok(());
        }
        match (self.describe)(context.input()) {
            // X-Ray's subsegment shows the first as `aws.table_name`, all as `table_names`.
            Some(CallResource::Tables(tables)) => span.set_attribute(
                "aws.dynamodb.table_names",
                Value::Array(Array::String(
                    tables.into_iter().map(StringValue::from).collect(),
                )),
            ),
            Some(CallResource::Bus(bus)) => span.set_attribute("aws.event_bus", bus),
            None => {}
        }
        if let Some(propagate) = self.propagate {
            if let Some(header) = trace_header(&span) {
                propagate(context.input_mut(), &header);
            }
        }
        cfg.interceptor_state().store_put(CallSpan(span));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(CallSpan(span)) = cfg.load::<CallSpan>().cloned() else {
            return Ok(());
        };
        if let Some(attempts) = cfg.load::<RequestAttempts>() {
            span.set_attribute("aws.attempts", i64::from(attempts.attempts()));
        }
        let response = context.response();
        if let Some(response) = response {
            span.set_attribute(
                "http.response.status_code",
                i64::from(response.status().as_u16()),
            );
            if let Some(request_id) = ["x-amzn-requestid", "x-amz-request-id"]
                .iter()
                .find_map(|name| response.headers().get(*name))
            {
                span.set_attribute("aws.request_id", request_id.to_owned());
            }
        }
        if let Some(Err(error)) = context.output_or_error() {
            let code = error_code(response, error);
            if THROTTLING_CODES.contains(&code.as_str()) {
                span.set_attribute("aws.throttled", true);
            }
            span.set_attribute("error_code", code.clone());
            // The code alone is the cause: a service's message may echo request values.
            span.add_event(
                "exception",
                vec![
                    KeyValue::new("exception.type", code.clone()),
                    KeyValue::new("exception.message", code.clone()),
                ],
            );
            span.set_status(Status::error(code));
        }
        // Ends the span now (the bag outlives this hook): the last clone is `span`, below.
        cfg.interceptor_state().store_put(CallSpan(Span::none()));
        drop(span);
        Ok(())
    }
}

/// The X-Ray trace header naming `span` as the parent, when its trace is known.
fn trace_header(span: &Span) -> Option<String> {
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    XrayPropagator::default().inject_context(&context, &mut carrier);
    carrier.into_values().next()
}

/// The error code of a failed call: the service's (`__type` of a JSON protocol's error body,
/// or `x-amzn-errortype`), or what kept an answer from arriving.
fn error_code(response: Option<&HttpResponse>, error: &OrchestratorError<Error>) -> String {
    if let Some(code) = response.and_then(service_error_code) {
        return code;
    }
    let kind = if error.is_timeout_error() {
        "Timeout"
    } else if error.is_connector_error() {
        "ConnectorError"
    } else if error.is_response_error() {
        "ResponseError"
    } else {
        "ClientError"
    };
    kind.to_owned()
}

/// `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` or
/// `ConditionalCheckFailedException:http://...` both read as `ConditionalCheckFailedException`.
fn service_error_code(response: &HttpResponse) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        #[serde(rename = "__type")]
        kind: Option<String>,
    }
    let raw = match response.headers().get("x-amzn-errortype") {
        Some(header) => header.to_owned(),
        None => {
            let body: ErrorBody = serde_json::from_slice(response.body().bytes()?).ok()?;
            body.kind?
        }
    };
    let after_namespace = raw.rsplit('#').next().unwrap_or(&raw);
    let code = after_namespace.split(':').next().unwrap_or(after_namespace);
    (!code.is_empty()).then(|| code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(status).unwrap(),
            SdkBody::from(body.to_owned()),
        )
    }

    #[test]
    fn a_json_protocol_error_reads_as_its_code_without_namespace() {
        let answer = response(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#,
        );
        assert_eq!(
            service_error_code(&answer).as_deref(),
            Some("ConditionalCheckFailedException")
        );
    }

    #[test]
    fn the_error_type_header_wins_over_the_body() {
        let mut answer = response(400, "{}");
        answer.headers_mut().insert(
            "x-amzn-errortype",
            "ThrottlingException:http://internal.amazon.com/coral/",
        );
        assert_eq!(
            service_error_code(&answer).as_deref(),
            Some("ThrottlingException")
        );
    }

    #[test]
    fn a_body_that_is_not_an_error_document_has_no_code() {
        assert_eq!(service_error_code(&response(500, "oops")), None);
    }
}
