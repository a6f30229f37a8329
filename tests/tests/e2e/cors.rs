//! CORS as the HTTP API's `cors_configuration`: preflights answered by API Gateway without a
//! token, and the access-control headers on real responses. The origin is `E2E_CORS_ORIGIN`
//! (any origin for the local stage).

use items_e2e::Observed;
use reqwest::Method;

use crate::support::{item_body, send_within_throttle, target, Api};

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
    let response = send_within_throttle(
        api.client()
            .request(Method::OPTIONS, target().url(path))
            .header("origin", &target().cors_origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", headers),
    )
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
            "PATCH",
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
