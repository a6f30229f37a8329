//! The processes of every function: each serves one invocation at a time through its own
//! Runtime API; more start on demand up to a per-function limit, a timed-out or crashed one is
//! replaced, and every invocation writes a REPORT line.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::ProcessConfig;
use crate::cpu_model::{CpuGroups, CpuModelStatus};
use crate::error::InvokeError;
use crate::process::{FunctionProcess, Invoked, Output, ProcessSpec};
use crate::report::{self, Ending, Report};
use crate::runtime_api::Outcome;
use crate::{lock, ReportSink};

/// The processes of every function.
pub struct ProcessPool {
    functions: HashMap<String, Arc<FunctionPool>>,
    cpu_model: CpuModelStatus,
}

impl std::fmt::Debug for ProcessPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessPool")
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .field("cpu_model", &self.cpu_model)
            .finish()
    }
}

impl ProcessPool {
    /// A pool for the named functions; no process starts until its first invocation. With a
    /// CPU model, whether it is in force (or why not) is written to `reports` once, here.
    pub fn new<'a>(
        function_names: impl IntoIterator<Item = &'a str>,
        config: ProcessConfig,
        reports: ReportSink,
    ) -> Self {
        let (cpu_groups, cpu_model) = CpuGroups::probe(config.cpu_model);
        if cpu_model != CpuModelStatus::Off {
            reports(&format!(
                "lambda-emulator: {}",
                cpu_model.describe(config.memory_size_mb)
            ));
        }
        let cpu_groups = cpu_groups.map(Arc::new);
        let cpu_unplaced = Arc::new(AtomicBool::new(false));
        let config = Arc::new(config);
        let functions = function_names
            .into_iter()
            .map(|name| {
                let pool = FunctionPool {
                    name: name.to_owned(),
                    binary: config.functions_dir.join(name),
                    config: Arc::clone(&config),
                    reports: Arc::clone(&reports),
                    cpu_groups: cpu_groups.clone(),
                    cpu_unplaced: Arc::clone(&cpu_unplaced),
                    slots: Arc::new(Semaphore::new(config.max_processes.max(1))),
                    idle: Mutex::new(Vec::new()),
                    all: Mutex::new(Vec::new()),
                };
                (name.to_owned(), Arc::new(pool))
            })
            .collect();
        Self {
            functions,
            cpu_model,
        }
    }

    /// Whether processes run in Lambda's CPU share, as found when the pool was made. A process
    /// that could not be placed in its group after that runs unthrottled (the reports say so
    /// once).
    pub fn cpu_model_status(&self) -> &CpuModelStatus {
        &self.cpu_model
    }

    /// The binaries the pool will start, for checking before serving.
    pub fn binaries(&self) -> Vec<PathBuf> {
        self.functions.values().map(|f| f.binary.clone()).collect()
    }

    /// Runs one invocation of `function` with `event` and returns its result.
    pub async fn invoke(
        &self,
        function: &str,
        event: Value,
        trace_id: &str,
    ) -> Result<Value, InvokeError> {
        let pool = self
            .functions
            .get(function)
            .ok_or_else(|| InvokeError::UnknownFunction(function.to_owned()))?;
        pool.invoke(event, trace_id).await
    }

    /// Kills every process and waits for them to exit.
    pub async fn shutdown(&self) {
        for pool in self.functions.values() {
            let processes: Vec<Arc<FunctionProcess>> = lock(&pool.all).drain(..).collect();
            lock(&pool.idle).clear();
            for process in processes {
                process.stop().await;
            }
        }
    }
}

struct FunctionPool {
    name: String,
    binary: PathBuf,
    config: Arc<ProcessConfig>,
    reports: ReportSink,
    cpu_groups: Option<Arc<CpuGroups>>,
    /// Set once a process could not be placed in its CPU group (said once per pool).
    cpu_unplaced: Arc<AtomicBool>,
    slots: Arc<Semaphore>,
    idle: Mutex<Vec<Arc<FunctionProcess>>>,
    all: Mutex<Vec<Arc<FunctionProcess>>>,
}

impl FunctionPool {
    async fn invoke(&self, event: Value, trace_id: &str) -> Result<Value, InvokeError> {
        // Invocations beyond the limit wait for a process rather than failing.
        let permit: OwnedSemaphorePermit = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| InvokeError::Crashed("the pool is stopping".to_owned()))?;
        let process = self.take_process().await?;
        let Invoked {
            request_id,
            cold,
            outcome,
        } = process
            .invoke(event, trace_id.to_owned(), self.config.timeout)
            .await;
        self.report(&request_id, &process, cold, &outcome);
        let result = self.result(process, outcome).await;
        drop(permit);
        result
    }

    /// The invocation's result from its outcome; a process that failed is retired, one that
    /// answered goes back to the idle list.
    async fn result(
        &self,
        process: Arc<FunctionProcess>,
        outcome: Result<Outcome, InvokeError>,
    ) -> Result<Value, InvokeError> {
        match outcome {
            Ok(Outcome::Response { body, .. }) => {
                self.release(process);
                serde_json::from_slice(&body).map_err(|_| InvokeError::BadResult)
            }
            Ok(Outcome::Error { body, .. }) => {
                self.release(process);
                Err(InvokeError::FunctionError(
                    String::from_utf8_lossy(&body).into_owned(),
                ))
            }
            Err(error) => {
                self.retire(&process).await;
                Err(error)
            }
        }
    }

    async fn take_process(&self) -> Result<Arc<FunctionProcess>, InvokeError> {
        loop {
            let next_idle = lock(&self.idle).pop();
            match next_idle {
                Some(process) if !process.is_usable() => self.retire(&process).await,
                Some(process) => return Ok(process),
                None => break,
            }
        }
        let spec = ProcessSpec {
            name: &self.name,
            binary: &self.binary,
            memory_size_mb: self.config.memory_size_mb,
            environment: &self.config.environment,
            output: Output::Inherit,
        };
        let process = FunctionProcess::spawn(&spec, self.cpu_groups.as_deref()).await?;
        if let Some(error) = process.unplaced() {
            if !self.cpu_unplaced.swap(true, Ordering::Relaxed) {
                (self.reports)(&format!(
                    "lambda-emulator: a process of {} could not be placed in its CPU group ({error}): it runs unthrottled (said once)",
                    self.name
                ));
            }
        }
        let process = Arc::new(process);
        lock(&self.all).push(Arc::clone(&process));
        Ok(process)
    }

    fn release(&self, process: Arc<FunctionProcess>) {
        if process.is_usable() {
            lock(&self.idle).push(process);
        }
    }

    async fn retire(&self, process: &Arc<FunctionProcess>) {
        lock(&self.all).retain(|p| !Arc::ptr_eq(p, process));
        process.stop().await;
    }

    fn report(
        &self,
        request_id: &str,
        process: &FunctionProcess,
        cold: bool,
        outcome: &Result<Outcome, InvokeError>,
    ) {
        let (duration, ending) = match outcome {
            Ok(Outcome::Response { duration, .. } | Outcome::Error { duration, .. }) => {
                (*duration, Ending::Answered)
            }
            Err(error) => {
                let running_for = process.running_for().unwrap_or(Duration::ZERO);
                let ending = match error {
                    InvokeError::Timeout => Ending::Timeout,
                    _ => Ending::Crashed,
                };
                (running_for, ending)
            }
        };
        if ending == Ending::Timeout {
            (self.reports)(&report::timeout_line(request_id, self.config.timeout));
        }
        let line = Report {
            request_id,
            function: &self.name,
            duration,
            init: process.init_duration().filter(|_| cold),
            memory_size_mb: self.config.memory_size_mb,
            max_memory_used_mb: process.peak_rss_kib().map(|kib| kib.div_ceil(1024)),
            ending,
        }
        .line();
        (self.reports)(&line);
    }
}
