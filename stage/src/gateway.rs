//! The gateway in front of a stage's functions, as the local stage and the applied stage both
//! serve it: bound first, so that it knows the port it writes into URLs; every invocation
//! traced as Lambda traces it; the stage's own endpoints beside the routes.

use std::net::SocketAddr;
use std::sync::Arc;

use apigateway_emulator::{Gateway, GatewayConfig, Integration, JwtAuthorizer, RouteTable, Server};
use axum::Router;
use tokio::net::TcpListener;
use xray_emulator::XrayDaemon;

use crate::traces::TracedFunctions;

/// What the gateway serves: the routes to their functions, behind the authorizer.
pub(crate) struct Api {
    /// Each route key to its function's name.
    pub(crate) routes: RouteTable<String>,
    /// The JWT authorizer every route has.
    pub(crate) authorizer: JwtAuthorizer,
    /// The functions, by name.
    pub(crate) functions: Arc<dyn Integration>,
}

/// Serves `api` on `address` with `config`, beside the stage's own `local` endpoints, each
/// sampled invocation recorded in `traces` as Lambda's segment.
pub(crate) async fn serve_gateway(
    address: SocketAddr,
    api: Api,
    traces: Arc<XrayDaemon>,
    config: GatewayConfig,
    local: Router,
) -> std::io::Result<Server> {
    let listener = TcpListener::bind(address).await?;
    let port = listener.local_addr()?.port();
    let traced = TracedFunctions {
        functions: api.functions,
        daemon: traces,
    };
    let gateway = Gateway::new(api.routes, api.authorizer, Arc::new(traced), config, port);
    apigateway_emulator::serve(listener, local.merge(gateway.into_router()))
}
