//! What every end-to-end test shares: the target, the contract, callers that check every
//! response against `openapi.yaml`, and small builders for bodies and names.

use std::sync::OnceLock;
use std::time::Duration;

use items_e2e::{Observed, OpenApi, Target};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

/// The stage under test (started on first use when `E2E_BASE_URL` is not set).
/// The media type of a JSON Merge Patch (RFC 7396).
pub(crate) const MERGE_PATCH: &str = "application/merge-patch+json";

pub(crate) fn target() -> &'static Target {
    Target::shared().unwrap_or_else(|e| panic!("no stage to test: {e}"))
}

/// The contract every response is checked against.
pub(crate) fn openapi() -> &'static OpenApi {
    static OPENAPI: OnceLock<OpenApi> = OnceLock::new();
    OPENAPI.get_or_init(|| OpenApi::load().unwrap_or_else(|e| panic!("openapi.yaml: {e}")))
}

/// A category no other test (or other user of a deployed stage) uses, so a listing filtered by
/// it holds exactly what this test made.
pub(crate) fn fresh_category() -> String {
    format!("e2e-{}", uuid::Uuid::new_v4().simple())
}

/// A valid create or replace body.
pub(crate) fn item_body(name: &str, category: Option<&str>) -> Value {
    json!({"name": name, "description": "made by the end-to-end suite", "category": category})
}

/// A create or replace body with every optional field set: the one fully populated item the
/// conformance and change event tests use too (`items_conformance::fixtures::full_fields`), as
/// the API shows it less what the server makes. A field added to that fixture is sent, and
/// checked, by every test using this body.
pub(crate) fn full_item_body(name: &str) -> Value {
    let item = items_conformance::fixtures::full_item(name);
    let mut body =
        serde_json::to_value(items_json::ItemView::from(&item)).expect("an item view is JSON");
    let fields = body.as_object_mut().expect("an item view is an object");
    for made_by_the_server in ["id", "created_at", "updated_at", "created_by", "version"] {
        fields.remove(made_by_the_server);
    }
    body
}

/// An id no item has.
pub(crate) fn unknown_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Who sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    UserA,
    UserB,
    Admin,
}

/// A client for the items API acting with one token. Each response is checked against the
/// operation's documented responses in `openapi.yaml` before a test sees it.
#[derive(Clone)]
pub(crate) struct Api {
    client: reqwest::Client,
    token: Option<String>,
    trace_header: Option<String>,
}

impl Api {
    /// Acting as `caller`.
    pub(crate) fn as_caller(caller: Caller) -> Self {
        let target = target();
        let token = match caller {
            Caller::UserA => &target.user_a,
            Caller::UserB => &target.user_b,
            Caller::Admin => &target.admin,
        };
        Self::with_token(Some(token.clone()))
    }

    /// The first ordinary caller.
    pub(crate) fn user_a() -> Self {
        Self::as_caller(Caller::UserA)
    }

    /// The second ordinary caller.
    pub(crate) fn user_b() -> Self {
        Self::as_caller(Caller::UserB)
    }

    /// An admin.
    pub(crate) fn admin() -> Self {
        Self::as_caller(Caller::Admin)
    }

    /// Sending `Authorization: Bearer {token}`, or no `Authorization` at all.
    pub(crate) fn with_token(token: Option<String>) -> Self {
        // One client per test: each test has its own runtime, and pooled connections belong to
        // the runtime that opened them.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client builds");
        Self {
            client,
            token,
            trace_header: None,
        }
    }

    /// Sending every request in the X-Ray trace `header` names (`X-Amzn-Trace-Id`).
    pub(crate) fn in_trace(mut self, header: String) -> Self {
        self.trace_header = Some(header);
        self
    }

    /// The raw client, for requests outside the API's routes.
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// A request to `path`, with this caller's token.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut request = self.client.request(method, target().url(path));
        if let Some(header) = &self.trace_header {
            request = request.header("x-amzn-trace-id", header);
        }
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends `request` for the operation `method path_template` and checks the response
    /// against the contract.
    pub(crate) async fn send(
        &self,
        method: &str,
        path_template: &str,
        request: RequestBuilder,
    ) -> Reply {
        let response = send_within_throttle(request).await.unwrap_or_else(|e| {
            panic!("{method} {path_template}: no response from the stage: {e}")
        });
        let observed = Observed::receive(response)
            .await
            .unwrap_or_else(|e| panic!("{method} {path_template}: reading the response: {e}"));
        let reply = Reply::new(observed);
        reply.assert_conforms(method, path_template);
        reply
    }

    /// `POST /items` with a JSON body.
    pub(crate) async fn create(&self, body: &Value) -> Reply {
        self.create_with_key(body, None).await
    }

    /// `POST /items` with a JSON body and optionally an `Idempotency-Key`.
    pub(crate) async fn create_with_key(&self, body: &Value, key: Option<&str>) -> Reply {
        let mut request = self.request(Method::POST, "/items").json(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        self.send("POST", "/items", request).await
    }

    /// Creates an item and returns it, failing the test unless it is a 201.
    pub(crate) async fn create_item(&self, body: &Value) -> Value {
        let reply = self.create(body).await;
        reply.assert_status(201);
        reply.json()
    }

    /// `GET /items/{id}`.
    pub(crate) async fn get(&self, id: &str) -> Reply {
        let request = self.request(Method::GET, &format!("/items/{id}"));
        self.send("GET", "/items/{id}", request).await
    }

    /// `PUT /items/{id}` with a JSON body and optionally `If-Match`.
    pub(crate) async fn replace(&self, id: &str, body: &Value, if_match: Option<&str>) -> Reply {
        let mut request = self
            .request(Method::PUT, &format!("/items/{id}"))
            .json(body);
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        self.send("PUT", "/items/{id}", request).await
    }

    /// `PATCH /items/{id}` with a JSON Merge Patch body and optionally `If-Match`.
    pub(crate) async fn patch(&self, id: &str, patch: &Value, if_match: Option<&str>) -> Reply {
        self.patch_as(id, MERGE_PATCH, &patch.to_string(), if_match)
            .await
    }

    /// `PATCH /items/{id}` with a raw body of `content_type`, optionally with `If-Match`.
    pub(crate) async fn patch_as(
        &self,
        id: &str,
        content_type: &str,
        body: &str,
        if_match: Option<&str>,
    ) -> Reply {
        let mut request = self
            .request(Method::PATCH, &format!("/items/{id}"))
            .header("content-type", content_type)
            .body(body.to_owned());
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        self.send("PATCH", "/items/{id}", request).await
    }

    /// `DELETE /items/{id}`, optionally with `If-Match`.
    pub(crate) async fn delete(&self, id: &str, if_match: Option<&str>) -> Reply {
        let mut request = self.request(Method::DELETE, &format!("/items/{id}"));
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        self.send("DELETE", "/items/{id}", request).await
    }

    /// `GET /items` with query parameters.
    pub(crate) async fn list(&self, query: &[(&str, &str)]) -> Reply {
        let request = self.request(Method::GET, "/items").query(query);
        self.send("GET", "/items", request).await
    }

    /// Every item of a listing (one category, or all items), following `next_cursor` with
    /// pages of `limit`, and checking the paging rules on the way: no page larger than the
    /// limit, and no empty page but the last.
    pub(crate) async fn list_all(&self, category: Option<&str>, limit: u32) -> Vec<Value> {
        let limit_text = limit.to_string();
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for page_number in 0.. {
            let mut query = vec![("limit", limit_text.as_str())];
            if let Some(category) = category {
                query.push(("category", category));
            }
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.as_str()));
            }
            let reply = self.list(&query).await;
            reply.assert_status(200);
            let page = reply.json();
            let page_items = page["items"].as_array().cloned().unwrap_or_default();
            assert!(
                page_items.len() <= limit as usize,
                "page {page_number} holds {} items, more than the limit {limit}",
                page_items.len()
            );
            let next = page["next_cursor"].as_str().map(str::to_owned);
            assert!(
                !page_items.is_empty() || next.is_none(),
                "page {page_number} is empty but not the last"
            );
            items.extend(page_items);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        items
    }
}

/// A response that conforms to the contract.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub observed: Observed,
}

impl Reply {
    fn new(observed: Observed) -> Self {
        Self { observed }
    }

    /// The status.
    pub(crate) fn status(&self) -> u16 {
        self.observed.status
    }

    /// A header's value.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.observed.header(name)
    }

    /// The body as JSON; fails the test when there is none.
    pub(crate) fn json(&self) -> Value {
        self.observed.json().unwrap_or_else(|| {
            panic!(
                "status {}: the body is not JSON: {:?}",
                self.status(),
                String::from_utf8_lossy(&self.observed.body)
            )
        })
    }

    /// Fails the test unless the status is `expected`, showing the body.
    pub(crate) fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status(),
            expected,
            "unexpected status; body: {}",
            String::from_utf8_lossy(&self.observed.body)
        );
        self
    }

    /// Fails the test unless this is a `status` problem.
    pub(crate) fn assert_problem(&self, status: u16) -> Value {
        self.assert_status(status);
        assert_eq!(
            self.observed.media_type().as_deref(),
            Some("application/problem+json")
        );
        self.json()
    }

    /// Fails the test unless this is a 400 whose `errors` name exactly `fields` (in any order).
    pub(crate) fn assert_invalid_fields(&self, fields: &[&str]) -> Value {
        let problem = self.assert_problem(400);
        let mut named: Vec<String> = problem["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        named.sort();
        let mut expected: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        expected.sort();
        assert_eq!(named, expected, "fields named in {problem}");
        problem
    }

    /// Fails the test unless this is API Gateway's own `{"message": ...}` answer, which names
    /// its request id in `apigw-requestid`.
    pub(crate) fn assert_gateway_message(&self, status: u16, message: &str) {
        self.assert_status(status);
        assert!(
            self.header("apigw-requestid").is_some(),
            "API Gateway's answer has no apigw-requestid"
        );
        assert_eq!(
            self.observed.media_type().as_deref(),
            Some("application/json")
        );
        assert_eq!(self.json(), json!({ "message": message }));
    }

    /// The contract's rules for every response, beyond the schema: a function's response names
    /// its request id in `x-request-id` (and a problem in `request_id` too), API Gateway's
    /// `apigw-requestid` agrees, an item response's `ETag` is its version, and a `204` still has
    /// a JSON content type.
    fn assert_conforms(&self, method: &str, path_template: &str) {
        if let Err(problems) = openapi().check_operation(method, path_template, &self.observed) {
            panic!(
                "{method} {path_template} answered {} against openapi.yaml:\n  {}",
                self.status(),
                problems.join("\n  ")
            );
        }
        let media_type = self.observed.media_type();
        let body = self.observed.json();
        let from_gateway = media_type.as_deref() == Some("application/json")
            && body.as_ref().is_some_and(|b| b.get("message").is_some());
        if from_gateway {
            return;
        }
        let request_id = self.header("x-request-id").unwrap_or_else(|| {
            panic!(
                "{method} {path_template} {}: no x-request-id",
                self.status()
            )
        });
        if let Some(gateway_id) = self.header("apigw-requestid") {
            assert_eq!(request_id, gateway_id, "x-request-id and apigw-requestid");
        }
        if media_type.as_deref() == Some("application/problem+json") {
            let problem = body.unwrap_or_default();
            assert_eq!(problem["request_id"], json!(request_id), "{problem}");
            assert_eq!(problem["status"], json!(self.status()), "{problem}");
        } else if self.status() == 204 {
            assert_eq!(media_type.as_deref(), Some("application/json"), "204");
        } else if let Some(version) = body.as_ref().and_then(|b| b.get("version")) {
            assert_eq!(self.header("etag"), Some(format!("\"{version}\"").as_str()));
        }
    }
}

/// How often a request the stage's throttle refused (`429`) is sent again.
const THROTTLE_RETRIES: u32 = 8;

/// Sends `request`, and again after a growing pause (50 ms, doubling, at most 1 s) while the
/// stage's throttle refuses it with `429`, as a client of a throttled API does: a stage limits
/// requests per second (staging: 100, bursts of 200, as API Gateway's default route throttle),
/// and the suite's tests, run in parallel, can go past it. Any other answer is returned as it
/// is; the contract's `429` is only ever the throttle's.
pub(crate) async fn send_within_throttle(
    request: RequestBuilder,
) -> reqwest::Result<reqwest::Response> {
    let mut request = request;
    let mut pause = Duration::from_millis(50);
    for _ in 0..THROTTLE_RETRIES {
        // A streamed body cannot be sent twice: that request gets one try.
        let Some(again) = request.try_clone() else {
            break;
        };
        let response = request.send().await?;
        if response.status() != reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Ok(response);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
        request = again;
    }
    request.send().await
}
