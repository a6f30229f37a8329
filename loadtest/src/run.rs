//! One run: seed items, send requests at their scheduled times, collect every answer.

use items_apigateway::body::MERGE_PATCH;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use items_apigateway::Route;

use crate::mix::{request_line, Mix};
use crate::report::{Outcome, Report, Sample};

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The stage's base URL, without a trailing slash.
    pub url: String,
    /// A bearer token the stage's authorizer accepts.
    pub token: String,
    /// An API key sent as `x-api-key` (the REST variant's usage plan).
    pub api_key: Option<String>,
    /// Requests per second, held for the whole run whatever the answers' latency.
    pub rate: f64,
    /// How long to send.
    pub duration: Duration,
    /// How long one request may take before it counts as a timeout.
    pub timeout: Duration,
    /// Requests in flight at most; a request due while all are busy waits, and its wait counts
    /// in its latency.
    pub max_in_flight: usize,
    /// Items created before the run for the get, replace and patch requests.
    pub seed_items: usize,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The rate, duration or limits make no run.
    #[error("{0}")]
    Config(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// Seeding failed: the stage is unreachable, or rejects the token.
    #[error("seeding items failed ({what}): is the URL right and the token accepted?")]
    Seed {
        /// The request and how it failed.
        what: String,
    },
}

/// The items the requests read, change and delete.
struct Items {
    /// Created before the run, never deleted by it: targets of get, replace and patch.
    stable: Vec<String>,
    /// Created before or during the run: targets of delete.
    deletable: Mutex<Vec<String>>,
}

/// Runs the load test described by `config`.
pub async fn run(config: Config) -> Result<Report, LoadError> {
    if !(config.rate > 0.0 && config.rate.is_finite()) {
        return Err(LoadError::Config("the rate must be above 0".to_owned()));
    }
    if config.duration.is_zero() || config.max_in_flight == 0 || config.seed_items == 0 {
        return Err(LoadError::Config(
            "the duration, max in flight and seed items must be above 0".to_owned(),
        ));
    }
    let client = reqwest::Client::builder()
        .timeout(config.timeout)
        .build()
        .map_err(LoadError::Client)?;
    let config = Arc::new(config);
    let items = Arc::new(seed(&client, &config).await?);

    let interval = Duration::from_secs_f64(1.0 / config.rate);
    let scheduled = (config.rate * config.duration.as_secs_f64()).round() as usize;
    let mix = Mix::realistic();
    if let Some(route) = mix
        .routes()
        .find(|route| request_line(*route, "").is_none())
    {
        return Err(LoadError::Config(format!(
            "the route key {:?} is not METHOD /path",
            route.route_key()
        )));
    }
    let description = mix.describe();
    let in_flight = Arc::new(Semaphore::new(config.max_in_flight));
    let mut requests = JoinSet::new();
    let start = Instant::now();
    for (slot, route) in mix.take(scheduled).enumerate() {
        // The schedule is fixed in advance: a slow answer never delays the next request's
        // scheduled start, and latency counts from that start.
        let due = start + interval.mul_f64(slot as f64);
        tokio::time::sleep_until(due).await;
        let (client, config, items, in_flight) = (
            client.clone(),
            Arc::clone(&config),
            Arc::clone(&items),
            Arc::clone(&in_flight),
        );
        requests.spawn(async move {
            let _permit = in_flight.acquire_owned().await;
            let sent = Instant::now();
            let outcome = send(&client, &config, &items, route, slot).await;
            let answered = Instant::now();
            Sample {
                route,
                latency: answered - due,
                service_time: answered - sent,
                outcome,
            }
        });
    }
    let mut samples = Vec::with_capacity(scheduled);
    while let Some(joined) = requests.join_next().await {
        // A request task never panics; should one be cancelled, it has no sample.
        if let Ok(sample) = joined {
            samples.push(sample);
        }
    }
    let elapsed = start.elapsed();
    Ok(Report {
        url: config.url.clone(),
        rate: config.rate,
        duration: config.duration,
        mix: description,
        scheduled,
        elapsed,
        samples,
    })
}

async fn seed(client: &reqwest::Client, config: &Config) -> Result<Items, LoadError> {
    let create = Route::CreateItem;
    let mut created = Vec::new();
    // Half again as many for the first deletes, before the run's creates replenish them.
    for n in 0..config.seed_items + config.seed_items.div_ceil(2) {
        let failed = |what: String| LoadError::Seed {
            what: format!("{}: {what}", create.route_key()),
        };
        let (method, path) = request_line(create, "")
            .ok_or_else(|| failed("the route key is not METHOD /path".to_owned()))?;
        let response = request(client, config, method, &path)
            .json(&item_body(&format!("seed {n}")))
            .send()
            .await
            .map_err(|error| failed(error.to_string()))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let id = (status.as_u16() == create.success_status())
            .then(|| serde_json::from_str::<serde_json::Value>(&body).ok())
            .flatten()
            .and_then(|item| item.get("id")?.as_str().map(str::to_owned));
        match id {
            Some(id) => created.push(id),
            None => return Err(failed(format!("answered {status}: {}", truncate(&body)))),
        }
    }
    let deletable = created.split_off(config.seed_items);
    Ok(Items {
        stable: created,
        deletable: Mutex::new(deletable),
    })
}

async fn send(
    client: &reqwest::Client,
    config: &Config,
    items: &Items,
    route: Route,
    slot: usize,
) -> Outcome {
    let id = match route {
        // A path without an id.
        Route::ListItems | Route::CreateItem => String::new(),
        Route::GetItem | Route::UpdateItem | Route::PatchItem => {
            items.stable[slot % items.stable.len()].clone()
        }
        Route::DeleteItem => lock(&items.deletable)
            .pop()
            // None left: a fresh id, answered 404 and counted as an error, which says the mix
            // deletes faster than it creates.
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    };
    // `run` checked that every route of the mix reads as METHOD /path.
    let Some((method, path)) = request_line(route, &id) else {
        return Outcome::Transport;
    };
    let builder = match route {
        Route::ListItems if slot.is_multiple_of(2) => {
            request(client, config, method, &format!("{path}?limit=20"))
        }
        Route::ListItems => request(
            client,
            config,
            method,
            &format!("{path}?category=loadtest&limit=20"),
        ),
        Route::GetItem | Route::DeleteItem => request(client, config, method, &path),
        Route::CreateItem => {
            request(client, config, method, &path).json(&item_body(&format!("load {slot}")))
        }
        Route::UpdateItem => {
            request(client, config, method, &path).json(&item_body(&format!("updated {slot}")))
        }
        Route::PatchItem => request(client, config, method, &path)
            .header(reqwest::header::CONTENT_TYPE, MERGE_PATCH)
            .body(item_patch(&format!("patched {slot}")).to_string()),
    };
    match builder.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response.bytes().await;
            if route == Route::CreateItem && status == route.success_status() {
                let id = body
                    .ok()
                    .and_then(|body| serde_json::from_slice::<serde_json::Value>(&body).ok())
                    .and_then(|item| item.get("id")?.as_str().map(str::to_owned));
                if let Some(id) = id {
                    lock(&items.deletable).push(id);
                }
            }
            Outcome::Status(status)
        }
        Err(error) if error.is_timeout() => Outcome::Timeout,
        Err(_) => Outcome::Transport,
    }
}

fn request(
    client: &reqwest::Client,
    config: &Config,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    let builder = client
        .request(method, format!("{}{path}", config.url))
        .bearer_auth(&config.token);
    match &config.api_key {
        Some(key) => builder.header("x-api-key", key),
        None => builder,
    }
}

fn item_body(name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "description": "created by scripts/loadtest",
        "category": "loadtest",
    })
}

/// A merge patch changing only the description.
fn item_patch(description: &str) -> serde_json::Value {
    serde_json::json!({ "description": description })
}

fn lock(ids: &Mutex<Vec<String>>) -> std::sync::MutexGuard<'_, Vec<String>> {
    // A poisoned list of ids is still a list of ids.
    ids.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn truncate(body: &str) -> String {
    body.chars().take(300).collect()
}
