//! The driver: one task owns the socket, batches every queued request into as few writes as
//! possible, reads while it writes, and hands each reply to the request it answers. The one
//! exception is a request sent while nothing is in flight, which its caller writes itself
//! (`direct`); its reply still comes through the driver.
//!
//! Replies come back in request order, so the driver keeps a queue of [`Waiter`]s: the front one
//! takes the next frame. A caller that gave up (its future was dropped) still owns its place in
//! that queue: its replies are read and discarded, never passed to the next caller.
//!
//! When the connection fails, every waiter gets the error, and the driver reconnects lazily when
//! the next request arrives.

use super::config::{Addr, Config, Protocol};
use super::direct::Written;
use super::handshake::Established;
use super::health::{Check, Health};
use super::push::{PubSubOp, Router};
use super::request::{Payload, Request, Waiter};
use super::server::ServerInfo;
use super::shared::Shared;
use super::stream::Reader;
use super::trace::{event, Queued};
use super::write_buf::{WriteBuf, MAX_IOVECS};
use crate::cmd::Cmd;
use crate::error::Error;
use crate::resp::{Decoder, Frame};
use crate::stats::Counters;
use bytes::BytesMut;
use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};

mod read;

/// Stop taking requests while this many bytes wait to be written: callers then queue in the
/// channel instead of growing the write buffer.
const MAX_PENDING_WRITE: usize = 4 * 1024 * 1024;
/// Read in chunks of at least this much spare capacity.
const READ_CHUNK: usize = 64 * 1024;
/// The most read-buffer room reserved ahead for a large reply announced by its header.
const MAX_RESERVE_AHEAD: usize = 64 * 1024 * 1024;

/// `limit` after `from`; a limit too long to add (`Duration::MAX`) is, in effect, none.
fn deadline(from: Instant, limit: std::time::Duration) -> Instant {
    from.checked_add(limit)
        .unwrap_or_else(|| from + std::time::Duration::from_secs(100 * 365 * 86_400))
}

/// An established connection whose write side is installed in [`Shared`], where callers that
/// find it idle write to it.
pub(super) struct Opened {
    pub(super) reader: Reader,
    pub(super) addr: Addr,
    pub(super) read_buf: BytesMut,
    pub(super) decoder: Decoder,
    pub(super) protocol: Protocol,
    pub(super) server: Arc<ServerInfo>,
    /// Callers may not write until the driver has written what it queues first.
    pub(super) held: bool,
}

impl Opened {
    /// `held` when the driver has commands that must go first: the subscriptions it renews.
    pub(super) fn new(established: Established, shared: &Shared, held: bool) -> Opened {
        let (reader, writer) = established.stream.split();
        shared
            .direct
            .install(writer, established.addr.clone(), held);
        let server = Arc::new(established.server);
        match shared.server.lock() {
            Ok(mut slot) => *slot = Some(server.clone()),
            Err(poisoned) => *poisoned.into_inner() = Some(server.clone()),
        }
        Opened {
            server,
            reader,
            addr: established.addr,
            read_buf: established.read_buf,
            decoder: established.decoder,
            protocol: established.protocol,
            held,
        }
    }
}

/// A live connection: the socket, its buffers, and the waiters in reply order.
pub(super) struct Link {
    reader: Reader,
    addr: Addr,
    decoder: Decoder,
    read_buf: BytesMut,
    /// What the driver queued and has not written, in wire order.
    buf: WriteBuf,
    /// The driver has queued bytes of its own since it last wrote everything: callers hand
    /// their commands to it instead of writing them (`direct`'s `driver_writing`).
    claimed: bool,
    /// A caller's own write found the connection broken.
    broken: Option<Error>,
    /// Waiters taken from callers, on their way into `waiting`.
    written: VecDeque<Written>,
    /// Waiters in reply order, with when their request was queued.
    waiting: VecDeque<(Waiter, Queued)>,
    response_timeout: Option<std::time::Duration>,
    timer: Option<Pin<Box<Sleep>>>,
    closing: bool,
    /// The driver gave way for one scheduler turn before writing what it took; what it takes
    /// now is written without giving way again.
    paused: bool,
    /// Callers handed their replies since the last write: more than one, and more commands are
    /// likely on their way.
    woken: usize,
    shared: Arc<Shared>,
    pub(super) protocol: Protocol,
    /// For explaining a command this server does not know (see `CommandInfo::explain_unknown`).
    server: Arc<ServerInfo>,
    /// With client-side caching: notices a silent connection (see `health.rs`).
    health: Option<Health>,
    pub(super) router: Router,
}

impl Link {
    pub(super) fn new(
        config: &Config,
        established: Opened,
        shared: Arc<Shared>,
        router: Router,
    ) -> Link {
        let mut connection = Link {
            reader: established.reader,
            addr: established.addr,
            decoder: established.decoder,
            read_buf: established.read_buf,
            buf: WriteBuf::new(),
            claimed: established.held,
            broken: None,
            written: VecDeque::new(),
            waiting: VecDeque::new(),
            response_timeout: config.response_timeout,
            timer: None,
            closing: false,
            paused: false,
            woken: 0,
            shared,
            protocol: established.protocol,
            server: established.server,
            health: router
                .cache
                .as_ref()
                .map(|_| Health::new(config.cache.health_check)),
            router,
        };
        // Callers' commands are timed by the same timer: it runs while the connection lives.
        connection.arm_timer();
        connection
    }

    /// Takes over the queue of commands callers wrote themselves, before the driver queues
    /// anything of its own (so that theirs, written first, are answered first), with whatever
    /// their writes left unwritten; from now until everything queued is written, callers hand
    /// their commands to the driver.
    fn claim(&mut self) {
        if !self.claimed {
            self.take_from_callers(true);
        }
    }

    /// Takes the waiters of commands callers wrote themselves, in the order written: every one
    /// of them follows what is already queued here, since callers write only when the driver
    /// has nothing left to write. While the driver holds its claim no caller writes, so there
    /// is nothing to take and the lock is not taken.
    fn take_pending(&mut self) {
        if !self.claimed {
            self.take_from_callers(false);
        }
    }

    /// Takes callers' waiters (and a failed write's error); with `claim`, also the rest of a
    /// partial write, and the write side until everything queued is written.
    fn take_from_callers(&mut self, claim: bool) {
        let leftover = if claim { Some(&mut self.buf) } else { None };
        if let Some(err) = self.shared.direct.take(&mut self.written, leftover) {
            self.broken.get_or_insert(err);
        }
        if claim {
            self.claimed = true;
        }
        self.queue_written();
    }

    /// Queues the waiters taken from callers, opening their trace spans outside the lock.
    fn queue_written(&mut self) {
        for written in self.written.drain(..) {
            let queued = Queued::new(written.label, written.commands, &self.addr, written.at);
            self.waiting.push_back((written.waiter, queued));
        }
    }

    /// Queues a command of the driver's own (renewing subscriptions), counted like a request.
    pub(super) fn send_internal(&mut self, cmd: Cmd, confirmations: usize) {
        self.shared.in_flight.fetch_add(1, Ordering::Relaxed);
        self.shared
            .queued
            .fetch_add(cmd.encoded_len(), Ordering::Relaxed);
        self.enqueue(
            Request {
                payload: Payload::Cmd(cmd),
                waiter: Waiter::Subscribe {
                    remaining: confirmations,
                    tx: None,
                },
            },
            Instant::now(),
        );
    }

    /// Takes a request in; `now` is when (read once for every request taken together).
    pub(super) fn enqueue(&mut self, mut request: Request, now: Instant) {
        self.shared
            .queued
            .fetch_sub(request.payload.size(), Ordering::Relaxed);
        self.claim();
        let label = request.payload.label();
        match request.payload {
            Payload::PubSub(op) => {
                let kind = match &op {
                    PubSubOp::Subscribe { kind, .. } => kind.subscribe(),
                    PubSubOp::Unsubscribe { kind, .. } => kind.unsubscribe(),
                };
                let channels = self.router.apply(op);
                if let Waiter::Subscribe { remaining, .. } = &mut request.waiter {
                    *remaining = channels.len();
                }
                if !channels.is_empty() {
                    let mut cmd = Cmd::new(kind);
                    for channel in &channels {
                        cmd.push_arg(channel);
                    }
                    self.buf.push_cmd(cmd);
                }
            }
            Payload::Cmd(cmd) => self.buf.push_cmd(cmd),
            Payload::Encoded(bytes) => self.buf.push_encoded(bytes),
            Payload::Resume => {}
        }
        if request.waiter.expects_nothing() {
            self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
            request.waiter.complete(Frame::Null);
        } else {
            if self.waiting.is_empty() {
                self.arm_timer();
            }
            let commands = request.waiter.commands();
            Counters::add(&self.shared.counters.commands, commands as u64);
            let queued = Queued::new(label, commands, &self.addr, now);
            self.waiting.push_back((request.waiter, queued));
        }
    }

    fn arm_timer(&mut self) {
        if let Some(limit) = self.response_timeout {
            let deadline = deadline(Instant::now(), limit);
            match &mut self.timer {
                Some(timer) => timer.as_mut().reset(deadline),
                None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
        }
    }

    /// Drives the connection until it fails (`Err`) or every handle is gone and nothing is owed
    /// (`Ok`).
    pub(super) fn poll_run(
        &mut self,
        cx: &mut Context<'_>,
        rx: &mut mpsc::UnboundedReceiver<Request>,
    ) -> Poll<Result<(), Error>> {
        match self.poll_inner(cx, rx) {
            Poll::Ready(Err(err)) => {
                // The connection carrying invalidations is gone: from this moment no cached
                // reply can be trusted, and none is served until a new one turns tracking on.
                if let Some(cache) = &self.router.cache {
                    cache.disconnected();
                }
                // Counted before any waiter hears of it: a waiter woken on another thread may
                // at once check whether its connection broke (a pool deciding to reuse it).
                self.shared.failures.fetch_add(1, Ordering::Relaxed);
                // Callers stop writing to this connection, and those who wrote to it last
                // (their waiters follow every one queued here) hear of its end too.
                self.written.extend(self.shared.direct.retire());
                self.queue_written();
                for (waiter, queued) in self.waiting.drain(..) {
                    self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
                    queued.fail(&err);
                    waiter.fail(err.clone());
                }
                Poll::Ready(Err(err))
            }
            other => other,
        }
    }

    fn poll_inner(
        &mut self,
        cx: &mut Context<'_>,
        rx: &mut mpsc::UnboundedReceiver<Request>,
    ) -> Poll<Result<(), Error>> {
        loop {
            let mut progress = false;
            let mut took = false;
            let mut now = None;
            while !self.closing && self.buf.pending() < MAX_PENDING_WRITE {
                match rx.poll_recv(cx) {
                    Poll::Ready(Some(request)) => {
                        let now = *now.get_or_insert_with(Instant::now);
                        self.enqueue(request, now);
                        took = true;
                    }
                    Poll::Ready(None) => self.closing = true,
                    Poll::Pending => break,
                }
            }
            progress |= took;
            if let Some(err) = self.broken.take() {
                return Poll::Ready(Err(err));
            }
            if took && !self.paused && self.woken > 1 && self.buf.pending() < MAX_PENDING_WRITE {
                // Other tasks are likely about to queue commands (those just handed replies):
                // let them run first, so that one write and one server wake-up serve them all.
                // A lone caller's command (one reply handed back since the last write) goes at
                // once.
                // A task that wakes itself while running goes to the back of its worker's run
                // queue, behind those callers: no timer, no allocation.
                self.paused = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if self.buf.pending() > 0 {
                self.paused = false;
                self.woken = 0;
                progress |= self.poll_write(cx)?;
            }
            if self.claimed && self.buf.pending() == 0 {
                // Claimed by a request that wrote nothing (a resume with nothing left over).
                self.shared.direct.release();
                self.claimed = false;
            }
            progress |= self.poll_read(cx)?;
            if let Some(err) = self.broken.take() {
                return Poll::Ready(Err(err));
            }
            if self.closing {
                self.take_pending();
                if self.waiting.is_empty() && self.buf.pending() == 0 {
                    return Poll::Ready(Ok(()));
                }
            }
            if !progress {
                match self.check_health(cx) {
                    Check::Fine => {}
                    Check::Ping => {
                        self.send_internal(Cmd::new("PING"), 1);
                        continue;
                    }
                    Check::Dead => {
                        event!(warn, addr = %self.addr, "health check failed");
                        return Poll::Ready(Err(Error::timeout(format!(
                            "health check: {} answered no PING",
                            self.addr
                        ))));
                    }
                    Check::Suspect => {
                        if let Some(cache) = &self.router.cache {
                            cache.disconnected();
                        }
                    }
                }
                if self.timed_out(cx) {
                    event!(warn, addr = %self.addr, waiting = self.waiting.len(), "response timeout");
                    return Poll::Ready(Err(Error::timeout(format!(
                        "waiting for a reply from {}",
                        self.addr
                    ))));
                }
                return Poll::Pending;
            }
        }
    }

    /// The health check of a caching connection (see `health.rs`).
    fn check_health(&mut self, cx: &mut Context<'_>) -> Check {
        let Some(health) = &mut self.health else {
            return Check::Fine;
        };
        if !health.due(cx) {
            return Check::Fine;
        }
        // Only when the timer fired: callers' waiters taken, and only the driver's own
        // commands (a PING, renewed subscriptions) owed means idle.
        self.take_pending();
        let idle = self
            .waiting
            .iter()
            .all(|(w, _)| matches!(w, Waiter::Subscribe { tx: None, .. }));
        match &mut self.health {
            Some(health) => health.fired(cx, idle),
            None => Check::Fine,
        }
    }

    /// Whether the server has been silent for the response timeout while a reply is owed.
    ///
    /// The timer runs as long as the connection does, since callers that write their own
    /// commands do not wake the driver: when it fires with nothing owed, or before the oldest
    /// command owed has waited the whole timeout, it is set again.
    fn timed_out(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(limit) = self.response_timeout else {
            return false;
        };
        loop {
            let fired = match &mut self.timer {
                Some(timer) => timer.as_mut().poll(cx).is_ready(),
                None => return false,
            };
            if !fired {
                return false;
            }
            self.take_pending();
            let now = Instant::now();
            let next = match self.waiting.front() {
                Some((_, queued)) if deadline(queued.at, limit) <= now => return true,
                Some((_, queued)) => deadline(queued.at, limit),
                None => deadline(now, limit),
            };
            if let Some(timer) = &mut self.timer {
                timer.as_mut().reset(next);
            }
        }
    }

    /// Writes as much as the socket takes; true if anything was written.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<bool, Error> {
        let (buf, shared, addr) = (&mut self.buf, &self.shared, &self.addr);
        // Under the write side's lock: a caller writes its own command only between the
        // driver's writes, and once everything queued is out (the closure says so), it may.
        let progress = shared.direct.write(|writer| {
            let mut progress = false;
            while buf.pending() > 0 {
                let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
                let n = buf.slices(&mut slices);
                let written = match writer.poll_write_vectored(cx, &slices[..n]) {
                    Poll::Pending => return (Ok(progress), false),
                    Poll::Ready(Ok(0)) => {
                        let err = Error::closed(format!("{addr} stopped accepting writes"));
                        return (Err(err), false);
                    }
                    Poll::Ready(Ok(written)) => written,
                    Poll::Ready(Err(e)) => {
                        return (Err(Error::io(format!("writing to {addr}"), e)), false)
                    }
                };
                progress = true;
                Counters::add(&shared.counters.bytes_written, written as u64);
                buf.advance(written);
            }
            (Ok(progress), true)
        });
        let progress = match progress {
            Some(result) => result?,
            None => return Err(Error::closed(format!("{addr} is no longer connected"))),
        };
        if self.buf.pending() == 0 {
            self.claimed = false;
        }
        Ok(progress)
    }
}
