//! A write reaches DynamoDB and is applied, but its answer is lost (held past the SDK's attempt
//! timeout, or the connection dropped), so the SDK sends the same write again. The caller must
//! still get the success answer, and the store must show the write applied exactly once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "test helpers too: a failed assumption is a failed test; figures go to the test log"
)]

mod support;

use std::time::Duration;

use items_reliability::{FaultProxy, LostAnswer};
use local_stage::RunningStage;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use support::{client, dynamodb_endpoint, fresh_store, in_process_stage, item_body, list_all};

/// Longer than the SDK's 2 s attempt timeout, so the first attempt is given up and retried.
const HELD: LostAnswer = LostAnswer::Held(Duration::from_millis(2500));

/// Both ways an answer is lost, each in turn on the same stage.
const LOSSES: [LostAnswer; 2] = [HELD, LostAnswer::Dropped];

/// A stage on fresh tables behind a fault proxy, and a caller.
struct Scenario {
    proxy: FaultProxy,
    stage: RunningStage,
    client: reqwest::Client,
    token: String,
}

/// What the caller was told.
struct Answer {
    status: u16,
    body: Value,
}

impl Scenario {
    async fn start() -> Self {
        let proxy = FaultProxy::in_front_of(&dynamodb_endpoint())
            .await
            .expect("proxy starts");
        let stage = in_process_stage(fresh_store(proxy.url())).await;
        let token = stage.mint_token("writer", &[]);
        Self {
            proxy,
            stage,
            client: client(),
            token,
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.stage.url()))
            .bearer_auth(&self.token)
    }

    async fn send(request: RequestBuilder) -> Answer {
        let response = request.send().await.expect("the stage answers");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Answer { status, body }
    }

    /// An item created while nothing is lost.
    async fn create(&self, name: &str) -> Value {
        let answer = Self::send(
            self.request(Method::POST, "/items")
                .json(&item_body(name, None)),
        )
        .await;
        assert_eq!(answer.status, 201, "set-up create: {}", answer.body);
        answer.body
    }

    /// Sends `request` with the answer to its first write lost, and checks that the write
    /// was sent again (so the test exercised what it claims to).
    async fn send_losing_first_answer(&self, how: LostAnswer, request: RequestBuilder) -> Answer {
        self.proxy.reset_counts();
        self.proxy.lose_write_answers(1, how);
        let answer = Self::send(request).await;
        let writes: u32 = self
            .proxy
            .requests()
            .iter()
            .filter(|(operation, _)| {
                ["PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"]
                    .contains(&operation.as_str())
            })
            .map(|(_, count)| count)
            .sum();
        println!(
            "{how:?}: answered {} after {writes} write requests ({:?})",
            answer.status,
            self.proxy.requests()
        );
        assert!(
            writes >= 2,
            "the lost answer must make the SDK send the write again: {:?}",
            self.proxy.requests()
        );
        answer
    }

    async fn get(&self, id: &str) -> Answer {
        Self::send(self.request(Method::GET, &format!("/items/{id}"))).await
    }

    async fn stored_named(&self, name: &str) -> Vec<Value> {
        list_all(&self.client, &self.stage, &self.token)
            .await
            .into_iter()
            .filter(|item| item["name"] == name)
            .collect()
    }
}

fn id_of(item: &Value) -> String {
    item["id"].as_str().expect("an item has an id").to_owned()
}

async fn create_is_answered_201_and_stored_once(idempotency_key: Option<&str>) {
    let scenario = Scenario::start().await;
    for how in LOSSES {
        let name = format!("created once ({how:?}, key {idempotency_key:?})");
        let mut request = scenario
            .request(Method::POST, "/items")
            .json(&item_body(&name, None));
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", format!("{key}-{how:?}").replace(' ', ""));
        }
        let answer = scenario.send_losing_first_answer(how, request).await;
        assert_eq!(answer.status, 201, "{how:?}: {}", answer.body);
        let stored = scenario.stored_named(&name).await;
        assert_eq!(stored.len(), 1, "{how:?}: exactly one item is stored");
        assert_eq!(id_of(&stored[0]), id_of(&answer.body));
        assert_eq!(stored[0]["version"], 1);
    }
    scenario.stage.shutdown().await;
}

async fn replace_is_answered_200_and_applied_once(if_match: Option<&str>) {
    let scenario = Scenario::start().await;
    for how in LOSSES {
        let id = id_of(&scenario.create("before the update").await);
        let name = format!("updated once ({how:?}, If-Match {if_match:?})");
        let mut request = scenario
            .request(Method::PUT, &format!("/items/{id}"))
            .json(&item_body(&name, None));
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        let answer = scenario.send_losing_first_answer(how, request).await;
        assert_eq!(answer.status, 200, "{how:?}: {}", answer.body);
        assert_eq!(answer.body["name"], name.as_str());
        assert_eq!(
            answer.body["version"], 2,
            "{how:?}: the answer is the write it made"
        );
        let stored = scenario.get(&id).await;
        assert_eq!(stored.status, 200);
        assert_eq!(
            stored.body["version"], 2,
            "{how:?}: the version went up once"
        );
        assert_eq!(stored.body["name"], name.as_str());
    }
    scenario.stage.shutdown().await;
}

async fn patch_is_answered_200_and_applied_once(if_match: Option<&str>) {
    let scenario = Scenario::start().await;
    for how in LOSSES {
        let id = id_of(&scenario.create("before the patch").await);
        let description = format!("patched once ({how:?}, If-Match {if_match:?})");
        let mut request = scenario
            .request(Method::PATCH, &format!("/items/{id}"))
            .header("content-type", "application/merge-patch+json")
            .body(serde_json::json!({ "description": description }).to_string());
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        let answer = scenario.send_losing_first_answer(how, request).await;
        assert_eq!(answer.status, 200, "{how:?}: {}", answer.body);
        assert_eq!(answer.body["description"], description.as_str());
        assert_eq!(answer.body["name"], "before the patch", "kept");
        assert_eq!(
            answer.body["version"], 2,
            "{how:?}: the answer is the write it made"
        );
        let stored = scenario.get(&id).await;
        assert_eq!(stored.status, 200);
        assert_eq!(
            stored.body["version"], 2,
            "{how:?}: the version went up once"
        );
        assert_eq!(stored.body["description"], description.as_str());
    }
    scenario.stage.shutdown().await;
}

async fn delete_is_answered_204_and_the_item_is_gone(if_match: Option<&str>) {
    let scenario = Scenario::start().await;
    for how in LOSSES {
        let id = id_of(&scenario.create("to be deleted").await);
        let mut request = scenario.request(Method::DELETE, &format!("/items/{id}"));
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        let answer = scenario.send_losing_first_answer(how, request).await;
        assert_eq!(answer.status, 204, "{how:?}: {}", answer.body);
        assert_eq!(scenario.get(&id).await.status, 404);
    }
    scenario.stage.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_create_whose_answer_was_lost_is_answered_201_and_stored_once() {
    create_is_answered_201_and_stored_once(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotent_create_whose_answer_was_lost_is_answered_201_and_stored_once() {
    create_is_answered_201_and_stored_once(Some("lost-answer")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_with_if_match_whose_answer_was_lost_is_answered_200_and_applied_once() {
    replace_is_answered_200_and_applied_once(Some("\"1\"")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_without_if_match_whose_answer_was_lost_is_answered_200_and_applied_once() {
    replace_is_answered_200_and_applied_once(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_patch_with_if_match_whose_answer_was_lost_is_answered_200_and_applied_once() {
    patch_is_answered_200_and_applied_once(Some("\"1\"")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_with_if_match_whose_answer_was_lost_is_answered_204() {
    delete_is_answered_204_and_the_item_is_gone(Some("\"1\"")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_without_if_match_whose_answer_was_lost_is_answered_204() {
    delete_is_answered_204_and_the_item_is_gone(None).await;
}

/// A throttled attempt was answered, so it was not applied: the retry that finds no item
/// finds an item that never was there (404), not one an earlier attempt deleted (204).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_whose_first_attempt_was_throttled_is_answered_for_what_is_stored() {
    let scenario = Scenario::start().await;
    let id = id_of(&scenario.create("deleted after a throttle").await);
    let never = "00000000-0000-4000-8000-000000000000";
    for (path, status) in [
        (format!("/items/{never}"), 404),
        (format!("/items/{id}"), 204),
    ] {
        scenario.proxy.reset_counts();
        scenario.proxy.throttle_writes(1);
        let answer = Scenario::send(scenario.request(Method::DELETE, &path)).await;
        let deletes = scenario.proxy.requests().get("DeleteItem").copied();
        assert_eq!(deletes, Some(2), "throttled once, then sent again");
        assert_eq!(answer.status, status, "DELETE {path}: {}", answer.body);
    }
    assert_eq!(scenario.get(&id).await.status, 404, "the item is gone");
    scenario.stage.shutdown().await;
}
