#![doc = include_str!("../README.md")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Decides whether an entry is rejected; gets the entry as sent (`Source`, `DetailType`,
/// `Detail`...) and returns the error code to reject it with.
pub type Rejection = Box<dyn FnMut(&Value) -> Option<String> + Send>;

/// Called with each accepted event, in order (the local stage prints them).
pub type Listener = Arc<dyn Fn(&Value) + Send + Sync>;

#[derive(Default)]
struct Bus {
    events: Vec<Value>,
    calls: usize,
    unavailable: bool,
    /// Calls still answered before the bus becomes unavailable.
    calls_until_outage: Option<usize>,
    rejection: Option<Rejection>,
    listener: Option<Listener>,
}

/// A running emulator; it stops when dropped.
pub struct EventBridgeEmulator {
    address: SocketAddr,
    bus: Arc<Mutex<Bus>>,
    server: JoinHandle<()>,
}

impl EventBridgeEmulator {
    /// Starts on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `address` (port 0 for a free one).
    pub async fn start_on(address: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let bus = Arc::new(Mutex::new(Bus::default()));
        let app = Router::new()
            .route("/", post(put_events))
            .with_state(Arc::clone(&bus));
        let server = tokio::spawn(async move {
            // The server only ends when the emulator is dropped and the task aborted.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            address,
            bus,
            server,
        })
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_EVENTBRIDGE`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every accepted event so far, oldest first, as a rule's target receives it.
    pub fn events(&self) -> Vec<Value> {
        lock(&self.bus).events.clone()
    }

    /// How many `PutEvents` calls arrived (answered or refused).
    pub fn calls(&self) -> usize {
        lock(&self.bus).calls
    }

    /// Rejects the entries `rejection` returns an error code for, from now on.
    pub fn reject(&self, rejection: impl FnMut(&Value) -> Option<String> + Send + 'static) {
        lock(&self.bus).rejection = Some(Box::new(rejection));
    }

    /// Accepts every well-formed entry again.
    pub fn stop_rejecting(&self) {
        lock(&self.bus).rejection = None;
    }

    /// Answers every call with a 503 (`true`) or serves again (`false`).
    pub fn set_unavailable(&self, unavailable: bool) {
        let mut bus = lock(&self.bus);
        bus.unavailable = unavailable;
        bus.calls_until_outage = None;
    }

    /// Answers the next `calls` calls, then becomes unavailable (until `set_unavailable(false)`).
    pub fn set_unavailable_after(&self, calls: usize) {
        let mut bus = lock(&self.bus);
        bus.unavailable = calls == 0;
        bus.calls_until_outage = Some(calls);
    }

    /// Calls `listener` with every event accepted from now on.
    pub fn on_event(&self, listener: impl Fn(&Value) + Send + Sync + 'static) {
        lock(&self.bus).listener = Some(Arc::new(listener));
    }
}

impl Drop for EventBridgeEmulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock(bus: &Mutex<Bus>) -> MutexGuard<'_, Bus> {
    // Every change to the bus is a whole push or assignment: a poisoned lock is still whole.
    bus.lock().unwrap_or_else(PoisonError::into_inner)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        json!({ "__type": code, "message": message }).to_string(),
    )
        .into_response()
}

/// The event a target receives for an accepted entry, or why the entry is malformed.
fn envelope(entry: &Value, received: DateTime<Utc>) -> Result<Value, &'static str> {
    let text = |name: &str| entry.get(name).and_then(Value::as_str);
    let (Some(source), Some(detail_type), Some(detail)) =
        (text("Source"), text("DetailType"), text("Detail"))
    else {
        return Err("InvalidArgument");
    };
    let detail: Value = serde_json::from_str(detail).map_err(|_| "MalformedDetail")?;
    if !detail.is_object() {
        return Err("MalformedDetail");
    }
    // The SDK sends `Time` as epoch seconds; EventBridge shows it to the second.
    let time = entry
        .get("Time")
        .and_then(Value::as_f64)
        .and_then(|seconds| DateTime::from_timestamp(seconds as i64, 0))
        .unwrap_or(received);
    Ok(json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": detail_type,
        "source": source,
        "account": "000000000000",
        "time": time.to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_owned()),
        "resources": entry.get("Resources").cloned().unwrap_or_else(|| json!([])),
        "detail": detail,
    }))
}

async fn put_events(
    State(bus): State<Arc<Mutex<Bus>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if target != "AWSEvents.PutEvents" {
        return error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            "only PutEvents is emulated",
        );
    }
    let mut bus = lock(&bus);
    bus.calls += 1;
    if let Some(left) = bus.calls_until_outage {
        bus.unavailable = left == 0;
        bus.calls_until_outage = Some(left.saturating_sub(1));
    }
    if bus.unavailable {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "the emulator was told to be unavailable",
        );
    }
    let request: Value = match serde_json::from_str(&body) {
        Ok(request) => request,
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                "not JSON",
            )
        }
    };
    let entries = request
        .get("Entries")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if entries.is_empty() || entries.len() > 10 {
        return error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "Entries must hold 1 to 10 entries",
        );
    }
    let received = Utc::now();
    let mut results = Vec::with_capacity(entries.len());
    let mut failed = 0;
    for entry in &entries {
        let rejected = bus.rejection.as_mut().and_then(|reject| reject(entry));
        let outcome = match rejected {
            Some(code) => Err(code),
            None => envelope(entry, received).map_err(str::to_owned),
        };
        match outcome {
            Ok(event) => {
                results.push(json!({ "EventId": event["id"] }));
                if let Some(listener) = &bus.listener {
                    listener(&event);
                }
                bus.events.push(event);
            }
            Err(code) => {
                failed += 1;
                results
                    .push(json!({ "ErrorCode": code, "ErrorMessage": "rejected by the emulator" }));
            }
        }
    }
    (
        [("content-type", "application/x-amz-json-1.1")],
        json!({ "FailedEntryCount": failed, "Entries": results }).to_string(),
    )
        .into_response()
}
