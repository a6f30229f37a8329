//! Lambda's CPU model: a function gets CPU in proportion to its memory (1,769 MB is one vCPU),
//! so each function process is held to that share by a CFS quota in a control group of its
//! own. Where the machine does not allow it (not root, no `cpu` controller), processes run
//! unthrottled and the status says why.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The memory size that buys one full vCPU on Lambda.
pub const MB_PER_VCPU: u32 = 1769;

/// The kernel's smallest CFS quota; a smaller share is rounded up to it.
const MIN_QUOTA: Duration = Duration::from_millis(1);

/// Groups made by this crate are named `lambda-emulator-<emulator pid>-<seq>-<function>`.
const GROUP_PREFIX: &str = "lambda-emulator-";

/// How function processes get CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CpuModel {
    /// Every process may use the whole machine.
    #[default]
    Off,
    /// Each process is held to Lambda's share for its memory size, `memory / 1769` of one CPU
    /// (capped at the machine's CPUs), enforced as a CFS quota over `period`.
    LambdaShare {
        /// The CFS period the share is measured over: a process may run at full speed until
        /// its share of a period is spent, then waits for the next period.
        period: Duration,
    },
}

impl CpuModel {
    /// The CFS period used unless one is chosen: 20 ms, what Lambda's pauses show. Lambda does
    /// not publish its period, but a CPU-bound function measured on it is paused for 20, 40, 60
    /// or 80 ms at 128 MB and for 16 to 20 ms at larger sizes: the pauses of a 20 ms period.
    /// The kernel's own default, 100 ms, gives the same share in pauses five times as long and
    /// a fifth as often.
    pub const DEFAULT_PERIOD: Duration = Duration::from_millis(Self::DEFAULT_PERIOD_MS);

    /// [`CpuModel::DEFAULT_PERIOD`] in milliseconds, the default of the tools'
    /// `--cpu-period-ms`.
    pub const DEFAULT_PERIOD_MS: u64 = 20;

    /// Lambda's share over [`CpuModel::DEFAULT_PERIOD`].
    pub fn lambda_share() -> Self {
        Self::LambdaShare {
            period: Self::DEFAULT_PERIOD,
        }
    }
}

/// The share of one CPU Lambda gives a function of `memory_size_mb`: `memory / 1769`, capped at
/// the CPUs this machine offers (Lambda caps it at 6 vCPUs, reached at 10,240 MB).
pub fn cpu_share(memory_size_mb: u32) -> f64 {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    share_with_cpus(memory_size_mb, cpus)
}

fn share_with_cpus(memory_size_mb: u32, cpus: usize) -> f64 {
    (f64::from(memory_size_mb) / f64::from(MB_PER_VCPU)).min(cpus as f64)
}

/// The CFS quota per `period` for `share` of one CPU, at least the kernel's minimum (1 ms).
fn quota(share: f64, period: Duration) -> Duration {
    Duration::from_secs_f64(period.as_secs_f64() * share).max(MIN_QUOTA)
}

/// Which cgroup interface holds the `cpu` controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// cgroup v1: `cpu.cfs_period_us` and `cpu.cfs_quota_us`.
    V1,
    /// cgroup v2: `cpu.max`.
    V2,
}

/// Whether the CPU model is in force, as found when the pool started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpuModelStatus {
    /// Not asked for: processes run unthrottled.
    Off,
    /// Every process runs in its own CPU quota.
    Active {
        /// The interface the quotas are written through.
        version: CgroupVersion,
        /// The CFS period.
        period: Duration,
    },
    /// Asked for, but this machine does not allow it: processes run unthrottled.
    Unavailable {
        /// What was missing or refused.
        reason: String,
    },
}

impl CpuModelStatus {
    /// One line saying what a function of `memory_size_mb` gets.
    pub fn describe(&self, memory_size_mb: u32) -> String {
        match self {
            Self::Off => "CPU model off: function processes run unthrottled".to_owned(),
            Self::Active { version, period } => {
                let share = cpu_share(memory_size_mb);
                format!(
                    "CPU model on: each function process at {memory_size_mb} MB gets {:.1} % of one CPU ({:.2} ms per {} ms period, cgroup {})",
                    share * 100.0,
                    quota(share, *period).as_secs_f64() * 1000.0,
                    period.as_millis(),
                    match version {
                        CgroupVersion::V1 => "v1",
                        CgroupVersion::V2 => "v2",
                    }
                )
            }
            Self::Unavailable { reason } => {
                format!("CPU model unavailable ({reason}): function processes run unthrottled")
            }
        }
    }
}

/// Where CPU groups are made, found and tried once: making a group, writing a quota and
/// removing the group must all work.
#[derive(Debug)]
pub struct CpuGroups {
    version: CgroupVersion,
    /// The hierarchy's root, under which every group is made.
    root: PathBuf,
    period: Duration,
    next: AtomicU64,
}

impl CpuGroups {
    /// The groups `model` needs, or the status saying why there are none.
    pub fn probe(model: CpuModel) -> (Option<Self>, CpuModelStatus) {
        let CpuModel::LambdaShare { period } = model else {
            return (None, CpuModelStatus::Off);
        };
        match Self::find(period) {
            Ok(groups) => {
                let status = CpuModelStatus::Active {
                    version: groups.version,
                    period,
                };
                (Some(groups), status)
            }
            Err(reason) => (None, CpuModelStatus::Unavailable { reason }),
        }
    }

    fn find(period: Duration) -> Result<Self, String> {
        if period < MIN_QUOTA || period > Duration::from_secs(1) {
            return Err(format!(
                "a CFS period must be 1 to 1000 ms, not {} ms",
                period.as_millis()
            ));
        }
        let mounts = std::fs::read_to_string("/proc/self/mounts")
            .map_err(|error| format!("cannot read the mount table: {error}"))?;
        let (version, root) = cpu_controller(&mounts)
            .ok_or_else(|| "no cgroup cpu controller is mounted".to_owned())?;
        if version == CgroupVersion::V2 {
            enable_cpu_for_children(&root)?;
        }
        let groups = Self {
            version,
            root,
            period,
            next: AtomicU64::new(0),
        };
        groups.remove_stale();
        // Make, limit and remove one group, so a refusal shows now rather than per process.
        let trial = groups
            .make("probe", MIN_QUOTA)
            .map_err(|error| format!("cannot make a CPU group: {error}"))?;
        trial
            .remove_now()
            .map_err(|error| format!("cannot remove a CPU group: {error}"))?;
        Ok(groups)
    }

    /// Moves process `pid` of `function` into a new group holding it to Lambda's share for
    /// `memory_size_mb`; remove the group when the process is gone.
    pub fn place(
        &self,
        function: &str,
        pid: u32,
        memory_size_mb: u32,
    ) -> std::io::Result<CpuGroup> {
        let group = self.make(function, quota(cpu_share(memory_size_mb), self.period))?;
        // Writing the pid to cgroup.procs moves every thread of the process.
        std::fs::write(group.path.join("cgroup.procs"), pid.to_string())?;
        Ok(group)
    }

    fn make(&self, function: &str, quota: Duration) -> std::io::Result<CpuGroup> {
        let name: String = function
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.root.join(format!(
            "{GROUP_PREFIX}{}-{}-{name}",
            std::process::id(),
            self.next.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&path)?;
        let group = CpuGroup {
            path,
            removed: false,
        };
        let (period_us, quota_us) = (self.period.as_micros(), quota.as_micros());
        match self.version {
            CgroupVersion::V1 => {
                // The period first: the kernel checks the quota against it.
                std::fs::write(group.path.join("cpu.cfs_period_us"), period_us.to_string())?;
                std::fs::write(group.path.join("cpu.cfs_quota_us"), quota_us.to_string())?;
            }
            CgroupVersion::V2 => {
                std::fs::write(
                    group.path.join("cpu.max"),
                    format!("{quota_us} {period_us}"),
                )?;
            }
        }
        Ok(group)
    }

    /// Removes the empty groups an emulator that is no longer running left behind (it was
    /// killed before it could remove them).
    fn remove_stale(&self) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let owner = name
                .to_str()
                .and_then(|n| n.strip_prefix(GROUP_PREFIX))
                .and_then(|rest| rest.split('-').next())
                .filter(|pid| !Path::new("/proc").join(pid).exists());
            if owner.is_some() {
                // A group still holding a process is refused; it stays.
                let _ = std::fs::remove_dir(entry.path());
            }
        }
    }
}

/// The cgroup hierarchy holding the `cpu` controller, from `/proc/self/mounts`: a v1 `cgroup`
/// mount with the `cpu` option, else a `cgroup2` mount whose controllers include `cpu`.
fn cpu_controller(mounts: &str) -> Option<(CgroupVersion, PathBuf)> {
    let entries: Vec<(&str, &str, &str)> = mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let _device = fields.next()?;
            Some((fields.next()?, fields.next()?, fields.next()?))
        })
        .collect();
    let v1 = entries.iter().find(|(_, kind, options)| {
        *kind == "cgroup" && options.split(',').any(|option| option == "cpu")
    });
    if let Some((mount_point, _, _)) = v1 {
        return Some((CgroupVersion::V1, PathBuf::from(mount_point)));
    }
    entries
        .iter()
        .filter(|(_, kind, _)| *kind == "cgroup2")
        .map(|(mount_point, _, _)| PathBuf::from(mount_point))
        .find(|root| {
            std::fs::read_to_string(root.join("cgroup.controllers"))
                .is_ok_and(|controllers| controllers.split_whitespace().any(|c| c == "cpu"))
        })
        .map(|root| (CgroupVersion::V2, root))
}

/// cgroup v2 gives a child group the `cpu` controller only when its parent enables it.
fn enable_cpu_for_children(root: &Path) -> Result<(), String> {
    let subtree = root.join("cgroup.subtree_control");
    let enabled = std::fs::read_to_string(&subtree)
        .is_ok_and(|controllers| controllers.split_whitespace().any(|c| c == "cpu"));
    if enabled {
        return Ok(());
    }
    std::fs::write(&subtree, "+cpu")
        .map_err(|error| format!("cannot enable the cpu controller for child groups: {error}"))
}

/// How much a group's quota held its processes back, as the kernel counts it in the group's
/// `cpu.stat`: Lambda reports none of this, but it is what turns extra CPU into Duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Throttling {
    /// CFS periods in which the group had something to run.
    pub periods: u64,
    /// Of those, the periods in which it spent its quota and waited for the next one.
    pub throttled_periods: u64,
    /// The time its processes spent waiting so, summed over the CPUs' run queues it was held
    /// on (a process throttled on two CPUs at once counts twice).
    pub throttled: Duration,
}

impl Throttling {
    /// Reads a `cpu.stat`: `throttled_time` in nanoseconds (v1) or `throttled_usec` (v2).
    pub fn parse(stat: &str) -> Option<Self> {
        let (mut periods, mut throttled_periods, mut throttled) = (None, None, None);
        for line in stat.lines() {
            let Some((key, value)) = line.split_once(' ') else {
                continue;
            };
            let Ok(value) = value.trim().parse::<u64>() else {
                continue;
            };
            match key {
                "nr_periods" => periods = Some(value),
                "nr_throttled" => throttled_periods = Some(value),
                "throttled_time" => throttled = Some(Duration::from_nanos(value)),
                "throttled_usec" => throttled = Some(Duration::from_micros(value)),
                _ => {}
            }
        }
        Some(Self {
            periods: periods?,
            throttled_periods: throttled_periods?,
            throttled: throttled?,
        })
    }

    /// What was counted since `earlier`, a reading of the same group.
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            periods: self.periods.saturating_sub(earlier.periods),
            throttled_periods: self
                .throttled_periods
                .saturating_sub(earlier.throttled_periods),
            throttled: self.throttled.saturating_sub(earlier.throttled),
        }
    }

    /// Two groups' counts together (e.g. the processes of several execution environments).
    pub fn plus(&self, other: &Self) -> Self {
        Self {
            periods: self.periods + other.periods,
            throttled_periods: self.throttled_periods + other.throttled_periods,
            throttled: self.throttled + other.throttled,
        }
    }

    /// The counters of the group whose `cpu.stat` is at `stat_path`, now.
    pub fn read(stat_path: &Path) -> Option<Self> {
        Self::parse(&std::fs::read_to_string(stat_path).ok()?)
    }
}

/// One process's CPU group; remove it once the process has exited ([`CpuGroup::remove`]).
/// Dropped without that, it tries once.
#[derive(Debug)]
pub struct CpuGroup {
    path: PathBuf,
    removed: bool,
}

impl CpuGroup {
    /// Where the kernel keeps the group's [`Throttling`] counters.
    pub fn stat_path(&self) -> PathBuf {
        self.path.join("cpu.stat")
    }

    /// Removes the group, retrying briefly: the kernel may still be taking an exited process
    /// out of it.
    pub async fn remove(mut self) -> std::io::Result<()> {
        let mut attempts = 0;
        loop {
            match std::fs::remove_dir(&self.path) {
                Ok(()) => break,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => break,
                Err(error) if attempts >= 20 => return Err(error),
                Err(_) => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
        self.removed = true;
        Ok(())
    }

    fn remove_now(mut self) -> std::io::Result<()> {
        std::fs::remove_dir(&self.path)?;
        self.removed = true;
        Ok(())
    }
}

impl Drop for CpuGroup {
    fn drop(&mut self) {
        if !self.removed {
            // Best effort: a group still holding a process is refused, and the next emulator
            // to start removes it once this one is gone.
            let _ = std::fs::remove_dir(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_is_memory_over_1769_mb_capped_at_the_machines_cpus() {
        assert!((share_with_cpus(1769, 2) - 1.0).abs() < 1e-9);
        assert!((share_with_cpus(128, 2) - 0.072_357).abs() < 1e-5);
        assert!((share_with_cpus(10_240, 2) - 2.0).abs() < 1e-9);
        assert!((share_with_cpus(10_240, 8) - 5.788_581).abs() < 1e-5);
    }

    #[test]
    fn the_quota_is_the_share_of_the_period_and_never_below_the_kernels_minimum() {
        let period = CpuModel::DEFAULT_PERIOD;
        assert_eq!(quota(share_with_cpus(128, 2), period).as_micros(), 1447);
        assert_eq!(quota(1.0, period), period);
        assert_eq!(
            quota(share_with_cpus(128, 2), Duration::from_millis(100)).as_micros(),
            7235
        );
        assert_eq!(
            quota(share_with_cpus(128, 2), Duration::from_millis(10)),
            MIN_QUOTA
        );
    }

    #[test]
    fn the_cpu_controller_is_found_in_v1_before_an_empty_v2_hierarchy() {
        let hybrid = "tmpfs /sys/fs/cgroup tmpfs rw 0 0\n\
            cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0\n\
            cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\n\
            cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n";
        assert_eq!(
            cpu_controller(hybrid),
            Some((
                CgroupVersion::V1,
                PathBuf::from("/sys/fs/cgroup/cpu,cpuacct")
            ))
        );
        assert_eq!(cpu_controller("proc /proc proc rw 0 0\n"), None);
    }

    #[test]
    fn off_asks_for_nothing_and_says_so() {
        let (groups, status) = CpuGroups::probe(CpuModel::Off);
        assert!(groups.is_none());
        assert_eq!(status, CpuModelStatus::Off);
        assert!(status.describe(128).contains("unthrottled"));
    }

    #[test]
    fn throttling_reads_both_cgroup_versions_and_counts_since_an_earlier_reading() {
        let v1 = Throttling::parse("nr_periods 40\nnr_throttled 12\nthrottled_time 345000000\n");
        assert_eq!(
            v1,
            Some(Throttling {
                periods: 40,
                throttled_periods: 12,
                throttled: Duration::from_millis(345),
            })
        );
        let v2 = "usage_usec 9000\nuser_usec 8000\nsystem_usec 1000\nnr_periods 50\n\
                  nr_throttled 20\nthrottled_usec 400000\nnr_bursts 0\nburst_usec 0\n";
        let later = Throttling::parse(v2).expect("a v2 cpu.stat");
        assert_eq!(
            later.since(&v1.expect("a v1 cpu.stat")),
            Throttling {
                periods: 10,
                throttled_periods: 8,
                throttled: Duration::from_millis(55),
            }
        );
        assert_eq!(
            later.plus(&v1.expect("a v1 cpu.stat")),
            Throttling {
                periods: 90,
                throttled_periods: 32,
                throttled: Duration::from_millis(745),
            }
        );
        assert_eq!(Throttling::parse("usage_usec 9000\n"), None);
    }

    #[test]
    fn a_period_the_kernel_refuses_leaves_the_model_unavailable() {
        let (groups, status) = CpuGroups::probe(CpuModel::LambdaShare {
            period: Duration::from_secs(5),
        });
        assert!(groups.is_none());
        assert!(
            matches!(&status, CpuModelStatus::Unavailable { reason } if reason.contains("1 to 1000 ms")),
            "{status:?}"
        );
    }
}
