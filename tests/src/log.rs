//! [`Log`]: everything sider logs through `tracing`, at every level, captured as text for a test
//! to read.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// The text of every event and span sider emitted since [`Log::capture`].
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = self.0.lock() {
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
        tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the only subscriber of this test binary");
        log
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        let log = self.0.lock().map(|log| log.clone()).unwrap_or_default();
        String::from_utf8_lossy(&log).into_owned()
    }
}
