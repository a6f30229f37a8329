//! Process mode: each function runs as its real binary in child processes, each serving one
//! invocation at a time through its own Runtime API; more processes start on demand up to a
//! per-function limit, a timed-out or crashed process is replaced, and every invocation prints
//! a Lambda-style REPORT line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use crate::runtime_api::{self, Invocation, Outcome, RuntimeChannel};
use crate::sink::LineSink;

/// How function processes are started and limited.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    /// Where the function binaries are (`target/debug` or `target/release`); each is named
    /// after its routes.json `function`.
    pub functions_dir: PathBuf,
    /// How many processes one function may run at once (its concurrency).
    pub max_processes: usize,
    /// The function timeout: an invocation running longer is a failure and its process is
    /// killed and replaced.
    pub timeout: Duration,
    /// The configured memory size, reported in REPORT lines and the environment.
    pub memory_size_mb: u32,
    /// Extra environment for every process (table names, DynamoDB endpoint, region, ...).
    pub environment: Vec<(String, String)>,
}

impl Default for ProcessConfig {
    fn default() -> Self {
        Self {
            functions_dir: PathBuf::from("target/debug"),
            max_processes: 4,
            timeout: Duration::from_secs(10),
            memory_size_mb: 128,
            environment: Vec::new(),
        }
    }
}

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

/// The processes of every function.
#[derive(Debug)]
pub struct ProcessPool {
    functions: HashMap<String, Arc<FunctionPool>>,
}

impl ProcessPool {
    /// A pool for the named functions; no process starts until its first invocation.
    pub fn new<'a>(
        function_names: impl IntoIterator<Item = &'a str>,
        config: ProcessConfig,
        reports: LineSink,
    ) -> Self {
        let config = Arc::new(config);
        let functions = function_names
            .into_iter()
            .map(|name| {
                let pool = FunctionPool {
                    name: name.to_owned(),
                    binary: config.functions_dir.join(name),
                    config: Arc::clone(&config),
                    reports: reports.clone(),
                    slots: Arc::new(Semaphore::new(config.max_processes.max(1))),
                    idle: Mutex::new(Vec::new()),
                    all: Mutex::new(Vec::new()),
                };
                (name.to_owned(), Arc::new(pool))
            })
            .collect();
        Self { functions }
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
        trace_id: String,
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

#[derive(Debug)]
struct FunctionPool {
    name: String,
    binary: PathBuf,
    config: Arc<ProcessConfig>,
    reports: LineSink,
    slots: Arc<Semaphore>,
    idle: Mutex<Vec<Arc<Worker>>>,
    all: Mutex<Vec<Arc<Worker>>>,
}

impl FunctionPool {
    async fn invoke(&self, event: Value, trace_id: String) -> Result<Value, InvokeError> {
        // Invocations beyond the limit wait for a process rather than failing.
        let permit: OwnedSemaphorePermit = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| InvokeError::Crashed("the stage is stopping".to_owned()))?;
        let worker = self.take_worker().await?;
        let cold = worker.invocations.fetch_add(1, Ordering::SeqCst) == 0;
        let request_id = uuid::Uuid::new_v4().to_string();
        let (reply, outcome) = oneshot::channel();
        let deadline = SystemTime::now() + self.config.timeout;
        let invocation = Invocation {
            request_id: request_id.clone(),
            event,
            deadline,
            trace_id,
            reply,
        };
        if worker.mailbox.send(invocation).await.is_err() {
            self.retire(&worker).await;
            return Err(InvokeError::Crashed("the process is gone".to_owned()));
        }
        let result = await_outcome(&worker, outcome, self.config.timeout).await;
        let duration = match &result {
            Ok(Outcome::Response { duration, .. } | Outcome::Error { duration, .. }) => *duration,
            Err(_) => worker
                .channel
                .delivered_at()
                .map_or(Duration::ZERO, |at| at.elapsed()),
        };
        self.report(&request_id, &worker, cold, duration, &result);
        let value = match result {
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
        };
        drop(permit);
        value
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
        let worker = Arc::new(Worker::spawn(&self.name, &self.binary, &self.config).await?);
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
        duration: Duration,
        result: &Result<Outcome, InvokeError>,
    ) {
        if matches!(result, Err(InvokeError::Timeout)) {
            self.reports.write(&format!(
                "{} Task timed out after {:.2} seconds",
                request_id,
                self.config.timeout.as_secs_f64()
            ));
        }
        let init = worker.channel.init_duration().filter(|_| cold);
        let duration_ms = duration.as_secs_f64() * 1000.0;
        let billed = (duration_ms + init.map_or(0.0, |d| d.as_secs_f64() * 1000.0))
            .ceil()
            .max(1.0);
        let mut line = format!(
            "REPORT RequestId: {request_id}\tDuration: {duration_ms:.2} ms\tBilled Duration: {billed:.0} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            self.config.memory_size_mb,
            worker.max_memory_used_mb().map_or_else(|| "-".to_owned(), |mb| mb.to_string()),
        );
        if let Some(init) = init {
            line.push_str(&format!(
                "\tInit Duration: {:.2} ms",
                init.as_secs_f64() * 1000.0
            ));
        }
        // Lambda's own fields first, then the function: a local stage interleaves all functions
        // in one output, where CloudWatch would keep them in separate log groups.
        match result {
            Err(InvokeError::Timeout) => line.push_str("\tStatus: timeout"),
            Err(_) => line.push_str("\tStatus: error\tError Type: Runtime.ExitError"),
            Ok(_) => {}
        }
        line.push_str(&format!("\tFunction: {}", self.name));
        self.reports.write(&line);
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

/// One function process and the Runtime API it polls.
#[derive(Debug)]
struct Worker {
    pid: Option<u32>,
    channel: Arc<RuntimeChannel>,
    mailbox: mpsc::Sender<Invocation>,
    invocations: AtomicU64,
    kill: Mutex<Option<oneshot::Sender<()>>>,
    exited: Mutex<Option<oneshot::Receiver<String>>>,
    exit_reason: Mutex<Option<String>>,
    server: tokio::task::JoinHandle<()>,
}

impl Worker {
    async fn spawn(name: &str, binary: &Path, config: &ProcessConfig) -> Result<Self, InvokeError> {
        let spawned_at = std::time::Instant::now();
        let (channel, mailbox) = RuntimeChannel::new(name, spawned_at);
        let spawn_error = |source| InvokeError::Spawn {
            binary: binary.to_owned(),
            source,
        };
        let (address, server) = runtime_api::serve(Arc::clone(&channel))
            .await
            .map_err(spawn_error)?;
        let mut command = Command::new(binary);
        command
            .env_clear()
            .envs(lambda_environment(name, config, &address.to_string()))
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                server.abort();
                return Err(spawn_error(error));
            }
        };
        let pid = child.id();
        let (kill, killed) = oneshot::channel();
        let (exit_sender, exited) = oneshot::channel();
        tokio::spawn(watch_process(
            child,
            killed,
            exit_sender,
            Arc::clone(&channel),
        ));
        Ok(Self {
            pid,
            channel,
            mailbox,
            invocations: AtomicU64::new(0),
            kill: Mutex::new(Some(kill)),
            exited: Mutex::new(Some(exited)),
            exit_reason: Mutex::new(None),
            server,
        })
    }

    /// Kills the process (if still running), waits for it and stops its Runtime API.
    async fn stop(&self) {
        if let Some(kill) = lock(&self.kill).take() {
            let _ = kill.send(());
        }
        let exited = lock(&self.exited).take();
        if let Some(exited) = exited {
            if let Ok(reason) = exited.await {
                *lock(&self.exit_reason) = Some(reason);
            }
        }
        self.server.abort();
    }

    fn exit_reason(&self) -> String {
        self.channel
            .init_error()
            .map(|e| format!("init error: {e}"))
            .or_else(|| lock(&self.exit_reason).clone())
            .unwrap_or_else(|| "the process exited".to_owned())
    }

    /// The process's peak resident memory (VmHWM), in MB as Lambda reports it.
    fn max_memory_used_mb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid?)).ok()?;
        let kilobytes: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kilobytes.div_ceil(1024))
    }
}

async fn watch_process(
    mut child: Child,
    killed: oneshot::Receiver<()>,
    exit_sender: oneshot::Sender<String>,
    channel: Arc<RuntimeChannel>,
) {
    let reason = tokio::select! {
        status = child.wait() => match status {
            Ok(status) => format!("Runtime exited with {status}"),
            Err(error) => format!("could not wait for the process: {error}"),
        },
        // Asked to stop, or the worker was dropped: either way the process must go.
        _ = killed => {
            let _ = child.kill().await;
            "killed by the stage".to_owned()
        }
    };
    channel.mark_broken();
    let _ = exit_sender.send(reason);
}

/// The environment Lambda gives a function process, plus the configured extras.
fn lambda_environment(
    name: &str,
    config: &ProcessConfig,
    runtime_api: &str,
) -> Vec<(String, String)> {
    let mut environment: Vec<(String, String)> = [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            config.memory_size_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            format!("local/[$LATEST]{}", uuid::Uuid::new_v4().simple()),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".to_owned()),
        ("AWS_REGION", runtime_api::region()),
        ("AWS_DEFAULT_REGION", runtime_api::region()),
        ("TZ", ":UTC".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    environment.extend(config.environment.iter().cloned());
    environment
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded lists stay consistent across a panic elsewhere; keep serving.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
