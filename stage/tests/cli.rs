//! The `local-stage` binary: listening beyond this machine needs an explicit flag and prints
//! a warning.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn serve(extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_local-stage"));
    command
        .args(["serve", "--port", "0", "--access-log", "off"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// The stage's banner: the first line it prints on stdout (which must be piped).
async fn first_stdout_line(child: &mut Child) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("a banner within a minute")
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_dynamodb_store_without_an_endpoint_needs_the_aws_flag() {
    let output = serve(&["--store", "dynamodb"])
        .env_remove(items_dynamodb::ENDPOINT_ENV)
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--store dynamodb needs --endpoint"),
        "{stderr}"
    );
    assert!(stderr.contains("--aws"), "{stderr}");
}

#[tokio::test]
async fn cors_credentials_with_any_origin_are_refused_as_api_gateway_refuses_them() {
    let output = serve(&["--cors-allow-credentials"]).output().await.unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("credentials cannot be allowed for the origin"),
        "{stderr}"
    );
    let mut listed = serve(&[
        "--cors-allow-credentials",
        "--cors-allow-origins",
        "https://app.example",
    ])
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let first = first_stdout_line(&mut listed).await;
    assert!(first.contains("listening on"), "{first}");
    listed.kill().await.unwrap();
}

#[tokio::test]
async fn a_non_loopback_host_without_the_flag_is_refused() {
    let output = serve(&["--host", "0.0.0.0"]).output().await.unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a loopback address"), "{stderr}");
    assert!(stderr.contains("--allow-non-loopback"), "{stderr}");
}

#[tokio::test]
async fn a_non_loopback_host_with_the_flag_is_served_with_a_warning() {
    let mut child = serve(&["--host", "0.0.0.0", "--allow-non-loopback"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let warning = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("WARNING") {
                return line;
            }
        }
        panic!("the stage exited without a warning");
    })
    .await
    .expect("a warning within a minute");
    assert!(warning.contains("0.0.0.0:"), "{warning}");
    assert!(warning.contains("other machines"), "{warning}");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_loopback_host_is_served_without_a_warning() {
    let mut child = serve(&[]).stdout(Stdio::piped()).spawn().unwrap();
    let first = first_stdout_line(&mut child).await;
    assert!(first.contains("listening on http://127.0.0.1:"), "{first}");
    child.kill().await.unwrap();
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr)
        .await
        .unwrap();
    assert!(!stderr.contains("WARNING"), "{stderr}");
}
