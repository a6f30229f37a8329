//! Shared set-up: an app on the in-memory store, and real-shaped events built from the AWS
//! example fixtures with one request's details changed.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::sync::Arc;

use base64::Engine;
use items_apigateway::{handler_for, AdapterConfig, EventHandler, Route};
use items_domain::ItemRepository;
use items_memory::InMemoryItemRepository;
use serde_json::{json, Value};

/// Which payload format an event is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payload {
    V1,
    V2,
}

pub(crate) const BOTH: [Payload; 2] = [Payload::V2, Payload::V1];

/// An app over a fresh in-memory store.
pub(crate) fn app() -> App {
    app_over(Arc::new(InMemoryItemRepository::new()))
}

/// Every route's function over one store, found the way the local stage finds them.
pub(crate) struct App {
    functions: Vec<Arc<dyn EventHandler>>,
}

impl App {
    /// Hands `event` to the function serving `route`.
    pub(crate) async fn handle_event(&self, route: Route, event: Value) -> Value {
        let function = self
            .functions
            .iter()
            .find(|f| f.route() == route)
            .expect("every route has a function");
        function.handle_event(event).await
    }
}

/// An app over any repository (a mock, for failures).
pub(crate) fn app_over(repository: Arc<dyn ItemRepository>) -> App {
    let functions = Route::ALL
        .into_iter()
        .map(|route| handler_for(route, Arc::clone(&repository), &AdapterConfig::default()))
        .collect();
    App { functions }
}

fn fixture(payload: Payload) -> Value {
    let text = match payload {
        Payload::V2 => include_str!("../fixtures/http-api-v2.json"),
        Payload::V1 => include_str!("../fixtures/rest-api-v1.json"),
    };
    serde_json::from_str(text).expect("fixtures are JSON")
}

/// One request, described independently of the payload format.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub route: Route,
    pub id: Option<String>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub base64: bool,
    /// `None` drops the claims altogether (a route deployed without the authorizer).
    pub sub: Option<String>,
    pub groups: Vec<String>,
}

impl Request {
    /// A request to `route` by "alice", with a JSON content type.
    pub(crate) fn new(route: Route) -> Self {
        Self {
            route,
            id: None,
            query: Vec::new(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: None,
            base64: false,
            sub: Some("alice".into()),
            groups: vec!["users".into()],
        }
    }

    pub(crate) fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_owned());
        self
    }

    pub(crate) fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn without_header(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    pub(crate) fn json(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string());
        self
    }

    pub(crate) fn raw_body(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self
    }

    /// Sends the body base64-encoded, as API Gateway does for binary media types.
    pub(crate) fn base64(mut self) -> Self {
        if let Some(body) = &self.body {
            self.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
        }
        self.base64 = true;
        self
    }

    pub(crate) fn caller(mut self, sub: &str, groups: &[&str]) -> Self {
        self.sub = Some(sub.to_owned());
        self.groups = groups.iter().map(|g| (*g).to_owned()).collect();
        self
    }

    pub(crate) fn anonymous(mut self) -> Self {
        self.sub = None;
        self
    }

    /// The event API Gateway would send for this request.
    pub(crate) fn event(&self, payload: Payload) -> Value {
        let mut event = fixture(payload);
        let (method, resource) = self
            .route
            .route_key()
            .split_once(' ')
            .expect("route keys are METHOD PATH");
        let path = match &self.id {
            Some(id) => resource.replace("{id}", id),
            None => resource.to_owned(),
        };
        let path_parameters = match &self.id {
            Some(id) => json!({"id": id}),
            None => Value::Null,
        };
        let query_string = self
            .query
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let query_parameters: serde_json::Map<String, Value> = self
            .query
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect();
        let query_parameters = if query_parameters.is_empty() {
            Value::Null
        } else {
            Value::Object(query_parameters)
        };
        match payload {
            Payload::V2 => {
                event["routeKey"] = json!(self.route.route_key());
                event["requestContext"]["routeKey"] = json!(self.route.route_key());
                event["requestContext"]["http"]["method"] = json!(method);
                event["requestContext"]["http"]["path"] = json!(path);
                event["rawPath"] = json!(path);
                event["rawQueryString"] = json!(query_string);
                event["queryStringParameters"] = query_parameters;
                event["pathParameters"] = path_parameters;
                for (name, value) in &self.headers {
                    event["headers"][name.to_ascii_lowercase()] = json!(value);
                }
                let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
                match &self.sub {
                    Some(sub) => {
                        claims["sub"] = json!(sub);
                        claims["cognito:groups"] = json!(format!("[{}]", self.groups.join(" ")));
                    }
                    None => {
                        let context = event["requestContext"].as_object_mut().expect("context");
                        context.remove("authorizer");
                    }
                }
            }
            Payload::V1 => {
                event["resource"] = json!(resource);
                event["path"] = json!(path);
                event["httpMethod"] = json!(method);
                event["requestContext"]["httpMethod"] = json!(method);
                event["requestContext"]["resourcePath"] = json!(resource);
                event["queryStringParameters"] = query_parameters;
                event["pathParameters"] = path_parameters;
                for (name, value) in &self.headers {
                    event["headers"][name] = json!(value);
                }
                match &self.sub {
                    Some(sub) => {
                        let claims = &mut event["requestContext"]["authorizer"]["claims"];
                        claims["sub"] = json!(sub);
                        claims["cognito:groups"] = json!(self.groups.join(","));
                    }
                    None => event["requestContext"]["authorizer"] = json!({}),
                }
            }
        }
        event["body"] = self.body.clone().map(Value::String).unwrap_or(Value::Null);
        event["isBase64Encoded"] = json!(self.base64);
        event
    }
}

/// A response, read back from the proxy response JSON.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: serde_json::Map<String, Value>,
    pub body: Value,
    pub raw_body: Option<String>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(Value::as_str)
    }

    /// The fields named in a problem's `errors`.
    pub(crate) fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Sends a request through the app in `payload` format.
pub(crate) async fn send(app: &App, request: &Request, payload: Payload) -> Response {
    let output = app
        .handle_event(request.route, request.event(payload))
        .await;
    read_response(&output)
}

/// Reads a proxy response.
pub(crate) fn read_response(output: &Value) -> Response {
    let status = output["statusCode"].as_u64().expect("statusCode") as u16;
    let headers = output["headers"].as_object().cloned().unwrap_or_default();
    let raw_body = output["body"].as_str().map(str::to_owned);
    let body = raw_body
        .as_deref()
        .map(|text| serde_json::from_str(text).expect("bodies are JSON"))
        .unwrap_or(Value::Null);
    Response {
        status,
        headers,
        body,
        raw_body,
    }
}

/// A valid item body.
pub(crate) fn item_body(name: &str, category: Option<&str>) -> Value {
    json!({"name": name, "description": "a test item", "category": category})
}

/// Creates an item as `sub` and returns its JSON.
pub(crate) async fn create(app: &App, sub: &str, name: &str, category: Option<&str>) -> Value {
    let request = Request::new(Route::CreateItem)
        .caller(sub, &[])
        .json(&item_body(name, category));
    let response = send(app, &request, Payload::V2).await;
    assert_eq!(response.status, 201, "{}", response.body);
    response.body
}
