//! Lambda's CPU model over real processes: the stand-in function doing the same CPU work per
//! event takes several times longer at 128 MB (7 % of one CPU) than at 1,769 MB (one CPU), as
//! its `REPORT` lines' Duration shows. Where the machine does not allow CPU quotas (not root,
//! no cgroup `cpu` controller), it checks only that the function still runs, and says why.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

#[path = "support/stand_in.rs"]
#[allow(
    dead_code,
    reason = "this test reads Durations, not the memory figures"
)]
mod stand_in;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lambda_emulator::cpu_model::Throttling;
use lambda_emulator::{CpuModel, CpuModelStatus, ProcessConfig, ProcessPool, ReportSink};
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// Rounds of the stand-in's arithmetic per event: tens of milliseconds of CPU in a debug build.
const ROUNDS: u64 = 5_000_000;

/// Warm invocations measured at each size (after one cold start, not counted).
const INVOCATIONS: usize = 4;

/// What one memory size gave: the function process's CPU group, the mean warm Duration and
/// how long the group's quota held the process back over the warm invocations.
struct Measured {
    group: String,
    mean_duration_ms: f64,
    throttled: Throttling,
}

/// Runs the stand-in at `memory_size_mb` under the CPU model; `None` when the machine does not
/// allow it (the reason is printed).
async fn measure(memory_size_mb: u32) -> Option<Measured> {
    let (sender, mut reports) = mpsc::unbounded_channel();
    let sink: ReportSink = Arc::new(move |line: &str| {
        let _ = sender.send(line.to_owned());
    });
    let config = ProcessConfig {
        functions_dir: stand_in::functions_dir("stand-in-function", ["busy"]),
        max_processes: 1,
        timeout: Duration::from_secs(60),
        memory_size_mb,
        cpu_model: CpuModel::lambda_share(),
        ..ProcessConfig::default()
    };
    let pool = ProcessPool::new(["busy"], config, sink);
    match pool.cpu_model_status() {
        CpuModelStatus::Active { .. } => {}
        CpuModelStatus::Unavailable { reason } => {
            // Still serving, unthrottled, and saying so.
            let announced = reports.recv().await.unwrap();
            assert!(announced.contains("run unthrottled"), "{announced}");
            let echo = pool.invoke("busy", json!({}), "Root=1-abc").await.unwrap();
            assert_eq!(echo["statusCode"], 200, "{echo}");
            pool.shutdown().await;
            say(&format!(
                "skipped: this machine does not allow CPU quotas ({reason})"
            ));
            return None;
        }
        CpuModelStatus::Off => panic!("the model was asked for"),
    }
    let announced = reports.recv().await.unwrap();
    assert!(
        announced.contains(&format!(
            "CPU model on: each function process at {memory_size_mb} MB"
        )),
        "{announced}"
    );

    // The cold start, which shows where the process runs.
    let echo = pool.invoke("busy", json!({}), "Root=1-abc").await.unwrap();
    let body: Value = serde_json::from_str(echo["body"].as_str().unwrap()).unwrap();
    let pid = body["pid"].as_u64().unwrap();
    let group = cpu_group_of(pid).expect("the process runs in a CPU group of its own");
    assert!(group.contains("lambda-emulator-"), "{group}");
    let stat = group_root(&group)
        .expect("the group's hierarchy")
        .join(group.trim_start_matches('/'))
        .join("cpu.stat");
    let before = Throttling::read(&stat).expect("the group's cpu.stat");

    let mut durations = Vec::new();
    for _ in 0..INVOCATIONS {
        let event = json!({"behaviour": "work", "rounds": ROUNDS});
        let result = pool.invoke("busy", event, "Root=1-abc").await.unwrap();
        assert_eq!(result["statusCode"], 200, "{result}");
    }
    let throttled = Throttling::read(&stat)
        .expect("the group's cpu.stat")
        .since(&before);
    while durations.len() < INVOCATIONS + 1 {
        let line = reports.recv().await.unwrap();
        if line.starts_with("REPORT ") {
            durations.push(duration_ms(&line));
        }
    }
    pool.shutdown().await;
    let warm = &durations[1..];
    Some(Measured {
        group,
        mean_duration_ms: warm.iter().sum::<f64>() / warm.len() as f64,
        throttled,
    })
}

/// The process's group in the cgroup `cpu` hierarchy (from `/proc/<pid>/cgroup`), if not the
/// root.
fn cpu_group_of(pid: u64) -> Option<String> {
    let groups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    groups.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let cpu = controllers.split(',').any(|c| c == "cpu") || controllers.is_empty();
        (cpu && path.contains("lambda-emulator-")).then(|| path.to_owned())
    })
}

/// The mounted cgroup hierarchies.
fn cgroup_roots() -> Vec<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    mounts
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            matches!(fields.get(2), Some(&"cgroup" | &"cgroup2")).then(|| PathBuf::from(fields[1]))
        })
        .collect()
}

/// The mounted hierarchy holding a group of that path with a `cpu.stat`.
fn group_root(group: &str) -> Option<PathBuf> {
    cgroup_roots().into_iter().find(|root| {
        root.join(group.trim_start_matches('/'))
            .join("cpu.stat")
            .exists()
    })
}

/// Whether a group of that path is left in any mounted cgroup hierarchy.
fn group_exists(group: &str) -> bool {
    cgroup_roots()
        .into_iter()
        .any(|root| root.join(group.trim_start_matches('/')).exists())
}

/// Writes `line` to the test command's output even when the test passes: straight to the
/// standard error, which the test harness captures only through `print!` and `eprint!`.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "cpu_model: {line}");
}

/// The `Duration` figure of a `REPORT` line, in ms.
fn duration_ms(report: &str) -> f64 {
    report
        .split("\tDuration: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|ms| ms.parse().ok())
        .expect("a Duration figure")
}

#[tokio::test]
async fn a_cpu_bound_functions_duration_scales_with_its_memory_size() {
    let Some(one_cpu) = measure(1769).await else {
        return;
    };
    let small = measure(128)
        .await
        .expect("the model was available a moment ago");
    say(&format!(
        "CPU model on, {ROUNDS} rounds per event, mean of {INVOCATIONS} warm invocations: \
         Duration {:.1} ms at 1769 MB, {:.1} ms at 128 MB ({:.1}x)",
        one_cpu.mean_duration_ms,
        small.mean_duration_ms,
        small.mean_duration_ms / one_cpu.mean_duration_ms
    ));
    // 1769 / 128 is 13.8x; a busy machine slows the one-CPU process too, so ask for less.
    assert!(
        small.mean_duration_ms >= 3.0 * one_cpu.mean_duration_ms,
        "128 MB: {:.1} ms, 1769 MB: {:.1} ms",
        small.mean_duration_ms,
        one_cpu.mean_duration_ms
    );
    // The kernel's own count says why: at 7 % of a CPU the process spends most of each
    // invocation waiting for its next period; at one CPU a single busy thread hardly waits.
    let waited_ms = |m: &Measured| m.throttled.throttled.as_secs_f64() * 1000.0;
    let warm_ms = |m: &Measured| m.mean_duration_ms * INVOCATIONS as f64;
    say(&format!(
        "held back by the quota (the kernel's count, summed over the CPUs' run queues): \
         {:.1} ms over {:.1} ms of warm Duration at 128 MB ({} of {} periods), {:.1} ms over \
         {:.1} ms at 1769 MB",
        waited_ms(&small),
        warm_ms(&small),
        small.throttled.throttled_periods,
        small.throttled.periods,
        waited_ms(&one_cpu),
        warm_ms(&one_cpu)
    ));
    assert!(
        waited_ms(&small) >= 0.5 * warm_ms(&small) && small.throttled.throttled_periods > 0,
        "128 MB: waited {:.1} of {:.1} ms",
        waited_ms(&small),
        warm_ms(&small)
    );
    assert!(
        waited_ms(&one_cpu) <= 0.25 * warm_ms(&one_cpu),
        "1769 MB: waited {:.1} of {:.1} ms",
        waited_ms(&one_cpu),
        warm_ms(&one_cpu)
    );
    for measured in [&one_cpu, &small] {
        assert!(
            !group_exists(&measured.group),
            "the group {} is removed with its process",
            measured.group
        );
    }
}
