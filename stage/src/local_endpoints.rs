//! The local-only endpoints, under `/_local/`: things a developer needs from a local stage that
//! a deployed one never serves. They answer only clients on a loopback address (anyone else
//! gets the gateway's `404`), skip the gateway's throttling, authorizer and access log, and
//! take precedence over the API's routes.
//!
//! To add one: a route in [`router`] and its handler below; [`LocalState`] holds what
//! handlers share.
//!
//! - `POST /_local/token` `{"sub": "...", "groups": ["..."], "expires_in": 3600}` mints a token
//!   from the local issuer;
//! - `GET /_local/jwks.json` is the local issuer's public key, as Cognito publishes it;
//! - `GET /_local/docs` is the API reference (Swagger UI over `openapi.yaml`, with a token of
//!   the local issuer filled in), its files under `/_local/docs/`, and the document itself at
//!   `/_local/openapi.yaml`;
//! - `GET /_local/events` is `{"events": [...]}`: the change events of the writes so far, oldest
//!   first, each as an EventBridge rule's target receives it (`events.schema.json`);
//! - `GET /_local/traces` is `{"traces": [...], "refused_documents": 0}`: every request's trace,
//!   the latest first, each summarised (id, name, start, duration, fault / error / throttle,
//!   HTTP method, path and status); `GET /_local/traces/{id}` is one trace with its tree of
//!   segments (`404` when the daemon has none of it, `400` for what is no trace id, both
//!   `application/problem+json`); `GET /_local/traces.html` draws a trace's waterfall
//!   (`#<trace id>` picks one).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use apigateway_emulator::{LineSink, LocalIssuer, DEFAULT_TOKEN_LIFETIME};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use xray_emulator::{TraceId, XrayDaemon};

use crate::docs::{self, InstallError, SwaggerUi};
use crate::events::EventLog;

/// The traces page: a list of traces and one trace's waterfall, with no external assets.
pub const TRACES_PAGE: &str = include_str!("traces.html");

/// What the local endpoints share.
#[derive(Debug, Clone)]
pub struct LocalState {
    /// The issuer behind the token endpoint; `None` when the stage trusts another issuer,
    /// whose tokens it cannot mint (the token and JWKS endpoints are then `404`).
    pub issuer: Option<LocalIssuer>,
    /// Swagger UI's files for the API reference.
    pub swagger_ui: Arc<SwaggerUi>,
    /// Where failures of the endpoints are written.
    pub errors: LineSink,
    /// The stage's event bus; `None` when the stage publishes no change events (the events
    /// endpoint is then `404`).
    pub events: Option<EventLog>,
    /// The stage's X-Ray daemon, holding every sampled request's trace.
    pub traces: Arc<XrayDaemon>,
}

/// Every local endpoint, for loopback clients only.
pub fn router(state: LocalState) -> Router {
    Router::new()
        .route("/_local/token", post(token))
        .route("/_local/jwks.json", get(jwks))
        .route("/_local/openapi.yaml", get(openapi))
        .route("/_local/docs", get(docs_page))
        .route("/_local/docs/{name}", get(docs_asset))
        .route("/_local/events", get(events))
        .route_layer(middleware::from_fn(loopback_only))
        .with_state(state.clone())
        .merge(traces_router(state.traces))
}

/// The traces endpoints and page over `traces`, for loopback clients only: a part of
/// [`router`], and what an applied stage serves of the local endpoints.
pub fn traces_router(traces: Arc<XrayDaemon>) -> Router {
    Router::new()
        .route("/_local/traces", get(traces_list))
        .route("/_local/traces/{id}", get(trace))
        .route("/_local/traces.html", get(traces_page))
        .route_layer(middleware::from_fn(loopback_only))
        .with_state(traces)
}

/// Lets only loopback clients through; to anyone else the endpoints do not exist.
async fn loopback_only(
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if client.ip().to_canonical().is_loopback() {
        next.run(request).await
    } else {
        message(StatusCode::NOT_FOUND, "Not Found")
    }
}

/// The answers in the gateway's own shape: `{"message": "..."}`.
fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "message": text }))).into_response()
}

async fn jwks(State(state): State<LocalState>) -> Response {
    match &state.issuer {
        Some(issuer) => Json(issuer.jwks_json()).into_response(),
        None => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    sub: String,
    #[serde(default)]
    groups: Vec<String>,
    expires_in: Option<u64>,
}

async fn token(State(state): State<LocalState>, body: Bytes) -> Response {
    let Some(issuer) = &state.issuer else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let request: TokenRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            let expected = "expected {\"sub\": \"...\", \"groups\": [\"...\"]}";
            return message(StatusCode::BAD_REQUEST, &format!("{expected}: {error}"));
        }
    };
    if request.sub.trim().is_empty() {
        return message(StatusCode::BAD_REQUEST, "sub must not be empty");
    }
    let lifetime = request
        .expires_in
        .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
    let groups: Vec<&str> = request.groups.iter().map(String::as_str).collect();
    match issuer.mint(&request.sub, &groups, lifetime) {
        Ok(token) => Json(json!({
            "token": token,
            "token_type": "Bearer",
            "expires_in": lifetime.as_secs(),
        }))
        .into_response(),
        Err(error) => {
            state
                .errors
                .write(&format!("minting a token failed: {error}"));
            message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

async fn events(State(state): State<LocalState>) -> Response {
    match &state.events {
        Some(log) => Json(json!({ "events": log.events() })).into_response(),
        None => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

async fn traces_list(State(traces): State<Arc<XrayDaemon>>) -> Response {
    Json(json!({
        "traces": traces.traces(),
        "refused_documents": traces.refused(),
    }))
    .into_response()
}

async fn trace(State(traces): State<Arc<XrayDaemon>>, Path(id): Path<String>) -> Response {
    let Some(id) = TraceId::parse(&id) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "not a trace id: expected 1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx (hex digits)",
        );
    };
    match traces.trace(&id) {
        Some(trace) => Json(trace).into_response(),
        None => problem(
            StatusCode::NOT_FOUND,
            &format!("no segment of trace {id} has reached the stage's X-Ray daemon"),
        ),
    }
}

async fn traces_page() -> Response {
    content("text/html; charset=utf-8", TRACES_PAGE.as_bytes().to_vec())
}

/// An `application/problem+json` answer (RFC 9457), as the API's own errors are.
fn problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or_default(),
        "status": status.as_u16(),
        "detail": detail,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn content(content_type: &'static str, body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn openapi() -> Response {
    content("application/yaml", docs::OPENAPI_YAML.as_bytes().to_vec())
}

/// Swagger UI could not be installed: the reason, as text, and in the error log.
fn docs_unavailable(state: &LocalState, error: &InstallError) -> Response {
    state.errors.write(&error.to_string());
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        error.to_string(),
    )
        .into_response()
}

async fn docs_page(State(state): State<LocalState>) -> Response {
    if let Err(error) = state.swagger_ui.ensure_installed().await {
        return docs_unavailable(&state, &error);
    }
    let token = state.issuer.as_ref().and_then(|issuer| {
        issuer
            .mint(docs::PAGE_CALLER, &[], docs::PAGE_TOKEN_LIFETIME)
            .ok()
    });
    let page = docs::page("/_local/docs", "/_local/openapi.yaml", token.as_deref());
    content("text/html; charset=utf-8", page.into_bytes())
}

async fn docs_asset(State(state): State<LocalState>, Path(name): Path<String>) -> Response {
    match state.swagger_ui.asset(&name).await {
        Some(Ok((content_type, bytes))) => content(content_type, bytes),
        Some(Err(error)) => docs_unavailable(&state, &error),
        None => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}
