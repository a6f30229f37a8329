//! Calling a gateway whose functions echo their event, and reading what comes back. The local
//! stage's tests include this file by path: their stage is this gateway over the same kind of
//! echo.

use serde_json::Value;

/// GET `url` with `token` as the bearer token.
pub(crate) async fn get(client: &reqwest::Client, url: &str, token: &str) -> reqwest::Response {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("the request completes")
}

/// The status and JSON body of a response.
pub(crate) async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON body");
    (status, body)
}

/// The event an echo function received, from its response.
pub(crate) async fn echoed_event(response: reqwest::Response) -> Value {
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200, "{body}");
    body["event"].clone()
}
