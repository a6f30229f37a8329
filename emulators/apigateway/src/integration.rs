//! The Lambda proxy integration behind every route, as the gateway sees it: a target name and
//! an event in, the function's result (or why there is none) out. What runs the target (a
//! function in this process, a process behind a Lambda Runtime API) is the embedder's choice.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

/// A future yielding a function's result.
pub type IntegrationFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Value, FunctionFailure>> + Send + 'a>>;

/// Runs the function a route is integrated with.
pub trait Integration: Send + Sync {
    /// Invokes `target` (the route's target name) with `event`; `trace_header` is the request's
    /// X-Ray trace header (`Root=1-...;Sampled=1`), which Lambda passes on to the function.
    fn invoke<'a>(
        &'a self,
        target: &'a str,
        event: Value,
        trace_header: &'a str,
    ) -> IntegrationFuture<'a>;
}

/// Why a function gave no result; API Gateway answers each with `500 Internal Server Error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FunctionFailure {
    /// The function returned an error, crashed, or returned something that is not JSON; the
    /// reason goes to the gateway's error log.
    #[error("{0}")]
    Error(String),
    /// The function ran past its own timeout (its runtime reports that itself, so the gateway
    /// logs nothing more).
    #[error("the function timed out")]
    Timeout,
}
