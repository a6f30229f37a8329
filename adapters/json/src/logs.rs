//! Structured logs: JSON lines through `tracing`, as CloudWatch Logs indexes them. Each line
//! written while a request is handled carries that request's span (request id, route, trace id).

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

/// The project's log format as a layer, writing to `writer`: one JSON object per line, the
/// event's fields at the top level and the current request's span under `span`. A function
/// stacks it with its traces' layer (`items-traces`); [`json_subscriber`] is it alone.
pub fn json_layer<S, W>(writer: W) -> impl Layer<S> + Send + Sync
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_ansi(false)
        .with_writer(writer)
}

/// The project's log format, writing to `writer`, filtered by `filter`.
pub fn json_subscriber<W>(writer: W, filter: EnvFilter) -> impl Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::registry().with(json_layer(writer).with_filter(filter))
}

/// The log filter from `RUST_LOG`, `info` when it is unset or does not parse.
pub fn filter_from_env() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Installs the JSON log subscriber on standard output once per process (`RUST_LOG` filters,
/// default `info`). A second call is harmless.
pub fn init() {
    let _ = tracing::subscriber::set_global_default(json_subscriber(
        std::io::stdout,
        filter_from_env(),
    ));
}
