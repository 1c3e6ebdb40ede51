//! [`Stats`]: counters any user can read without a metrics stack.
//!
//! The driver updates them with relaxed atomics (no lock on the hot path); reading takes a
//! snapshot, each counter read once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in microseconds; the last bucket is
/// everything slower.
pub const LATENCY_BUCKETS_US: [u64; 10] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000,
];

/// The live counters of one connection's driver.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) commands: AtomicU64,
    pub(crate) caller_writes: AtomicU64,
    pub(crate) replies: AtomicU64,
    pub(crate) error_replies: AtomicU64,
    pub(crate) io_errors: AtomicU64,
    pub(crate) protocol_errors: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) closed: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) bytes_written: AtomicU64,
    pub(crate) bytes_read: AtomicU64,
    pub(crate) latency: [AtomicU64; LATENCY_BUCKETS_US.len() + 1],
}

impl Counters {
    #[inline]
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Records how long a request waited for its (last) reply.
    #[inline]
    pub(crate) fn record_latency(&self, waited: Duration) {
        let us = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BUCKETS_US
            .iter()
            .position(|&bound| us < bound)
            .unwrap_or(LATENCY_BUCKETS_US.len());
        if let Some(b) = self.latency.get(bucket) {
            b.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn snapshot(&self, in_flight: usize) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut latency = [0; LATENCY_BUCKETS_US.len() + 1];
        for (out, c) in latency.iter_mut().zip(&self.latency) {
            *out = get(c);
        }
        let connects = get(&self.connects);
        Stats {
            commands: get(&self.commands),
            caller_writes: get(&self.caller_writes),
            replies: get(&self.replies),
            error_replies: get(&self.error_replies),
            io_errors: get(&self.io_errors),
            protocol_errors: get(&self.protocol_errors),
            timeouts: get(&self.timeouts),
            closed: get(&self.closed),
            reconnects: connects.saturating_sub(1),
            in_flight,
            bytes_written: get(&self.bytes_written),
            bytes_read: get(&self.bytes_read),
            latency,
            blocking_connections: 0,
            blocking_idle: 0,
            blocking_waiting: 0,
            cache: None,
        }
    }
}

/// A snapshot of a client's counters, from [`Client::stats`](crate::Client::stats).
///
/// `commands` counts commands sent (a pipeline of N counts N); `replies` counts replies read,
/// including those of callers that gave up. Connection failures are counted by kind. The
/// latency histogram counts requests (a pipeline is one) by the time from being queued to the
/// last reply, in the buckets of [`LATENCY_BUCKETS_US`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Commands sent.
    pub commands: u64,
    /// Requests (a command, or a pipeline) written whole to the socket by the task that sent
    /// them, which found the connection idle; the connection's driver wrote the rest,
    /// coalescing the requests of concurrent tasks into as few writes as it could.
    pub caller_writes: u64,
    /// Replies read.
    pub replies: u64,
    /// Replies that were error replies (`-ERR`...).
    pub error_replies: u64,
    /// Connections lost to I/O errors.
    pub io_errors: u64,
    /// Connections dropped for protocol violations.
    pub protocol_errors: u64,
    /// Connections dropped by the response timeout.
    pub timeouts: u64,
    /// Connections the server closed.
    pub closed: u64,
    /// Successful reconnections after the first connect.
    pub reconnects: u64,
    /// Requests waiting for replies now.
    pub in_flight: usize,
    /// Bytes written to the socket.
    pub bytes_written: u64,
    /// Bytes read from the socket.
    pub bytes_read: u64,
    /// Requests by latency bucket ([`LATENCY_BUCKETS_US`], then slower).
    pub latency: [u64; LATENCY_BUCKETS_US.len() + 1],
    /// Connections open for blocking commands (`BLPOP`, `XREAD BLOCK`...), idle ones
    /// included: a [`Client`](crate::Client) runs each blocking call on one of its own (see
    /// [`Config::max_blocking_connections`](crate::Config::max_blocking_connections)). Their
    /// commands are not in the counters above. Always 0 for a connection held alone.
    pub blocking_connections: usize,
    /// Of those, the ones idle, kept for the next blocking call (at most 8).
    pub blocking_idle: usize,
    /// Blocking calls waiting for a connection, when the bound is reached.
    pub blocking_waiting: usize,
    /// The client-side cache's hits, misses, invalidations and evictions, when caching is on
    /// ([`Client::stats`](crate::Client::stats) only).
    pub cache: Option<crate::CacheStats>,
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "commands {} ({} requests written by their callers) · replies {} (errors {}) · in flight {} · written {} B · read {} B",
            self.commands,
            self.caller_writes,
            self.replies,
            self.error_replies,
            self.in_flight,
            self.bytes_written,
            self.bytes_read
        )?;
        writeln!(
            f,
            "connection failures: io {} · protocol {} · timeout {} · closed {} · reconnects {}",
            self.io_errors, self.protocol_errors, self.timeouts, self.closed, self.reconnects
        )?;
        if self.blocking_connections > 0 || self.blocking_waiting > 0 {
            writeln!(
                f,
                "blocking commands: {} connections ({} idle) · {} calls waiting for one",
                self.blocking_connections, self.blocking_idle, self.blocking_waiting
            )?;
        }
        f.write_str("latency:")?;
        let mut lower = 0;
        for (i, count) in self.latency.iter().enumerate() {
            match LATENCY_BUCKETS_US.get(i) {
                Some(&upper) => write!(f, " [{lower}-{upper} µs) {count}")?,
                None => write!(f, " [{lower} µs-) {count}")?,
            }
            lower = LATENCY_BUCKETS_US.get(i).copied().unwrap_or(lower);
        }
        if let Some(c) = &self.cache {
            write!(
                f,
                "\ncache: hits {} · misses {} · invalidated {} · evicted {} · expired {} · \
                 emptied on disconnect {} · holds {} entries, {} B",
                c.hits,
                c.misses,
                c.invalidated,
                c.evicted,
                c.expired,
                c.disconnects,
                c.entries,
                c.bytes
            )?;
        }
        Ok(())
    }
}
