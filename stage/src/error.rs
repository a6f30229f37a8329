//! Why a stage could not start: the one error of starting a stage, whichever part of it failed
//! (the stage, its authorizer, its processes or its streams).

use std::net::SocketAddr;
use std::path::PathBuf;

use apigateway_emulator::authorizer::AuthorizerConfigError;
use apigateway_emulator::issuer::IssuerError;
use apigateway_emulator::CorsError;

use crate::routes::RoutesError;
use crate::store::StoreError;

/// Why a stage could not start.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The address is not a loopback address and that was not explicitly allowed.
    #[error("{0} is not a loopback address: anyone who can reach it could call the API; allow it explicitly (--allow-non-loopback) to listen there")]
    NonLoopback(SocketAddr),
    /// The local issuer's key could not be loaded or created.
    #[error(transparent)]
    Issuer(#[from] IssuerError),
    /// The JWKS file could not be read or holds no usable key.
    #[error("JWKS file {path}: {reason}")]
    Jwks {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The authorizer could not be built from the keys.
    #[error(transparent)]
    Authorizer(#[from] AuthorizerConfigError),
    /// routes.json could not be used.
    #[error(transparent)]
    Routes(#[from] RoutesError),
    /// The store could not be set up.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The CORS configuration is one API Gateway refuses.
    #[error(transparent)]
    Cors(#[from] CorsError),
    /// Process mode needs function binaries that are not there.
    #[error("function binaries missing (build them first, e.g. cargo build): {}", .0.join(", "))]
    MissingBinaries(Vec<String>),
    /// The local event bus could not start.
    #[error("the local event bus could not start: {0}")]
    EventBus(std::io::Error),
    /// The local X-Ray daemon could not start.
    #[error("the local X-Ray daemon could not start: {0}")]
    Traces(std::io::Error),
    /// A table's stream could not be mapped to its function.
    #[error("change events: {0}")]
    Streams(String),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}
