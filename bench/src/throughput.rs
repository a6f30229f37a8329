//! Throughput of the local stage with in-process functions on the in-memory store: a fixed
//! number of connections, each sending its next request as soon as the last one is answered,
//! for a fixed time.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use items_apigateway::Route;
use local_stage::{AuthConfig, LineSink, StageConfig, ThrottleConfig};
use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::events::{ApiCall, Listing};
use crate::stats::Summary;
use crate::BoxError;

/// Which requests the connections send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mix {
    /// Only single-item reads of existing items.
    GetItem,
    /// Mostly single-item reads, some listings, creates and replaces.
    Mixed,
}

impl Mix {
    /// The routes the connections call, and their weights.
    fn weights(self) -> &'static [(Route, u32)] {
        match self {
            Mix::GetItem => &[(Route::GetItem, 1)],
            Mix::Mixed => &[
                (Route::GetItem, 6),
                (Route::ListItems, 2),
                (Route::CreateItem, 1),
                (Route::UpdateItem, 1),
            ],
        }
    }

    /// The routes spread over one connection's requests, as the load test spreads them.
    fn routes(self) -> items_loadtest::Mix {
        items_loadtest::Mix::new(self.weights())
    }

    fn label(self) -> String {
        match self {
            Mix::GetItem => Route::GetItem.route_key().to_owned(),
            Mix::Mixed => format!("mixed: {}", self.routes().describe()),
        }
    }
}

/// The listing the mixed run sends: a page of 20, without gzip.
const LISTING: Listing = Listing {
    limit: 20,
    gzip: false,
};

/// The `n`th request to `route` on the items `ids`. No mix sends deletes: those need items
/// of their own, and one sent here would answer 404 and count as an error.
fn call(route: Route, ids: &[String], n: usize) -> ApiCall {
    let id = || ids[n % ids.len().max(1)].clone();
    match route {
        Route::ListItems => ApiCall::List(LISTING),
        Route::GetItem => ApiCall::Get(id()),
        Route::CreateItem => ApiCall::Create(n as u64),
        Route::UpdateItem => ApiCall::Update(id(), n as u64),
        Route::PatchItem => ApiCall::Patch(id(), n as u64),
        Route::DeleteItem => ApiCall::Delete(uuid::Uuid::new_v4().to_string()),
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
    let token = stage.mint_token(crate::events::CALLER, &[]);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()?;
    let base = stage.url();
    let mut ids = Vec::with_capacity(SEED_ITEMS);
    for n in 0..SEED_ITEMS {
        let create = ApiCall::Create(n as u64);
        let response = http_request(&client, &base, &token, &create)?
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
            let mut routes = mix.routes();
            let mut n = worker;
            while Instant::now() < deadline {
                let Some(route) = routes.next() else { break };
                n += connections;
                let sent = Instant::now();
                let ok = target.request(&call(route, &target.ids, n)).await;
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
        mix: mix.label(),
        connections,
        seconds,
        requests,
        requests_per_second: requests as f64 / seconds,
        errors,
        latency: Summary::of(&latencies).ok_or("no request completed")?,
    })
}

impl Target {
    /// Sends `call`; whether it got its route's success status.
    async fn request(&self, call: &ApiCall) -> bool {
        let Ok(request) = http_request(&self.client, &self.base, &self.token, call) else {
            return false;
        };
        match request.send().await {
            // The body is read so the connection can carry the next request.
            Ok(response) => {
                let status = response.status().as_u16();
                response.bytes().await.is_ok() && status == call.success_status()
            }
            Err(_) => false,
        }
    }
}

/// `call` as an HTTP request to the stage at `base`.
fn http_request(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    call: &ApiCall,
) -> Result<reqwest::RequestBuilder, BoxError> {
    let (method, path) = call.request_line()?;
    let query = call.query();
    let url = if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    };
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(encoding) = call.accept_encoding() {
        request = request.header(reqwest::header::ACCEPT_ENCODING, encoding);
    }
    if let Some((body, media_type)) = call.body() {
        request = request
            .header(reqwest::header::CONTENT_TYPE, media_type)
            .body(body.to_string());
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mixed_run_is_six_reads_two_listings_a_create_and_a_replace_in_ten() {
        let routes: Vec<Route> = Mix::Mixed.routes().take(20).collect();
        let count = |route| routes.iter().filter(|r| **r == route).count();
        assert_eq!(count(Route::GetItem), 12);
        assert_eq!(count(Route::ListItems), 4);
        assert_eq!(count(Route::CreateItem), 2);
        assert_eq!(count(Route::UpdateItem), 2);
        assert!(Mix::Mixed.label().contains("PUT /items/{id} 10%"));
    }

    #[test]
    fn requests_go_to_the_routes_path_with_its_body_and_media_type() {
        let client = reqwest::Client::new();
        let ids = ["abc".to_owned()];
        let patch = call(Route::PatchItem, &ids, 3);
        let request = http_request(&client, "http://stage", "t", &patch)
            .expect("request")
            .build()
            .expect("built");
        assert_eq!(request.method(), reqwest::Method::PATCH);
        assert_eq!(request.url().as_str(), "http://stage/items/abc");
        assert_eq!(
            request.headers()[reqwest::header::CONTENT_TYPE],
            "application/merge-patch+json"
        );
        let listing = http_request(
            &client,
            "http://stage",
            "t",
            &call(Route::ListItems, &ids, 1),
        )
        .expect("request")
        .build()
        .expect("built");
        assert_eq!(listing.url().as_str(), "http://stage/items?limit=20");
        assert!(listing.body().is_none());
    }
}
