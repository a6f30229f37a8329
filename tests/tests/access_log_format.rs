//! The access log's keys are written in three places: the HTTP API's format
//! (`infra/main.tf`), the REST API's (`infra/rest_api.tf`) and the local stage's line
//! (`apigateway_emulator::access_log`). This test holds them to one another: the REST API's
//! keys are the stage's, and the HTTP API's are the same less `xrayTraceId` (HTTP APIs do not
//! trace).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use apigateway_emulator::access_log::AccessLogEntry;
use serde_json::Value;

/// The keys of the `jsonencode({ ... })` assigned to `local` in the Terraform file `file`.
fn terraform_format_keys(file: &str, local: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file);
    let text = std::fs::read_to_string(&path).expect("the Terraform file");
    let start = text
        .find(&format!("{local} = jsonencode({{"))
        .unwrap_or_else(|| panic!("{file} assigns {local}"));
    let body = &text[start..];
    let end = body.find("})").expect("the format's end");
    body[..end]
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (key, value) = line.split_once('=').expect("key = value");
            assert!(value.trim().starts_with('"'), "{line}");
            key.trim().to_owned()
        })
        .collect()
}

fn stage_keys() -> BTreeSet<String> {
    let line = AccessLogEntry {
        request_id: "r".to_owned(),
        trace_id: "1-5759e988-bd862e3fe1be46a994272793".to_owned(),
        ip: "127.0.0.1".to_owned(),
        request_time: chrono::Utc::now(),
        http_method: "GET".to_owned(),
        route_key: None,
        caller: None,
        status: 404,
        response_length: 0,
        latency: Duration::from_millis(1),
        integration_latency: None,
        error_message: None,
        authorizer_error: None,
        integration_error: None,
    }
    .to_line();
    let line: Value = serde_json::from_str(&line).expect("a JSON line");
    line.as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn the_rest_apis_access_log_has_the_local_stages_keys() {
    assert_eq!(
        terraform_format_keys("infra/rest_api.tf", "rest_access_log_format"),
        stage_keys()
    );
}

#[test]
fn the_http_apis_access_log_has_the_local_stages_keys_but_the_trace() {
    let mut expected = stage_keys();
    assert!(expected.remove("xrayTraceId"));
    assert_eq!(
        terraform_format_keys("infra/main.tf", "http_access_log_format"),
        expected
    );
}
