//! Concurrent writers against the real DynamoDB adapter: conditional writes leave exactly one
//! winner, and one Idempotency-Key makes exactly one item however many requests race with it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::collections::HashSet;

use serde_json::Value;
use support::{client, dynamodb_endpoint, fresh_store, in_process_stage, item_body, list_all};
use tokio::task::JoinSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_puts_with_one_if_match_have_exactly_one_winner() {
    let stage = in_process_stage(fresh_store(dynamodb_endpoint())).await;
    let token = stage.mint_token("racer", &[]);
    let client = client();
    let created: Value = client
        .post(format!("{}/items", stage.url()))
        .bearer_auth(&token)
        .json(&item_body("contested", None))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("item body");
    let url = format!(
        "{}/items/{}",
        stage.url(),
        created["id"].as_str().expect("id")
    );

    let mut racers = JoinSet::new();
    for n in 0..50 {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        racers.spawn(async move {
            let response = client
                .put(&url)
                .bearer_auth(&token)
                .header("if-match", "\"1\"")
                .json(&item_body(&format!("writer {n}"), None))
                .send()
                .await
                .expect("put");
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body)
        });
    }
    let mut winners = Vec::new();
    while let Some(outcome) = racers.join_next().await {
        let (status, body) = outcome.expect("racer task");
        match status {
            200 => winners.push(body),
            412 => {}
            other => panic!("a racing PUT must be 200 or 412, was {other}: {body}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one PUT wins");
    let stored: Value = client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("item body");
    assert_eq!(stored["version"], 2);
    assert_eq!(stored["name"], winners[0]["name"]);
    stage.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_posts_with_one_idempotency_key_store_exactly_one_item() {
    let stage = in_process_stage(fresh_store(dynamodb_endpoint())).await;
    let token = stage.mint_token("retrier", &[]);
    let client = client();
    let mut posts = JoinSet::new();
    for _ in 0..20 {
        let (client, url, token) = (
            client.clone(),
            format!("{}/items", stage.url()),
            token.clone(),
        );
        posts.spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(&token)
                .header("idempotency-key", "one-key-for-all")
                .json(&item_body("exactly once", None))
                .send()
                .await
                .expect("post");
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body)
        });
    }
    let mut ids = HashSet::new();
    while let Some(outcome) = posts.join_next().await {
        let (status, body) = outcome.expect("post task");
        assert_eq!(
            status, 201,
            "every retry of an idempotent POST is a 201: {body}"
        );
        ids.insert(body["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(ids.len(), 1, "every response names the same item");
    let stored = list_all(&client, &stage, &token).await;
    assert_eq!(stored.len(), 1, "exactly one item is stored");
    assert!(ids.contains(stored[0]["id"].as_str().expect("id")));
    stage.shutdown().await;
}
