//! One function process, started by the Lambda emulator as the stage's processes are, timed as
//! Lambda times it: Init Duration from process start to its first poll for an event, Duration
//! from handing out an event to receiving its response. Under Lambda's CPU model each process
//! is placed in the emulator's CPU group for its memory size right after it starts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lambda_emulator::cpu_model::{CpuGroups, Throttling};
use lambda_emulator::runtime_api::Outcome;
use lambda_emulator::{Output, ProcessSpec};
use serde_json::Value;
use xray_emulator::{new_segment_id, TraceHeader, TraceId};

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

/// A running function process: the Lambda emulator's, started as the stage starts one, its
/// stdout kept to its last lines.
pub(crate) struct FunctionProcess {
    name: String,
    process: lambda_emulator::FunctionProcess,
    sampled_traces: bool,
}

impl FunctionProcess {
    /// Starts the process with its own Runtime API; it initialises and polls in the background.
    /// Under the CPU model a process that cannot be placed in its group is an error: the
    /// bench's figures would not be what they say.
    pub(crate) async fn start(launch: &Launch) -> Result<Self, BoxError> {
        let spec = ProcessSpec {
            name: &launch.name,
            binary: &launch.binary,
            memory_size_mb: launch.memory_size_mb,
            environment: &launch.environment,
            output: Output::KeepLastLines,
        };
        let process =
            lambda_emulator::FunctionProcess::spawn(&spec, launch.cpu_groups.as_deref()).await?;
        if let Some(error) = process.unplaced() {
            let error = format!("could not place {} in its CPU group: {error}", launch.name);
            process.stop().await;
            return Err(error.into());
        }
        Ok(Self {
            name: launch.name.clone(),
            process,
            sampled_traces: launch.sampled_traces,
        })
    }

    /// When the process was started.
    pub(crate) fn started(&self) -> Instant {
        self.process.started()
    }

    /// From process start to its first poll for an event, once it has polled.
    pub(crate) fn init_duration(&self) -> Option<Duration> {
        self.process.init_duration()
    }

    /// Sends one event and waits for the function's response.
    pub(crate) async fn invoke(&mut self, event: Value) -> Result<Answer, BoxError> {
        let trace = TraceHeader {
            root: TraceId::generate(),
            parent: Some(new_segment_id()),
            sampled: Some(self.sampled_traces),
        };
        let invoked = self
            .process
            .invoke(event, trace.to_string(), FUNCTION_TIMEOUT)
            .await;
        let arrived_at = Instant::now();
        match invoked.outcome {
            Ok(Outcome::Response { body, duration }) => Ok(Answer {
                response: serde_json::from_slice(&body)?,
                duration,
                arrived_at,
            }),
            Ok(Outcome::Error { body, .. }) => Err(self
                .failure(&format!(
                    "the function returned an error: {}",
                    String::from_utf8_lossy(&body)
                ))
                .await),
            Err(error) => Err(self.failure(&error.to_string()).await),
        }
    }

    /// The CPU time the process has used so far (user and system), to the nanosecond: the sum
    /// of each of its threads' run time as the scheduler keeps it (`/proc/<pid>/task/*/schedstat`).
    /// Falls back to the process's clock ticks of 10 ms (`/proc/<pid>/stat`), which at about
    /// 0.5 ms of CPU per request round a run of 1,000 requests to within 2 %. A function's
    /// threads live as long as it does, so no thread's time is lost by summing the live ones.
    pub(crate) fn cpu_time(&self) -> Option<Duration> {
        let pid = self.process.pid()?;
        scheduler_run_time(pid).or_else(|| clock_ticks(pid))
    }

    /// How often its CPU group's quota has held the process back so far (under the CPU model).
    pub(crate) fn throttling(&self) -> Option<Throttling> {
        self.process.throttling()
    }

    /// The process's peak resident set (VmHWM), in KiB.
    pub(crate) fn peak_rss_kib(&self) -> Option<u64> {
        self.process.peak_rss_kib()
    }

    /// Kills the process and stops its Runtime API; returns the last lines it logged.
    pub(crate) async fn stop(self) -> Vec<String> {
        self.process.stop().await;
        self.process.last_lines()
    }

    /// An error naming the function, with the last lines it logged; the process is stopped.
    async fn failure(&mut self, what: &str) -> BoxError {
        self.process.stop().await;
        format!(
            "{}: {what}; its last log lines:\n{}",
            self.name,
            self.process.last_lines().join("\n")
        )
        .into()
    }
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
