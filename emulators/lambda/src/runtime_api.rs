//! The Lambda Runtime API one function process talks to: it polls `invocation/next` for an
//! event and posts the result to `invocation/{id}/response` or `/error`, or reports a failed
//! start to `init/error`. Each process gets its own listener, so the server knows who polls.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};

use crate::{lock, region, ACCOUNT_ID};

/// Path prefix of every Runtime API call.
pub const RUNTIME_PREFIX: &str = "/2018-06-01/runtime";

/// One event for a process, and where its outcome goes.
#[derive(Debug)]
pub struct Invocation {
    /// Lambda's request id (a UUID, unlike API Gateway's).
    pub request_id: String,
    /// The event.
    pub event: Value,
    /// When the function must be done (the `Lambda-Runtime-Deadline-Ms` header).
    pub deadline: SystemTime,
    /// API Gateway's trace header, passed as `Lambda-Runtime-Trace-Id`.
    pub trace_id: String,
    /// Receives the outcome.
    pub reply: oneshot::Sender<Outcome>,
}

/// What the process said about an invocation.
#[derive(Debug)]
pub enum Outcome {
    /// A result posted to `/response`, with the time since the event was handed out.
    Response {
        /// The result bytes (the proxy response JSON).
        body: Bytes,
        /// From handing out the event to receiving the result.
        duration: Duration,
    },
    /// An error posted to `/error`.
    Error {
        /// The error document (`errorMessage`, `errorType`).
        body: Bytes,
        /// From handing out the event to receiving the error.
        duration: Duration,
    },
}

/// State shared by one process's Runtime API server and the pool that owns the process.
#[derive(Debug)]
pub struct RuntimeChannel {
    function_name: String,
    spawned_at: Instant,
    init_duration: OnceLock<Duration>,
    inbox: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    in_flight: Mutex<HashMap<String, (oneshot::Sender<Outcome>, Instant)>>,
    delivered: watch::Sender<Option<Instant>>,
    init_error: Mutex<Option<String>>,
    broken: watch::Sender<bool>,
}

impl RuntimeChannel {
    /// A channel for a process of `function_name` started at `spawned_at`; returns the sender
    /// the pool posts invocations to.
    pub fn new(function_name: &str, spawned_at: Instant) -> (Arc<Self>, mpsc::Sender<Invocation>) {
        let (sender, inbox) = mpsc::channel(1);
        let (broken, _) = watch::channel(false);
        let channel = Arc::new(Self {
            function_name: function_name.to_owned(),
            spawned_at,
            init_duration: OnceLock::new(),
            inbox: tokio::sync::Mutex::new(inbox),
            in_flight: Mutex::new(HashMap::new()),
            delivered: watch::channel(None).0,
            init_error: Mutex::new(None),
            broken,
        });
        (channel, sender)
    }

    /// From process start to its first poll for an event, once it has polled.
    pub fn init_duration(&self) -> Option<Duration> {
        self.init_duration.get().copied()
    }

    /// The message the process posted to `init/error`, if it did.
    pub fn init_error(&self) -> Option<String> {
        lock(&self.init_error).clone()
    }

    /// Marks the process as unusable (it exited, timed out or failed to start).
    pub fn mark_broken(&self) {
        self.broken.send_replace(true);
    }

    /// Resolves once the process is unusable.
    pub async fn wait_broken(&self) {
        let mut watcher = self.broken.subscribe();
        // The sender lives in `self`, so it cannot be dropped while we wait.
        let _ = watcher.wait_for(|broken| *broken).await;
    }

    /// Whether the process is unusable.
    pub fn is_broken(&self) -> bool {
        *self.broken.borrow()
    }

    /// When the current invocation was handed to the process, if it has been.
    pub fn delivered_at(&self) -> Option<Instant> {
        *self.delivered.borrow()
    }

    /// Resolves with the time the current invocation is handed to the process.
    pub async fn wait_delivered(&self) -> Instant {
        let mut watcher = self.delivered.subscribe();
        let delivered = match watcher.wait_for(Option::is_some).await {
            Ok(at) => *at,
            // The sender lives in `self`, so this cannot happen while we wait.
            Err(_) => None,
        };
        delivered.unwrap_or_else(Instant::now)
    }
}

/// Serves the Runtime API for one process on a fresh loopback port; returns its address and
/// the server task (abort it to stop serving).
pub async fn serve(
    channel: Arc<RuntimeChannel>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let address = listener.local_addr()?;
    let router = Router::new()
        .route(&format!("{RUNTIME_PREFIX}/invocation/next"), get(next))
        .route(
            &format!("{RUNTIME_PREFIX}/invocation/{{request_id}}/response"),
            post(response),
        )
        .route(
            &format!("{RUNTIME_PREFIX}/invocation/{{request_id}}/error"),
            post(error),
        )
        .route(&format!("{RUNTIME_PREFIX}/init/error"), post(init_error))
        .with_state(channel);
    let task = tokio::spawn(async move {
        // The server ends when its task is aborted; an accept error ends it early and the
        // process then fails its next call, which the pool sees as a crash.
        let _ = axum::serve(listener, router).await;
    });
    Ok((address, task))
}

async fn next(State(channel): State<Arc<RuntimeChannel>>) -> Response {
    channel
        .init_duration
        .get_or_init(|| channel.spawned_at.elapsed());
    let mut inbox = channel.inbox.lock().await;
    let Some(invocation) = inbox.recv().await else {
        // The pool is gone: it is shutting down.
        return StatusCode::GONE.into_response();
    };
    drop(inbox);
    let now = Instant::now();
    channel.delivered.send_replace(Some(now));
    lock(&channel.in_flight).insert(invocation.request_id.clone(), (invocation.reply, now));
    let deadline_ms = invocation
        .deadline
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    put("lambda-runtime-aws-request-id", invocation.request_id);
    put("lambda-runtime-deadline-ms", deadline_ms.to_string());
    put(
        "lambda-runtime-invoked-function-arn",
        format!(
            "arn:aws:lambda:{}:{ACCOUNT_ID}:function:{}",
            region(),
            channel.function_name
        ),
    );
    put("lambda-runtime-trace-id", invocation.trace_id);
    (headers, Json(invocation.event)).into_response()
}

async fn response(
    State(channel): State<Arc<RuntimeChannel>>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> Response {
    finish(&channel, &request_id, |duration| Outcome::Response {
        body,
        duration,
    })
}

async fn error(
    State(channel): State<Arc<RuntimeChannel>>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> Response {
    finish(&channel, &request_id, |duration| Outcome::Error {
        body,
        duration,
    })
}

fn finish(
    channel: &RuntimeChannel,
    request_id: &str,
    outcome: impl FnOnce(Duration) -> Outcome,
) -> Response {
    let Some((reply, delivered_at)) = lock(&channel.in_flight).remove(request_id) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})),
        )
            .into_response();
    };
    channel.delivered.send_replace(None);
    // The invoker may have given up (timeout); the result then has nowhere to go.
    let _ = reply.send(outcome(delivered_at.elapsed()));
    (StatusCode::ACCEPTED, Json(json!({"status": "OK"}))).into_response()
}

async fn init_error(State(channel): State<Arc<RuntimeChannel>>, body: Bytes) -> Response {
    *lock(&channel.init_error) = Some(String::from_utf8_lossy(&body).into_owned());
    channel.mark_broken();
    (StatusCode::ACCEPTED, Json(json!({"status": "OK"}))).into_response()
}
