//! How the local stage wires the emulators to this API: every route of routes.json reaches its
//! function, the API's CORS configuration applies, and the local-only endpoints mint tokens
//! for this machine only. (The gateway's own behaviour is tested in the API Gateway emulator.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use apigateway_emulator::{LineSink, LocalIssuer};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use local_stage::docs::SwaggerUi;
use local_stage::local_endpoints::{self, LocalState};
use local_stage::{StageConfig, StageError, XrayDaemon};
use serde_json::json;
use support::{echoed_event, status_and_json, EchoStage};
use tower::ServiceExt;

#[tokio::test]
async fn every_route_of_routes_json_reaches_its_function() {
    let stage = EchoStage::start(|_| {}).await;
    for route in local_stage::routes::all() {
        let (method, path) = route.route_key.split_once(' ').unwrap();
        let concrete = path.replace("{id}", "00000000-0000-4000-8000-000000000000");
        let response = stage
            .client
            .request(method.parse().unwrap(), stage.url(&concrete))
            .bearer_auth(stage.token())
            .send()
            .await
            .unwrap();
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, 200, "{}: {body}", route.route_key);
        assert_eq!(body["function"], route.function.as_str());
        assert_eq!(body["event"]["routeKey"], route.route_key.as_str());
    }
    assert_eq!(stage.calls(), local_stage::routes::all().len());
}

#[tokio::test]
async fn a_preflight_is_answered_with_the_apis_cors_configuration() {
    let stage = EchoStage::start(|_| {}).await;
    let preflight = stage
        .client
        .request(reqwest::Method::OPTIONS, stage.url("/items/abc"))
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "PUT")
        .header(
            "Access-Control-Request-Headers",
            "authorization,if-match,idempotency-key",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 204);
    let header = |name: &str| preflight.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("access-control-allow-origin"), "*");
    assert_eq!(
        header("access-control-allow-methods"),
        "DELETE,GET,OPTIONS,PATCH,POST,PUT"
    );
    assert_eq!(
        header("access-control-allow-headers"),
        "authorization,content-type,idempotency-key,if-match"
    );
    assert_eq!(stage.calls(), 0);
}

#[tokio::test]
async fn the_local_token_endpoint_mints_tokens_the_authorizer_accepts() {
    let stage = EchoStage::start(|_| {}).await;
    let minted = stage
        .client
        .post(stage.url("/_local/token"))
        .json(&json!({"sub": "bob", "groups": ["admin"]}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(minted).await;
    assert_eq!(status, 200);
    assert_eq!(body["expires_in"], 3600);
    let token = body["token"].as_str().unwrap();
    let response = stage
        .client
        .get(stage.url("/items"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let claims = &echoed_event(response).await["requestContext"]["authorizer"]["jwt"]["claims"];
    assert_eq!(claims["sub"], "bob");
    assert_eq!(claims["cognito:groups"], "[admin]");

    for bad in [
        json!({"groups": []}),
        json!({"sub": " "}),
        json!({"sub": "a", "x": 1}),
    ] {
        let refused = stage
            .client
            .post(stage.url("/_local/token"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 400, "{bad}");
    }
    let jwks = stage
        .client
        .get(stage.url("/_local/jwks.json"))
        .send()
        .await
        .unwrap();
    let (status, keys) = status_and_json(jwks).await;
    assert_eq!(status, 200);
    assert_eq!(keys["keys"][0]["kid"], stage.stage.issuer().kid());
    assert_eq!(
        stage.calls(),
        1,
        "only the authorized request reached a function"
    );
}

/// Sends `request` to the local endpoints as if from `client`.
async fn local_endpoint_status(client: [u8; 4], request: Request<Body>) -> u16 {
    let issuer = LocalIssuer::generate().unwrap();
    let router = local_endpoints::router(LocalState {
        issuer: Some(issuer),
        swagger_ui: Arc::new(SwaggerUi::new(std::env::temp_dir().join("no-swagger-ui"))),
        errors: LineSink::Off,
        events: None,
        traces: Arc::new(XrayDaemon::start().await.unwrap()),
    });
    let mut request = request;
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((client, 40000))));
    router.oneshot(request).await.unwrap().status().as_u16()
}

#[tokio::test]
async fn the_local_endpoints_answer_only_loopback_clients() {
    let jwks = || {
        Request::get("/_local/jwks.json")
            .body(Body::empty())
            .unwrap()
    };
    let token = || {
        Request::post("/_local/token")
            .body(Body::from(r#"{"sub": "mallory", "groups": ["admin"]}"#))
            .unwrap()
    };
    assert_eq!(local_endpoint_status([127, 0, 0, 1], jwks()).await, 200);
    assert_eq!(local_endpoint_status([127, 0, 0, 1], token()).await, 200);
    assert_eq!(local_endpoint_status([192, 0, 2, 7], jwks()).await, 404);
    assert_eq!(local_endpoint_status([192, 0, 2, 7], token()).await, 404);
    let document = || {
        Request::get("/_local/openapi.yaml")
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(local_endpoint_status([127, 0, 0, 1], document()).await, 200);
    assert_eq!(local_endpoint_status([192, 0, 2, 7], document()).await, 404);
    let traces = || Request::get("/_local/traces").body(Body::empty()).unwrap();
    assert_eq!(local_endpoint_status([127, 0, 0, 1], traces()).await, 200);
    assert_eq!(local_endpoint_status([192, 0, 2, 7], traces()).await, 404);
}

#[tokio::test]
async fn a_non_loopback_address_is_refused_unless_explicitly_allowed() {
    let everywhere = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0));
    let refused = local_stage::start(StageConfig {
        address: everywhere,
        access_log: LineSink::Off,
        ..StageConfig::default()
    })
    .await;
    assert!(matches!(refused, Err(StageError::NonLoopback(address)) if address == everywhere));

    let allowed = local_stage::start(StageConfig {
        address: everywhere,
        allow_non_loopback: true,
        access_log: LineSink::Off,
        ..StageConfig::default()
    })
    .await
    .unwrap();
    let port = allowed.address().port();
    let minted = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/_local/token"))
        .json(&json!({"sub": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        minted.status().as_u16(),
        200,
        "this machine still gets tokens"
    );
    allowed.shutdown().await;
}
