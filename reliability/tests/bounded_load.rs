//! The local stage in process mode (the real function binaries on DynamoDB) under a bounded,
//! mixed load: no 5xx, no lost write, and the figures printed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{client, dynamodb_endpoint, fresh_store, item_body, list_all, process_stage};
use tokio::sync::Mutex;
use tokio::task::JoinSet;

const REQUESTS: usize = 2000;
const CONCURRENCY: usize = 32;

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    created_ids: Vec<String>,
    server_errors: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_load_through_the_function_processes_has_no_5xx_and_loses_no_write() {
    let stage = process_stage(fresh_store(dynamodb_endpoint()), 8).await;
    let token = stage.mint_token("load", &[]);
    let client = client();
    let base = stage.url();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();

    let mut workers = JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (client, base, token, tally, next) = (
            client.clone(),
            base.clone(),
            token.clone(),
            Arc::clone(&tally),
            Arc::clone(&next),
        );
        workers.spawn(async move {
            let mut my_items: Vec<String> = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= REQUESTS {
                    return;
                }
                // Mix: 40% create, 30% get, 15% list, 10% update, 5% delete of the worker's own
                // items; a worker with no item yet creates one.
                let pick = n % 20;
                let sent = Instant::now();
                let (route, response) = match (pick, my_items.last().cloned()) {
                    (0..=7, _) | (_, None) => {
                        let response = client
                            .post(format!("{base}/items"))
                            .bearer_auth(&token)
                            .json(&item_body(&format!("load {n}"), Some("load")))
                            .send()
                            .await;
                        ("POST /items", response)
                    }
                    (8..=13, Some(id)) => (
                        "GET /items/{id}",
                        client
                            .get(format!("{base}/items/{id}"))
                            .bearer_auth(&token)
                            .send()
                            .await,
                    ),
                    (14..=16, _) => (
                        "GET /items",
                        client
                            .get(format!("{base}/items?category=load&limit=20"))
                            .bearer_auth(&token)
                            .send()
                            .await,
                    ),
                    (17..=18, Some(id)) => (
                        "PUT /items/{id}",
                        client
                            .put(format!("{base}/items/{id}"))
                            .bearer_auth(&token)
                            .json(&item_body(&format!("load {n} updated"), Some("load")))
                            .send()
                            .await,
                    ),
                    (_, Some(id)) => (
                        "DELETE /items/{id}",
                        client
                            .delete(format!("{base}/items/{id}"))
                            .bearer_auth(&token)
                            .send()
                            .await,
                    ),
                };
                let elapsed = sent.elapsed();
                let response = response.expect("the stage answers every request");
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let mut tally = tally.lock().await;
                tally.latencies.push(elapsed);
                if status >= 500 {
                    tally
                        .server_errors
                        .push(format!("{route} -> {status}: {body}"));
                }
                match (route, status) {
                    ("POST /items", 201) => {
                        let id = body["id"].as_str().expect("created id").to_owned();
                        my_items.push(id.clone());
                        tally.created_ids.push(id);
                    }
                    ("DELETE /items/{id}", 204) => {
                        if let Some(id) = my_items.pop() {
                            tally.created_ids.retain(|kept| *kept != id);
                        }
                    }
                    _ => {}
                }
            }
        });
    }
    while let Some(worker) = workers.join_next().await {
        worker.expect("load worker");
    }
    let wall = started.elapsed();

    let mut tally = tally.lock().await;
    tally.latencies.sort();
    let percentile = |p: f64| tally.latencies[((tally.latencies.len() - 1) as f64 * p) as usize];
    println!(
        "bounded load: {REQUESTS} requests, {CONCURRENCY} concurrent, {:.0} req/s, p50 {:?}, p99 {:?}, {} 5xx",
        REQUESTS as f64 / wall.as_secs_f64(),
        percentile(0.50),
        percentile(0.99),
        tally.server_errors.len()
    );
    assert!(
        tally.server_errors.is_empty(),
        "5xx under load: {:?}",
        tally.server_errors
    );

    let listed: std::collections::HashSet<String> = list_all(&client, &stage, &token)
        .await
        .into_iter()
        .filter_map(|item| item["id"].as_str().map(str::to_owned))
        .collect();
    let lost: Vec<&String> = tally
        .created_ids
        .iter()
        .filter(|id| !listed.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged writes missing after the load: {lost:?}"
    );
    stage.shutdown().await;
}
