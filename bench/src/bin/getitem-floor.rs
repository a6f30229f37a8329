//! The floor of a GET /items/{id}: raw GetItem round trips (consistent read, as the function
//! reads) from a process set up exactly as a function's: a single-threaded runtime, the
//! project's SDK loader from the environment, the same release profile. No Runtime API, no
//! event, no domain: only what no function could avoid.
//!
//!     ITEMS_TABLE=... getitem-floor WARM_UP REQUESTS ID...
//!
//! Prints one JSON line: `{"latencies_us": [...]}` for the measured requests.

use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use items_dynamodb::table_design::ITEM_KEY;
use items_dynamodb::{sdk_config_from_env, TableNames, Timeouts};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: getitem-floor WARM_UP REQUESTS ID...";
    let [warm_up, requests, ids @ ..] = args.as_slice() else {
        return Err(usage.into());
    };
    let warm_up: usize = warm_up.parse().map_err(|_| usage)?;
    let requests: usize = requests.parse().map_err(|_| usage)?;
    if ids.is_empty() {
        return Err(usage.into());
    }
    let table = TableNames::from_env()?.items;
    let client = aws_sdk_dynamodb::Client::new(&sdk_config_from_env(Timeouts::default()).await?);

    let mut latencies_us = Vec::with_capacity(requests);
    for n in 0..warm_up + requests {
        let id = &ids[n % ids.len()];
        let sent = Instant::now();
        let output = client
            .get_item()
            .table_name(&table)
            .key(ITEM_KEY, AttributeValue::S(id.clone()))
            .consistent_read(true)
            .send()
            .await?;
        let elapsed = sent.elapsed();
        if output.item.is_none() {
            return Err(format!("item {id} is not in {table}").into());
        }
        if n >= warm_up {
            latencies_us.push(elapsed.as_secs_f64() * 1e6);
        }
    }
    println!("{}", serde_json::json!({ "latencies_us": latencies_us }));
    Ok(())
}
