//! What API Gateway itself adds: `404 {"message": "Not Found"}` for a route the API does not
//! have, a request id on every function response, and how long a read through the stage takes.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use items_e2e::Observed;
use reqwest::Method;

use crate::support::{item_body, openapi, send_within_throttle, target, Api};

#[tokio::test]
async fn an_unknown_route_is_404_not_found_with_or_without_a_token() {
    let paths = [
        (Method::GET, "/nothing-here"),
        (Method::GET, "/"),
        (Method::PATCH, "/items"),
        (Method::DELETE, "/items"),
        (Method::POST, "/items/00000000-0000-4000-8000-000000000000"),
        (
            Method::GET,
            "/items/00000000-0000-4000-8000-000000000000/parts",
        ),
    ];
    for api in [Api::with_token(None), Api::user_a()] {
        for (method, path) in &paths {
            let response = send_within_throttle(api.request(method.clone(), path))
                .await
                .expect("an answer");
            let observed = Observed::receive(response).await.expect("a whole answer");
            assert_eq!(observed.status, 404, "{method} {path}");
            assert!(
                observed.header("apigw-requestid").is_some(),
                "{method} {path}"
            );
            openapi()
                .check_response("/components/responses/RouteNotFound", &observed)
                .unwrap_or_else(|e| panic!("{method} {path}: {e:?}"));
        }
    }
}

#[tokio::test]
async fn every_function_response_has_its_own_request_id() {
    let api = Api::user_a();
    let created = api.create(&item_body("Traced", None)).await;
    let id = created.json()["id"].as_str().expect("an id").to_owned();
    let replies = [
        created,
        api.get(&id).await,
        api.list(&[("limit", "1")]).await,
        api.replace(&id, &item_body("Traced again", None), None)
            .await,
        api.list(&[("limit", "0")]).await,
        api.delete(&id, None).await,
        api.get(&id).await,
    ];
    let ids: HashSet<&str> = replies
        .iter()
        .map(|reply| reply.header("x-request-id").expect("x-request-id"))
        .collect();
    assert_eq!(ids.len(), replies.len(), "request ids are unique: {ids:?}");
}

/// Not a contract rule but the local stage's promise: a read through it takes milliseconds.
/// The figure is printed (see it with `-- --nocapture`).
#[tokio::test]
async fn reading_an_item_through_the_stage_takes_milliseconds() {
    const READS: usize = 200;
    let api = Api::user_a();
    let item = api.create_item(&item_body("Timed", None)).await;
    let path = format!("/items/{}", item["id"].as_str().expect("an id"));
    let client = api.client().clone();
    let token = target().user_a.clone();
    let mut latencies = Vec::with_capacity(READS);
    for _ in 0..READS {
        let started = Instant::now();
        let response = send_within_throttle(client.get(target().url(&path)).bearer_auth(&token))
            .await
            .expect("an answer");
        let status = response.status();
        response.bytes().await.expect("a body");
        latencies.push(started.elapsed());
        assert_eq!(status, 200);
    }
    latencies.sort();
    let median = latencies[READS / 2];
    let p95 = latencies[READS * 95 / 100];
    println!(
        "GET /items/{{id}} through {}: median {:.2} ms, p95 {:.2} ms over {READS} reads",
        target().base_url,
        median.as_secs_f64() * 1000.0,
        p95.as_secs_f64() * 1000.0
    );
    // Over a network to a deployed stage the figure is the network's; only bound it locally.
    let on_this_machine = ["http://127.", "http://localhost", "http://[::1]"]
        .iter()
        .any(|prefix| target().base_url.starts_with(prefix));
    if on_this_machine {
        assert!(
            median < Duration::from_millis(250),
            "median read latency {median:?}"
        );
    }
}
