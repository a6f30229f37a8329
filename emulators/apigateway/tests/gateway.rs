//! The gateway over real HTTP, as API Gateway would answer: routing, the authorizer, CORS,
//! throttling, payload limits, events, responses and access logs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::time::Duration;

use apigateway_emulator::{
    CorsConfig, LocalIssuer, PayloadVersion, ThrottleConfig, LOCAL_AUDIENCE, LOCAL_ISSUER,
};
use serde_json::{json, Value};
use support::{echoed_event, issuer, status_and_json, EchoGateway};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_route_reaches_its_function_with_a_v2_event() {
    let gateway = EchoGateway::start(|_| {}).await;
    let response = gateway
        .client
        .get(gateway.url("/pets/abc?limit=5&tag=a&tag=b"))
        .bearer_auth(gateway.token())
        .header("X-Multi", "one")
        .header("X-Multi", "two")
        .header("Cookie", "a=1; b=2")
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("apigw-requestid"));
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200);
    assert_eq!(body["function"], "get-pet");
    let event = &body["event"];
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "GET /pets/{id}");
    assert_eq!(event["rawPath"], "/pets/abc");
    assert_eq!(event["rawQueryString"], "limit=5&tag=a&tag=b");
    assert_eq!(
        event["queryStringParameters"],
        json!({"limit": "5", "tag": "a,b"})
    );
    assert_eq!(event["pathParameters"], json!({"id": "abc"}));
    assert_eq!(event["headers"]["x-multi"], "one,two");
    assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
    let context = &event["requestContext"];
    assert_eq!(context["routeKey"], "GET /pets/{id}");
    assert_eq!(context["stage"], "$default");
    assert_eq!(context["http"]["method"], "GET");
    assert_eq!(context["http"]["sourceIp"], "127.0.0.1");
    assert!(context["timeEpoch"].as_i64().unwrap() > 0);
    assert!(!context["requestId"].as_str().unwrap().is_empty());
    let claims = &context["authorizer"]["jwt"]["claims"];
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["cognito:groups"], "[admin staff]");
    assert_eq!(claims["iss"], LOCAL_ISSUER);
}

#[tokio::test]
async fn a_json_body_is_passed_as_text_and_other_bodies_as_base64() {
    let gateway = EchoGateway::start(|_| {}).await;
    let post = |content_type: &'static str, body: &'static str| {
        gateway
            .client
            .post(gateway.url("/pets"))
            .bearer_auth(gateway.token())
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let json_event =
        echoed_event(post("application/json", "{\"name\":\"x\"}").await.unwrap()).await;
    assert_eq!(json_event["body"], "{\"name\":\"x\"}");
    assert_eq!(json_event["isBase64Encoded"], false);
    let binary_event = echoed_event(post("application/octet-stream", "abc").await.unwrap()).await;
    assert_eq!(binary_event["body"], "YWJj");
    assert_eq!(binary_event["isBase64Encoded"], true);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_not_found_without_calling_a_function() {
    let gateway = EchoGateway::start(|_| {}).await;
    for (method, path) in [
        ("GET", "/nothing"),
        ("PATCH", "/pets"),
        ("POST", "/pets/abc"),
        ("GET", "/pets/a/b"),
    ] {
        let response = gateway
            .client
            .request(method.parse().unwrap(), gateway.url(path))
            .bearer_auth(gateway.token())
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_and_json(response).await,
            (404, json!({"message": "Not Found"})),
            "{method} {path}"
        );
    }
    assert_eq!(gateway.calls(), 0);
}

#[tokio::test]
async fn requests_without_a_valid_token_are_unauthorized_before_any_function_runs() {
    let mut gateway = EchoGateway::start(|_| {}).await;
    let signed = |claims: Value| issuer().sign(&claims).unwrap();
    let now = now();
    let bad_tokens = [
        None,
        Some("not-a-token".to_owned()),
        Some(signed(
            json!({"sub": "a", "iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "exp": now - 10}),
        )),
        Some(signed(
            json!({"sub": "a", "iss": LOCAL_ISSUER, "aud": "another-app", "exp": now + 60}),
        )),
        Some(signed(
            json!({"sub": "a", "iss": "https://elsewhere.example", "aud": LOCAL_AUDIENCE, "exp": now + 60}),
        )),
        Some(
            LocalIssuer::generate()
                .unwrap()
                .mint("a", &[], Duration::from_secs(60))
                .unwrap(),
        ),
    ];
    for token in bad_tokens {
        let mut request = gateway.client.get(gateway.url("/pets"));
        if let Some(token) = &token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert!(response
            .headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
        assert_eq!(
            status_and_json(response).await,
            (401, json!({"message": "Unauthorized"})),
            "{token:?}"
        );
        // The access log says why: API Gateway's message and the authorizer's reason.
        let logged: Value =
            serde_json::from_str(&gateway.access_log.recv().await.unwrap()).unwrap();
        assert_eq!(logged["errorMessage"], "Unauthorized");
        assert_ne!(logged["authorizerError"], "-", "{token:?}");
    }
    assert_eq!(gateway.calls(), 0);
}

#[tokio::test]
async fn a_preflight_is_answered_by_the_stage_without_a_token() {
    let gateway = EchoGateway::start(|config| {
        config.cors = Some(CorsConfig {
            allow_origins: vec!["https://app.example".to_owned()],
            ..support::cors()
        });
    })
    .await;
    let preflight = gateway
        .client
        .request(reqwest::Method::OPTIONS, gateway.url("/pets/abc"))
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "PUT")
        .header("Access-Control-Request-Headers", "authorization,if-match")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 204);
    let header = |name: &str| {
        preflight
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    assert!(header("access-control-allow-methods")
        .unwrap()
        .contains("PUT"));
    assert!(header("access-control-allow-headers")
        .unwrap()
        .contains("if-match"));
    assert_eq!(header("access-control-max-age").as_deref(), Some("600"));

    let foreign = gateway
        .client
        .request(reqwest::Method::OPTIONS, gateway.url("/pets"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    assert_eq!(gateway.calls(), 0);
}

#[tokio::test]
async fn responses_to_an_allowed_origin_carry_the_stage_cors_headers_not_the_functions() {
    let gateway = EchoGateway::start(|_| {}).await;
    let response = gateway
        .client
        .get(gateway.url("/pets"))
        .bearer_auth(gateway.token())
        .header("Origin", "https://app.example")
        .send()
        .await
        .unwrap();
    let origins: Vec<_> = response
        .headers()
        .get_all("access-control-allow-origin")
        .iter()
        .collect();
    assert_eq!(origins, ["*"]);
    assert!(response
        .headers()
        .get("access-control-expose-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("etag"));
    assert_eq!(response.headers().get("set-cookie").unwrap(), "session=1");
    let unauthorized = gateway
        .client
        .get(gateway.url("/pets"))
        .header("Origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status().as_u16(), 401);
    assert!(unauthorized
        .headers()
        .contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn requests_beyond_the_burst_are_throttled() {
    let gateway = EchoGateway::start(|config| {
        config.throttle = ThrottleConfig {
            burst: 2,
            rate: 0.001,
        };
    })
    .await;
    assert_eq!(gateway.get("/pets").await.status().as_u16(), 200);
    assert_eq!(gateway.get("/pets").await.status().as_u16(), 200);
    let throttled = gateway.get("/pets").await;
    assert_eq!(
        status_and_json(throttled).await,
        (429, json!({"message": "Too Many Requests"}))
    );
    assert_eq!(gateway.calls(), 2);
}

#[tokio::test]
async fn a_body_over_the_payload_limit_is_rejected() {
    let gateway = EchoGateway::start(|config| config.max_request_bytes = 1024).await;
    let response = gateway
        .client
        .post(gateway.url("/pets"))
        .bearer_auth(gateway.token())
        .header("content-type", "application/json")
        .body(vec![b' '; 1025])
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_json(response).await,
        (413, json!({"message": "Request Entity Too Large"}))
    );
    assert_eq!(gateway.calls(), 0);
}

#[tokio::test]
async fn payload_1_0_events_have_the_rest_api_shape() {
    let gateway = EchoGateway::start(|config| config.payload = PayloadVersion::V1).await;
    let event = echoed_event(gateway.get("/pets/abc?tag=a&tag=b").await).await;
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["resource"], "/pets/{id}");
    assert_eq!(event["path"], "/pets/abc");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["pathParameters"], json!({"id": "abc"}));
    assert_eq!(
        event["multiValueQueryStringParameters"]["tag"],
        json!(["a", "b"])
    );
    assert_eq!(event["queryStringParameters"]["tag"], "b");
    assert_eq!(
        event["requestContext"]["authorizer"]["claims"]["sub"],
        "alice"
    );
    assert_eq!(event["body"], Value::Null);
}

#[tokio::test]
async fn malformed_results_are_internal_errors_and_slow_ones_unavailable() {
    let gateway =
        EchoGateway::start(|config| config.integration_timeout = Duration::from_millis(200)).await;
    let malformed = gateway.get("/pets?behaviour=malformed").await;
    assert_eq!(
        status_and_json(malformed).await,
        (500, json!({"message": "Internal Server Error"}))
    );
    let hanging = gateway.get("/pets?behaviour=hang").await;
    assert_eq!(
        status_and_json(hanging).await,
        (503, json!({"message": "Service Unavailable"}))
    );
}

#[tokio::test]
async fn every_request_writes_one_access_log_line_with_the_stage_keys() {
    let mut gateway = EchoGateway::start(|_| {}).await;
    let ok = gateway.get("/pets/abc").await;
    let request_id = ok.headers()["apigw-requestid"].to_str().unwrap().to_owned();
    let body = ok.bytes().await.unwrap();
    let length = body.len();
    let echoed: Value = serde_json::from_slice(&body).unwrap();
    gateway
        .client
        .get(gateway.url("/nowhere"))
        .send()
        .await
        .unwrap();

    let first: Value = serde_json::from_str(&gateway.access_log.recv().await.unwrap()).unwrap();
    let mut keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "authorizerError",
            "caller",
            "errorMessage",
            "httpMethod",
            "integrationError",
            "integrationLatency",
            "ip",
            "latency",
            "requestId",
            "requestTime",
            "responseLength",
            "routeKey",
            "status",
            "xrayTraceId"
        ]
    );
    assert_eq!(first["requestId"], request_id);
    let trace_id = first["xrayTraceId"].as_str().unwrap();
    assert_eq!(
        echoed["trace_header"],
        format!("Root={trace_id};Sampled=1"),
        "the function is called in the logged, sampled trace"
    );
    assert_eq!(
        echoed["event"]["headers"]["x-amzn-trace-id"],
        echoed["trace_header"]
    );
    assert_eq!(first["ip"], "127.0.0.1");
    assert_eq!(first["httpMethod"], "GET");
    assert_eq!(first["routeKey"], "GET /pets/{id}");
    assert_eq!(first["caller"], "alice", "the verified token's subject");
    assert_eq!(first["status"], "200");
    assert_eq!(first["responseLength"], length.to_string());
    assert!(first["integrationLatency"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .is_ok());

    assert_eq!(first["errorMessage"], "-", "the function answered");
    assert_eq!(first["integrationError"], "-");

    let second: Value = serde_json::from_str(&gateway.access_log.recv().await.unwrap()).unwrap();
    assert_eq!(second["status"], "404");
    assert_eq!(second["routeKey"], "-");
    assert_eq!(second["caller"], "-");
    assert_eq!(second["integrationLatency"], "-");
    assert_eq!(
        second["errorMessage"], "Not Found",
        "API Gateway answered itself"
    );
    assert_eq!(second["authorizerError"], "-");
}

#[tokio::test]
async fn a_callers_trace_is_continued_and_stays_unsampled_when_it_says_so() {
    let mut gateway = EchoGateway::start(|_| {}).await;
    let root = "1-5759e988-bd862e3fe1be46a994272793";
    for (sent, passed_on) in [
        (
            format!("Root={root};Sampled=0"),
            format!("Root={root};Sampled=0"),
        ),
        (
            format!("Root={root};Parent=53995c3f42cd8ad8"),
            format!("Root={root};Parent=53995c3f42cd8ad8;Sampled=1"),
        ),
    ] {
        let response = gateway
            .client
            .get(gateway.url("/pets/abc"))
            .bearer_auth(gateway.token())
            .header("x-amzn-trace-id", &sent)
            .send()
            .await
            .unwrap();
        let (_, echoed) = status_and_json(response).await;
        assert_eq!(echoed["trace_header"], passed_on);
        let line: Value = serde_json::from_str(&gateway.access_log.recv().await.unwrap()).unwrap();
        assert_eq!(line["xrayTraceId"], root);
    }
}
