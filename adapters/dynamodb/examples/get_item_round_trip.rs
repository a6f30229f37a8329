//! Measures the repository's GetItem round trip against the endpoint in
//! `AWS_ENDPOINT_URL_DYNAMODB`: `scripts/dynamodb-server run -- cargo run --release -p
//! items-dynamodb --example get_item_round_trip`.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: what it prints is its output"
)]

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use items_domain::{
    Description, Item, ItemCreator, ItemId, ItemName, ItemReader, Subject, Timestamp,
};
use items_dynamodb::table_design::create_tables;
use items_dynamodb::{DynamoDbItemRepository, TableNames};
use items_sdk_config::{sdk_config_from_env, Timeouts};

const WARM_UP: usize = 100;
const SAMPLES: usize = 1000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = sdk_config_from_env(Timeouts::default()).await?;
    let client = Client::new(&config);
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let tables = TableNames {
        items: format!("round-trip-{suffix}"),
        idempotency: format!("round-trip-idempotency-{suffix}"),
    };
    create_tables(&client, &tables).await?;
    let repository = DynamoDbItemRepository::new(client, tables);
    let item = Item::create(
        ItemId::from_uuid(uuid::Uuid::new_v4()),
        items_domain::ItemFields {
            name: ItemName::parse("measured")?,
            description: Description::parse("")?,
            category: None,
        },
        Subject::parse("bench")?,
        Timestamp::from_datetime(chrono::Utc::now()),
    );
    repository.insert(&item).await?;
    for _ in 0..WARM_UP {
        repository.get(&item.id()).await?;
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        repository.get(&item.id()).await?;
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "GetItem round trip over {SAMPLES} requests: median {:.2} ms, p99 {:.2} ms",
        samples[SAMPLES / 2].as_secs_f64() * 1000.0,
        samples[SAMPLES * 99 / 100].as_secs_f64() * 1000.0
    );
    Ok(())
}
