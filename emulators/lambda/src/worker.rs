//! One function process: its child process, the Runtime API it polls, and Lambda's
//! environment variables.

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

use crate::config::ProcessConfig;
use crate::cpu_model::{CpuGroup, CpuGroups};
use crate::error::InvokeError;
use crate::runtime_api::{self, Invocation, RuntimeChannel};
use crate::{function_environment, lock, peak_rss_kib};

/// One function process and the Runtime API it polls.
#[derive(Debug)]
pub(crate) struct Worker {
    pid: Option<u32>,
    /// Shared with the process's Runtime API server.
    pub(crate) channel: Arc<RuntimeChannel>,
    /// Where the pool posts invocations.
    pub(crate) mailbox: mpsc::Sender<Invocation>,
    /// Invocations so far; the first is the cold start.
    pub(crate) invocations: AtomicU64,
    kill: Mutex<Option<oneshot::Sender<()>>>,
    exited: Mutex<Option<oneshot::Receiver<String>>>,
    exit_reason: Mutex<Option<String>>,
    server: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Starts the process with its own Runtime API; it initialises and polls in the background.
    /// With `cpu_groups`, the process is moved into a CPU group of its own right after it
    /// starts; where that fails, it runs unthrottled and `unplaced` is told why.
    pub(crate) async fn spawn(
        name: &str,
        binary: &Path,
        config: &ProcessConfig,
        cpu_groups: Option<&CpuGroups>,
        unplaced: &(dyn Fn(std::io::Error) + Sync),
    ) -> Result<Self, InvokeError> {
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
        let cpu_group = match (cpu_groups, pid) {
            (Some(groups), Some(pid)) => groups
                .place(name, pid, config.memory_size_mb)
                .map_err(unplaced)
                .ok(),
            _ => None,
        };
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
    pub(crate) async fn stop(&self) {
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

    /// Why the process is gone: its init error, how it exited, or that it exited.
    pub(crate) fn exit_reason(&self) -> String {
        self.channel
            .init_error()
            .map(|e| format!("init error: {e}"))
            .or_else(|| lock(&self.exit_reason).clone())
            .unwrap_or_else(|| "the process exited".to_owned())
    }

    /// The process's peak resident memory (VmHWM), in MB as Lambda reports it.
    pub(crate) fn max_memory_used_mb(&self) -> Option<u64> {
        Some(peak_rss_kib(self.pid?)?.div_ceil(1024))
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
        // Asked to stop, or the worker was dropped: either way the process must go.
        _ = killed => {
            let _ = child.kill().await;
            "killed by the pool".to_owned()
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

/// The environment Lambda gives a function process, plus the configured extras.
fn lambda_environment(
    name: &str,
    config: &ProcessConfig,
    runtime_api: &str,
) -> Vec<(String, String)> {
    let mut environment = function_environment(name, config.memory_size_mb, runtime_api);
    environment.extend(config.environment.iter().cloned());
    environment
}
