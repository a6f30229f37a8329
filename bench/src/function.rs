//! One function process behind the local stage's Lambda Runtime API, timed as Lambda times it:
//! Init Duration from process start to its first poll for an event, Duration from handing out
//! an event to receiving its response. Under Lambda's CPU model each process is placed in the
//! Lambda emulator's CPU group for its memory size right after it starts, as the emulator's
//! own worker does.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use lambda_emulator::cpu_model::{CpuGroup, CpuGroups};
use lambda_emulator::runtime_api::{self, Invocation, Outcome, RuntimeChannel};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::BoxError;

/// How long a function may take for one event before the bench gives up (Lambda's timeout in
/// the deployed stage).
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);
/// The memory size a function has unless the bench tries another (Lambda's default, and what
/// the Terraform configures).
pub(crate) const FUNCTION_MEMORY_MB: u32 = 128;

/// How a function process is started: its binary and the environment beyond the Runtime API.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    /// The function's name (its routes.json `function`).
    pub name: String,
    /// The release binary.
    pub binary: PathBuf,
    /// Table names, DynamoDB endpoint, credentials.
    pub environment: Vec<(String, String)>,
    /// The memory size the process is told it has and, under the CPU model, buys its CPU share.
    pub memory_size_mb: u32,
    /// The CPU groups holding each process to Lambda's share; `None`: it runs unthrottled.
    pub cpu_groups: Option<Arc<CpuGroups>>,
    /// Whether each invocation's trace header is sampled (with a daemon address in the
    /// environment, the function then sends its traces); otherwise it is not.
    pub sampled_traces: bool,
}

impl Launch {
    /// The same function at `memory_size_mb`.
    pub(crate) fn at_memory(&self, memory_size_mb: u32) -> Self {
        Self {
            memory_size_mb,
            ..self.clone()
        }
    }

    /// The same function sending its traces to the X-Ray daemon at `daemon` (`host:port`),
    /// every invocation sampled.
    pub(crate) fn traced(&self, daemon: &str) -> Self {
        let mut environment = self.environment.clone();
        environment.push(("AWS_XRAY_DAEMON_ADDRESS".to_owned(), daemon.to_owned()));
        Self {
            environment,
            sampled_traces: true,
            ..self.clone()
        }
    }

    /// The same function with the whole machine's CPU.
    pub(crate) fn unthrottled(&self) -> Self {
        Self {
            cpu_groups: None,
            ..self.clone()
        }
    }
}

/// One answered invocation.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The proxy response the function returned.
    pub response: Value,
    /// From handing out the event on `/next` to receiving `/response`: what Lambda bills.
    pub duration: Duration,
    /// When the response arrived.
    pub arrived_at: Instant,
}

/// A running function process.
pub(crate) struct FunctionProcess {
    name: String,
    child: Child,
    pid: Option<u32>,
    channel: Arc<RuntimeChannel>,
    channel_created: Instant,
    started: Instant,
    mailbox: mpsc::Sender<Invocation>,
    server: JoinHandle<()>,
    log: JoinHandle<Vec<String>>,
    cpu_group: Option<CpuGroup>,
    sampled_traces: bool,
}

impl FunctionProcess {
    /// Starts the process with its own Runtime API; it initialises and polls in the background.
    pub(crate) async fn start(launch: &Launch) -> Result<Self, BoxError> {
        let channel_created = Instant::now();
        let (channel, mailbox) = RuntimeChannel::new(&launch.name, channel_created);
        let (address, server) = runtime_api::serve(Arc::clone(&channel)).await?;
        let mut command = Command::new(&launch.binary);
        command
            .env_clear()
            .envs(lambda_emulator::function_environment(
                &launch.name,
                launch.memory_size_mb,
                &address.to_string(),
            ))
            .envs(launch.environment.iter().cloned())
            .stdin(Stdio::null())
            // Lambda's log pipeline reads stdout through a pipe; so does the bench.
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                server.abort();
                return Err(format!("could not start {}: {error}", launch.binary.display()).into());
            }
        };
        let pid = child.id();
        // Placed at once: the process runs unthrottled only for the moments before this.
        let cpu_group = match (&launch.cpu_groups, pid) {
            (Some(groups), Some(pid)) => {
                match groups.place(&launch.name, pid, launch.memory_size_mb) {
                    Ok(group) => Some(group),
                    Err(error) => {
                        let _ = child.kill().await;
                        server.abort();
                        return Err(format!(
                            "could not place {} in its CPU group: {error}",
                            launch.name
                        )
                        .into());
                    }
                }
            }
            _ => None,
        };
        let log = tokio::spawn(drain(child.stdout.take()));
        Ok(Self {
            name: launch.name.clone(),
            pid,
            child,
            channel,
            channel_created,
            started,
            mailbox,
            server,
            log,
            cpu_group,
            sampled_traces: launch.sampled_traces,
        })
    }

    /// When the process was started.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// From process start to its first poll for an event, once it has polled.
    pub(crate) fn init_duration(&self) -> Option<Duration> {
        let since_channel = self.channel.init_duration()?;
        Some((self.channel_created + since_channel).saturating_duration_since(self.started))
    }

    /// Sends one event and waits for the function's response.
    pub(crate) async fn invoke(&mut self, event: Value) -> Result<Answer, BoxError> {
        let (reply, outcome) = oneshot::channel();
        let invocation = Invocation {
            request_id: uuid::Uuid::new_v4().to_string(),
            event,
            deadline: SystemTime::now() + FUNCTION_TIMEOUT,
            trace_id: trace_header(self.sampled_traces),
            reply,
        };
        if self.mailbox.send(invocation).await.is_err() {
            return Err(self.failure("its Runtime API is gone").await);
        }
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(FUNCTION_TIMEOUT, outcome) => outcome,
            status = self.child.wait() => {
                let reason = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                return Err(self.failure(&format!("the process exited ({reason})")).await);
            }
        };
        let arrived_at = Instant::now();
        match outcome {
            Ok(Ok(Outcome::Response { body, duration })) => Ok(Answer {
                response: serde_json::from_slice(&body)?,
                duration,
                arrived_at,
            }),
            Ok(Ok(Outcome::Error { body, .. })) => Err(self
                .failure(&format!(
                    "the function returned an error: {}",
                    String::from_utf8_lossy(&body)
                ))
                .await),
            Ok(Err(_)) => Err(self.failure("the invocation was dropped").await),
            Err(_) => Err(self.failure("it timed out").await),
        }
    }

    /// The CPU time the process has used so far (user and system), to the nanosecond: the sum
    /// of each of its threads' run time as the scheduler keeps it (`/proc/<pid>/task/*/schedstat`).
    /// Falls back to the process's clock ticks of 10 ms (`/proc/<pid>/stat`), which at about
    /// 0.5 ms of CPU per request round a run of 1,000 requests to within 2 %. A function's
    /// threads live as long as it does, so no thread's time is lost by summing the live ones.
    pub(crate) fn cpu_time(&self) -> Option<Duration> {
        let pid = self.pid?;
        scheduler_run_time(pid).or_else(|| clock_ticks(pid))
    }

    /// The process's peak resident set (VmHWM), in KiB.
    pub(crate) fn peak_rss_kib(&self) -> Option<u64> {
        lambda_emulator::peak_rss_kib(self.pid?)
    }

    /// Kills the process and stops its Runtime API; returns the last lines it logged.
    pub(crate) async fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill().await;
        self.server.abort();
        self.remove_cpu_group().await;
        (&mut self.log).await.unwrap_or_default()
    }

    /// Removes the process's CPU group once it has exited (killed and waited for).
    async fn remove_cpu_group(&mut self) {
        if let Some(group) = self.cpu_group.take() {
            // An empty group that cannot be removed is harmless; the next probe removes it.
            let _ = group.remove().await;
        }
    }

    /// An error naming the function, with the last lines it logged; the process is stopped.
    async fn failure(&mut self, what: &str) -> BoxError {
        let _ = self.child.kill().await;
        self.server.abort();
        self.remove_cpu_group().await;
        let lines = (&mut self.log).await.unwrap_or_default();
        format!(
            "{}: {what}; its last log lines:\n{}",
            self.name,
            lines.join("\n")
        )
        .into()
    }
}

/// A trace header as Lambda gives an invocation: an X-Ray trace id (its first part the time),
/// a parent segment id and the sampling decision.
fn trace_header(sampled: bool) -> String {
    let seconds = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{seconds:08x}-{};Parent={};Sampled={}",
        &random[..24],
        &random[16..],
        u8::from(sampled)
    )
}

/// Reads the process's stdout to the end, keeping the last lines for error reports.
async fn drain(stdout: Option<tokio::process::ChildStdout>) -> Vec<String> {
    const KEEP: usize = 20;
    let mut kept = Vec::new();
    let Some(stdout) = stdout else {
        return kept;
    };
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if kept.len() == KEEP {
            kept.remove(0);
        }
        kept.push(line);
    }
    kept
}

/// The release binary of `function` in `dir`, if it is there.
pub(crate) fn binary(dir: &Path, function: &str) -> Result<PathBuf, BoxError> {
    let path = dir.join(function);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: build the functions first (cargo build --release)",
            path.display()
        )
        .into())
    }
}

/// The sum of the run time of every thread of `pid`, in nanoseconds (the first field of each
/// `/proc/<pid>/task/<tid>/schedstat`); `None` where the kernel does not keep it.
fn scheduler_run_time(pid: u32) -> Option<Duration> {
    let mut total: u64 = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let schedstat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// The process's user and system time from `/proc/<pid>/stat`, in clock ticks of 10 ms.
fn clock_ticks(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after its closing parenthesis are fixed:
    // state is field 3, utime 14 and stime 15.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux architecture Lambda runs.
    Some(Duration::from_millis(ticks * 10))
}
