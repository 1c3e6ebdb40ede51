//! Optional `tracing` instrumentation, compiled out entirely without the `tracing` feature.
//!
//! Spans and events carry command names, counts, the server address, durations and outcomes:
//! never keys, values or credentials.

use crate::error::Error;
use crate::resp::Frame;
use tokio::time::Instant;

/// Emits a `tracing` event with the feature, nothing without it.
macro_rules! event {
    ($level:ident, $($rest:tt)*) => {
        #[cfg(feature = "tracing")]
        ::tracing::$level!(target: "sider", $($rest)*);
    };
}
pub(crate) use event;

/// One request waiting for its replies: when it was queued and, with the feature, its span.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) at: Instant,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Queued {
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn new(
        command: &'static str,
        commands: usize,
        addr: &super::Addr,
        at: Instant,
    ) -> Queued {
        Queued {
            at,
            #[cfg(feature = "tracing")]
            span: tracing::debug_span!(
                target: "sider",
                "redis",
                command,
                commands,
                addr = %addr,
                outcome = tracing::field::Empty,
            ),
        }
    }

    /// The last reply arrived.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn finish(self, last: &Frame) {
        #[cfg(feature = "tracing")]
        {
            let outcome = if matches!(last, Frame::Error(_)) {
                "error reply"
            } else {
                "ok"
            };
            self.span.record("outcome", outcome);
            let _entered = self.span.enter();
            tracing::debug!(target: "sider", elapsed_us = self.at.elapsed().as_micros() as u64, "replied");
        }
    }

    /// The connection failed before the replies came.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn fail(self, err: &Error) {
        #[cfg(feature = "tracing")]
        {
            self.span
                .record("outcome", tracing::field::debug(err.kind()));
            let _entered = self.span.enter();
            tracing::debug!(target: "sider", elapsed_us = self.at.elapsed().as_micros() as u64, "failed");
        }
    }
}
