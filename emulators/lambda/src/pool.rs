//! The processes of every function: each serves one invocation at a time through its own
//! Runtime API; more start on demand up to a per-function limit, a timed-out or crashed one is
//! replaced, and every invocation writes a REPORT line.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::config::ProcessConfig;
use crate::cpu_model::{CpuGroups, CpuModelStatus};
use crate::error::InvokeError;
use crate::report::{self, Ending, Report};
use crate::runtime_api::{Invocation, Outcome};
use crate::worker::Worker;
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
            let workers: Vec<Arc<Worker>> = lock(&pool.all).drain(..).collect();
            lock(&pool.idle).clear();
            for worker in workers {
                worker.stop().await;
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
    idle: Mutex<Vec<Arc<Worker>>>,
    all: Mutex<Vec<Arc<Worker>>>,
}

impl FunctionPool {
    async fn invoke(&self, event: Value, trace_id: &str) -> Result<Value, InvokeError> {
        // Invocations beyond the limit wait for a process rather than failing.
        let permit: OwnedSemaphorePermit = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| InvokeError::Crashed("the pool is stopping".to_owned()))?;
        let worker = self.take_worker().await?;
        let cold = worker.invocations.fetch_add(1, Ordering::SeqCst) == 0;
        let request_id = uuid::Uuid::new_v4().to_string();
        let (reply, outcome) = oneshot::channel();
        let invocation = Invocation {
            request_id: request_id.clone(),
            event,
            deadline: SystemTime::now() + self.config.timeout,
            trace_id: trace_id.to_owned(),
            reply,
        };
        if worker.mailbox.send(invocation).await.is_err() {
            self.retire(&worker).await;
            return Err(InvokeError::Crashed("the process is gone".to_owned()));
        }
        let outcome = await_outcome(&worker, outcome, self.config.timeout).await;
        self.report(&request_id, &worker, cold, &outcome);
        let result = self.result(worker, outcome).await;
        drop(permit);
        result
    }

    /// The invocation's result from its outcome; a process that failed is retired, one that
    /// answered goes back to the idle list.
    async fn result(
        &self,
        worker: Arc<Worker>,
        outcome: Result<Outcome, InvokeError>,
    ) -> Result<Value, InvokeError> {
        match outcome {
            Ok(Outcome::Response { body, .. }) => {
                self.release(worker);
                serde_json::from_slice(&body).map_err(|_| InvokeError::BadResult)
            }
            Ok(Outcome::Error { body, .. }) => {
                self.release(worker);
                Err(InvokeError::FunctionError(
                    String::from_utf8_lossy(&body).into_owned(),
                ))
            }
            Err(error) => {
                self.retire(&worker).await;
                Err(error)
            }
        }
    }

    async fn take_worker(&self) -> Result<Arc<Worker>, InvokeError> {
        loop {
            let next_idle = lock(&self.idle).pop();
            match next_idle {
                Some(worker) if worker.channel.is_broken() => self.retire(&worker).await,
                Some(worker) => return Ok(worker),
                None => break,
            }
        }
        let unplaced = |error: std::io::Error| {
            if !self.cpu_unplaced.swap(true, Ordering::Relaxed) {
                (self.reports)(&format!(
                    "lambda-emulator: a process of {} could not be placed in its CPU group ({error}): it runs unthrottled (said once)",
                    self.name
                ));
            }
        };
        let worker = Worker::spawn(
            &self.name,
            &self.binary,
            &self.config,
            self.cpu_groups.as_deref(),
            &unplaced,
        )
        .await?;
        let worker = Arc::new(worker);
        lock(&self.all).push(Arc::clone(&worker));
        Ok(worker)
    }

    fn release(&self, worker: Arc<Worker>) {
        if worker.channel.is_broken() {
            return;
        }
        lock(&self.idle).push(worker);
    }

    async fn retire(&self, worker: &Arc<Worker>) {
        lock(&self.all).retain(|w| !Arc::ptr_eq(w, worker));
        worker.stop().await;
    }

    fn report(
        &self,
        request_id: &str,
        worker: &Worker,
        cold: bool,
        outcome: &Result<Outcome, InvokeError>,
    ) {
        let (duration, ending) = match outcome {
            Ok(Outcome::Response { duration, .. } | Outcome::Error { duration, .. }) => {
                (*duration, Ending::Answered)
            }
            Err(error) => {
                let running_for = worker
                    .channel
                    .delivered_at()
                    .map_or(Duration::ZERO, |at| at.elapsed());
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
            init: worker.channel.init_duration().filter(|_| cold),
            memory_size_mb: self.config.memory_size_mb,
            max_memory_used_mb: worker.max_memory_used_mb(),
            ending,
        }
        .line();
        (self.reports)(&line);
    }
}

/// Lambda's limit for a process to start and poll for its first event.
const INIT_ALLOWANCE: Duration = Duration::from_secs(10);

/// Waits for the outcome of an invocation posted to `worker`: the process has
/// [`INIT_ALLOWANCE`] to take the event, then `timeout` from that moment to answer, as the
/// function timeout counts on Lambda; a process that exits or fails to start is a crash.
async fn await_outcome(
    worker: &Worker,
    outcome: oneshot::Receiver<Outcome>,
    timeout: Duration,
) -> Result<Outcome, InvokeError> {
    let crashed = || InvokeError::Crashed(worker.exit_reason());
    tokio::pin!(outcome);
    let delivered_at = tokio::select! {
        result = &mut outcome => return result.map_err(|_| crashed()),
        () = worker.channel.wait_broken() => return Err(crashed()),
        at = worker.channel.wait_delivered() => at,
        () = tokio::time::sleep(INIT_ALLOWANCE) => return Err(InvokeError::Timeout),
    };
    tokio::select! {
        result = &mut outcome => result.map_err(|_| crashed()),
        () = worker.channel.wait_broken() => Err(crashed()),
        () = tokio::time::sleep_until((delivered_at + timeout).into()) => Err(InvokeError::Timeout),
    }
}
