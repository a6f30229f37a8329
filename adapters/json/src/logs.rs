//! Structured logs: JSON lines through `tracing`, as CloudWatch Logs indexes them. Each line
//! written while a request is handled carries that request's span (request id, route, trace id).

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The project's log format, writing to `writer`: one JSON object per line, the event's fields
/// at the top level and the current request's span under `span`.
pub fn json_subscriber<W>(writer: W, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_ansi(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

/// Installs the JSON log subscriber on standard output once per process (`RUST_LOG` filters,
/// default `info`). A second call is harmless.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing::subscriber::set_global_default(json_subscriber(std::io::stdout, filter));
}
