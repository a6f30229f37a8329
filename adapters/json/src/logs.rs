//! Structured logs: JSON lines through `tracing`, as CloudWatch Logs indexes them. Each line
//! written while a request is handled carries that request's scope under `span` (request id,
//! route, trace id): see [`LogScope`].
//!
//! The line is tracing-subscriber's `fmt` layer with a formatter of this crate's own: the same
//! JSON shape as that layer's `json()` mode with a flattened event and the current span, but a
//! span's fields are kept as a ready JSON fragment and copied into each line, where `json()`
//! parses them back into a map and writes them again on every line (a few microseconds of CPU
//! per request, which a function at 128 MB pays at 7 % of a CPU).

use std::fmt::{self, Write as _};
use std::future::Future;
use std::time::SystemTime;

use chrono::{DateTime, Datelike, Timelike, Utc};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

use crate::escape::write_escaped;

/// The project's log format as a layer, writing to `writer`: one JSON object per line,
/// `timestamp` (RFC 3339, microseconds, UTC), `level`, the event's fields at the top level,
/// `target`, and under `span` the task's [`LogScope`] or else the current span's fields, with
/// its `name`. A function stacks it with its traces' layer (`items-traces`); [`json_subscriber`]
/// is it alone.
pub fn json_layer<S, W>(writer: W) -> impl Layer<S> + Send + Sync
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .fmt_fields(SpanFields)
        .event_format(JsonLine)
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

tokio::task_local! {
    /// The scope of the request (or batch) the running task handles.
    static SCOPE: LogScope;
}

/// What every line written while one request (or batch) is handled carries under `span`, as a
/// tracing span's fields would be: its name and text fields, kept as ready JSON members.
///
/// A function's request is not a tracing span because a span costs more than the line it
/// labels: the registry stores it, the fmt layer formats its fields into its extensions, and it
/// is entered and left on every poll of the request, about 7k instructions per request
/// (counted with `scripts/count-instructions`) against 6k for the request line itself. A scope
/// is a task-local: set for each poll of the request's future, read only when a line is
/// written.
#[derive(Debug, Clone)]
pub struct LogScope {
    name: &'static str,
    members: String,
}

impl LogScope {
    /// A scope named `name` with `fields`, in order; a field without a value is left out (as a
    /// span leaves out an `Option` field that is `None`).
    pub fn new(name: &'static str, fields: &[(&str, Option<&str>)]) -> Self {
        let mut members = String::with_capacity(128);
        for (field, value) in fields {
            let Some(value) = value else { continue };
            if !members.is_empty() {
                members.push(',');
            }
            // Writing into a `String` cannot fail.
            let _ = write_string(&mut members, field);
            members.push(':');
            let _ = write_string(&mut members, value);
        }
        Self { name, members }
    }

    /// Runs `future` inside this scope: every line it writes carries the scope.
    pub async fn run<F: Future>(self, future: F) -> F::Output {
        SCOPE.scope(self, future).await
    }

    fn write(&self, writer: &mut impl fmt::Write) -> fmt::Result {
        write_span(writer, &self.members, self.name)
    }
}

/// A line's `span` member: `members` (ready JSON members, or empty) and then `name`, as a scope
/// and a tracing span both write it.
fn write_span(writer: &mut impl fmt::Write, members: &str, name: &str) -> fmt::Result {
    writer.write_str(",\"span\":{")?;
    if !members.is_empty() {
        writer.write_str(members)?;
        writer.write_char(',')?;
    }
    writer.write_str("\"name\":")?;
    write_string(writer, name)?;
    writer.write_char('}')
}

/// A span's fields as the members of a JSON object without its braces (`"a":1,"b":"x"`),
/// ready to be copied into each line written inside the span. A field recorded later is
/// appended.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpanFields;

impl<'writer> FormatFields<'writer> for SpanFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        write_members(&mut writer, true, fields)
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let first = current.fields.is_empty();
        write_members(&mut current.as_writer(), first, fields)
    }
}

/// One event as one JSON line (see [`json_layer`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLine;

impl<S> FormatEvent<S, SpanFields> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, SpanFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        writer.write_str("{\"timestamp\":\"")?;
        write_timestamp(&mut writer, SystemTime::now().into())?;
        writer.write_str("\",\"level\":\"")?;
        writer.write_str(metadata.level().as_str())?;
        writer.write_char('"')?;
        write_members(&mut writer, false, event)?;
        writer.write_str(",\"target\":")?;
        write_string(&mut writer, metadata.target())?;
        // The task's scope, or else the innermost span this layer sees (spans its filter
        // drops are skipped).
        if let Ok(scoped) = SCOPE.try_with(|scope| scope.write(&mut writer)) {
            scoped?;
        } else if let Some(span) = context.lookup_current() {
            let extensions = span.extensions();
            let fields = extensions
                .get::<FormattedFields<SpanFields>>()
                .map_or("", |fields| fields.fields.as_str());
            write_span(&mut writer, fields, span.name())?;
        }
        writer.write_str("}\n")
    }
}

/// Writes `fields` as JSON object members, each after a comma unless `first` and it is the
/// first.
fn write_members(
    writer: &mut impl fmt::Write,
    first: bool,
    fields: impl RecordFields,
) -> fmt::Result {
    let mut members = Members {
        writer,
        first,
        result: Ok(()),
    };
    fields.record(&mut members);
    members.result
}

/// The visitor behind [`write_members`]; `Visit` cannot fail, so it keeps the first error.
struct Members<'a, W: fmt::Write> {
    writer: &'a mut W,
    first: bool,
    result: fmt::Result,
}

impl<W: fmt::Write> Members<'_, W> {
    /// Writes `"name":` and then the value through `value`, unless an earlier write failed.
    fn member(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self.write_member(field, value);
        }
    }

    fn write_member(
        &mut self,
        field: &Field,
        value: impl FnOnce(&mut W) -> fmt::Result,
    ) -> fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.writer.write_char(',')?;
        }
        write_string(self.writer, field.name())?;
        self.writer.write_char(':')?;
        value(self.writer)
    }
}

impl<W: fmt::Write> Visit for Members<'_, W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.member(field, |writer| write_string(writer, value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, |writer| write!(writer, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, |writer| write!(writer, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, |writer| write!(writer, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity; `Display` writes any finite value as a JSON number.
        self.member(field, |writer| {
            if value.is_finite() {
                write!(writer, "{value}")
            } else {
                writer.write_str("null")
            }
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.member(field, |writer| {
            writer.write_char('"')?;
            write!(Escaped(writer), "{value:?}")?;
            writer.write_char('"')
        });
    }
}

/// `text` as a JSON string.
fn write_string(writer: &mut impl fmt::Write, text: &str) -> fmt::Result {
    writer.write_char('"')?;
    Escaped(writer).write_str(text)?;
    writer.write_char('"')
}

/// Escapes what is written through it as the inside of a JSON string (RFC 8259 §7).
struct Escaped<'a, W: fmt::Write>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaped<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        write_escaped(self.0, text)
    }
}

/// `at` as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the digits placed by hand: `write!` with padded
/// fields costs several times this, on every line.
fn write_timestamp(writer: &mut impl fmt::Write, at: DateTime<Utc>) -> fmt::Result {
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    // A leap second's nanoseconds run past one second; keep the last microsecond of the second.
    let micros = (at.nanosecond() / 1_000).min(999_999);
    let year = u32::try_from(at.year()).unwrap_or(0).min(9999);
    let fields = [
        (0, 4, year),
        (5, 2, at.month()),
        (8, 2, at.day()),
        (11, 2, at.hour()),
        (14, 2, at.minute()),
        (17, 2, at.second()),
        (20, 6, micros),
    ];
    for (start, width, mut value) in fields {
        for digit in text[start..start + width].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    // Only ASCII digits were placed into an ASCII template.
    writer.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use chrono::TimeZone;
    use serde_json::{json, Value};

    use super::*;

    /// Lines written to memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Every line written while `write` runs, each parsed as JSON.
    fn lines(write: impl FnOnce()) -> Vec<Value> {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = json_subscriber(move || writer.clone(), EnvFilter::new("info"));
        tracing::subscriber::with_default(subscriber, write);
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).expect("every line is JSON"))
            .collect()
    }

    #[derive(Debug)]
    struct Quoted;

    #[test]
    fn every_kind_of_field_is_written_as_json_and_reads_back_as_written() {
        let awkward = "a \"quote\", a back\\slash, a\nnewline, a\ttab, a bell \u{7} and é";
        let logged = lines(|| {
            tracing::info!(
                text = awkward,
                count = 42_u64,
                delta = -7_i64,
                ratio = 0.25_f64,
                not_a_number = f64::NAN,
                flag = true,
                shown = %"display \"text\"",
                debugged = ?Quoted,
                "a message with {} and \"quotes\"",
                "arguments"
            );
        });
        assert_eq!(logged.len(), 1);
        let line = &logged[0];
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "a message with arguments and \"quotes\"");
        assert_eq!(line["text"], awkward);
        assert_eq!(line["count"], 42);
        assert_eq!(line["delta"], -7);
        assert_eq!(line["ratio"], 0.25);
        assert_eq!(line["not_a_number"], Value::Null);
        assert_eq!(line["flag"], true);
        assert_eq!(line["shown"], "display \"text\"");
        assert_eq!(line["debugged"], "Quoted");
        assert_eq!(line["target"], module_path!());
        assert!(line.get("span").is_none(), "no span: {line}");
    }

    #[test]
    fn a_line_carries_its_innermost_span_with_fields_recorded_later() {
        let logged = lines(|| {
            let outer = tracing::info_span!("outer", kept = "out");
            let _outer = outer.enter();
            let request = tracing::info_span!(
                "request",
                request_id = "r-1",
                attempt = 1_u64,
                status = tracing::field::Empty
            );
            let _request = request.enter();
            tracing::warn!("before");
            request.record("status", 200_u64);
            tracing::error!(reason = "after", "after");
            let bare = tracing::info_span!("bare");
            let _bare = bare.enter();
            tracing::info!("inside a span without fields");
        });
        assert_eq!(logged.len(), 3);
        assert_eq!(
            logged[0]["span"],
            json!({"request_id": "r-1", "attempt": 1, "name": "request"})
        );
        assert_eq!(logged[0]["level"], "WARN");
        assert_eq!(
            logged[1]["span"],
            json!({"request_id": "r-1", "attempt": 1, "status": 200, "name": "request"})
        );
        assert_eq!(logged[1]["reason"], "after");
        assert_eq!(logged[2]["span"], json!({"name": "bare"}));
    }

    #[test]
    fn a_line_written_in_a_scope_carries_it_and_only_while_the_scope_runs() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let logged = lines(|| {
            let scope = LogScope::new(
                "request",
                &[
                    ("route", Some("GET /items/{id}")),
                    ("request_id", Some("r-\"1\"\n")),
                    ("trace_id", None),
                ],
            );
            runtime.block_on(scope.run(async {
                tracing::info!("first");
                // Across an await: the scope is set again for each poll.
                tokio::task::yield_now().await;
                let inner = tracing::info_span!("inner", kept = "in");
                let _inner = inner.enter();
                tracing::warn!("second");
            }));
            tracing::info!("after");
            runtime.block_on(LogScope::new("batch", &[]).run(async {
                tracing::info!("bare");
            }));
        });
        assert_eq!(logged.len(), 4);
        let request = json!({
            "route": "GET /items/{id}",
            "request_id": "r-\"1\"\n",
            "name": "request"
        });
        assert_eq!(logged[0]["span"], request);
        assert_eq!(logged[0]["message"], "first");
        // The scope is the request's, whatever span the code inside it enters.
        assert_eq!(logged[1]["span"], request);
        assert!(logged[2].get("span").is_none(), "{}", logged[2]);
        assert_eq!(logged[3]["span"], json!({"name": "batch"}));
    }

    #[test]
    fn the_timestamp_is_rfc_3339_in_utc_to_the_microsecond() {
        let mut text = String::new();
        let at = Utc
            .with_ymd_and_hms(2026, 3, 7, 4, 5, 6)
            .unwrap()
            .with_nanosecond(7_008_009)
            .unwrap();
        write_timestamp(&mut text, at).unwrap();
        assert_eq!(text, "2026-03-07T04:05:06.007008Z");
        assert_eq!(
            text,
            at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        );

        // A leap second stays within its second.
        let leap = Utc
            .with_ymd_and_hms(2016, 12, 31, 23, 59, 59)
            .unwrap()
            .with_nanosecond(1_500_000_000)
            .unwrap();
        text.clear();
        write_timestamp(&mut text, leap).unwrap();
        assert_eq!(text, "2016-12-31T23:59:59.999999Z");

        let logged = lines(|| tracing::info!("now"));
        let written = logged[0]["timestamp"].as_str().unwrap();
        let parsed = DateTime::parse_from_rfc3339(written).expect("RFC 3339");
        let age = Utc::now().signed_duration_since(parsed);
        assert!(
            age >= chrono::TimeDelta::zero() && age < chrono::TimeDelta::seconds(60),
            "{written}"
        );
    }
}
