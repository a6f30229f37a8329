//! The default stage runs the API's real functions in-process on the in-memory store: what
//! `local-stage serve` gives a developer with nothing else installed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use local_stage::{LineSink, PayloadVersion, RunningStage, StageConfig};
use serde_json::{json, Value};

async fn stage(payload: PayloadVersion) -> RunningStage {
    local_stage::start(StageConfig {
        payload,
        access_log: LineSink::Off,
        ..StageConfig::default()
    })
    .await
    .expect("the stage starts")
}

async fn create_get_list_and_guard(stage: &RunningStage) {
    let client = reqwest::Client::new();
    let alice = stage.mint_token("alice", &[]);
    let created = client
        .post(format!("{}/items", stage.url()))
        .bearer_auth(&alice)
        .json(&json!({"name": "Lamp", "description": "bright", "category": "home"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(
        created.headers()["x-request-id"],
        created.headers()["apigw-requestid"],
        "the function sees API Gateway's request id"
    );
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let item: Value = created.json().await.unwrap();
    assert_eq!(item["created_by"], "alice");
    assert_eq!(location, format!("/items/{}", item["id"].as_str().unwrap()));

    let fetched: Value = client
        .get(format!("{}{location}", stage.url()))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, item);

    let listed: Value = client
        .get(format!("{}/items?category=home", stage.url()))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([item]));
    // A repeated parameter is its first value in both formats (2.0 joins the values with
    // commas; 1.0 keeps the last one in `queryStringParameters`).
    let repeated = client
        .get(format!("{}/items?limit=0&limit=5", stage.url()))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(repeated.status().as_u16(), 400, "limit=0 comes first");

    let by_bob = client
        .delete(format!("{}{location}", stage.url()))
        .bearer_auth(stage.mint_token("bob", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_bob.status().as_u16(), 403);
    let by_admin = client
        .delete(format!("{}{location}", stage.url()))
        .bearer_auth(stage.mint_token("carol", &["admin"]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_admin.status().as_u16(),
        204,
        "an admin (cognito:groups) may delete"
    );
}

#[tokio::test]
async fn the_default_stage_serves_the_api_with_payload_2_0() {
    let stage = stage(PayloadVersion::V2).await;
    create_get_list_and_guard(&stage).await;
    stage.shutdown().await;
}

#[tokio::test]
async fn the_functions_serve_payload_1_0_events_alike() {
    let stage = stage(PayloadVersion::V1).await;
    create_get_list_and_guard(&stage).await;
    stage.shutdown().await;
}
