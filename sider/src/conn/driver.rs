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

use super::cache::Cache;
use super::config::{Addr, Config, Protocol};
use super::direct::{Sent, WriteSide, Written};
use super::handshake::{connect, Established};
use super::health::{Check, Health};
use super::push::{PubSubOp, PushSink, Routed, Router};
use super::request::{Payload, Request, Step, Waiter};
use super::server::ServerInfo;
use super::stream::Reader;
use super::trace::{event, Queued};
use crate::cmd::Cmd;
use crate::error::{Error, ErrorKind};
use crate::info::explain_unknown;
use crate::resp::{Decoder, Frame};
use crate::stats::{Counters, Stats};
use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};

/// Stop taking requests while this many bytes wait to be written: callers then queue in the
/// channel instead of growing the write buffer.
const MAX_PENDING_WRITE: usize = 4 * 1024 * 1024;
/// Payloads at least this large are written from their own buffer instead of being copied.
const COPY_THRESHOLD: usize = 32 * 1024;
/// Read in chunks of at least this much spare capacity.
const READ_CHUNK: usize = 64 * 1024;
/// The most read-buffer room reserved ahead for a large reply announced by its header.
const MAX_RESERVE_AHEAD: usize = 64 * 1024 * 1024;
/// At most this many buffers go into one vectored write.
const MAX_IOVECS: usize = 64;

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
    in_flight: AtomicUsize,
    /// Connections lost or connection attempts failed, since the start.
    failures: AtomicU64,
    /// Where pushes other than pub/sub and invalidations go.
    pub(crate) pushes: PushSink,
    pub(crate) counters: Counters,
    /// Bytes of requests sent to the driver that it has not taken yet.
    queued: AtomicUsize,
    /// The most bytes allowed to queue before new requests fail with `ErrorKind::Busy`.
    max_queued: AtomicUsize,
    /// The connection's write side, shared with callers that find it idle.
    direct: WriteSide,
    /// The server of the current (or last) connection, as its handshake reported it.
    server: std::sync::Mutex<Option<Arc<ServerInfo>>>,
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

/// `limit` after `from`; a limit too long to add (`Duration::MAX`) is, in effect, none.
fn deadline(from: Instant, limit: std::time::Duration) -> Instant {
    from.checked_add(limit)
        .unwrap_or_else(|| from + std::time::Duration::from_secs(100 * 365 * 86_400))
}

/// Fails the commands callers wrote themselves when the driver ends by any way (its handles
/// all gone, the runtime shutting down, a panic): their waiters live in [`Shared`], which
/// outlives the driver, and no one else would ever answer them.
struct Retire(Arc<Shared>);

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

async fn run(
    config: Config,
    mut conn: Option<Opened>,
    mut rx: mpsc::UnboundedReceiver<Request>,
    shared: Arc<Shared>,
    mut router: Router,
    _retire: Retire,
) {
    let fail = |request: Request, err: &Error| {
        shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        shared
            .queued
            .fetch_sub(request.payload.size(), Ordering::Relaxed);
        request.waiter.fail(err.clone());
    };
    let (min_backoff, max_backoff) = config.reconnect_backoff;
    let mut backoff = min_backoff;
    // After a failed attempt: when the next may start, and why the last one failed.
    let mut last_failure: Option<(Instant, Error)> = None;
    let mut first = None;
    let mut reconnected = false;
    // The server of the last connection, to tell a failover from a reconnect.
    #[cfg(feature = "tracing")]
    let mut last_addr: Option<Addr> = None;
    loop {
        let established = match conn.take() {
            Some(established) => established,
            None => {
                // Reconnect when someone needs the connection, or at once (after the backoff)
                // when subscriptions must be renewed.
                let request = if router.has_subscriptions() {
                    let retry_at = last_failure
                        .as_ref()
                        .map_or_else(Instant::now, |(at, _)| *at);
                    tokio::select! {
                        request = rx.recv() => Some(request),
                        () = tokio::time::sleep_until(retry_at) => None,
                    }
                } else {
                    Some(rx.recv().await)
                };
                let request = match request {
                    Some(None) => return,
                    // A caller's write that the lost connection left unfinished: nothing is
                    // owed to it now, and no reason to reconnect.
                    Some(Some(Request {
                        payload: Payload::Resume,
                        ..
                    })) => {
                        shared.in_flight.fetch_sub(1, Ordering::Relaxed);
                        continue;
                    }
                    Some(Some(request)) => Some(request),
                    None => None,
                };
                let Some(request) = request else {
                    match connect(&config).await {
                        Ok(established) => {
                            backoff = min_backoff;
                            last_failure = None;
                            conn = Some(Opened::new(established, &shared, true));
                        }
                        Err(err) => {
                            shared.failures.fetch_add(1, Ordering::Relaxed);
                            last_failure =
                                Some((Instant::now() + backoff, err.context("reconnecting")));
                            backoff = (backoff * 2).min(max_backoff);
                        }
                    }
                    continue;
                };
                if let Some((retry_at, err)) = &last_failure {
                    if Instant::now() < *retry_at {
                        // Within the backoff: fail fast rather than hammer a server that is down.
                        fail(request, err);
                        continue;
                    }
                }
                match connect(&config).await {
                    Ok(established) => {
                        backoff = min_backoff;
                        last_failure = None;
                        first = Some(request);
                        Opened::new(established, &shared, router.has_subscriptions())
                    }
                    Err(err) => {
                        shared.failures.fetch_add(1, Ordering::Relaxed);
                        event!(warn, addr = %config.addr, error = %err, "reconnect failed");
                        let err = err.context("reconnecting");
                        fail(request, &err);
                        while let Ok(request) = rx.try_recv() {
                            fail(request, &err);
                        }
                        last_failure = Some((Instant::now() + backoff, err));
                        backoff = (backoff * 2).min(max_backoff);
                        continue;
                    }
                }
            }
        };
        if let Some(cache) = &router.cache {
            // Tracking is on for this connection (the handshake turned it on): invalidations
            // flow again. Whatever was kept before is dropped: those sent while disconnected
            // are lost.
            cache.connected();
        }
        #[cfg(feature = "tracing")]
        if let Some(previous) = last_addr.replace(established.addr.clone()) {
            // Through Sentinel, a reconnect that lands elsewhere followed a failover.
            if previous != established.addr {
                event!(warn, from = %previous, to = %established.addr, "primary changed (failover)");
            }
        }
        let mut connection = Connection::new(&config, established, shared.clone(), router);
        if reconnected {
            event!(info, addr = %config.addr, "reconnected");
        } else {
            event!(info, addr = %config.addr, protocol = ?connection.protocol, "connected");
        }
        if reconnected {
            let renewals = connection.router.renew();
            for (cmd, confirmations) in renewals {
                connection.send_internal(cmd, confirmations);
            }
        }
        reconnected = true;
        if let Some(request) = first.take() {
            connection.enqueue(request, Instant::now());
        }
        Counters::add(&shared.counters.connects, 1);
        let outcome = std::future::poll_fn(|cx| connection.poll_run(cx, &mut rx)).await;
        router = connection.router;
        let err = match outcome {
            Ok(()) => return, // every handle is gone and every reply delivered
            Err(err) => err,
        };
        event!(warn, addr = %config.addr, kind = ?err.kind(), error = %err, "connection lost");
        let counters = &shared.counters;
        Counters::add(
            match err.kind() {
                ErrorKind::Protocol => &counters.protocol_errors,
                ErrorKind::Timeout => &counters.timeouts,
                ErrorKind::Closed => &counters.closed,
                _ => &counters.io_errors,
            },
            1,
        );
    }
}

/// An established connection whose write side is installed in [`Shared`], where callers that
/// find it idle write to it.
struct Opened {
    reader: Reader,
    addr: Addr,
    read_buf: BytesMut,
    decoder: Decoder,
    protocol: Protocol,
    server: Arc<ServerInfo>,
    /// Callers may not write until the driver has written what it queues first.
    held: bool,
}

impl Opened {
    /// `held` when the driver has commands that must go first: the subscriptions it renews.
    fn new(established: Established, shared: &Shared, held: bool) -> Opened {
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
struct Connection {
    reader: Reader,
    addr: Addr,
    decoder: Decoder,
    read_buf: BytesMut,
    /// Small commands, coalesced; written after every queued chunk.
    out: BytesMut,
    /// Large encoded payloads, written in place.
    chunks: VecDeque<Bytes>,
    pending_write: usize,
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
    protocol: Protocol,
    /// For explaining a command this server does not know (see `CommandInfo::explain_unknown`).
    server: Arc<ServerInfo>,
    /// With client-side caching: notices a silent connection (see `health.rs`).
    health: Option<Health>,
    router: Router,
}

impl Connection {
    fn new(
        config: &Config,
        established: Opened,
        shared: Arc<Shared>,
        router: Router,
    ) -> Connection {
        let mut connection = Connection {
            reader: established.reader,
            addr: established.addr,
            decoder: established.decoder,
            read_buf: established.read_buf,
            out: BytesMut::with_capacity(16 * 1024),
            chunks: VecDeque::new(),
            pending_write: 0,
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
        let mut state = self.shared.direct.lock();
        if let Some(err) = state.failed.take() {
            self.broken.get_or_insert(err);
        }
        // Swapped, so that both queues keep their capacity.
        std::mem::swap(&mut state.pending, &mut self.written);
        if claim {
            // Nothing of the driver's is unwritten while it holds no claim: the rest of a
            // caller's write is the first thing out.
            for rest in state.leftover.drain(..) {
                self.pending_write += rest.len();
                self.chunks.push_back(rest);
            }
            state.driver_writing = true;
            self.claimed = true;
        }
        drop(state);
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
    fn send_internal(&mut self, cmd: Cmd, confirmations: usize) {
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
    fn enqueue(&mut self, mut request: Request, now: Instant) {
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
                    let before = self.out.len();
                    cmd.encode(&mut self.out);
                    self.pending_write += self.out.len() - before;
                }
            }
            Payload::Cmd(cmd) if cmd.encoded_len() >= COPY_THRESHOLD => {
                // A large value: its encoded body is written from its own buffer, not copied.
                let (header, body) = cmd.into_wire();
                if !self.out.is_empty() {
                    self.chunks.push_back(self.out.split().freeze());
                }
                self.pending_write += header.len() + body.len();
                self.chunks.push_back(header);
                self.chunks.push_back(body);
            }
            Payload::Cmd(cmd) => {
                let before = self.out.len();
                cmd.encode(&mut self.out);
                self.pending_write += self.out.len() - before;
            }
            Payload::Encoded(bytes) if bytes.len() < COPY_THRESHOLD => {
                self.out.extend_from_slice(&bytes);
                self.pending_write += bytes.len();
            }
            Payload::Encoded(bytes) => {
                if !self.out.is_empty() {
                    self.chunks.push_back(self.out.split().freeze());
                }
                self.pending_write += bytes.len();
                self.chunks.push_back(bytes);
            }
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
    fn poll_run(
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
            while !self.closing && self.pending_write < MAX_PENDING_WRITE {
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
            if took && !self.paused && self.woken > 1 && self.pending_write < MAX_PENDING_WRITE {
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
            if self.pending_write > 0 {
                self.paused = false;
                self.woken = 0;
                progress |= self.poll_write(cx)?;
            }
            if self.claimed && self.pending_write == 0 {
                // Claimed by a request that wrote nothing (a resume with nothing left over).
                self.shared.direct.lock().driver_writing = false;
                self.claimed = false;
            }
            progress |= self.poll_read(cx)?;
            if let Some(err) = self.broken.take() {
                return Poll::Ready(Err(err));
            }
            if self.closing {
                self.take_pending();
                if self.waiting.is_empty() && self.pending_write == 0 {
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
        if self.health.is_none() {
            return Check::Fine;
        }
        self.take_pending();
        // Only the driver's own commands (a PING, renewed subscriptions) owed: idle.
        let idle = self
            .waiting
            .iter()
            .all(|(w, _)| matches!(w, Waiter::Subscribe { tx: None, .. }));
        match &mut self.health {
            Some(health) => health.poll(cx, idle),
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
        let mut progress = false;
        // Held while writing: a caller writes its own command only between the driver's writes.
        let mut state = self.shared.direct.lock();
        let Some((writer, _)) = state.live.as_mut() else {
            return Err(Error::closed(format!(
                "{} is no longer connected",
                self.addr
            )));
        };
        while self.pending_write > 0 {
            let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
            let mut n = 0;
            for chunk in self.chunks.iter().take(MAX_IOVECS - 1) {
                slices[n] = IoSlice::new(chunk);
                n += 1;
            }
            // `out` holds what was queued after every chunk: it goes only behind all of them.
            if !self.out.is_empty() && self.chunks.len() < MAX_IOVECS {
                slices[n] = IoSlice::new(&self.out);
                n += 1;
            }
            let written = match writer.poll_write_vectored(cx, &slices[..n]) {
                Poll::Pending => return Ok(progress),
                Poll::Ready(Ok(0)) => {
                    return Err(Error::closed(format!(
                        "{} stopped accepting writes",
                        self.addr
                    )))
                }
                Poll::Ready(Ok(written)) => written,
                Poll::Ready(Err(e)) => {
                    return Err(Error::io(format!("writing to {}", self.addr), e))
                }
            };
            progress = true;
            Counters::add(&self.shared.counters.bytes_written, written as u64);
            self.pending_write -= written;
            let mut left = written;
            while left > 0 {
                match self.chunks.front_mut() {
                    Some(chunk) if chunk.len() <= left => {
                        left -= chunk.len();
                        self.chunks.pop_front();
                    }
                    Some(chunk) => {
                        chunk.advance(left);
                        left = 0;
                    }
                    None => {
                        self.out.advance(left);
                        left = 0;
                    }
                }
            }
        }
        if self.pending_write == 0 {
            // Everything queued is out: a caller may write its own command again.
            state.driver_writing = false;
            self.claimed = false;
        }
        Ok(progress)
    }

    /// Reads what the socket has and dispatches every complete frame; true if anything was read.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Result<bool, Error> {
        // A large bulk reply whose header has arrived: room for all of it at once, rather than
        // a buffer that grows (and copies what it holds) read after read.
        // At most 64 MiB ahead of what has arrived, so a header alone commits little memory.
        let wants = self.decoder.wants();
        if wants > self.read_buf.len() + READ_CHUNK {
            self.read_buf
                .reserve((wants - self.read_buf.len()).min(MAX_RESERVE_AHEAD));
        } else if self.read_buf.capacity() - self.read_buf.len() < READ_CHUNK / 4 {
            self.read_buf.reserve(READ_CHUNK);
        }
        match tokio_util::io::poll_read_buf(Pin::new(&mut self.reader), cx, &mut self.read_buf) {
            Poll::Pending => Ok(false),
            Poll::Ready(Ok(0)) => Err(Error::closed(format!(
                "{} closed the connection",
                self.addr
            ))),
            Poll::Ready(Ok(n)) => {
                Counters::add(&self.shared.counters.bytes_read, n as u64);
                if let Some(health) = &mut self.health {
                    if health.heard() {
                        // Heard again after a suspension: invalidations were late, not lost.
                        if let Some(cache) = &self.router.cache {
                            cache.connected();
                        }
                    }
                }
                self.dispatch()?;
                // The response timeout bounds the server's silence, not how long a reply takes
                // to arrive: a large value on a slow link is still coming while bytes come.
                if !self.waiting.is_empty() {
                    self.arm_timer();
                }
                Ok(true)
            }
            Poll::Ready(Err(e)) => Err(Error::io(format!("reading from {}", self.addr), e)),
        }
    }

    fn dispatch(&mut self) -> Result<(), Error> {
        // Replies to commands callers wrote themselves may be among these.
        self.take_pending();
        // Every reply of one read arrived at the same time.
        let mut now = None;
        loop {
            let frame = match self.decoder.decode(&mut self.read_buf) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => return Err(Error::protocol(format!("reply from {}", self.addr), e)),
            };
            let frame = if self.router.is_resp2_push(self.protocol, &frame) {
                match frame {
                    Frame::Array(items) => Frame::Push(items),
                    other => other,
                }
            } else {
                frame
            };
            if let Frame::Push(items) = frame {
                // Out-of-band: answers no request, except subscription confirmations.
                if let Routed::Confirmation = self.router.route(items) {
                    if let Some((Waiter::Subscribe { remaining, .. }, _)) = self.waiting.front_mut()
                    {
                        *remaining = remaining.saturating_sub(1);
                        if *remaining == 0 {
                            if let Some((waiter, _)) = self.waiting.pop_front() {
                                self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
                                waiter.complete(Frame::Null);
                            }
                        }
                    }
                }
                continue;
            }
            let Some((waiter, _)) = self.waiting.front_mut() else {
                return Err(Error::protocol_msg(format!(
                    "{} sent a reply nobody asked for",
                    self.addr
                )));
            };
            let counters = &self.shared.counters;
            Counters::add(&counters.replies, 1);
            let frame = match frame {
                Frame::Error(line) => {
                    Counters::add(&counters.error_replies, 1);
                    // A command this server is too old (or the wrong kind) for: say which
                    // versions have it.
                    Frame::Error(explain_unknown(&line, &self.server).unwrap_or(line))
                }
                frame => frame,
            };
            let last = match waiter.push(frame) {
                Step::More => continue,
                Step::Done => Frame::Null,
                Step::Single(frame) => frame,
            };
            if let Some((waiter, queued)) = self.waiting.pop_front() {
                self.woken += 1;
                self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
                let now = *now.get_or_insert_with(Instant::now);
                let waited = now.saturating_duration_since(queued.at);
                self.shared.counters.record_latency(waited);
                queued.finish(&last);
                match waiter {
                    // Stored now, in stream order: an invalidation read later removes it.
                    Waiter::Cached(read) => read.complete(last, self.router.cache.as_deref()),
                    waiter => waiter.complete(last),
                }
            }
        }
        Ok(())
    }
}
