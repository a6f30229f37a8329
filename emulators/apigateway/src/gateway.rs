//! The gateway itself: for every request, in API Gateway's order, throttling, the payload
//! limit, CORS preflight, routing, the JWT authorizer, the integration, the response with its
//! CORS headers, and one access-log line.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use axum::response::Response;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use xray_emulator::TraceHeader;

use crate::access_log::AccessLogEntry;
use crate::authorizer::{Denial, JwtAuthorizer, VerifiedClaims};
use crate::cors::CorsConfig;
use crate::events::{self, IncomingRequest, MatchedRoute, PayloadVersion};
use crate::integration::{FunctionFailure, Integration};
use crate::response::{self, ProxyResponse};
use crate::router::{RouteMatch, RouteTable};
use crate::sink::LineSink;
use crate::throttle::{ThrottleConfig, TokenBucket};

/// API Gateway's request payload limit for HTTP APIs.
pub const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;
/// API Gateway's longest integration timeout for HTTP APIs.
pub const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);

/// How the stage behaves: the settings of an HTTP API and its `$default` stage.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The event format the integration is configured with.
    pub payload: PayloadVersion,
    /// The API's `cors_configuration`; `None` turns CORS off.
    pub cors: Option<CorsConfig>,
    /// Stage throttling.
    pub throttle: ThrottleConfig,
    /// Requests with a larger body are `413`.
    pub max_request_bytes: usize,
    /// A function answering later than this is `503`.
    pub integration_timeout: Duration,
    /// Where access-log lines go.
    pub access_log: LineSink,
    /// Where integration errors (failed functions, malformed responses) go.
    pub errors: LineSink,
}

impl Default for GatewayConfig {
    /// Payload 2.0, CORS for any origin, API Gateway's default limits, logs on stdout.
    fn default() -> Self {
        Self {
            payload: PayloadVersion::V2,
            cors: Some(CorsConfig::default()),
            throttle: ThrottleConfig::default(),
            max_request_bytes: MAX_REQUEST_BYTES,
            integration_timeout: INTEGRATION_TIMEOUT,
            access_log: LineSink::Stdout,
            errors: LineSink::Stdout,
        }
    }
}

/// An HTTP API stage: its routes (route key to target name), its JWT authorizer, the
/// integration that runs targets, and its settings.
pub struct Gateway {
    routes: RouteTable<String>,
    authorizer: JwtAuthorizer,
    integration: Arc<dyn Integration>,
    throttle: TokenBucket,
    config: GatewayConfig,
    port: u16,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("routes", &self.routes)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway serving `routes` behind `authorizer`, running targets through `integration`;
    /// `port` is the port it is reached on (for `x-forwarded-port`).
    pub fn new(
        routes: RouteTable<String>,
        authorizer: JwtAuthorizer,
        integration: Arc<dyn Integration>,
        config: GatewayConfig,
        port: u16,
    ) -> Self {
        Self {
            routes,
            authorizer,
            integration,
            throttle: TokenBucket::new(config.throttle),
            config,
            port,
        }
    }

    /// The gateway as a router that answers every path. Serve it with [`crate::serve`] (its
    /// handler needs each client's address); routes merged in front of it are answered by
    /// them instead, without throttling, authorizer or access log.
    pub fn into_router(self) -> Router {
        Router::new().fallback(handle).with_state(Arc::new(self))
    }
}

/// What the gateway answered, before CORS and logging.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    route_key: Option<String>,
    /// The verified token's `sub`; `None` when no token was verified.
    caller: Option<String>,
    integration_latency: Option<Duration>,
    /// The message of an answer the gateway made itself.
    error_message: Option<String>,
    /// Why the authorizer refused the request.
    authorizer_error: Option<String>,
    /// Why the integration failed.
    integration_error: Option<String>,
    /// A preflight answer carries its own access-control headers.
    preflight: bool,
}

impl Answer {
    /// API Gateway's own answers: `{"message": "..."}`.
    fn message(status: u16, message: &str) -> Self {
        let mut answer = Self::from_response(ProxyResponse {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: json!({ "message": message }).to_string().into_bytes(),
        });
        answer.error_message = Some(message.to_owned());
        answer
    }

    /// API Gateway's answer to a failed integration, with why it failed.
    fn integration_failed(status: u16, message: &str, why: String) -> Self {
        let mut answer = Self::message(status, message);
        answer.integration_error = Some(why);
        answer
    }

    fn from_response(response: ProxyResponse) -> Self {
        Self {
            status: response.status,
            headers: response.headers,
            body: response.body,
            route_key: None,
            caller: None,
            integration_latency: None,
            error_message: None,
            authorizer_error: None,
            integration_error: None,
            preflight: false,
        }
    }

    fn unauthorized(denial: &Denial) -> Self {
        let mut answer = Self::message(401, "Unauthorized");
        answer
            .headers
            .push(("www-authenticate".to_owned(), denial.www_authenticate()));
        answer.authorizer_error = Some(denial.to_string());
        answer
    }

    fn on_route(mut self, route_key: &str) -> Self {
        self.route_key = Some(route_key.to_owned());
        self
    }

    fn for_caller(mut self, claims: &VerifiedClaims) -> Self {
        self.caller = claims
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_owned);
        self
    }
}

/// What the gateway knows about a request before looking at it.
struct Arrival {
    request_id: String,
    client: SocketAddr,
    received_at: DateTime<Utc>,
    /// The trace the request belongs to, passed on to its function.
    trace: TraceHeader,
}

/// Handles one request end to end.
async fn handle(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    let received_at = Utc::now();
    let trace = events::trace_header(
        header_text(request.headers(), "x-amzn-trace-id").as_deref(),
        &request_id,
        received_at,
    );
    let arrival = Arrival {
        request_id,
        client,
        received_at,
        trace,
    };
    let method = request.method().clone();
    let origin = header_text(request.headers(), "origin");

    let mut answer = gateway.answer(request, &arrival).await;

    if let Some(cors) = &gateway.config.cors {
        if !answer.preflight {
            cors.apply(origin.as_deref(), &mut answer.headers);
        }
    }
    answer
        .headers
        .push(("apigw-requestid".to_owned(), arrival.request_id.clone()));
    gateway.config.access_log.write(
        &AccessLogEntry {
            request_id: arrival.request_id,
            trace_id: arrival.trace.root.to_string(),
            ip: client.ip().to_string(),
            request_time: arrival.received_at,
            http_method: method.to_string(),
            route_key: answer.route_key.clone(),
            caller: answer.caller.clone(),
            status: answer.status,
            response_length: answer.body.len(),
            latency: started.elapsed(),
            integration_latency: answer.integration_latency,
            error_message: answer.error_message.clone(),
            authorizer_error: answer.authorizer_error.clone(),
            integration_error: answer.integration_error.clone(),
        }
        .to_line(),
    );
    into_response(answer)
}

impl Gateway {
    /// Every step of API Gateway's request handling, each of which may answer early.
    async fn answer(&self, request: Request, arrival: &Arrival) -> Answer {
        let (parts, body) = request.into_parts();
        if !self.throttle.try_acquire() {
            return Answer::message(429, "Too Many Requests");
        }
        let body = match self.read_body(&parts.headers, body).await {
            Ok(body) => body,
            Err(too_large) => return too_large,
        };
        if let Some(preflight) = self.preflight(&parts) {
            return preflight;
        }
        let Some(route) = self.routes.find(parts.method.as_str(), parts.uri.path()) else {
            return Answer::message(404, "Not Found");
        };
        let authorization = header_text(&parts.headers, "authorization");
        let claims = match self.authorizer.authorize(authorization.as_deref()) {
            Ok(claims) => claims,
            Err(denial) => return Answer::unauthorized(&denial).on_route(&route.route_key),
        };
        let request = self.incoming_request(&parts, &body, arrival);
        self.integrate(&route, &request, &claims, &arrival.trace)
            .await
            .on_route(&route.route_key)
            .for_caller(&claims)
    }

    /// The body, or `413` when it is (or says it is) larger than the limit.
    async fn read_body(&self, headers: &HeaderMap, body: Body) -> Result<Bytes, Answer> {
        let too_large = || Answer::message(413, "Request Entity Too Large");
        let declared_length =
            header_text(headers, "content-length").and_then(|length| length.parse::<usize>().ok());
        if declared_length.is_some_and(|length| length > self.config.max_request_bytes) {
            return Err(too_large());
        }
        axum::body::to_bytes(body, self.config.max_request_bytes)
            .await
            .map_err(|_| too_large())
    }

    /// The stage's own `204` to a CORS preflight, unless CORS is off or a route serves
    /// `OPTIONS` itself.
    fn preflight(&self, parts: &Parts) -> Option<Answer> {
        if parts.method != Method::OPTIONS || self.routes.has_method("OPTIONS") {
            return None;
        }
        let cors = self.config.cors.as_ref()?;
        let headers = &parts.headers;
        // An empty 204 with only the access-control headers: not one of the gateway's
        // `{"message": ...}` answers, so no error message is logged for it.
        let mut answer = Answer::from_response(ProxyResponse {
            status: 204,
            headers: cors.preflight_headers(
                header_text(headers, "origin").as_deref(),
                header_text(headers, "access-control-request-method").as_deref(),
                header_text(headers, "access-control-request-headers").as_deref(),
            ),
            body: Vec::new(),
        });
        answer.preflight = true;
        Some(answer)
    }

    fn incoming_request(&self, parts: &Parts, body: &Bytes, arrival: &Arrival) -> IncomingRequest {
        IncomingRequest {
            request_id: arrival.request_id.clone(),
            method: parts.method.to_string(),
            raw_path: parts.uri.path().to_owned(),
            raw_query: parts.uri.query().unwrap_or_default().to_owned(),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), lossy_text(value)))
                .collect(),
            body: body.to_vec(),
            source_ip: arrival.client.ip(),
            port: self.port,
            received_at: arrival.received_at,
            protocol: protocol(parts.version),
        }
    }

    /// Calls the route's function with its event and the request's trace header, and turns the
    /// result into the answer: the function's response, `500` for a failed function or a
    /// malformed response, `503` past the integration timeout.
    async fn integrate(
        &self,
        route: &RouteMatch<String>,
        request: &IncomingRequest,
        claims: &VerifiedClaims,
        trace: &TraceHeader,
    ) -> Answer {
        let event = events::build_event(
            self.config.payload,
            request,
            &MatchedRoute {
                route_key: &route.route_key,
                resource: &route.resource,
                path_parameters: &route.path_parameters,
            },
            claims,
        );
        let trace_header = trace.to_string();
        let started = Instant::now();
        let invocation = self.integration.invoke(&route.target, event, &trace_header);
        let result = tokio::time::timeout(self.config.integration_timeout, invocation).await;
        let mut answer = match result {
            Ok(Ok(result)) => self.decode(&route.target, &result),
            Ok(Err(failure)) => {
                let why = match failure {
                    FunctionFailure::Error(reason) => {
                        self.config
                            .errors
                            .write(&format!("{}: {reason}", route.target));
                        reason
                    }
                    other => other.to_string(),
                };
                Answer::integration_failed(500, "Internal Server Error", why)
            }
            Err(_) => Answer::integration_failed(
                503,
                "Service Unavailable",
                "the integration timed out".to_owned(),
            ),
        };
        answer.integration_latency = Some(started.elapsed());
        answer
    }

    fn decode(&self, target: &str, result: &Value) -> Answer {
        match response::parse_response(self.config.payload, result) {
            Ok(response) => Answer::from_response(response),
            Err(malformed) => {
                self.config.errors.write(&format!("{target}: {malformed}"));
                Answer::integration_failed(500, "Internal Server Error", malformed.to_string())
            }
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(lossy_text)
}

fn lossy_text(value: &HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
}

fn protocol(version: Version) -> String {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
    .to_owned()
}

/// An id in API Gateway's style: 16 characters of base64 (11 random bytes).
fn new_request_id() -> String {
    let random = uuid::Uuid::new_v4();
    STANDARD.encode(&random.as_bytes()[..11])
}

const HOP_BY_HOP: [&str; 4] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
];

fn into_response(answer: Answer) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.append(name, value);
        }
    }
    response
}
