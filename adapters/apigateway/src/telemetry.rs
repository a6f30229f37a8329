//! Structured logs: JSON lines through `tracing`, as CloudWatch Logs indexes them.

use tracing_subscriber::EnvFilter;

/// Installs a JSON log subscriber once per process (`RUST_LOG` filters, default `info`).
/// A second call is harmless.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}
