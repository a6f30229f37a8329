//! The process pool over real processes: the stand-in function (this crate's
//! `stand-in-function` example) as every function, behind the Runtime API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

#[path = "support/stand_in.rs"]
mod stand_in;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lambda_emulator::{InvokeError, ProcessConfig, ProcessPool, ReportSink};
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// A folder holding the stand-in binary under each of `names`.
fn functions_dir(names: &[&str]) -> PathBuf {
    stand_in::functions_dir("stand-in-function", names)
}

struct Pool {
    pool: ProcessPool,
    reports: mpsc::UnboundedReceiver<String>,
}

impl Pool {
    fn start(max_processes: usize, timeout: Duration) -> Self {
        let (sender, reports) = mpsc::unbounded_channel();
        let sink: ReportSink = Arc::new(move |line: &str| {
            let _ = sender.send(line.to_owned());
        });
        let config = ProcessConfig {
            functions_dir: functions_dir(&["hello"]),
            max_processes,
            timeout,
            memory_size_mb: 256,
            environment: vec![("GREETING".to_owned(), "hi".to_owned())],
            ..ProcessConfig::default()
        };
        Self {
            pool: ProcessPool::new(["hello"], config, sink),
            reports,
        }
    }

    /// Invokes `hello` and returns the echo in its response body.
    async fn echo(&self, event: Value) -> Value {
        let result = self
            .pool
            .invoke("hello", event, "Root=1-abc")
            .await
            .unwrap();
        assert_eq!(result["statusCode"], 200, "{result}");
        serde_json::from_str(result["body"].as_str().unwrap()).unwrap()
    }

    async fn misbehave(&self, behaviour: &str) -> InvokeError {
        self.pool
            .invoke("hello", json!({"behaviour": behaviour}), "Root=1-abc")
            .await
            .unwrap_err()
    }

    /// The next REPORT line (others, such as timeout notes, are skipped).
    async fn next_report(&mut self) -> String {
        loop {
            let line = self.reports.recv().await.unwrap();
            if line.starts_with("REPORT ") {
                return line;
            }
        }
    }
}

#[tokio::test]
async fn a_process_serves_invocations_with_lambdas_environment_and_reports_each() {
    let mut pool = Pool::start(2, Duration::from_secs(10));
    let echo = pool.echo(json!({"name": "world"})).await;
    assert_eq!(echo["event"], json!({"name": "world"}));
    assert_eq!(echo["function"], "hello");
    assert_eq!(echo["memory_size"], "256");
    assert_eq!(echo["deadline_header"], true);
    assert_eq!(echo["trace_id"], "Root=1-abc");
    let cold = pool.next_report().await;
    assert!(cold.starts_with("REPORT RequestId: "), "{cold}");
    assert!(cold.contains("\tInit Duration: "), "{cold}");
    assert!(cold.contains("\tMemory Size: 256 MB\t"), "{cold}");
    assert!(cold.ends_with("\tFunction: hello"), "{cold}");
    assert!(stand_in::max_memory_used_mb(&cold) > 0);

    let again = pool.echo(json!({})).await;
    assert_eq!(again["pid"], echo["pid"], "the warm process is reused");
    let warm = pool.next_report().await;
    assert!(!warm.contains("Init Duration"), "{warm}");
    pool.pool.shutdown().await;
}

#[tokio::test]
async fn invocations_beyond_the_limit_wait_for_a_process() {
    let pool = Pool::start(1, Duration::from_secs(10));
    let (first, second) = tokio::join!(pool.echo(json!({"n": 1})), pool.echo(json!({"n": 2})));
    assert_eq!(
        first["pid"], second["pid"],
        "one process served both in turn"
    );
    pool.pool.shutdown().await;
}

#[tokio::test]
async fn errors_bad_results_and_crashes_fail_the_invocation_and_a_crashed_process_is_replaced() {
    let mut pool = Pool::start(2, Duration::from_secs(10));
    let first_pid = pool.echo(json!({})).await["pid"].clone();
    pool.next_report().await;

    match pool.misbehave("error").await {
        InvokeError::FunctionError(document) => assert!(document.contains("asked to fail")),
        other => panic!("expected a function error, got {other:?}"),
    }
    assert!(matches!(
        pool.misbehave("malformed").await,
        InvokeError::BadResult
    ));
    assert!(matches!(
        pool.misbehave("crash").await,
        InvokeError::Crashed(_)
    ));
    let crash_report = loop {
        let report = pool.next_report().await;
        if report.contains("Status: error") {
            break report;
        }
    };
    assert!(
        crash_report.contains("Error Type: Runtime.ExitError"),
        "{crash_report}"
    );

    let after = pool.echo(json!({})).await;
    assert_ne!(
        after["pid"], first_pid,
        "a new process replaced the crashed one"
    );
    pool.pool.shutdown().await;
}

#[tokio::test]
async fn a_function_past_its_timeout_is_killed_and_replaced() {
    let mut pool = Pool::start(1, Duration::from_millis(300));
    let before = pool.echo(json!({})).await["pid"].clone();
    pool.next_report().await;
    assert!(matches!(pool.misbehave("hang").await, InvokeError::Timeout));
    let note = pool.reports.recv().await.unwrap();
    assert!(
        note.ends_with(" Task timed out after 0.30 seconds"),
        "{note}"
    );
    let report = pool.next_report().await;
    assert!(report.contains("\tStatus: timeout\t"), "{report}");
    assert_ne!(pool.echo(json!({})).await["pid"], before);
    pool.pool.shutdown().await;
}

#[tokio::test]
async fn unknown_functions_and_missing_binaries_are_errors() {
    let pool = Pool::start(1, Duration::from_secs(10));
    assert!(matches!(
        pool.pool.invoke("nobody", json!({}), "").await,
        Err(InvokeError::UnknownFunction(name)) if name == "nobody"
    ));
    let sink: ReportSink = Arc::new(|_: &str| {});
    let missing = ProcessPool::new(
        ["absent"],
        ProcessConfig {
            functions_dir: functions_dir(&[]),
            ..ProcessConfig::default()
        },
        sink,
    );
    assert!(missing.binaries().iter().all(|binary| !binary.is_file()));
    assert!(matches!(
        missing.invoke("absent", json!({}), "").await,
        Err(InvokeError::Spawn { .. })
    ));
}
