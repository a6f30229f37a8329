//! AWS Lambda on one machine, for functions built as custom-runtime binaries (`bootstrap`).
//!
//! A [`ProcessPool`] runs each function as its real binary in child processes, each with its
//! own [Runtime API](runtime_api) and one invocation at a time, as Lambda's execution
//! environments do: processes start on demand up to a per-function limit, get Lambda's
//! environment variables, are killed and replaced when they crash or pass the function
//! timeout, and every invocation writes a Lambda-style `REPORT` line (Duration, Billed
//! Duration, Memory Size, Max Memory Used, Init Duration on a cold start).
//!
//! The crate knows nothing about the functions it runs: a function is a name and a binary.
//!
//! ```no_run
//! use std::sync::Arc;
//! use lambda_emulator::{ProcessConfig, ProcessPool};
//!
//! # async fn example() -> Result<(), lambda_emulator::InvokeError> {
//! let reports: lambda_emulator::ReportSink = Arc::new(|line: &str| println!("{line}"));
//! // Runs target/debug/hello for function "hello".
//! let pool = ProcessPool::new(["hello"], ProcessConfig::default(), reports);
//! let result = pool.invoke("hello", serde_json::json!({"name": "world"}), "Root=1-0-0").await?;
//! pool.shutdown().await;
//! # Ok(()) }
//! ```

mod pool;
mod report;
pub mod runtime_api;
mod worker;

use std::sync::Arc;

pub use pool::{InvokeError, ProcessConfig, ProcessPool};

/// Where `REPORT` lines (and timeout notes) go, one whole line per call.
pub type ReportSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The account id in function ARNs (AWS's documentation example account).
pub const ACCOUNT_ID: &str = "123456789012";

/// The region function processes see and their ARNs name: `AWS_REGION`, else
/// `AWS_DEFAULT_REGION`, else `us-east-1`.
pub fn region() -> String {
    std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".to_owned())
}
