//! The function's own work per request, without the store's round trip: every route's
//! [`Function`] over the in-memory store, handed a payload 2.0 event shaped as API Gateway
//! sends it (a bearer token, the forwarded headers, the authorizer's claims) as bytes, as
//! `lambda_runtime` hands it over, its response serialised as `lambda_runtime` sends it back,
//! and every log line formatted by the project's JSON subscriber (into a sink). Beside it, the
//! same bytes read and answered the way the bench's `store-floor` does, so the difference is
//! what the adapter adds.
//!
//! ```sh
//! cargo run --release -p items-apigateway --example request_path [iterations] [route]
//! ```

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a measuring tool: it prints its figures and stops on a broken set-up"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use items_apigateway::event::InvocationEvent;
use items_apigateway::{handler_for, AdapterConfig, EventHandler, Route};
use items_domain::ItemRepository;
use items_json::logs::json_subscriber;
use items_memory::InMemoryItemRepository;
use serde_json::{json, Value};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// A token of the size the local issuer mints (the function never verifies it).
const TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImxvY2FsLWtleS0xIiwidHlwIjoiSldUIn0.eyJhdWQiOiJpdGVtcy1sb2NhbCIsImV4cCI6MTc2NDA0MTQwMCwiaWF0IjoxNzY0MDM3ODAwLCJpc3MiOiJodHRwczovL2lzc3Vlci5pdGVtcy5sb2NhbCIsInN1YiI6ImJlbmNoLXVzZXIiLCJ0b2tlbl91c2UiOiJpZCJ9.c2lnbmF0dXJlLW9mLXJvdWdobHktdGhlLXNpemUtb2YtYW4tcnNhLTIwNDgtc2lnbmF0dXJlLWMybG5ibUYwZFhKbExXOW1MWEp2ZFdkb2JIa3RkR2hsTFhOcGVtVXRiMll0WVc0dGNuTmhMVEl3TkRndGMybG5ibUYwZFhKbGMybG5ibUYwZFhKbExXOW1MWEp2ZFdkb2JIa3RkR2hsTFhOcGVtVXRiMll0WVc0dGNuTmhMVEl3TkRndGMybG5ibUYwZFhKbGMybG5ibUYwZFhKbExXOW1MWEp2ZFdkb2JIa3RkR2hsTFhOcGVtVXRiMll0WVc0dGNuTmhMVEl3TkRndGMybG5ibUYwZFhKbA";

const DESCRIPTION: &str = "A desk lamp with an adjustable arm, a warm white LED and a weighted \
     base; bought for the workshop, kept on the shelf by the window.";

/// A payload 2.0 event for `route`, as the local stage builds it for the bench.
fn event(route: Route, id: &str, n: u64) -> Value {
    let (method, resource) = route.route_key().split_once(' ').expect("METHOD PATH");
    let path = resource.replace("{id}", id);
    let mut headers = json!({
        "accept": "application/json",
        "authorization": format!("Bearer {TOKEN}"),
        "host": "api.bench.local",
        "user-agent": "items-bench/0.1",
        "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    });
    let body = match route {
        Route::CreateItem | Route::UpdateItem => Some((
            json!({"name": format!("Bench item {n}"), "description": DESCRIPTION, "category": "bench"}),
            "application/json",
        )),
        Route::PatchItem => Some((
            json!({"description": format!("{DESCRIPTION} Change {n}.")}),
            "application/merge-patch+json",
        )),
        Route::ListItems | Route::GetItem | Route::DeleteItem => None,
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.route_key(),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "authorizer": {"jwt": {
                "claims": {
                    "aud": "items-local",
                    "exp": "1764041400",
                    "iat": "1764037800",
                    "iss": "https://issuer.items.local",
                    "sub": "bench-user",
                    "token_use": "id",
                },
                "scopes": null,
            }},
            "domainName": "api.bench.local",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "items-bench/0.1",
            },
            "requestId": format!("{n:032x}"),
            "routeKey": route.route_key(),
            "stage": "$default",
            "time": "25/Nov/2026:02:30:00 +0000",
            "timeEpoch": 1_764_037_800_000_u64,
        },
        "isBase64Encoded": false,
    });
    if route == Route::ListItems {
        event["rawQueryString"] = json!("limit=20");
        event["queryStringParameters"] = json!({"limit": "20"});
        headers["accept-encoding"] = json!("gzip, deflate, br");
    }
    if !id.is_empty() {
        event["pathParameters"] = json!({"id": id});
    }
    if let Some((body, media_type)) = body {
        let body = body.to_string();
        headers["content-type"] = json!(media_type);
        headers["content-length"] = json!(body.len().to_string());
        event["body"] = json!(body);
    }
    event["headers"] = headers;
    event
}

/// What `store-floor` does with an event besides its store call: read the fields it needs
/// from the parsed event and answer with a small object.
fn floor(event: &Value) -> Value {
    let text = |pointer: &str| event.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    let route = Route::from_route_key(text("/routeKey"));
    let _ = (
        text("/pathParameters/id"),
        text("/requestContext/authorizer/jwt/claims/sub"),
    );
    let body: Value = serde_json::from_str(text("/body")).unwrap_or(Value::Null);
    let status = route.map_or(404, Route::success_status);
    json!({ "statusCode": status, "store_us": 1.0, "id": body.get("name") })
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let subscriber = json_subscriber(std::io::sink, EnvFilter::new("info"));
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store: Arc<dyn ItemRepository> = Arc::new(InMemoryItemRepository::new());
    let function = |route| handler_for(route, Arc::clone(&store), &AdapterConfig::default());
    // As `lambda::run` has `lambda_runtime` do: the event read (only the fields used), the
    // handler run inside its "Lambda runtime invoke" span, the response serialised.
    let invoke = |function: &Arc<dyn EventHandler>, bytes: &[u8]| {
        let event: InvocationEvent = serde_json::from_slice(bytes).expect("event");
        let span = tracing::info_span!(
            "Lambda runtime invoke",
            requestId = "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
            xrayTraceId =
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        );
        let response = runtime.block_on(function.answer(event.0).instrument(span));
        serde_json::to_vec(&response).expect("response")
    };

    // Items to read, change and list.
    let create = function(Route::CreateItem);
    let mut ids = Vec::new();
    for n in 0..40 {
        let bytes = serde_json::to_vec(&event(Route::CreateItem, "", n)).expect("event");
        let response: Value = serde_json::from_slice(&invoke(&create, &bytes)).expect("json");
        let body: Value =
            serde_json::from_str(response["body"].as_str().expect("body")).expect("item");
        ids.push(body["id"].as_str().expect("id").to_owned());
    }

    println!("{iterations} invocations per route; us per invocation (fastest batch)");
    println!(
        "{:<22} {:>9} {:>9} {:>9}",
        "route", "function", "floor", "added"
    );
    // A second argument measures only the routes whose key contains it (`"GET /items"`).
    let only = std::env::args().nth(2).unwrap_or_default();
    for route in Route::ALL {
        if !route.route_key().contains(only.as_str()) {
            continue;
        }
        let function = function(route);
        let events: Vec<Vec<u8>> = (0..64u64)
            .map(|n| {
                let id = match route {
                    Route::ListItems | Route::CreateItem => String::new(),
                    _ => ids[n as usize % ids.len()].clone(),
                };
                serde_json::to_vec(&event(route, &id, n)).expect("event")
            })
            .collect();
        // The fastest of several batches: other processes on the machine only ever slow a
        // batch down, so the minimum is the least disturbed figure.
        let measure = |body: &mut dyn FnMut(&[u8])| -> Duration {
            let batch = (iterations / 20).max(1);
            let mut fastest = Duration::MAX;
            for _ in 0..20 {
                let started = Instant::now();
                for n in 0..batch {
                    body(&events[n as usize % events.len()]);
                }
                fastest = fastest.min(started.elapsed() / batch);
            }
            fastest * iterations
        };
        let function_time = if route == Route::DeleteItem {
            // Each delete removes an item created just before it, outside the time measured.
            let mut times = Vec::new();
            for n in 0..iterations {
                let bytes =
                    serde_json::to_vec(&event(Route::CreateItem, "", u64::from(n))).expect("event");
                let created: Value =
                    serde_json::from_slice(&invoke(&create, &bytes)).expect("json");
                let body: Value =
                    serde_json::from_str(created["body"].as_str().expect("body")).expect("item");
                let delete = serde_json::to_vec(&event(
                    Route::DeleteItem,
                    body["id"].as_str().expect("id"),
                    u64::from(n),
                ))
                .expect("event");
                let started = Instant::now();
                let response = invoke(&function, &delete);
                times.push(started.elapsed());
                std::hint::black_box(response);
            }
            // The same least disturbed figure: the median of the fastest half.
            times.sort_unstable();
            times[times.len() / 4] * iterations
        } else {
            measure(&mut |bytes| {
                std::hint::black_box(invoke(&function, bytes));
            })
        };
        let floor_time = measure(&mut |bytes| {
            let event: Value = serde_json::from_slice(bytes).expect("event");
            std::hint::black_box(serde_json::to_vec(&floor(&event)).expect("response"));
        });
        let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(iterations);
        println!(
            "{:<22} {:>9.1} {:>9.1} {:>9.1}",
            route.route_key(),
            per(function_time),
            per(floor_time),
            per(function_time) - per(floor_time)
        );
    }
}
