//! Listing: pages, cursors, the category filter and its newest-first order, and completeness
//! over a few hundred items.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use items_domain::limits::{PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::support::{fresh_category, item_body, Api};

/// Items the pagination test makes in its own category: enough for dozens of pages.
const ITEMS: usize = 230;
/// Requests in flight at once while making and removing them.
const IN_FLIGHT: usize = 8;

/// Runs `make(i)` for `0..count` with at most `IN_FLIGHT` at a time, collecting the results.
async fn in_parallel<T, F, Fut>(count: usize, make: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = JoinSet::new();
    for i in 0..count {
        let permits = Arc::clone(&permits);
        let job = make(i);
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is open");
            job.await
        });
    }
    let mut results = Vec::with_capacity(count);
    while let Some(result) = tasks.join_next().await {
        results.push(result.expect("a task"));
    }
    results
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn following_cursors_returns_every_item_exactly_once() {
    let api = Api::user_a();
    let category = fresh_category();
    let created: Vec<Value> = in_parallel(ITEMS, |i| {
        let api = api.clone();
        let body = item_body(&format!("paged {i}"), Some(&category));
        async move { api.create_item(&body).await }
    })
    .await;
    let created_ids: HashSet<String> = ids(&created).into_iter().collect();
    assert_eq!(created_ids.len(), ITEMS);

    // The category, seven at a time: every item once, newest first.
    let listed = api.list_all(Some(&category), 7).await;
    let listed_ids = ids(&listed);
    assert_eq!(listed_ids.len(), ITEMS, "no item twice, none left out");
    assert_eq!(
        listed_ids.iter().cloned().collect::<HashSet<_>>(),
        created_ids
    );
    let created_at: Vec<&str> = listed
        .iter()
        .map(|item| item["created_at"].as_str().expect("created_at"))
        .collect();
    assert!(
        created_at.windows(2).all(|pair| pair[0] >= pair[1]),
        "a category lists newest first: {created_at:?}"
    );
    let by_id: HashMap<&str, &Value> = created
        .iter()
        .map(|item| (item["id"].as_str().unwrap_or_default(), item))
        .collect();
    for item in &listed {
        assert_eq!(
            Some(&item),
            by_id.get(item["id"].as_str().unwrap_or_default())
        );
    }

    // All items, unfiltered: the store's order, each item once, ours among them.
    let everything = ids(&api.list_all(None, 25).await);
    let distinct: HashSet<&String> = everything.iter().collect();
    assert_eq!(distinct.len(), everything.len(), "an item listed twice");
    assert!(
        created_ids.iter().all(|id| distinct.contains(id)),
        "an item of this test is missing from the unfiltered listing"
    );

    // Leave the stage as it was found.
    let deleted = in_parallel(ITEMS, |i| {
        let api = api.clone();
        let id = listed_ids[i].clone();
        async move { api.delete(&id, None).await.status() }
    })
    .await;
    assert!(deleted.iter().all(|status| *status == 204), "{deleted:?}");
    assert!(api.list_all(Some(&category), 100).await.is_empty());
}

#[tokio::test]
async fn a_page_holds_the_limit_by_default_20_and_at_most_100() {
    let api = Api::user_a();
    let category = fresh_category();
    let count = PAGE_LIMIT_MAX as usize + 5;
    in_parallel(count, |i| {
        let api = api.clone();
        let body = item_body(&format!("limit {i}"), Some(&category));
        async move { api.create_item(&body).await }
    })
    .await;

    let first = api.list(&[("category", &category)]).await;
    first.assert_status(200);
    let page = first.json();
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(PAGE_LIMIT_DEFAULT as usize)
    );
    assert!(page["next_cursor"].is_string());

    let largest = api
        .list(&[
            ("category", &category),
            ("limit", &PAGE_LIMIT_MAX.to_string()),
        ])
        .await
        .json();
    assert_eq!(
        largest["items"].as_array().map(Vec::len),
        Some(PAGE_LIMIT_MAX as usize)
    );
    let cursor = largest["next_cursor"].as_str().expect("a next page");
    let rest = api
        .list(&[
            ("category", category.as_str()),
            ("limit", "100"),
            ("cursor", cursor),
        ])
        .await
        .json();
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(5));
    assert!(rest["next_cursor"].is_null(), "the last page says so");

    let one = api
        .list(&[("category", &category), ("limit", "1")])
        .await
        .json();
    assert_eq!(one["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_unused_category_is_one_empty_last_page() {
    let reply = Api::user_b().list(&[("category", &fresh_category())]).await;
    reply.assert_status(200);
    let page = reply.json();
    assert_eq!(page["items"], serde_json::json!([]));
    assert!(page["next_cursor"].is_null());
}

#[tokio::test]
async fn a_cursor_only_continues_its_own_listing() {
    let api = Api::user_a();
    let (one, other) = (fresh_category(), fresh_category());
    for name in ["first", "second"] {
        api.create_item(&item_body(name, Some(&one))).await;
    }
    let page = api.list(&[("category", &one), ("limit", "1")]).await.json();
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();

    api.list(&[("category", &other), ("cursor", &cursor)])
        .await
        .assert_invalid_fields(&["cursor"]);
    api.list(&[("cursor", &cursor)])
        .await
        .assert_invalid_fields(&["cursor"]);

    let unfiltered = api.list(&[("limit", "1")]).await.json();
    let all_cursor = unfiltered["next_cursor"].as_str().expect("a next page");
    api.list(&[("category", &one), ("cursor", all_cursor)])
        .await
        .assert_invalid_fields(&["cursor"]);

    // A cursor with one character changed is not a cursor any more.
    let mut tampered = cursor.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");
    api.list(&[("category", &one), ("cursor", &tampered)])
        .await
        .assert_invalid_fields(&["cursor"]);

    // A cursor is sealed: its position, which anyone can decode and rewrite, then a tag only
    // the API can make. A rewritten position under the old tag, or a position alone (as one
    // made up by hand would be), is refused like a cursor that does not decode.
    let (position, tag) = cursor.rsplit_once('.').expect("a sealed cursor");
    let middle = position.len() / 2;
    let swapped = if &position[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let rewritten = format!(
        "{}{swapped}{}.{tag}",
        &position[..middle],
        &position[middle + 1..]
    );
    for cursor in [rewritten.as_str(), position] {
        api.list(&[("category", &one), ("cursor", cursor)])
            .await
            .assert_invalid_fields(&["cursor"]);
    }
    // With every other parameter wrong too, each is named.
    api.list(&[("category", "BAD"), ("limit", "0"), ("cursor", position)])
        .await
        .assert_invalid_fields(&["category", "limit", "cursor"]);
}
