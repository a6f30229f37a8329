#![doc = include_str!("../README.md")]

mod config;
pub mod cpu_model;
mod error;
mod pool;
mod process;
mod report;
pub mod runtime_api;
pub mod stream_mapping;

use std::sync::{Arc, Mutex, MutexGuard};

pub use config::ProcessConfig;
pub use cpu_model::{CpuModel, CpuModelStatus};
pub use error::InvokeError;
pub use pool::ProcessPool;
pub use process::{FunctionProcess, Invoked, Output, ProcessSpec};

/// Where `REPORT` lines (and timeout notes) go, one whole line per call.
pub type ReportSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The account id in function ARNs (AWS's documentation example account).
pub const ACCOUNT_ID: &str = "123456789012";

/// The environment Lambda gives a `provided.al2023` function process with `memory_size_mb` of
/// memory, whose Runtime API listens on `runtime_api` (`host:port`).
pub fn function_environment(
    name: &str,
    memory_size_mb: u32,
    runtime_api: &str,
) -> Vec<(String, String)> {
    let region = region();
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            memory_size_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            format!("local/[$LATEST]{}", uuid::Uuid::new_v4().simple()),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".to_owned()),
        ("AWS_REGION", region.clone()),
        ("AWS_DEFAULT_REGION", region),
        ("TZ", ":UTC".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin".to_owned()),
    ]
    .into_iter()
    .map(|(variable, value)| (variable.to_owned(), value))
    .collect()
}

/// A process's peak resident set (`VmHWM` in `/proc/<pid>/status`), in KiB: what Lambda
/// reports as Max Memory Used. `None` when it cannot be read (the process is gone).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The region function processes see and their ARNs name: `AWS_REGION`, else
/// `AWS_DEFAULT_REGION`, else `us-east-1`.
pub fn region() -> String {
    std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".to_owned())
}

/// `mutex`'s guard, even after a panic while another holder had it: the data the emulator
/// guards (process lists, in-flight invocations) stays consistent across one, so keep serving.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
