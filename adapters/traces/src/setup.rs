//! The process's subscriber: JSON logs always, traces when there is a daemon to send them to.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use items_json::metrics::FUNCTION_NAME_ENV;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_aws::xray_exporter::daemon_client::XrayDaemonClient;
use opentelemetry_aws::xray_exporter::{SegmentTranslator, XrayExporter};
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing::Level;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::filter::{filter_fn, FilterExt};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

use crate::causes::ErrorCauses;
use crate::daemon::{daemon_address, DAEMON_ADDRESS_ENV};
use crate::invocation::Invocation;
use crate::{ANNOTATIONS, METADATA, TARGET};

/// The name of the span `lambda_runtime` opens around each invocation.
const RUNTIME_INVOCATION_SPAN: &str = "Lambda runtime invoke";

/// How a process's invocations are traced, from [`init`]: cheap to clone into each
/// invocation's closure.
#[derive(Debug, Clone)]
pub struct Traces {
    /// `## {function}`, the handler subsegment's name (Powertools' Tracer names a handler's
    /// subsegment `## {handler}` too).
    handler_name: Arc<str>,
    /// Keeps the exporter alive; `None`: tracing is off.
    provider: Option<SdkTracerProvider>,
    /// Whether the next invocation is the process's first.
    cold: Arc<AtomicBool>,
}

/// Installs the process's subscriber once: the JSON log lines on standard output (`RUST_LOG` filters them, default
/// `info`), and, when `AWS_XRAY_DAEMON_ADDRESS` names a UDP address, the traces' layer, which
/// sends each sampled span to the daemon as it ends. A daemon address that does not parse, or a
/// socket that cannot be opened, leaves tracing off with a warning: never a failed init.
pub fn init() -> Traces {
    // The logs' filter keeps `RUST_LOG`'s level as the process's maximum (the second filter says
    // it passes every level), so with traces off a disabled `debug!` in the SDK or hyper stops at
    // the macro's level check. `lambda_runtime`'s own span per invocation stays out too: each
    // function opens its own (the routes' `request`, the stream function's `batch`) with the
    // ids its lines need, and a span no layer wants is never created, entered on every poll
    // and closed.
    let logs = items_json::logs::json_layer(std::io::stdout).with_filter(
        items_json::logs::filter_from_env().and(
            filter_fn(|metadata| {
                metadata.target() != TARGET
                    && !(metadata.is_span() && metadata.name() == RUNTIME_INVOCATION_SPAN)
            })
            .with_max_level_hint(LevelFilter::TRACE),
        ),
    );
    let configured = std::env::var(DAEMON_ADDRESS_ENV).ok();
    let daemon = configured.as_deref().and_then(daemon_address);
    let (provider, socket_error) = match daemon.map(exporter_provider) {
        Some(Ok(provider)) => (Some(provider), None),
        Some(Err(error)) => (None, Some(error)),
        None => (None, None),
    };
    // The traces' layer sees only this crate's spans (the handler's and each AWS call's) and
    // error events, which mark the span they happen in as failed with their message as the
    // cause. The SDK's own spans stay out: its operation's span is replaced by the call span.
    let traces = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("items"))
            .with_tracked_inactivity(false)
            .with_threads(false)
            .with_location(false)
            .and_then(ErrorCauses)
            .with_filter(filter_fn(|metadata| {
                metadata.target() == TARGET
                    || (metadata.is_event() && *metadata.level() == Level::ERROR)
            }))
    });
    // Without traces the subscriber is the logs' layer alone, not beside an absent (`None`)
    // one: a layer without a filter of its own next to a filtered one turns every callsite the
    // filter disables into "sometimes", so each disabled span in the SDK would still be created,
    // entered and closed on every request (measured: 6 to 11 µs of CPU per request).
    // A second call (tests) keeps the first subscriber.
    let registry = tracing_subscriber::registry().with(logs);
    let _ = match traces {
        Some(traces) => tracing::subscriber::set_global_default(registry.with(traces)),
        None => tracing::subscriber::set_global_default(registry),
    };
    if let Some(error) = socket_error {
        tracing::warn!(%error, "no socket for the X-Ray daemon: traces are off");
    } else if let (Some(value), None) = (&configured, daemon) {
        if !value.trim().is_empty() {
            tracing::warn!(
                value = value.as_str(),
                "{DAEMON_ADDRESS_ENV} names no UDP address: traces are off"
            );
        }
    }
    // Lambda's name for the function, as its own segment shows it.
    let function = std::env::var(FUNCTION_NAME_ENV).unwrap_or_else(|_| "handler".to_owned());
    Traces {
        handler_name: Arc::from(format!("## {function}")),
        provider,
        cold: Arc::new(AtomicBool::new(true)),
    }
}

/// Spans exported as X-Ray segment documents to `daemon` as each ends, when its trace is
/// sampled. The send is one non-blocking UDP datagram per span: a full socket buffer or an
/// absent daemon loses the document, never delays or fails the request.
fn exporter_provider(daemon: SocketAddr) -> std::io::Result<SdkTracerProvider> {
    let translator = SegmentTranslator::new()
        .with_indexed_attrs(ANNOTATIONS.iter().map(|name| (*name).to_owned()))
        .with_metadata_attrs(METADATA.iter().map(|name| (*name).to_owned()));
    let exporter = XrayExporter::new(XrayDaemonClient::new(daemon)?).with_translator(translator);
    Ok(SdkTracerProvider::builder()
        // Lambda samples: a trace header's decision is followed, and a span without one (the
        // init's warm-up call) is not recorded.
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
        // No resource attributes: they would be repeated as metadata on every subsegment, and
        // Lambda's own segment already names the function.
        .with_resource(Resource::builder_empty().build())
        .with_simple_exporter(exporter)
        .build())
}

impl Traces {
    /// Whether spans are exported (a daemon address was set and its socket opened).
    pub fn is_on(&self) -> bool {
        self.provider.is_some()
    }

    /// Opens one invocation's handler span, continuing the trace of `trace_header` (the
    /// invocation's `Lambda-Runtime-Trace-Id`, `Root=...;Parent=...;Sampled=...`). Its first
    /// call in the process is the cold start.
    pub fn invocation(&self, trace_header: Option<&str>) -> Invocation {
        let cold_start = self.cold.swap(false, Ordering::Relaxed);
        if self.provider.is_none() {
            return Invocation::off();
        }
        Invocation::start(&self.handler_name, cold_start, trace_header)
    }
}
