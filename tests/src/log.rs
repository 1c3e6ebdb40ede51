//! [`Log`]: everything sider logs through `tracing`, at every level, captured as text for a test
//! to read, and its spans with their fields, for a test that checks their names and values.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The text of every event and span sider emitted since [`Log::capture`], and every span closed.
#[derive(Clone, Default)]
pub struct Log {
    text: Arc<Mutex<Vec<u8>>>,
    spans: Arc<Mutex<Spans>>,
}

/// A closed span: its name and every field recorded on it, as text (strings as they are,
/// other values in their `Debug` form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanRecord {
    pub name: String,
    pub fields: BTreeMap<String, String>,
}

impl SpanRecord {
    /// A field's value, if it was recorded.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

#[derive(Default)]
struct Spans {
    open: HashMap<Id, SpanRecord>,
    closed: Vec<SpanRecord>,
}

/// Collects a span's fields as text.
struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// The layer that keeps spans.
struct Capture(Arc<Mutex<Spans>>);

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut record = SpanRecord {
            name: attrs.metadata().name().to_owned(),
            fields: BTreeMap::new(),
        };
        attrs.record(&mut Fields(&mut record.fields));
        if let Ok(mut spans) = self.0.lock() {
            spans.open.insert(id.clone(), record);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Ok(mut spans) = self.0.lock() {
            if let Some(record) = spans.open.get_mut(id) {
                values.record(&mut Fields(&mut record.fields));
            }
        }
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        if let Ok(mut spans) = self.0.lock() {
            if let Some(record) = spans.open.remove(&id) {
                spans.closed.push(record);
            }
        }
    }
}

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = self.text.lock() {
            log.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    /// Installs the capturing subscriber for the whole test binary: call it once per binary.
    ///
    /// # Panics
    ///
    /// When another subscriber is already installed.
    pub fn capture() -> Log {
        let log = Log::default();
        let writer = log.clone();
        let text = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(move || writer.clone());
        tracing_subscriber::registry()
            .with(tracing_subscriber::filter::LevelFilter::TRACE)
            .with(text)
            .with(Capture(log.spans.clone()))
            .try_init()
            .expect("the only subscriber of this test binary");
        log
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        let log = self.text.lock().map(|log| log.clone()).unwrap_or_default();
        String::from_utf8_lossy(&log).into_owned()
    }

    /// Every span closed so far, in the order they closed.
    pub fn spans(&self) -> Vec<SpanRecord> {
        self.spans
            .lock()
            .map(|spans| spans.closed.clone())
            .unwrap_or_default()
    }
}
