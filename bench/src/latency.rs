//! Cold starts and warm latency of the function binaries against DynamoDB, and the floor they
//! are compared with.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;
use tokio::process::Command;

use crate::events::{ApiCall, EventFactory};
use crate::function::{FunctionProcess, Launch};
use crate::stats::Summary;
use crate::BoxError;

/// What one function's route does, which decides the requests it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteKind {
    /// `GET /items`
    List,
    /// `GET /items/{id}`
    Get,
    /// `POST /items`
    Create,
    /// `PUT /items/{id}`
    Update,
    /// `DELETE /items/{id}`
    Delete,
}

impl RouteKind {
    /// The kind of a routes.json route key; `None` for a route the bench does not know.
    pub fn of(route_key: &str) -> Option<Self> {
        Some(match route_key {
            "GET /items" => RouteKind::List,
            "GET /items/{id}" => RouteKind::Get,
            "POST /items" => RouteKind::Create,
            "PUT /items/{id}" => RouteKind::Update,
            "DELETE /items/{id}" => RouteKind::Delete,
            _ => return None,
        })
    }
}

/// The items the requests work on: a fixed set to read and update, and the items created by
/// the create function, which the delete function then deletes.
pub struct Workload {
    events: EventFactory,
    seeds: Vec<String>,
    deletable: Vec<String>,
    counter: u64,
}

impl Workload {
    /// A workload reading and updating `seeds`.
    pub fn new(events: EventFactory, seeds: Vec<String>) -> Self {
        Self {
            events,
            seeds,
            deletable: Vec::new(),
            counter: 0,
        }
    }

    /// The items read and updated.
    pub fn seeds(&self) -> &[String] {
        &self.seeds
    }

    /// The next request for a route of `kind`.
    pub fn next_call(&mut self, kind: RouteKind) -> Result<ApiCall, BoxError> {
        self.counter += 1;
        let seed = || {
            self.seeds
                .get(self.counter as usize % self.seeds.len().max(1))
                .cloned()
                .ok_or("no seed items")
        };
        Ok(match kind {
            RouteKind::List => ApiCall::List,
            RouteKind::Get => ApiCall::Get(seed()?),
            RouteKind::Update => ApiCall::Update(seed()?, self.counter),
            RouteKind::Create => ApiCall::Create(self.counter),
            RouteKind::Delete => ApiCall::Delete(
                self.deletable
                    .pop()
                    .ok_or("no created item left to delete: run the create function first")?,
            ),
        })
    }

    /// Sends `call` to `process`, checks the status, and remembers created items.
    pub async fn send(
        &mut self,
        process: &mut FunctionProcess,
        call: &ApiCall,
    ) -> Result<crate::function::Answer, BoxError> {
        let answer = process.invoke(self.events.event(call)).await?;
        let status = answer.response["statusCode"].as_u64();
        if status != Some(call.success_status()) {
            return Err(format!(
                "{} answered {}: {}",
                call.route_key(),
                status.map_or_else(|| "no status".to_owned(), |s| s.to_string()),
                answer.response
            )
            .into());
        }
        if let ApiCall::Create(_) = call {
            self.deletable.push(created_id(&answer.response)?);
        }
        Ok(answer)
    }
}

fn created_id(response: &Value) -> Result<String, BoxError> {
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap_or_default())?;
    body["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("a created item without an id: {body}").into())
}

/// Creates `count` items through the create function, for the other routes to work on.
pub async fn seed(
    launch: &Launch,
    events: &EventFactory,
    count: u64,
) -> Result<Vec<String>, BoxError> {
    let mut process = FunctionProcess::start(launch).await?;
    let mut ids = Vec::new();
    for n in 0..count {
        let call = ApiCall::Create(n);
        let answer = process.invoke(events.event(&call)).await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                process.stop().await;
                return Err(error);
            }
        };
        match created_id(&answer.response) {
            Ok(id) => ids.push(id),
            Err(error) => {
                process.stop().await;
                return Err(error);
            }
        }
    }
    process.stop().await;
    Ok(ids)
}

/// Cold starts of one function over fresh processes.
#[derive(Debug, Clone)]
pub struct ColdStarts {
    /// Process start to first poll for an event.
    pub init: Summary,
    /// Process start to the first response back.
    pub first_response: Summary,
}

/// Starts `runs` fresh processes of a function, each answering one request.
pub async fn cold_starts(
    launch: &Launch,
    kind: RouteKind,
    workload: &mut Workload,
    runs: usize,
) -> Result<ColdStarts, BoxError> {
    let mut inits = Vec::with_capacity(runs);
    let mut first_responses = Vec::with_capacity(runs);
    for _ in 0..runs {
        let call = workload.next_call(kind)?;
        let mut process = FunctionProcess::start(launch).await?;
        let answer = match workload.send(&mut process, &call).await {
            Ok(answer) => answer,
            Err(error) => {
                process.stop().await;
                return Err(error);
            }
        };
        let init = process.init_duration();
        first_responses.push(answer.arrived_at.duration_since(process.started()));
        process.stop().await;
        inits.push(init.ok_or("the process answered without polling")?);
    }
    Ok(ColdStarts {
        init: Summary::of(&inits).ok_or("no cold starts measured")?,
        first_response: Summary::of(&first_responses).ok_or("no cold starts measured")?,
    })
}

/// Warm requests through one function process.
#[derive(Debug, Clone)]
pub struct WarmRun {
    /// The function's Duration per request (event handed out to response received).
    pub duration: Summary,
    /// From posting the event to the Runtime API to the response arriving at the bench.
    pub round_trip: Summary,
    /// The process's peak resident set after every request, in KiB.
    pub peak_rss_kib: Option<u64>,
}

/// Sends `warm_up` unmeasured and then `requests` measured requests to one process.
pub async fn warm_run(
    launch: &Launch,
    kind: RouteKind,
    workload: &mut Workload,
    warm_up: usize,
    requests: usize,
) -> Result<WarmRun, BoxError> {
    let mut process = FunctionProcess::start(launch).await?;
    let mut durations = Vec::with_capacity(requests);
    let mut round_trips = Vec::with_capacity(requests);
    for n in 0..warm_up + requests {
        let call = workload.next_call(kind)?;
        let sent = Instant::now();
        let answer = match workload.send(&mut process, &call).await {
            Ok(answer) => answer,
            Err(error) => {
                process.stop().await;
                return Err(error);
            }
        };
        if n >= warm_up {
            durations.push(answer.duration);
            round_trips.push(answer.arrived_at.duration_since(sent));
        }
    }
    let peak_rss_kib = process.peak_rss_kib();
    process.stop().await;
    Ok(WarmRun {
        duration: Summary::of(&durations).ok_or("no requests measured")?,
        round_trip: Summary::of(&round_trips).ok_or("no requests measured")?,
        peak_rss_kib,
    })
}

#[derive(Deserialize)]
struct FloorOutput {
    latencies_us: Vec<f64>,
}

/// Raw GetItem round trips of `ids` from the floor binary, started with the functions'
/// environment.
pub async fn getitem_floor(
    binary: &Path,
    environment: &[(String, String)],
    ids: &[String],
    warm_up: usize,
    requests: usize,
) -> Result<Summary, BoxError> {
    let output = Command::new(binary)
        .env_clear()
        .envs(environment.iter().cloned())
        .arg(warm_up.to_string())
        .arg(requests.to_string())
        .args(ids)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await
        .map_err(|e| format!("could not run {}: {e}", binary.display()))?;
    if !output.status.success() {
        return Err(format!("{} failed ({})", binary.display(), output.status).into());
    }
    let floor: FloorOutput = serde_json::from_slice(&output.stdout)?;
    let samples: Vec<Duration> = floor
        .latencies_us
        .iter()
        .map(|us| Duration::from_secs_f64(us / 1e6))
        .collect();
    Summary::of(&samples).ok_or_else(|| "the floor measured nothing".into())
}
