//! The stand-in function (`examples/stand-in-function.rs`) as every function of a test, and
//! reading its `REPORT` lines. The local stage's process-mode tests include this file by path,
//! as they build the same example.

use std::path::PathBuf;

/// A new folder holding the example binary `example` (which `cargo test` builds beside the
/// test binary) under each of `names`, for a process pool's `functions_dir`.
pub(crate) fn functions_dir<N: AsRef<str>>(
    example: &str,
    names: impl IntoIterator<Item = N>,
) -> PathBuf {
    let build_dir = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .to_path_buf();
    let stand_in = build_dir.join("examples").join(example);
    assert!(
        stand_in.is_file(),
        "cargo test builds the {example} example: {}",
        stand_in.display()
    );
    let dir = std::env::temp_dir().join(format!("{example}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in names {
        std::os::unix::fs::symlink(&stand_in, dir.join(name.as_ref())).unwrap();
    }
    dir
}

/// The `Max Memory Used` figure of a `REPORT` line, in MB.
pub(crate) fn max_memory_used_mb(report: &str) -> u64 {
    report
        .split("Max Memory Used: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|mb| mb.parse().ok())
        .expect("a Max Memory Used figure")
}
