//! One function process as Lambda runs an execution environment: its child process with
//! Lambda's environment, the Runtime API it polls, its CPU group under the CPU model, and one
//! invocation at a time with Lambda's init allowance and function timeout. The pool keeps many
//! of these; the bench starts them one by one, the same way.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use tokio::sync::{mpsc, oneshot};

use crate::cpu_model::{CpuGroup, CpuGroups, Throttling};
use crate::error::InvokeError;
use crate::runtime_api::{self, Invocation, Outcome, RuntimeChannel};
use crate::{function_environment, lock, peak_rss_kib};

/// Lambda's limit for a process to start and poll for its first event.
const INIT_ALLOWANCE: Duration = Duration::from_secs(10);
/// How many of its last stdout lines a process started with [`Output::KeepLastLines`] keeps.
const KEPT_LINES: usize = 20;

/// Where a function process's stdout goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// To this process's stdout, as the stage shows its functions' logs.
    Inherit,
    /// Through a pipe, as Lambda's log pipeline reads it, keeping the last lines for a report
    /// when the process fails (a bench's measurements should not print every log line).
    KeepLastLines,
}

/// What a function process is: its name, binary, memory size and extra environment.
#[derive(Debug, Clone, Copy)]
pub struct ProcessSpec<'a> {
    /// The function's name (`AWS_LAMBDA_FUNCTION_NAME`, and its CPU group's).
    pub name: &'a str,
    /// The executable.
    pub binary: &'a Path,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`; under the CPU model it buys the process's CPU share.
    pub memory_size_mb: u32,
    /// Variables beyond Lambda's own (configuration, endpoints, credentials).
    pub environment: &'a [(String, String)],
    /// Where its stdout goes.
    pub output: Output,
}

/// One invocation's end, as a `REPORT` line needs it.
#[derive(Debug)]
pub struct Invoked {
    /// Lambda's request id for it.
    pub request_id: String,
    /// Whether it was the process's first (its cold start).
    pub cold: bool,
    /// What the process answered, or why it did not.
    pub outcome: Result<Outcome, InvokeError>,
}

/// A running function process and the Runtime API it polls.
#[derive(Debug)]
pub struct FunctionProcess {
    pid: Option<u32>,
    /// When the process was started (just before it was spawned).
    started: Instant,
    channel: Arc<RuntimeChannel>,
    channel_created: Instant,
    mailbox: mpsc::Sender<Invocation>,
    /// Invocations so far; the first is the cold start.
    invocations: AtomicU64,
    /// Why the process runs unthrottled though a CPU model was asked for.
    unplaced: Option<String>,
    /// Its CPU group's `cpu.stat`, under the CPU model.
    cpu_stat: Option<PathBuf>,
    last_lines: Arc<Mutex<VecDeque<String>>>,
    drained: Mutex<Option<tokio::task::JoinHandle<()>>>,
    kill: Mutex<Option<oneshot::Sender<()>>>,
    exited: Mutex<Option<oneshot::Receiver<String>>>,
    exit_reason: Mutex<Option<String>>,
    server: tokio::task::JoinHandle<()>,
}

impl FunctionProcess {
    /// Starts the process with its own Runtime API; it initialises and polls in the background.
    /// With `cpu_groups`, the process is moved into a CPU group of its own right after it
    /// starts; where that fails, it runs unthrottled and [`Self::unplaced`] says why.
    pub async fn spawn(
        spec: &ProcessSpec<'_>,
        cpu_groups: Option<&CpuGroups>,
    ) -> Result<Self, InvokeError> {
        let channel_created = Instant::now();
        let (channel, mailbox) = RuntimeChannel::new(spec.name, channel_created);
        let spawn_error = |source| InvokeError::Spawn {
            binary: spec.binary.to_owned(),
            source,
        };
        let (address, server) = runtime_api::serve(Arc::clone(&channel))
            .await
            .map_err(spawn_error)?;
        let mut command = Command::new(spec.binary);
        command
            .env_clear()
            .envs(function_environment(
                spec.name,
                spec.memory_size_mb,
                &address.to_string(),
            ))
            .envs(spec.environment.iter().cloned())
            .stdin(Stdio::null())
            .stdout(match spec.output {
                Output::Inherit => Stdio::inherit(),
                Output::KeepLastLines => Stdio::piped(),
            })
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                server.abort();
                return Err(spawn_error(error));
            }
        };
        let pid = child.id();
        // Placed at once: the process runs unthrottled only for the moments before this.
        let (cpu_group, unplaced): (Option<CpuGroup>, _) = match (cpu_groups, pid) {
            (Some(groups), Some(pid)) => match groups.place(spec.name, pid, spec.memory_size_mb) {
                Ok(group) => (Some(group), None),
                Err(error) => (None, Some(error.to_string())),
            },
            _ => (None, None),
        };
        let cpu_stat = cpu_group.as_ref().map(CpuGroup::stat_path);
        let last_lines = Arc::new(Mutex::new(VecDeque::new()));
        let drained = child
            .stdout
            .take()
            .map(|stdout| tokio::spawn(keep_last_lines(stdout, Arc::clone(&last_lines))));
        let (kill, killed) = oneshot::channel();
        let (exit_sender, exited) = oneshot::channel();
        tokio::spawn(watch_process(
            child,
            killed,
            exit_sender,
            Arc::clone(&channel),
            cpu_group,
        ));
        Ok(Self {
            pid,
            started,
            channel,
            channel_created,
            mailbox,
            invocations: AtomicU64::new(0),
            unplaced,
            cpu_stat,
            last_lines,
            drained: Mutex::new(drained),
            kill: Mutex::new(Some(kill)),
            exited: Mutex::new(Some(exited)),
            exit_reason: Mutex::new(None),
            server,
        })
    }

    /// Runs one invocation: the process has Lambda's init allowance to take the event, then
    /// `timeout` from that moment to answer, as the function timeout counts on Lambda. A
    /// process that exits or fails its init first is a crash.
    pub async fn invoke(&self, event: Value, trace_id: String, timeout: Duration) -> Invoked {
        let cold = self.invocations.fetch_add(1, Ordering::SeqCst) == 0;
        let request_id = uuid::Uuid::new_v4().to_string();
        let (reply, outcome) = oneshot::channel();
        let invocation = Invocation {
            request_id: request_id.clone(),
            event,
            deadline: SystemTime::now() + timeout,
            trace_id,
            reply,
        };
        let outcome = if self.mailbox.send(invocation).await.is_err() {
            Err(InvokeError::Crashed("the process is gone".to_owned()))
        } else {
            self.await_outcome(outcome, timeout).await
        };
        Invoked {
            request_id,
            cold,
            outcome,
        }
    }

    async fn await_outcome(
        &self,
        outcome: oneshot::Receiver<Outcome>,
        timeout: Duration,
    ) -> Result<Outcome, InvokeError> {
        let crashed = || InvokeError::Crashed(self.exit_reason());
        tokio::pin!(outcome);
        let delivered_at = tokio::select! {
            result = &mut outcome => return result.map_err(|_| crashed()),
            () = self.channel.wait_broken() => return Err(crashed()),
            at = self.channel.wait_delivered() => at,
            () = tokio::time::sleep(INIT_ALLOWANCE) => return Err(InvokeError::Timeout),
        };
        tokio::select! {
            result = &mut outcome => result.map_err(|_| crashed()),
            () = self.channel.wait_broken() => Err(crashed()),
            () = tokio::time::sleep_until((delivered_at + timeout).into()) => Err(InvokeError::Timeout),
        }
    }

    /// When the process was started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// From process start to its first poll for an event (Lambda's Init Duration), once it has
    /// polled.
    pub fn init_duration(&self) -> Option<Duration> {
        let since_channel = self.channel.init_duration()?;
        Some((self.channel_created + since_channel).saturating_duration_since(self.started))
    }

    /// How long the invocation in hand has run, if one has been handed out.
    pub fn running_for(&self) -> Option<Duration> {
        self.channel.delivered_at().map(|at| at.elapsed())
    }

    /// Whether the process can take another invocation (it has not exited, failed its init or
    /// been stopped).
    pub fn is_usable(&self) -> bool {
        !self.channel.is_broken()
    }

    /// Why the process runs unthrottled though CPU groups were given (it could not be placed).
    pub fn unplaced(&self) -> Option<&str> {
        self.unplaced.as_deref()
    }

    /// How often its CPU group's quota has held the process back so far; `None` when it runs
    /// unthrottled (no CPU model) or the kernel does not say.
    pub fn throttling(&self) -> Option<Throttling> {
        Throttling::read(self.cpu_stat.as_deref()?)
    }

    /// The process id, while the process runs.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The process's peak resident memory (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        peak_rss_kib(self.pid?)
    }

    /// The last lines the process wrote to stdout ([`Output::KeepLastLines`] only).
    pub fn last_lines(&self) -> Vec<String> {
        lock(&self.last_lines).iter().cloned().collect()
    }

    /// Why the process is gone: its init error, how it exited, or that it exited.
    pub fn exit_reason(&self) -> String {
        self.channel
            .init_error()
            .map(|e| format!("init error: {e}"))
            .or_else(|| lock(&self.exit_reason).clone())
            .unwrap_or_else(|| "the process exited".to_owned())
    }

    /// Kills the process (if still running), waits for it, stops its Runtime API and reads
    /// the rest of its output.
    pub async fn stop(&self) {
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
        let drained = lock(&self.drained).take();
        if let Some(drained) = drained {
            // The pipe closes with the process; a grandchild holding it open is not waited for.
            let _ = tokio::time::timeout(Duration::from_secs(1), drained).await;
        }
    }
}

async fn watch_process(
    mut child: Child,
    killed: oneshot::Receiver<()>,
    exit_sender: oneshot::Sender<String>,
    channel: Arc<RuntimeChannel>,
    cpu_group: Option<CpuGroup>,
) {
    let reason = tokio::select! {
        status = child.wait() => match status {
            Ok(status) => format!("Runtime exited with {status}"),
            Err(error) => format!("could not wait for the process: {error}"),
        },
        // Asked to stop, or the process handle was dropped: either way the process must go.
        _ = killed => {
            let _ = child.kill().await;
            "killed".to_owned()
        }
    };
    channel.mark_broken();
    // Before reporting the exit, so a pool that has shut down leaves no group behind.
    if let Some(group) = cpu_group {
        // A group that cannot be removed is empty and harmless; the next emulator removes it.
        let _ = group.remove().await;
    }
    let _ = exit_sender.send(reason);
}

/// Reads the process's stdout to the end, keeping the last [`KEPT_LINES`] lines.
async fn keep_last_lines(stdout: ChildStdout, kept: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut kept = lock(&kept);
        if kept.len() == KEPT_LINES {
            kept.pop_front();
        }
        kept.push_back(line);
    }
}
