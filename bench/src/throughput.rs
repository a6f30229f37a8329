//! Throughput of the local stage with in-process functions on the in-memory store: a fixed
//! number of connections, each sending its next request as soon as the last one is answered,
//! for a fixed time.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use local_stage::{AuthConfig, LineSink, StageConfig, ThrottleConfig};
use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::events::item_body;
use crate::stats::Summary;
use crate::BoxError;

/// Which requests the connections send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mix {
    /// Only `GET /items/{id}` of existing items.
    GetItem,
    /// 60% get, 20% list, 10% create, 10% update.
    Mixed,
}

impl Mix {
    fn label(self) -> &'static str {
        match self {
            Mix::GetItem => "GET /items/{id}",
            Mix::Mixed => "mixed: 60% get, 20% list, 10% create, 10% update",
        }
    }
}

/// One throughput run's figures.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Throughput {
    /// What was sent.
    pub mix: String,
    /// Concurrent connections.
    pub connections: usize,
    /// How long the run lasted, in seconds.
    pub seconds: f64,
    /// Requests answered.
    pub requests: u64,
    /// Requests answered per second.
    pub requests_per_second: f64,
    /// Answers that were not the route's success status, plus transport errors.
    pub errors: u64,
    /// Latency as the client saw it.
    pub latency: Summary,
}

/// How many items exist before a run starts.
const SEED_ITEMS: usize = 100;

/// Runs each mix for `duration` with `connections` connections against a fresh stage.
pub(crate) async fn measure(
    key_file: PathBuf,
    mixes: &[Mix],
    connections: usize,
    duration: Duration,
) -> Result<Vec<Throughput>, BoxError> {
    let stage = local_stage::start(StageConfig {
        auth: AuthConfig::LocalIssuer { key_file },
        // The stage's default throttling (API Gateway's account limits) would cap the figure;
        // the point is what the stage itself can serve.
        throttle: ThrottleConfig {
            burst: u32::MAX,
            rate: f64::MAX,
        },
        access_log: LineSink::Off,
        reports: LineSink::Off,
        // The API's own throughput; publishing change events is the stream function's work.
        change_events: false,
        ..StageConfig::default()
    })
    .await?;
    let token = stage.mint_token("bench-user", &[]);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()?;
    let base = stage.url();
    let mut ids = Vec::with_capacity(SEED_ITEMS);
    for n in 0..SEED_ITEMS {
        let response = client
            .post(format!("{base}/items"))
            .bearer_auth(&token)
            .json(&item_body(n as u64))
            .send()
            .await?;
        let body: Value = response.error_for_status()?.json().await?;
        ids.push(
            body["id"]
                .as_str()
                .ok_or("a created item without id")?
                .to_owned(),
        );
    }
    let target = Arc::new(Target {
        client,
        base,
        token,
        ids,
    });
    let mut results = Vec::new();
    for &mix in mixes {
        results.push(run(Arc::clone(&target), mix, connections, duration).await?);
    }
    stage.shutdown().await;
    Ok(results)
}

struct Target {
    client: reqwest::Client,
    base: String,
    token: String,
    ids: Vec<String>,
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: u64,
}

async fn run(
    target: Arc<Target>,
    mix: Mix,
    connections: usize,
    duration: Duration,
) -> Result<Throughput, BoxError> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = JoinSet::new();
    for worker in 0..connections {
        let target = Arc::clone(&target);
        workers.spawn(async move {
            let mut tally = Tally::default();
            let mut n = worker;
            while Instant::now() < deadline {
                n += connections;
                let sent = Instant::now();
                let ok = target.request(mix, n).await;
                tally.latencies.push(sent.elapsed());
                if !ok {
                    tally.errors += 1;
                }
            }
            tally
        });
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    while let Some(tally) = workers.join_next().await {
        let tally = tally?;
        latencies.extend(tally.latencies);
        errors += tally.errors;
    }
    let seconds = started.elapsed().as_secs_f64();
    let requests = latencies.len() as u64;
    Ok(Throughput {
        mix: mix.label().to_owned(),
        connections,
        seconds,
        requests,
        requests_per_second: requests as f64 / seconds,
        errors,
        latency: Summary::of(&latencies).ok_or("no request completed")?,
    })
}

impl Target {
    /// Sends the `n`th request of `mix`; whether it got its route's success status.
    async fn request(&self, mix: Mix, n: usize) -> bool {
        let id = &self.ids[n % self.ids.len()];
        let (request, expected) = match (mix, n % 10) {
            (Mix::GetItem, _) | (Mix::Mixed, 0..=5) => {
                (self.client.get(format!("{}/items/{id}", self.base)), 200)
            }
            (Mix::Mixed, 6..=7) => (
                self.client.get(format!("{}/items?limit=20", self.base)),
                200,
            ),
            (Mix::Mixed, 8) => (
                self.client
                    .post(format!("{}/items", self.base))
                    .json(&item_body(n as u64)),
                201,
            ),
            (Mix::Mixed, _) => (
                self.client
                    .put(format!("{}/items/{id}", self.base))
                    .json(&item_body(n as u64)),
                200,
            ),
        };
        match request.bearer_auth(&self.token).send().await {
            // The body is read so the connection can carry the next request.
            Ok(response) => {
                let status = response.status().as_u16();
                response.bytes().await.is_ok() && status == expected
            }
            Err(_) => false,
        }
    }
}
