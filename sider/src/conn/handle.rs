//! [`Handle`]: how clients reach their connection's driver, and [`Shared`], what the driver
//! and its handles both see.

use super::cache::Cache;
use super::config::Config;
use super::direct::{Sent, WriteSide};
use super::handshake::Established;
use super::push::{PushSink, Router};
use super::reconnect::{run, Opened};
use super::request::{Payload, Request, Waiter};
use super::server::ServerInfo;
use crate::error::Error;
use crate::stats::{Counters, Stats};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The client side of the driver: cheap to clone, sends requests.
#[derive(Clone, Debug)]
pub(crate) struct Handle {
    tx: mpsc::UnboundedSender<Request>,
    shared: Arc<Shared>,
}

/// What the driver and its handles both see.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Requests sent whose waiters have not completed.
    pub(super) in_flight: AtomicUsize,
    /// Connections lost or connection attempts failed, since the start.
    pub(super) failures: AtomicU64,
    /// Where pushes other than pub/sub and invalidations go.
    pub(crate) pushes: PushSink,
    pub(crate) counters: Counters,
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

    /// Counts requests sent.
    pub(crate) fn in_flight_add(&self, n: usize) {
        self.in_flight.fetch_add(n, Ordering::Relaxed);
    }
}

impl Handle {
    pub(crate) fn send(&self, request: Request) {
        // `*0` gets no reply from the server: its waiter would take the next command's.
        if let Payload::Cmd(cmd) = &request.payload {
            if cmd.arg_count() == 0 {
                request.waiter.fail(Error::config(
                    "a command needs a name (`Cmd::new` was given an empty one)",
                ));
                return;
            }
        }
        // An idle connection: write from this task rather than wake the driver's to write.
        let request = if self.shared.in_flight() == 0 {
            match self.shared.direct.try_send(request, &self.shared) {
                Sent::Written => return,
                Sent::WakeDriver => return self.resume_driver(),
                Sent::Declined(request) => request,
            }
        } else {
            request
        };
        // Backpressure: when the server is slower than the producers, requests stop piling up
        // once this many bytes wait, and callers get an error they can act on (wait, shed load).
        // A request alone is always accepted, however large.
        let size = request.payload.size();
        let max = self.shared.max_queued.load(Ordering::Relaxed);
        let before = self.shared.queued.fetch_add(size, Ordering::Relaxed);
        if before > 0 && before + size > max {
            self.shared.queued.fetch_sub(size, Ordering::Relaxed);
            request.waiter.fail(Error::busy(format!(
                "{before} bytes of commands already wait to be written (limit {max}): the server is slower than the producers"
            )));
            return;
        }
        self.shared.in_flight.fetch_add(1, Ordering::Relaxed);
        if let Err(mpsc::error::SendError(request)) = self.tx.send(request) {
            self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
            self.shared.queued.fetch_sub(size, Ordering::Relaxed);
            request
                .waiter
                .fail(Error::closed("the connection driver has stopped"));
        }
    }

    /// Wakes the driver to write what a caller's own write left, or to fail the connection
    /// that write found broken. Never refused for backpressure: a caller's command is already
    /// partly on the wire.
    fn resume_driver(&self) {
        self.shared.in_flight.fetch_add(1, Ordering::Relaxed);
        let resume = Request {
            payload: Payload::Resume,
            waiter: Waiter::Nobody,
        };
        if self.tx.send(resume).is_err() {
            // The driver is gone, and its `Retire` guard failed every caller's waiter.
            self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Requests whose replies have not all arrived (including those of callers that left).
    pub(crate) fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::Relaxed)
    }

    /// How many times the connection broke or failed to connect.
    pub(crate) fn failures(&self) -> u64 {
        self.shared.failures.load(Ordering::Relaxed)
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The server of the current connection, or of the last one while reconnecting.
    pub(crate) fn server(&self) -> ServerInfo {
        let server = match self.shared.server.lock() {
            Ok(server) => server.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        server.map_or_else(ServerInfo::unknown, |s| ServerInfo::clone(&s))
    }

    /// A snapshot of the counters.
    pub(crate) fn stats(&self) -> Stats {
        self.shared.counters.snapshot(self.in_flight())
    }
}

/// Spawns the driver for an established connection.
pub(crate) fn spawn(config: Config, conn: Established, cache: Option<Arc<Cache>>) -> Handle {
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared::default());
    shared
        .max_queued
        .store(config.max_queued_bytes, Ordering::Relaxed);
    let router = Router::new(cache, shared.pushes.clone());
    // Installed now, so that the first command can be written by its caller; the guard is
    // the task's from the start, so it runs even if the task is dropped before it first runs.
    let conn = Opened::new(conn, &shared, false);
    let retire = Retire(shared.clone());
    tokio::spawn(run(config, Some(conn), rx, shared.clone(), router, retire));
    Handle { tx, shared }
}

/// Fails the commands callers wrote themselves when the driver ends by any way (its handles
/// all gone, the runtime shutting down, a panic): their waiters live in [`Shared`], which
/// outlives the driver, and no one else would ever answer them.
pub(super) struct Retire(Arc<Shared>);

impl Drop for Retire {
    fn drop(&mut self) {
        for written in self.0.direct.retire() {
            self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
            written
                .waiter
                .fail(Error::closed("the connection driver has stopped"));
        }
    }
}
