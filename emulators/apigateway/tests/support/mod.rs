//! Shared set-up for the gateway's tests: a gateway over a stand-in pets API whose function
//! echoes its event back, so a test can see exactly what a function would receive.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use apigateway_emulator::{
    serve, CorsConfig, Gateway, GatewayConfig, Integration, IntegrationFuture, JwtAuthorizer,
    LineSink, LocalIssuer, RouteTable, Server, LOCAL_AUDIENCE, LOCAL_ISSUER,
};
use serde_json::{json, Value};
use tokio::sync::mpsc;

mod responses;

pub(crate) use responses::{echoed_event, status_and_json};

/// The stand-in API's routes and the function behind each.
pub(crate) const ROUTES: [(&str, &str); 5] = [
    ("GET /pets", "list-pets"),
    ("GET /pets/{id}", "get-pet"),
    ("POST /pets", "create-pet"),
    ("PUT /pets/{id}", "update-pet"),
    ("DELETE /pets/{id}", "delete-pet"),
];

/// One issuer for every test: generating an RSA key takes a moment.
pub(crate) fn issuer() -> &'static LocalIssuer {
    static ISSUER: OnceLock<LocalIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| LocalIssuer::generate().expect("an RSA key"))
}

/// The stand-in API's CORS configuration: its methods and headers listed.
pub(crate) fn cors() -> CorsConfig {
    let list = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect();
    CorsConfig {
        allow_origins: list(&["*"]),
        allow_methods: list(&["GET", "POST", "PUT", "DELETE", "OPTIONS"]),
        allow_headers: list(&["authorization", "content-type", "if-match"]),
        expose_headers: list(&["etag", "location"]),
        max_age: Some(600),
        allow_credentials: false,
    }
}

/// Answers every call with `{"function": ..., "event": ..., "trace_header": ...}` and counts the
/// calls; misbehaves when the query asks (`?behaviour=malformed|hang`).
#[derive(Default)]
pub(crate) struct Echo {
    pub calls: AtomicUsize,
}

impl Integration for Echo {
    fn invoke<'a>(
        &'a self,
        target: &'a str,
        event: Value,
        trace_header: &'a str,
    ) -> IntegrationFuture<'a> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            Ok(match event["queryStringParameters"]["behaviour"].as_str() {
                Some("malformed") => json!({"statusCode": "two hundred"}),
                Some("hang") => std::future::pending().await,
                _ => json!({
                    "statusCode": 200,
                    "headers": {"content-type": "application/json", "access-control-allow-origin": "https://backend.example"},
                    "cookies": ["session=1"],
                    "body": json!({"function": target, "event": event, "trace_header": trace_header}).to_string(),
                }),
            })
        })
    }
}

/// A gateway over an [`Echo`] on a free loopback port, with its access-log lines.
pub(crate) struct EchoGateway {
    pub server: Server,
    pub echo: Arc<Echo>,
    pub access_log: mpsc::UnboundedReceiver<String>,
    pub client: reqwest::Client,
}

impl EchoGateway {
    /// Starts an echo gateway with `adjust` applied to the configuration.
    pub(crate) async fn start(adjust: impl FnOnce(&mut GatewayConfig)) -> Self {
        let echo = Arc::new(Echo::default());
        let (log_sender, access_log) = mpsc::unbounded_channel();
        let mut config = GatewayConfig {
            cors: Some(cors()),
            access_log: LineSink::Channel(log_sender),
            errors: LineSink::Off,
            ..GatewayConfig::default()
        };
        adjust(&mut config);
        let routes = RouteTable::new(ROUTES.map(|(key, function)| (key, function.to_owned())))
            .expect("valid route keys");
        let authorizer = JwtAuthorizer::new(
            LOCAL_ISSUER,
            vec![LOCAL_AUDIENCE.to_owned()],
            &issuer().jwks().expect("a JWKS"),
        )
        .expect("an authorizer");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let port = listener.local_addr().expect("an address").port();
        let gateway = Gateway::new(routes, authorizer, echo.clone(), config, port);
        let server = serve(listener, gateway.into_router()).expect("the gateway serves");
        Self {
            server,
            echo,
            access_log,
            client: reqwest::Client::new(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.address())
    }

    pub(crate) fn token(&self) -> String {
        issuer()
            .mint(
                "alice",
                &["admin", "staff"],
                std::time::Duration::from_secs(60),
            )
            .expect("a token")
    }

    /// GET `path` with a valid token.
    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        responses::get(&self.client, &self.url(path), &self.token()).await
    }

    pub(crate) fn calls(&self) -> usize {
        self.echo.calls.load(Ordering::SeqCst)
    }
}
