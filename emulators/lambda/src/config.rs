//! How function processes are started and limited, shared by the pool that runs them and each
//! process it starts.

use std::path::PathBuf;
use std::time::Duration;

use crate::cpu_model::CpuModel;

/// How function processes are started and limited.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    /// Where the function binaries are (e.g. `target/debug`); each is named after its
    /// function.
    pub functions_dir: PathBuf,
    /// How many processes one function may run at once (its concurrency).
    pub max_processes: usize,
    /// The function timeout: an invocation running longer is a failure and its process is
    /// killed and replaced.
    pub timeout: Duration,
    /// The configured memory size, reported in REPORT lines and the environment.
    pub memory_size_mb: u32,
    /// Extra environment for every process (its configuration, endpoints, credentials).
    pub environment: Vec<(String, String)>,
    /// Whether each process is held to Lambda's CPU share for `memory_size_mb` (off: every
    /// process may use the whole machine).
    pub cpu_model: CpuModel,
}

impl Default for ProcessConfig {
    fn default() -> Self {
        Self {
            functions_dir: PathBuf::from("target/debug"),
            max_processes: 4,
            timeout: Duration::from_secs(10),
            memory_size_mb: 128,
            environment: Vec::new(),
            cpu_model: CpuModel::Off,
        }
    }
}
