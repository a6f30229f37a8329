//! The Lambda integration behind every route: the function called in-process, or its real
//! binary invoked through the Runtime API. Failures become API Gateway's 5xx answers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::process_pool::{InvokeError, ProcessPool};
use crate::sink::LineSink;

/// A future that yields a function's result.
pub type FunctionFuture<'a> = Pin<Box<dyn Future<Output = Value> + Send + 'a>>;

/// A function called in-process: takes the function's name (routes.json `function`) and the
/// event, returns the proxy response JSON. Never fails: every error is a response.
pub trait FunctionHandler: Send + Sync {
    /// Handles one event for `function`.
    fn handle<'a>(&'a self, function: &'a str, event: Value) -> FunctionFuture<'a>;
}

/// How the stage reaches its functions.
pub(crate) enum Integration {
    InProcess(Arc<dyn FunctionHandler>),
    Processes(ProcessPool),
}

/// Why a function produced no usable result.
#[derive(Debug)]
pub(crate) enum IntegrationFailure {
    /// The function failed, crashed or timed out: API Gateway's 500 `Internal Server Error`.
    FunctionFailed,
    /// No result within the integration timeout: API Gateway's 503 `Service Unavailable`.
    IntegrationTimeout,
}

impl Integration {
    pub(crate) async fn invoke(
        &self,
        function: &str,
        event: Value,
        trace_id: String,
        integration_timeout: Duration,
        log: &LineSink,
    ) -> Result<Value, IntegrationFailure> {
        let call = async {
            match self {
                Integration::InProcess(handler) => Ok(handler.handle(function, event).await),
                Integration::Processes(pool) => pool.invoke(function, event, trace_id).await,
            }
        };
        match tokio::time::timeout(integration_timeout, call).await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(error)) => {
                if !matches!(error, InvokeError::Timeout) {
                    log.write(&format!("{function}: {error}"));
                }
                Err(IntegrationFailure::FunctionFailed)
            }
            Err(_) => Err(IntegrationFailure::IntegrationTimeout),
        }
    }

    pub(crate) async fn shutdown(&self) {
        if let Integration::Processes(pool) = self {
            pool.shutdown().await;
        }
    }
}
