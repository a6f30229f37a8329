//! Response compression: an HTTP API does not compress, so the function does. A full page
//! asked for with `Accept-Encoding: gzip` arrives gzipped and decompresses to exactly the JSON
//! the same page has without it; both say `Vary: Accept-Encoding`.

use std::io::Read;
use std::sync::Arc;

use items_domain::limits::PAGE_LIMIT_MAX;
use reqwest::Method;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::support::{fresh_category, item_body, send_within_throttle, Api};

/// Creates `count` items in `category`, a few at a time.
async fn create_items(api: &Api, category: &str, count: usize) {
    let permits = Arc::new(Semaphore::new(8));
    let mut tasks = JoinSet::new();
    for i in 0..count {
        let (api, permits) = (api.clone(), Arc::clone(&permits));
        let body = item_body(&format!("compressed {i}"), Some(category));
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is open");
            api.create_item(&body).await
        });
    }
    while let Some(created) = tasks.join_next().await {
        created.expect("a create");
    }
}

/// `GET /items` of the category's full page, with the given `Accept-Encoding`: status,
/// `content-encoding`, `vary` and the body's bytes as they came over the wire.
async fn full_page(
    api: &Api,
    category: &str,
    accept_encoding: Option<&str>,
) -> (u16, Option<String>, Option<String>, Vec<u8>) {
    let limit = PAGE_LIMIT_MAX.to_string();
    let mut request = api
        .request(Method::GET, "/items")
        .query(&[("category", category), ("limit", limit.as_str())]);
    if let Some(accept_encoding) = accept_encoding {
        request = request.header("accept-encoding", accept_encoding);
    }
    let response = send_within_throttle(request).await.expect("a response");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
    };
    let (encoding, vary) = (header("content-encoding"), header("vary"));
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("a body").to_vec();
    (status, encoding, vary, body)
}

#[tokio::test]
async fn a_full_page_is_gzipped_when_accepted_and_decompresses_to_the_same_json() {
    let api = Api::user_a();
    let category = fresh_category();
    create_items(&api, &category, PAGE_LIMIT_MAX as usize).await;

    let (status, encoding, vary, plain) = full_page(&api, &category, None).await;
    assert_eq!(status, 200);
    assert_eq!(encoding, None, "compressed although not accepted");
    assert!(vary.is_some_and(|v| v.contains("accept-encoding")));
    let plain: Value = serde_json::from_slice(&plain).expect("a JSON page");
    assert_eq!(
        plain["items"].as_array().map(Vec::len),
        Some(PAGE_LIMIT_MAX as usize)
    );

    let (status, encoding, vary, compressed) =
        full_page(&api, &category, Some("gzip, deflate, br")).await;
    assert_eq!(status, 200);
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(vary.is_some_and(|v| v.contains("accept-encoding")));
    let wire_bytes = compressed.len();
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_end(&mut text)
        .expect("a gzip body");
    assert!(
        wire_bytes * 3 < text.len(),
        "{wire_bytes} bytes of gzip for {} of JSON",
        text.len()
    );
    let decompressed: Value = serde_json::from_slice(&text).expect("JSON inside the gzip");
    assert_eq!(decompressed, plain);
}
