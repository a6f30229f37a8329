//! The gateway itself: for every request, in API Gateway's order, throttling, the payload
//! limit, CORS preflight, routing, the JWT authorizer, the integration, the response with its
//! CORS headers, and one access-log line.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Version};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access_log::AccessLogEntry;
use crate::authorizer::{Denial, JwtAuthorizer};
use crate::cors::CorsConfig;
use crate::docs::{self, SwaggerUi};
use crate::events::{self, IncomingRequest, MatchedRoute, PayloadVersion};
use crate::integration::{Integration, IntegrationFailure};
use crate::issuer::LocalIssuer;
use crate::router::RouteTable;
use crate::sink::LineSink;
use crate::throttle::TokenBucket;

/// Path prefix of the local-only developer endpoints (never on a deployed stage).
pub const DEV_PREFIX: &str = "/_local/";

/// Everything the gateway needs to answer requests.
pub(crate) struct Gateway {
    pub(crate) routes: RouteTable<String>,
    pub(crate) authorizer: JwtAuthorizer,
    pub(crate) cors: Option<CorsConfig>,
    pub(crate) throttle: TokenBucket,
    pub(crate) payload: PayloadVersion,
    pub(crate) max_request_bytes: usize,
    pub(crate) integration: Integration,
    pub(crate) integration_timeout: Duration,
    pub(crate) access_log: LineSink,
    pub(crate) errors: LineSink,
    /// The issuer behind `POST /_local/token`; `None` when the stage trusts another issuer.
    pub(crate) dev_issuer: Option<LocalIssuer>,
    pub(crate) port: u16,
    /// Swagger UI's files for `GET /_local/docs`.
    pub(crate) swagger_ui: SwaggerUi,
}

/// What the gateway answered, before CORS and logging.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    route_key: Option<String>,
    integration_latency: Option<Duration>,
    /// A preflight answer carries its own access-control headers.
    preflight: bool,
}

impl Answer {
    fn message(status: u16, message: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: json!({ "message": message }).to_string().into_bytes(),
            route_key: None,
            integration_latency: None,
            preflight: false,
        }
    }

    fn content(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body,
            ..Self::message(status, "")
        }
    }

    fn json(status: u16, body: &Value) -> Self {
        Self {
            body: body.to_string().into_bytes(),
            ..Self::message(status, "")
        }
    }
}

/// Handles one request end to end.
pub(crate) async fn handle(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let received_at = Utc::now();
    let request_id = new_request_id();
    let method = request.method().clone();
    let origin = request
        .headers()
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    let mut answer = gateway
        .answer(request, &request_id, client, received_at)
        .await;

    if let Some(cors) = &gateway.cors {
        if !answer.preflight {
            cors.apply(origin.as_deref(), &mut answer.headers);
        }
    }
    answer
        .headers
        .push(("apigw-requestid".to_owned(), request_id.clone()));
    gateway.access_log.write(
        &AccessLogEntry {
            request_id,
            ip: client.ip().to_string(),
            request_time: received_at,
            http_method: method.to_string(),
            route_key: answer.route_key.clone(),
            status: answer.status,
            response_length: answer.body.len(),
            latency: started.elapsed(),
            integration_latency: answer.integration_latency,
        }
        .to_line(),
    );
    into_response(answer)
}

impl Gateway {
    async fn answer(
        &self,
        request: Request,
        request_id: &str,
        client: SocketAddr,
        received_at: chrono::DateTime<Utc>,
    ) -> Answer {
        let (parts, body) = request.into_parts();
        if let Some(dev_path) = parts.uri.path().strip_prefix(DEV_PREFIX) {
            if parts.method == Method::GET {
                if let Some(answer) = self.docs_endpoint(dev_path).await {
                    return answer;
                }
            }
            let body = axum::body::to_bytes(body, 64 * 1024)
                .await
                .unwrap_or_default();
            return self.dev_endpoint(&parts.method, dev_path, &body);
        }
        if !self.throttle.try_acquire() {
            return Answer::message(429, "Too Many Requests");
        }
        let declared_length = parts
            .headers
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared_length.is_some_and(|length| length > self.max_request_bytes) {
            return Answer::message(413, "Request Entity Too Large");
        }
        let Ok(body) = axum::body::to_bytes(body, self.max_request_bytes).await else {
            return Answer::message(413, "Request Entity Too Large");
        };

        let header_text = |name: &str| {
            parts
                .headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        if parts.method == Method::OPTIONS && !self.routes.has_method("OPTIONS") {
            if let Some(cors) = &self.cors {
                let mut answer = Answer::message(204, "");
                answer.body.clear();
                answer.preflight = true;
                answer.headers = cors.preflight_headers(
                    header_text("origin").as_deref(),
                    header_text("access-control-request-method").as_deref(),
                    header_text("access-control-request-headers").as_deref(),
                );
                return answer;
            }
        }

        let path = parts.uri.path().to_owned();
        let Some(matched) = self.routes.find(parts.method.as_str(), &path) else {
            return Answer::message(404, "Not Found");
        };
        let route_key = Some(matched.route_key.clone());
        let claims = match self
            .authorizer
            .authorize(header_text("authorization").as_deref())
        {
            Ok(claims) => claims,
            Err(denial) => {
                let mut answer = Answer::message(401, "Unauthorized");
                answer.route_key = route_key;
                answer
                    .headers
                    .push(("www-authenticate".to_owned(), denial_header(&denial)));
                return answer;
            }
        };

        let incoming = IncomingRequest {
            request_id: request_id.to_owned(),
            method: parts.method.to_string(),
            raw_path: path,
            raw_query: parts.uri.query().unwrap_or_default().to_owned(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
            source_ip: client.ip(),
            port: self.port,
            received_at,
            protocol: protocol(parts.version),
        };
        let event = events::build_event(
            self.payload,
            &incoming,
            &MatchedRoute {
                route_key: &matched.route_key,
                resource: &matched.resource,
                path_parameters: &matched.path_parameters,
            },
            &claims,
        );
        let integration_started = Instant::now();
        let result = self
            .integration
            .invoke(
                &matched.target,
                event,
                events::trace_id(&incoming),
                self.integration_timeout,
                &self.errors,
            )
            .await;
        let integration_latency = Some(integration_started.elapsed());
        let mut answer = match result {
            Ok(result) => match events::parse_response(self.payload, &result) {
                Ok(response) => Answer {
                    status: response.status,
                    headers: response.headers,
                    body: response.body,
                    route_key: None,
                    integration_latency: None,
                    preflight: false,
                },
                Err(malformed) => {
                    self.errors
                        .write(&format!("{}: {malformed}", matched.target));
                    Answer::message(500, "Internal Server Error")
                }
            },
            Err(IntegrationFailure::FunctionFailed) => {
                Answer::message(500, "Internal Server Error")
            }
            Err(IntegrationFailure::IntegrationTimeout) => {
                Answer::message(503, "Service Unavailable")
            }
        };
        answer.route_key = route_key;
        answer.integration_latency = integration_latency;
        answer
    }

    /// `GET /_local/docs`: the API reference (Swagger UI over `openapi.yaml`, with a token of
    /// the local issuer filled in), its files under `/_local/docs/`, and the document itself at
    /// `/_local/openapi.yaml`. `None` for other paths.
    async fn docs_endpoint(&self, path: &str) -> Option<Answer> {
        let unavailable = |error: docs::InstallError| {
            self.errors.write(&error.to_string());
            Answer::content(
                503,
                "text/plain; charset=utf-8",
                error.to_string().into_bytes(),
            )
        };
        match path {
            "openapi.yaml" => Some(Answer::content(
                200,
                "application/yaml",
                docs::OPENAPI_YAML.as_bytes().to_vec(),
            )),
            "docs" => Some(match self.swagger_ui.ensure_installed().await {
                Ok(()) => {
                    let token = self.dev_issuer.as_ref().and_then(|issuer| {
                        issuer
                            .mint(docs::PAGE_CALLER, &[], docs::PAGE_TOKEN_LIFETIME)
                            .ok()
                    });
                    let page = docs::page(
                        &format!("{DEV_PREFIX}docs"),
                        &format!("{DEV_PREFIX}openapi.yaml"),
                        token.as_deref(),
                    );
                    Answer::content(200, "text/html; charset=utf-8", page.into_bytes())
                }
                Err(error) => unavailable(error),
            }),
            _ => {
                let name = path.strip_prefix("docs/")?;
                Some(match self.swagger_ui.asset(name).await {
                    Some(Ok((content_type, bytes))) => Answer::content(200, content_type, bytes),
                    Some(Err(error)) => unavailable(error),
                    None => Answer::message(404, "Not Found"),
                })
            }
        }
    }

    /// `POST /_local/token {"sub": "...", "groups": [...]}` mints a token from the local
    /// issuer; `GET /_local/jwks.json` shows its public key. Local-only: no authorizer.
    fn dev_endpoint(&self, method: &Method, path: &str, body: &Bytes) -> Answer {
        let Some(issuer) = &self.dev_issuer else {
            return Answer::message(404, "Not Found");
        };
        match (method.as_str(), path) {
            ("GET", "jwks.json") => Answer::json(200, &issuer.jwks_json()),
            ("POST", "token") => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct TokenRequest {
                    sub: String,
                    #[serde(default)]
                    groups: Vec<String>,
                    expires_in: Option<u64>,
                }
                let request: TokenRequest = match serde_json::from_slice(body) {
                    Ok(request) => request,
                    Err(error) => {
                        return Answer::message(
                            400,
                            &format!(
                                "expected {{\"sub\": \"...\", \"groups\": [\"...\"]}}: {error}"
                            ),
                        )
                    }
                };
                if request.sub.trim().is_empty() {
                    return Answer::message(400, "sub must not be empty");
                }
                let lifetime = Duration::from_secs(request.expires_in.unwrap_or(3600));
                let groups: Vec<&str> = request.groups.iter().map(String::as_str).collect();
                match issuer.mint(&request.sub, &groups, lifetime) {
                    Ok(token) => Answer::json(
                        200,
                        &json!({"token": token, "token_type": "Bearer", "expires_in": lifetime.as_secs()}),
                    ),
                    Err(error) => {
                        self.errors
                            .write(&format!("minting a token failed: {error}"));
                        Answer::message(500, "Internal Server Error")
                    }
                }
            }
            _ => Answer::message(404, "Not Found"),
        }
    }
}

fn denial_header(denial: &Denial) -> String {
    denial.www_authenticate()
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
