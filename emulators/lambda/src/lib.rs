#![doc = include_str!("../README.md")]

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
