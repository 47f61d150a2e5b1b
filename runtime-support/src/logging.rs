//! Log output: every line written while a request or action runs carries its trace id and action, read from the task's scope rather than from spans.
//!
//! The trace id and the action live in a task-local ([`crate::trace`]) that
//! the request layer and the pipeline set anyway; the formatter here writes
//! them into each line. Spans (`request`, `action`) are `debug`: at the
//! default `info` level a request creates none, which saves the span
//! registry's bookkeeping and field formatting on every request, and every
//! line still says which request and action wrote it.
//!
//! Text: `2026-12-06T02:41:10.123456Z  INFO trace_id=… action=tasks.create_task: tasks_server::tasks: task created task_id=…`
//!
//! JSON (`LOG_FORMAT=json`): tracing-subscriber's JSON object with
//! `trace_id` and `action` as its first keys.
//!
//! **A log line cannot be forged through user input.** A text line ends
//! with its one real newline; every other control character the line would
//! contain (a newline or carriage return inside a field such as a task
//! title, a tab, NUL, and escape sequences when not writing to a terminal)
//! is written escaped (`\n`, `\r`, `\t`, `\u{1b}`), so a value can never
//! start a line of its own. JSON lines are escaped by JSON itself.

use std::fmt::{self, Write as _};

use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{Format, Full, Json, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::trace::current_scope;

/// Installs the tracing subscriber: filter from `RUST_LOG` (default `info`),
/// JSON lines when `LOG_FORMAT=json`, ANSI colours only on a terminal. Safe
/// to call twice (the second call changes nothing).
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // Colour codes only for a terminal: in files and log collectors they are noise.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    #[cfg(feature = "otel")]
    if crate::observe::otel::configured() {
        return init_with_export(filter, json, ansi);
    }
    #[cfg(not(feature = "otel"))]
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
        eprintln!(
            "warning: OTEL_EXPORTER_OTLP_ENDPOINT is set, but this server was built without the \
             bunbase-runtime feature `otel`: no traces are exported"
        );
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    let _ = if json {
        builder.json().event_format(JsonLine::default()).try_init()
    } else {
        builder.event_format(TextLine::default()).try_init()
    };
}

/// [`init_tracing`] with OpenTelemetry export: log lines keep the
/// `RUST_LOG` filter, and the export layer gets the runtime's `request` and
/// `action` spans (`debug`) and everything else at `info`.
#[cfg(feature = "otel")]
fn init_with_export(filter: EnvFilter, json: bool, ansi: bool) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let lines = tracing_subscriber::fmt::layer().with_ansi(ansi);
    let lines: Box<dyn tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync> =
        if json {
            lines.json().event_format(JsonLine::default()).boxed()
        } else {
            lines.event_format(TextLine::default()).boxed()
        };
    let spans = tracing_subscriber::filter::Targets::new()
        .with_default(tracing::Level::INFO)
        .with_target("bunbase_runtime", tracing::Level::DEBUG);
    let registry = tracing_subscriber::registry().with(lines.with_filter(filter));
    let _ = match crate::observe::otel::layer() {
        Some(export) => registry.with(export.with_filter(spans)).try_init(),
        None => registry.try_init(),
    };
}

fn format() -> Format {
    tracing_subscriber::fmt::format()
}

/// The text line: time, level, the scope's trace id and action, then
/// tracing-subscriber's full format (spans, target, fields).
pub struct TextLine {
    rest: Format<Full, ()>,
}

impl Default for TextLine {
    fn default() -> Self {
        TextLine {
            rest: format().without_time().with_level(false),
        }
    }
}

impl<S, N> FormatEvent<S, N> for TextLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let ansi = writer.has_ansi_escapes();
        if ansi {
            writer.write_str("\x1b[2m")?;
        }
        if SystemTime.format_time(&mut writer).is_err() {
            writer.write_str("<unknown time>")?;
        }
        if ansi {
            writer.write_str("\x1b[0m")?;
        }
        let level = *event.metadata().level();
        if ansi {
            let colour = match level {
                tracing::Level::TRACE => "35",
                tracing::Level::DEBUG => "34",
                tracing::Level::INFO => "32",
                tracing::Level::WARN => "33",
                tracing::Level::ERROR => "31",
            };
            write!(writer, " \x1b[{colour}m{level:>5}\x1b[0m ")?;
        } else {
            write!(writer, " {level:>5} ")?;
        }
        let mut out = Escaped {
            inner: writer.by_ref(),
            ansi,
            newlines: 0,
        };
        if let Some((trace_id, action)) = current_scope() {
            write!(out, "trace_id={trace_id}")?;
            if let Some(action) = action {
                write!(out, " action={action}")?;
            }
            out.write_str(": ")?;
        }
        // The rest of the line goes through the escaping writer: only the
        // line's final newline is written as one.
        self.rest.format_event(ctx, Writer::new(&mut out), event)?;
        if out.newlines > 0 {
            out.newlines -= 1;
            out.flush_newlines()?;
            out.inner.write_char('\n')?;
        }
        Ok(())
    }
}

/// Writes control characters escaped, except newlines at the very end
/// (held back until more text shows they were inside the line) and, on a
/// terminal, the escape character of colour codes.
struct Escaped<'a> {
    inner: Writer<'a>,
    ansi: bool,
    newlines: usize,
}

impl Escaped<'_> {
    fn flush_newlines(&mut self) -> fmt::Result {
        for _ in 0..std::mem::take(&mut self.newlines) {
            self.inner.write_str("\\n")?;
        }
        Ok(())
    }
}

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut plain = 0;
        for (i, c) in s.char_indices() {
            let keep = !c.is_control() || (c == '\x1b' && self.ansi);
            if keep && self.newlines == 0 {
                continue;
            }
            self.inner.write_str(&s[plain..i])?;
            plain = i + c.len_utf8();
            if keep {
                self.flush_newlines()?;
                self.inner.write_char(c)?;
                continue;
            }
            match c {
                '\n' => self.newlines += 1,
                '\r' => {
                    self.flush_newlines()?;
                    self.inner.write_str("\\r")?;
                }
                '\t' => {
                    self.flush_newlines()?;
                    self.inner.write_str("\\t")?;
                }
                other => {
                    self.flush_newlines()?;
                    write!(self.inner, "\\u{{{:x}}}", other as u32)?;
                }
            }
        }
        self.inner.write_str(&s[plain..])
    }
}

/// The JSON line: tracing-subscriber's JSON object with the scope's
/// `trace_id` and `action` spliced in as its first keys.
pub struct JsonLine(Format<Json>);

impl Default for JsonLine {
    fn default() -> Self {
        JsonLine(format().json())
    }
}

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    Format<Json>: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some((trace_id, action)) = current_scope() else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::with_capacity(256);
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let Some(rest) = line.strip_prefix('{') else {
            return writer.write_str(&line);
        };
        // Trace ids are visible ASCII but may hold `"` or `\`: escape them.
        let id = serde_json::Value::from(trace_id.as_str());
        write!(writer, "{{\"trace_id\":{id},")?;
        if let Some(action) = action {
            write!(writer, "\"action\":{},", serde_json::Value::from(action))?;
        }
        writer.write_str(rest)
    }
}
