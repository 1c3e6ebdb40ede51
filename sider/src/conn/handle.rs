//! [`Handle`]: how clients reach their connection's driver, and [`Shared`], what the driver
//! and its handles both see.

use super::cache::Cache;
use super::config::Config;
use super::direct::Sent;
use super::driver::Opened;
use super::handshake::Established;
use super::push::PubSubOp;
use super::push::Router;
use super::reconnect::run;
use super::request::{CachedRead, Discarded, Payload, ReplySink, Request, Waiter};
use super::server::ServerInfo;
use super::shared::{driver_stopped, Retire, Shared};
use crate::cmd::Cmd;
use crate::error::Error;
use crate::resp::Frame;
use crate::stats::Stats;
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::mpsc;
use tokio::sync::oneshot;

/// The client side of the driver: cheap to clone, sends requests.
#[derive(Clone, Debug)]
pub(crate) struct Handle {
    tx: mpsc::UnboundedSender<Request>,
    shared: Arc<Shared>,
}

impl Handle {
    fn send(&self, request: Request) {
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
            match self.shared.direct.try_send(
                request,
                &self.shared.in_flight,
                &self.shared.counters,
            ) {
                Sent::Whole => return,
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
            request.waiter.fail(driver_stopped());
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

    /// Where pushes other than pub/sub messages and invalidations go, from now on.
    pub(crate) fn push_messages(&self) -> mpsc::UnboundedReceiver<Frame> {
        let (tx, rx) = mpsc::unbounded_channel();
        match self.shared.pushes.lock() {
            Ok(mut sink) => *sink = Some(tx),
            Err(poisoned) => *poisoned.into_inner() = Some(tx),
        }
        rx
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

/// The result of a request on its way from the driver.
#[must_use = "a reply does nothing unless awaited"]
#[derive(Debug)]
pub(crate) struct Reply<T>(oneshot::Receiver<Result<T, Error>>);

impl<T> Future for Reply<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|result| result.unwrap_or_else(|_| Err(driver_stopped())))
    }
}

/// The ways to send: every request to the driver is built here, with its waiter and channel.
impl Handle {
    /// One command; its reply.
    pub(crate) fn call(&self, cmd: Cmd) -> Reply<Frame> {
        let (tx, rx) = oneshot::channel();
        self.send(Request {
            payload: Payload::Cmd(cmd),
            waiter: Waiter::One(tx),
        });
        Reply(rx)
    }

    /// One command whose reply nobody waits for: the driver reads it and lets it go.
    pub(crate) fn call_and_forget(&self, cmd: Cmd) {
        drop(self.call(cmd));
    }

    /// A cacheable read that missed: `payload` holds the `PTTL` of each of `keys`, then the
    /// read (see [`CachedRead`] for the other fields).
    pub(crate) fn cached_read(
        &self,
        payload: Bytes,
        keys: Vec<(Bytes, Bytes)>,
        ttl: Option<std::time::Duration>,
        mget: Option<Vec<Option<Frame>>>,
    ) -> Reply<Frame> {
        let (tx, rx) = oneshot::channel();
        let read = CachedRead {
            tx,
            keys,
            ttl,
            mget,
            pttls: Vec::new(),
        };
        self.send(Request {
            payload: Payload::Encoded(payload),
            waiter: Waiter::Cached(Box::new(read)),
        });
        Reply(rx)
    }

    /// Encoded commands, and their `count` replies.
    pub(crate) fn batch(&self, payload: Bytes, count: usize) -> Reply<Vec<Frame>> {
        let (tx, rx) = oneshot::channel();
        self.send(Request {
            payload: Payload::Encoded(payload),
            waiter: Waiter::Many {
                expected: count,
                frames: Vec::with_capacity(count),
                tx,
            },
        });
        Reply(rx)
    }

    /// Encoded commands whose `count` replies go to the sink `sink` builds, as they are read;
    /// what the sink sends back once they all have.
    pub(crate) fn batch_into<R>(
        &self,
        payload: Bytes,
        count: usize,
        sink: impl FnOnce(oneshot::Sender<Result<R, Error>>) -> Box<dyn ReplySink>,
    ) -> Reply<R> {
        let (tx, rx) = oneshot::channel();
        self.send(Request {
            payload: Payload::Encoded(payload),
            waiter: Waiter::Sink {
                expected: count,
                seen: 0,
                sink: sink(tx),
            },
        });
        Reply(rx)
    }

    /// Encoded commands whose `count` replies are counted, not kept, except the first error.
    pub(crate) fn batch_discard(&self, payload: Bytes, count: usize) -> Reply<Discarded> {
        let (tx, rx) = oneshot::channel();
        self.send(Request {
            payload: Payload::Encoded(payload),
            waiter: Waiter::Discard {
                expected: count,
                seen: 0,
                summary: Discarded::default(),
                tx,
            },
        });
        Reply(rx)
    }

    /// A change to the subscriptions; resolves once the server confirmed it (at once when the
    /// server need not hear of it).
    pub(crate) fn pubsub(&self, op: PubSubOp) -> Reply<Frame> {
        let (tx, rx) = oneshot::channel();
        self.send(Request {
            payload: Payload::PubSub(op),
            waiter: Waiter::Subscribe {
                remaining: 0,
                tx: Some(tx),
            },
        });
        Reply(rx)
    }

    /// A change to the subscriptions nobody waits for (a subscription dropped).
    pub(crate) fn pubsub_and_forget(&self, op: PubSubOp) {
        self.send(Request {
            payload: Payload::PubSub(op),
            waiter: Waiter::Subscribe {
                remaining: 0,
                tx: None,
            },
        });
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
