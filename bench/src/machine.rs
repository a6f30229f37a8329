//! The machine a run measured: figures mean little without it.

use std::process::Command;

use serde::Serialize;

/// CPU, memory, kernel and compiler of the machine the bench ran on.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Machine {
    /// The CPU model, as `/proc/cpuinfo` names it.
    pub cpu: String,
    /// Logical CPUs available to the bench.
    pub cores: usize,
    /// Total memory in MiB.
    pub memory_mib: u64,
    /// The operating system (`/etc/os-release`).
    pub os: String,
    /// The kernel release.
    pub kernel: String,
    /// The architecture the binaries were built for.
    pub arch: String,
    /// `rustc --version`.
    pub rustc: String,
}

const UNKNOWN: &str = "unknown";

impl Machine {
    /// Reads the description of this machine; what cannot be read is `unknown`.
    pub(crate) fn describe() -> Self {
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = field(&cpuinfo, "model name")
            // Some arm64 kernels name no model; the implementer/part fields are all there is.
            .or_else(|| field(&cpuinfo, "Hardware"))
            .unwrap_or_else(|| UNKNOWN.to_owned());
        let memory_mib = field(&read("/proc/meminfo"), "MemTotal")
            .and_then(|kb| kb.trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024);
        let os = read("/etc/os-release")
            .lines()
            .find_map(|line| line.strip_prefix("PRETTY_NAME="))
            .map(|name| name.trim_matches('"').to_owned())
            .unwrap_or_else(|| UNKNOWN.to_owned());
        let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
        let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned()))
            .arg("--version")
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .unwrap_or_else(|| UNKNOWN.to_owned());
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory_mib,
            os,
            kernel: if kernel.is_empty() {
                UNKNOWN.to_owned()
            } else {
                kernel
            },
            arch: std::env::consts::ARCH.to_owned(),
            rustc,
        }
    }

    /// One line for the report.
    pub(crate) fn summary(&self) -> String {
        format!(
            "{} ({} cores), {:.1} GiB memory, {} ({} {}), {}",
            self.cpu,
            self.cores,
            self.memory_mib as f64 / 1024.0,
            self.os,
            self.kernel,
            self.arch,
            self.rustc
        )
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The value of the first `name : value` line.
fn field(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_from_colon_separated_lines() {
        let text = "processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\nMemTotal:  1024 kB\n";
        assert_eq!(
            field(text, "model name").as_deref(),
            Some("Some CPU @ 2.0GHz")
        );
        assert_eq!(field(text, "MemTotal").as_deref(), Some("1024 kB"));
        assert_eq!(field(text, "flags"), None);
    }
}
