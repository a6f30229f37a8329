//! `If-Match` (optimistic concurrency) and `Idempotency-Key` (safe retries of a create).

use serde_json::json;
use tokio::task::JoinSet;

use crate::support::{fresh_category, item_body, Api};

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let api = Api::user_a();
    let item = api.create_item(&item_body("Versioned", None)).await;
    let id = item["id"].as_str().expect("an id");

    api.replace(id, &item_body("Too late", None), Some("\"2\""))
        .await
        .assert_problem(412);
    api.delete(id, Some("\"5\"")).await.assert_problem(412);
    assert_eq!(api.get(id).await.json(), item, "nothing changed");

    let current = api
        .replace(id, &item_body("In time", None), Some("\"1\""))
        .await;
    current.assert_status(200);
    assert_eq!(current.header("etag"), Some("\"2\""));

    // The old tag no longer matches; the new one does, and `*` matches any version.
    api.replace(id, &item_body("Stale", None), Some("\"1\""))
        .await
        .assert_problem(412);
    api.replace(id, &item_body("Any", None), Some("*"))
        .await
        .assert_status(200);
    api.delete(id, Some("\"2\"")).await.assert_problem(412);
    api.delete(id, Some("\"3\"")).await.assert_status(204);
}

#[tokio::test]
async fn of_concurrent_replaces_with_one_if_match_exactly_one_wins() {
    const WRITERS: usize = 10;
    let api = Api::user_a();
    let item = api.create_item(&item_body("Contended", None)).await;
    let id = item["id"].as_str().expect("an id").to_owned();

    let mut writers = JoinSet::new();
    for writer in 0..WRITERS {
        let api = api.clone();
        let id = id.clone();
        writers.spawn(async move {
            let body = item_body(&format!("writer {writer}"), None);
            let reply = api.replace(&id, &body, Some("\"1\"")).await;
            (writer, reply)
        });
    }
    let mut winners = Vec::new();
    let mut losers = 0;
    while let Some(joined) = writers.join_next().await {
        let (writer, reply) = joined.expect("a writer task");
        match reply.status() {
            200 => winners.push(writer),
            412 => losers += 1,
            other => panic!("writer {writer} got {other}: {:?}", reply.json()),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one 200: {winners:?}");
    assert_eq!(losers, WRITERS - 1, "every other writer gets 412");

    let stored = api.get(&id).await.json();
    assert_eq!(stored["version"], 2);
    assert_eq!(stored["name"], json!(format!("writer {}", winners[0])));
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_item_and_stores_one() {
    let api = Api::user_a();
    let category = fresh_category();
    let key = format!("e2e-{}", uuid::Uuid::new_v4());
    let body = item_body("Once", Some(&category));

    let first = api.create_with_key(&body, Some(&key)).await;
    first.assert_status(201);
    let item = first.json();
    let again = api.create_with_key(&body, Some(&key)).await;
    again.assert_status(201);
    assert_eq!(again.json(), item, "the replay returns the first item");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), Some("\"1\""));

    // The same request after trimming is the same request.
    let padded = item_body("  Once  ", Some(&category));
    assert_eq!(
        api.create_with_key(&padded, Some(&key)).await.json()["id"],
        item["id"]
    );

    let listed = api.list_all(Some(&category), 100).await;
    assert_eq!(listed, vec![item.clone()], "exactly one item is stored");

    // A different body under the same key is a conflict, and stores nothing.
    let other = item_body("Twice", Some(&category));
    api.create_with_key(&other, Some(&key))
        .await
        .assert_problem(409);
    assert_eq!(api.list_all(Some(&category), 100).await.len(), 1);

    // Keys belong to their caller: another caller's same key is a new request.
    let theirs = Api::user_b().create_with_key(&body, Some(&key)).await;
    theirs.assert_status(201);
    assert_ne!(theirs.json()["id"], item["id"]);
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_all_get_the_same_item() {
    let api = Api::user_a();
    let category = fresh_category();
    let key = uuid::Uuid::new_v4().simple().to_string();
    let body = item_body("Retried", Some(&category));
    let mut retries = JoinSet::new();
    for _ in 0..5 {
        let (api, body, key) = (api.clone(), body.clone(), key.clone());
        retries.spawn(async move { api.create_with_key(&body, Some(&key)).await });
    }
    let mut ids = Vec::new();
    while let Some(joined) = retries.join_next().await {
        let reply = joined.expect("a retry task");
        reply.assert_status(201);
        ids.push(reply.json()["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one id for every retry: {ids:?}");
    assert_eq!(api.list_all(Some(&category), 100).await.len(), 1);
}

#[tokio::test]
async fn the_longest_idempotency_key_is_accepted() {
    let key = "~".repeat(items_domain::limits::IDEMPOTENCY_KEY_MAX_CHARS);
    let reply = Api::user_a()
        .create_with_key(&item_body("Long key", None), Some(&key))
        .await;
    reply.assert_status(201);
}
