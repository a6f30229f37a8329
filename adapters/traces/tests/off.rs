//! With no X-Ray daemon, the subscriber `init` installs is the JSON logs alone, and what the
//! logs do not show costs no more than a level check: a `debug` span in the SDK is never
//! created, entered or closed. (Its own process: `init` installs the global subscriber once.)

#![allow(clippy::unwrap_used, reason = "test code")]

use tracing::level_filters::LevelFilter;

#[test]
fn without_a_daemon_a_disabled_span_is_never_created_and_the_level_check_stops_it() {
    std::env::remove_var("AWS_XRAY_DAEMON_ADDRESS");
    std::env::remove_var("RUST_LOG");
    let traces = items_traces::init();
    assert!(!traces.is_on());

    // The logs' level is the process's maximum, so `debug!` stops at the macro.
    assert_eq!(LevelFilter::current(), LevelFilter::INFO);
    // A span at a level the logs do not show, as the SDK opens around every attempt.
    let attempt =
        tracing::debug_span!(target: "aws_smithy_runtime::client::orchestrator", "try_attempt");
    assert!(
        attempt.is_disabled(),
        "a debug span was created: {attempt:?}"
    );
    // One the logs show is created.
    let request = tracing::info_span!("request", route = "GET /items/{id}");
    assert!(!request.is_disabled());
    // The traces' own spans are not the logs' (they are the exporter's, and it is off).
    let call = tracing::info_span!(target: "items_traces", "DynamoDB");
    assert!(
        call.is_disabled(),
        "a traces span was created with traces off: {call:?}"
    );
    // Nor is `lambda_runtime`'s span around each invocation: the functions open their own.
    let runtime = lambda_runtime::layers::trace::request_span(&lambda_runtime::Context::default());
    assert!(
        runtime.is_disabled(),
        "lambda_runtime's invocation span was created: {runtime:?}"
    );
    // So a client built now carries no tracing interceptor, whose hooks would run on every call.
    assert!(items_traces::AwsCallSpans::when_traced(|_| None).is_none());
}
