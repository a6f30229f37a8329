//! The DynamoDB server goes away during a run of writes: every affected request is a 503 with
//! `Retry-After` (never a 500, never a hang past the function timeout); once it is back, writes
//! succeed again, every write acknowledged with 201 is there, and no write answered with an
//! error left an item behind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use items_reliability::{FaultProxy, Outage};
use support::{client, dynamodb_endpoint, fresh_store, in_process_stage, item_body, list_all};

/// The Lambda timeout the Terraform sets by default; no request may take longer.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_outage_is_503_with_retry_after_and_loses_no_acknowledged_write() {
    let proxy = FaultProxy::in_front_of(&dynamodb_endpoint())
        .await
        .expect("proxy starts");
    let stage = in_process_stage(fresh_store(proxy.url())).await;
    let token = stage.mint_token("writer", &[]);
    let client = client();

    let phases = [
        (Outage::None, 8),
        (Outage::Refuse, 4),
        (Outage::Blackhole, 2),
        (Outage::None, 8),
    ];
    let mut acknowledged = HashSet::new();
    let mut refused = HashSet::new();
    let mut write = 0;
    for (outage, writes) in phases {
        // Writes are sequential and the outage changes between them, so no request is in
        // flight when the store goes away: its outcome is known, and the test can demand
        // that errors stored nothing. (A write cut mid-flight may or may not have landed;
        // clients retry those with an Idempotency-Key.)
        proxy.set(outage);
        for _ in 0..writes {
            write += 1;
            let name = format!("write {write}");
            let started = Instant::now();
            let response = client
                .post(format!("{}/items", stage.url()))
                .bearer_auth(&token)
                .json(&item_body(&name, None))
                .send()
                .await
                .expect("the stage answers");
            let elapsed = started.elapsed();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").cloned();
            println!("{outage:?}: {name} -> {status} in {elapsed:?}");
            assert!(
                elapsed < FUNCTION_TIMEOUT,
                "{name} took {elapsed:?}, past the function timeout"
            );
            match outage {
                Outage::None => {
                    assert_eq!(status, 201, "{name} during normal operation");
                    acknowledged.insert(name);
                }
                _ => {
                    assert_eq!(status, 503, "{name} during {outage:?}");
                    assert!(retry_after.is_some(), "a 503 carries Retry-After");
                    let problem: serde_json::Value = response.json().await.expect("problem body");
                    assert_eq!(problem["status"], 503);
                    refused.insert(name);
                }
            }
        }
    }

    let stored: HashSet<String> = list_all(&client, &stage, &token)
        .await
        .into_iter()
        .filter_map(|item| item["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        stored, acknowledged,
        "exactly the acknowledged writes are stored"
    );
    assert!(stored.is_disjoint(&refused));
    stage.shutdown().await;
}
