//! A function: one route's handler behind the work every route shares, written once: reading
//! the event (payload 2.0 or 1.0, or a warm-up), the verified caller, one log scope per
//! invocation, the request log line (at debug), cold-start metrics and the response in the
//! event's format.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use items_domain::{Caller, Port, Subject};
use items_json::logs::LogScope;
use items_json::metrics::Metrics;
use serde_json::Value;

use crate::config::AdapterConfig;
use crate::cursor_key::CursorKey;
use crate::handlers::{RequestContext, RouteHandler};
use crate::problem::Problem;
use crate::request::{
    parse_event, ApiRequest, Incoming, MalformedEvent, PayloadVersion, RequestHeader,
};
use crate::response::InvocationResponse;
use crate::route::Route;

/// The function serving one route: built once per process, then given every event.
pub struct Function<H> {
    handler: H,
    admin_group: String,
    metrics: Metrics,
    cursor_key: CursorKey,
    cold: AtomicBool,
}

impl<H: RouteHandler> Function<H> {
    /// The function around `handler`, configured by `config`.
    pub fn new(handler: H, config: &AdapterConfig) -> Self {
        Self {
            handler,
            admin_group: config.admin_group.clone(),
            metrics: config.metrics.clone(),
            cursor_key: config.cursor_key.clone(),
            cold: AtomicBool::new(true),
        }
    }

    /// Handles one invocation: an API Gateway event of payload 2.0 or 1.0, or a warm-up event.
    /// Every outcome, bad input and store failures included, is a response: this never fails
    /// and never panics on what the event holds. Every log line written meanwhile carries the
    /// request id, the route and `trace_id` (Lambda's X-Ray trace id), when known.
    pub async fn handle_invocation(
        &self,
        event: Value,
        trace_id: Option<&str>,
    ) -> InvocationResponse {
        if self.cold.swap(false, Ordering::Relaxed) {
            self.metrics.count("ColdStart", 1);
        }
        let started = Instant::now();
        // The event is read before the scope is made, so that it holds the request id.
        let parsed = parse_event(event);
        let request_id = match &parsed {
            Ok(Incoming::Warmup) => return InvocationResponse::Warmup,
            Ok(Incoming::Api(request)) => request.request_id.as_str(),
            Err(malformed) => malformed.request_id.as_str(),
        };
        let scope = LogScope::new(
            "request",
            &[
                ("route", Some(H::ROUTE.route_key())),
                ("request_id", Some(request_id)),
                ("trace_id", trace_id),
            ],
        );
        scope.run(self.respond(parsed, started)).await
    }

    async fn respond(
        &self,
        parsed: Result<Incoming, MalformedEvent>,
        started: Instant,
    ) -> InvocationResponse {
        let request = match parsed {
            Ok(Incoming::Api(request)) => request,
            Ok(Incoming::Warmup) => return InvocationResponse::Warmup,
            Err(malformed) => {
                tracing::warn!(reason = %malformed.reason, "malformed event");
                return InvocationResponse::Proxy(
                    Problem::malformed_event(&malformed.reason)
                        .into_response(&malformed.request_id)
                        .into_proxy(PayloadVersion::V2, &malformed.request_id, None),
                );
            }
        };
        let caller = self.caller(&request);
        let response = match &caller {
            Some(caller) => {
                let context = RequestContext {
                    request: &request,
                    caller,
                    cursor_key: &self.cursor_key,
                };
                self.handler
                    .handle(&context)
                    .await
                    .unwrap_or_else(|problem| problem.into_response(&request.request_id))
            }
            None => Problem::unauthorized().into_response(&request.request_id),
        };
        // At debug, not info: every request already has a line in the API's access log (status,
        // latency, route, caller, including the requests API Gateway answers itself) and one in
        // Lambda's `platform.report` (Duration, trace id). A third, written here, cost each
        // request a write to the log pipe (measured: 3 to 5 % of a route's CPU per request)
        // and CloudWatch Logs about as much as the invocation itself.
        tracing::debug!(
            status = response.status,
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            caller = caller.as_ref().map(|c| c.subject().as_str()).unwrap_or(""),
            "request"
        );
        InvocationResponse::Proxy(response.into_proxy(
            request.payload,
            &request.request_id,
            request.header(RequestHeader::AcceptEncoding),
        ))
    }

    /// The verified caller, from the authorizer's claims; `None` means 401.
    fn caller(&self, request: &ApiRequest) -> Option<Caller> {
        let subject = Subject::parse(request.claims.sub.as_deref()?).ok()?;
        let is_admin = request.claims.groups.contains(&self.admin_group);
        Some(if is_admin {
            Caller::admin(subject)
        } else {
            Caller::user(subject)
        })
    }
}

/// A function whose route is known only at run time: what the local stage and the tests hold
/// for each route (see [`handler_for`](crate::handler_for)).
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// The route served.
    fn route(&self) -> Route;

    /// The store capabilities its handler holds.
    fn ports(&self) -> &'static [Port];

    /// Handles one invocation event and returns the answer, as a function sends it.
    async fn answer(&self, event: Value) -> InvocationResponse;

    /// Handles one invocation event and returns the proxy response as a JSON value.
    async fn handle_event(&self, event: Value) -> Value {
        self.answer(event).await.to_value()
    }
}

#[async_trait]
impl<H: RouteHandler> EventHandler for Function<H> {
    fn route(&self) -> Route {
        H::ROUTE
    }

    fn ports(&self) -> &'static [Port] {
        H::PORTS
    }

    async fn answer(&self, event: Value) -> InvocationResponse {
        self.handle_invocation(event, None).await
    }
}
