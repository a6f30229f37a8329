//! What API Gateway itself answers: CORS preflights, unknown routes, and the request id every
//! response carries.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::Method;

use crate::support::{item_body, openapi, target, Api};
use items_e2e::Observed;

/// A comma-separated header value as lower-case names.
fn names(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect()
}

async fn preflight(path: &str, method: &str, headers: &str) -> Observed {
    let api = Api::with_token(None);
    let response = api
        .client()
        .request(Method::OPTIONS, target().url(path))
        .header("origin", &target().cors_origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .expect("a preflight answer");
    Observed::receive(response).await.expect("a whole answer")
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_without_a_token() {
    let origin = &target().cors_origin;
    let cases = [
        (
            "/items",
            "POST",
            "authorization,content-type,idempotency-key",
        ),
        ("/items", "GET", "authorization"),
        (
            "/items/00000000-0000-4000-8000-000000000000",
            "PUT",
            "authorization,content-type,if-match",
        ),
        (
            "/items/00000000-0000-4000-8000-000000000000",
            "DELETE",
            "authorization,if-match",
        ),
    ];
    for (path, method, requested) in cases {
        let answer = preflight(path, method, requested).await;
        assert!(
            answer.status == 204 || answer.status == 200,
            "preflight {method} {path}: {}",
            answer.status
        );
        let allowed_origin = answer.header("access-control-allow-origin");
        assert!(
            allowed_origin == Some(origin.as_str()) || allowed_origin == Some("*"),
            "allow-origin {allowed_origin:?}"
        );
        let methods = names(answer.header("access-control-allow-methods"));
        assert!(
            methods.contains(&method.to_ascii_lowercase()) || methods.contains(&"*".into()),
            "allow-methods {methods:?} for {method}"
        );
        let headers = names(answer.header("access-control-allow-headers"));
        for wanted in requested.split(',') {
            assert!(
                headers.contains(&wanted.to_owned()) || headers.contains(&"*".into()),
                "allow-headers {headers:?} lacks {wanted}"
            );
        }
    }
}

#[tokio::test]
async fn a_cross_origin_response_lets_the_browser_read_the_api_headers() {
    let api = Api::user_a();
    let request = api
        .request(Method::POST, "/items")
        .header("origin", &target().cors_origin)
        .json(&item_body("Cross-origin", None));
    let reply = api.send("POST", "/items", request).await;
    reply.assert_status(201);
    let origin = reply.header("access-control-allow-origin");
    assert!(
        origin == Some(target().cors_origin.as_str()) || origin == Some("*"),
        "allow-origin {origin:?}"
    );
    let exposed = names(reply.header("access-control-expose-headers"));
    for header in ["etag", "location", "x-request-id"] {
        assert!(
            exposed.contains(&header.to_owned()),
            "{exposed:?} lacks {header}"
        );
    }
}

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
            let response = api
                .request(method.clone(), path)
                .send()
                .await
                .expect("an answer");
            let observed = Observed::receive(response).await.expect("a whole answer");
            assert_eq!(observed.status, 404, "{method} {path}");
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
        let response = client
            .get(target().url(&path))
            .bearer_auth(&token)
            .send()
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
