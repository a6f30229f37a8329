//! Process mode: the real function binaries in the Lambda emulator's process pool, behind the
//! gateway's integration.

use std::sync::Arc;

use apigateway_emulator::{FunctionFailure, Integration, IntegrationFuture, LineSink};
use items_apigateway::AdapterConfig;
use items_dynamodb_streams::STREAM_FUNCTIONS;
use lambda_emulator::{InvokeError, ProcessConfig, ProcessPool, ReportSink};
use serde_json::Value;
use xray_emulator::XrayDaemon;

use crate::error::StageError;
use crate::events::EventLog;
use crate::routes;
use crate::store::{prepare_tables, StoreConfig, StoreError};

/// A pool for every function of routes.json (routes and, with `events`, the stream functions
/// publishing there), with the environment that reaches `store` (whose tables are created
/// first) and sends traces to `traces`, as Lambda's active tracing does; fails when a binary
/// is missing.
pub(crate) async fn function_processes(
    config: &ProcessConfig,
    store: &StoreConfig,
    events: Option<&EventLog>,
    traces: &XrayDaemon,
    reports: &LineSink,
) -> Result<Arc<ProcessPool>, StageError> {
    let mut functions: Vec<String> = routes::all().into_iter().map(|r| r.function).collect();
    let mut config = config.clone();
    config.environment.extend(traces.lambda_environment());
    if let Some(events) = events {
        functions.extend(STREAM_FUNCTIONS.iter().map(|s| s.function.to_owned()));
        config.environment.extend(events.process_environment());
    }
    // With the memory store the processes get no store settings: only functions that need no
    // store (as in tests of the stage itself) can work that way.
    if let StoreConfig::DynamoDb(dynamodb) = store {
        prepare_tables(dynamodb).await?;
        let adapter = AdapterConfig::from_env().map_err(StoreError::Config)?;
        config
            .environment
            .extend(dynamodb.process_environment(&adapter));
    }
    let pool = ProcessPool::new(
        functions.iter().map(String::as_str),
        config,
        report_sink(reports),
    );
    let missing: Vec<String> = pool
        .binaries()
        .into_iter()
        .filter(|binary| !binary.is_file())
        .map(|binary| binary.display().to_string())
        .collect();
    if !missing.is_empty() {
        return Err(StageError::MissingBinaries(missing));
    }
    Ok(Arc::new(pool))
}

/// `lines` as the Lambda emulator's sink for REPORT lines and its other reports.
pub(crate) fn report_sink(lines: &LineSink) -> ReportSink {
    let lines = lines.clone();
    Arc::new(move |line: &str| lines.write(line))
}

/// A failed invocation as API Gateway sees it: a timeout, or a function that failed.
pub(crate) fn function_failure(error: InvokeError) -> FunctionFailure {
    match error {
        // The pool's REPORT line already says so.
        InvokeError::Timeout => FunctionFailure::Timeout,
        other => FunctionFailure::Error(other.to_string()),
    }
}

/// The pool as the gateway's integration.
pub(crate) struct FunctionProcesses(pub(crate) Arc<ProcessPool>);

impl Integration for FunctionProcesses {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        event: Value,
        trace_id: &'a str,
    ) -> IntegrationFuture<'a> {
        Box::pin(async move {
            self.0
                .invoke(function, event, trace_id)
                .await
                .map_err(function_failure)
        })
    }
}
