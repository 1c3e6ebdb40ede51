//! [`Shared`]: what a connection's driver and its handles both see (counters, the write side
//! callers may write through, the server's identity), and [`Retire`], which fails what callers
//! wrote themselves when the driver ends.

use super::direct::WriteSide;
use super::push::PushSink;
use super::server::ServerInfo;
use crate::error::Error;
use crate::stats::Counters;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// What a request's caller hears when the driver is gone (every handle's connection closed, or
/// the runtime shutting down): the one place this error is written.
pub(crate) fn driver_stopped() -> Error {
    Error::closed("the connection driver has stopped")
}

/// What the driver and its handles both see.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Requests sent whose waiters have not completed.
    pub(super) in_flight: AtomicUsize,
    /// Connections lost or connection attempts failed, since the start.
    pub(super) failures: AtomicU64,
    /// Where pushes other than pub/sub and invalidations go.
    pub(super) pushes: PushSink,
    pub(super) counters: Counters,
    /// Bytes of requests sent to the driver that it has not taken yet.
    pub(super) queued: AtomicUsize,
    /// The most bytes allowed to queue before new requests fail with `ErrorKind::Busy`.
    pub(super) max_queued: AtomicUsize,
    /// The connection's write side, shared with callers that find it idle.
    pub(super) direct: WriteSide,
    /// The server of the current (or last) connection, as its handshake reported it.
    pub(super) server: std::sync::Mutex<Option<Arc<ServerInfo>>>,
}

impl Shared {
    /// Requests sent whose waiters have not completed.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

/// Fails the commands callers wrote themselves when the driver ends by any way (its handles
/// all gone, the runtime shutting down, a panic): their waiters live in [`Shared`], which
/// outlives the driver, and no one else would ever answer them.
pub(super) struct Retire(pub(super) Arc<Shared>);

impl Drop for Retire {
    fn drop(&mut self) {
        for written in self.0.direct.retire() {
            self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
            written.waiter.fail(driver_stopped());
        }
    }
}
