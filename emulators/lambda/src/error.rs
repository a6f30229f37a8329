//! Why an invocation produced no result, whether the pool or the process it started found out.

use std::path::PathBuf;

/// Why an invocation produced no result; API Gateway answers each with a 5xx.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The function returned an error (posted to `/error`).
    #[error("the function returned an error: {0}")]
    FunctionError(String),
    /// The function ran past its timeout; its process was killed.
    #[error("the function timed out")]
    Timeout,
    /// The process exited or failed to initialise before answering.
    #[error("the function process exited: {0}")]
    Crashed(String),
    /// The process could not be started.
    #[error("could not start {binary}: {source}")]
    Spawn {
        /// The binary.
        binary: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The result was not JSON.
    #[error("the function's result is not JSON")]
    BadResult,
    /// No process of that name is configured.
    #[error("no function named {0}")]
    UnknownFunction(String),
}
