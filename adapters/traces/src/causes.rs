//! The cause of a failed invocation, for X-Ray: the first error line written within it.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Keeps the first error line of each traced span as its cause (the span's extension). The
/// traces' layer already marks the span failed on that line; X-Ray's translator shows a cause
/// only for an `exception` event, which [`Invocation`](crate::Invocation) adds from this when
/// the span ends.
pub(crate) struct ErrorCauses;

/// The cause kept: the line's message and fields, as the log shows them.
#[derive(Debug, Clone)]
pub(crate) struct Cause(pub(crate) String);

impl<S> Layer<S> for ErrorCauses
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if *event.metadata().level() != Level::ERROR {
            return;
        }
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if extensions.get_mut::<Cause>().is_some() {
            return;
        }
        let mut line = Line::default();
        event.record(&mut line);
        extensions.insert(Cause(line.finish()));
    }
}

/// An event's message, then its other fields as `name=value`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Line {
    fn finish(self) -> String {
        match (self.message.is_empty(), self.fields.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.fields,
            (false, false) => format!("{} ({})", self.message, self.fields),
        }
    }
}

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            if !self.fields.is_empty() {
                self.fields.push_str(", ");
            }
            let _ = write!(self.fields, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.record_debug(field, &format_args!("{value}"));
        }
    }
}
