//! Writes from the caller's side: a command sent while the connection is idle is written to the
//! socket by the task that sends it, and only its reply is left to the driver.
//!
//! Handing a command to the driver's task wakes that task, and on a multi-thread runtime it
//! usually sleeps on another thread than the caller's: a thread wake-up before the command even
//! leaves. A caller that awaits each reply before sending the next command (the most common
//! use of a client) paid that on every round trip. When nothing is in flight, the caller now
//! writes its command itself; callers that find commands in flight still hand theirs to the
//! driver, which coalesces them into one write.
//!
//! Replies come back in the order commands were written, so waiters must be queued in that
//! order. Whoever writes holds the lock of [`WriteSide`] while it writes and queues its waiter
//! under the same lock:
//! - a caller writes only while the driver has nothing of its own left to write
//!   (`driver_writing` is false), and puts its waiter in `pending`;
//! - the driver, before it queues anything of its own, takes over `pending` (and whatever a
//!   caller's write left unwritten) and sets `driver_writing`, which it clears once everything
//!   it queued is written;
//! - before it hands out replies, the driver takes `pending` into its own queue.
//!
//! So a caller's waiter always follows the waiters of every byte written before its own.
//!
//! Imports from `conn` (the stream, the driver's request types) and `error`.

use super::config::Addr;
use super::request::{Payload, Request, Waiter};
use super::stream::Writer;
use super::write_buf::WriteBuf;
use crate::error::Error;
use crate::stats::Counters;
use bytes::Bytes;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

/// The write side of the current connection, shared by the driver and its handles.
#[derive(Debug, Default)]
pub(crate) struct WriteSide(Mutex<State>);

/// What [`WriteSide`]'s lock guards. Private: the ordering rule above is kept by
/// [`WriteSide`]'s methods, the only way in.
#[derive(Debug, Default)]
struct State {
    /// The connection's write side and its server; `None` while there is no connection.
    live: Option<(Writer, Addr)>,
    /// The driver has bytes queued that are not all written: callers hand theirs to it.
    driver_writing: bool,
    /// Waiters of the commands callers wrote, in the order written, not yet taken by the driver.
    pending: VecDeque<Written>,
    /// What a caller's write left unwritten: the driver writes it before anything else.
    leftover: VecDeque<Bytes>,
    /// A caller's write failed: the connection is broken, and the driver fails it.
    failed: Option<Error>,
}

/// The waiter of a request a caller wrote itself. The driver opens its trace span when it takes
/// it: nothing outside sider (a tracing subscriber) runs while the lock is held, between a
/// command going out and its waiter being queued.
#[derive(Debug)]
pub(crate) struct Written {
    pub(crate) waiter: Waiter,
    pub(crate) label: &'static str,
    pub(crate) commands: usize,
    /// When it was sent.
    pub(crate) at: Instant,
}

/// What became of a request offered to [`WriteSide::try_send`].
#[expect(
    clippy::large_enum_variant,
    reason = "handed straight back to the caller; boxing would allocate for every request sent while others are in flight"
)]
pub(crate) enum Sent {
    /// Written whole; the driver will hand the reply over.
    Whole,
    /// Written in part, or the write failed: the driver must be woken to finish or to fail it.
    WakeDriver,
    /// Not idle, or not a request a caller may write: hand it to the driver.
    Declined(Request),
}

/// What a write left: the bytes written, and the rest (empty when everything went out).
type Outcome = io::Result<(usize, VecDeque<Bytes>)>;

/// Turns a write's result into [`Outcome`]: a socket that took nothing took zero bytes.
fn written_and_rest(
    result: io::Result<usize>,
    rest: impl FnOnce(usize) -> VecDeque<Bytes>,
    total: usize,
) -> Outcome {
    let written = match result {
        Ok(n) => n,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
        Err(e) => return Err(e),
    };
    if written >= total {
        return Ok((written, VecDeque::new()));
    }
    Ok((written, rest(written)))
}

impl WriteSide {
    /// The lock. No code panics while holding it, so a poisoned lock still guards sound state.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The driver takes the waiters of the commands callers wrote (appended to `into`, in the
    /// order written) and a failed write's error. With `claim` (before it queues anything of its
    /// own), it also takes the rest of a partial write, which goes out first, and the write side:
    /// callers hand their commands to the driver until [`release`](Self::release) or a
    /// [`write`](Self::write) that leaves nothing unwritten.
    pub(super) fn take(
        &self,
        into: &mut VecDeque<Written>,
        claim: Option<&mut WriteBuf>,
    ) -> Option<Error> {
        let mut state = self.lock();
        let failed = state.failed.take();
        if into.is_empty() {
            // Swapped, so that both queues keep their capacity.
            std::mem::swap(&mut state.pending, into);
        } else {
            into.extend(state.pending.drain(..));
        }
        if let Some(buf) = claim {
            // Nothing of the driver's is unwritten while it holds no claim: the rest of a
            // caller's write is the first thing out.
            for rest in state.leftover.drain(..) {
                buf.push_chunk(rest);
            }
            state.driver_writing = true;
        }
        failed
    }

    /// The driver gives the write side back with nothing of its own unwritten.
    pub(super) fn release(&self) {
        self.lock().driver_writing = false;
    }

    /// The driver writes through the connection's writer, under the lock; `write` says whether
    /// it left nothing unwritten, which gives the write side back to callers. `None` when there
    /// is no connection.
    pub(super) fn write<R>(&self, write: impl FnOnce(&mut Writer) -> (R, bool)) -> Option<R> {
        let mut state = self.lock();
        let (writer, _) = state.live.as_mut()?;
        let (result, all_written) = write(writer);
        if all_written {
            state.driver_writing = false;
        }
        Some(result)
    }

    /// A new connection's write side: callers may write through it when it is a plain socket,
    /// unless `held`, until the driver has written what it must send first (renewed
    /// subscriptions). The driver installs a connection only once the last one is retired, so
    /// no caller's waiter is left over.
    pub(crate) fn install(&self, writer: Writer, addr: Addr, held: bool) {
        let mut state = self.lock();
        debug_assert!(
            state.pending.is_empty(),
            "waiters left from a retired connection"
        );
        *state = State {
            live: Some((writer, addr)),
            driver_writing: held,
            ..State::default()
        };
    }

    /// The connection is gone: callers stop writing to it, and get back the waiters of the
    /// commands they wrote to it last, for the driver to fail.
    pub(crate) fn retire(&self) -> VecDeque<Written> {
        let mut state = self.lock();
        let pending = std::mem::take(&mut state.pending);
        *state = State::default();
        pending
    }

    /// Writes `request` from the caller's task if the connection is idle (nothing in flight,
    /// nothing queued) and its socket takes writes from callers.
    pub(crate) fn try_send(
        &self,
        request: Request,
        in_flight: &AtomicUsize,
        counters: &Counters,
    ) -> Sent {
        // Subscription changes go through the driver's record of what is subscribed.
        if matches!(request.payload, Payload::PubSub(_) | Payload::Resume)
            || matches!(request.waiter, Waiter::Subscribe { .. })
            || request.waiter.expects_nothing()
        {
            return Sent::Declined(request);
        }
        let label = request.payload.label();
        let at = Instant::now();
        let mut guard = self.lock();
        let state = &mut *guard;
        let idle = !state.driver_writing
            && state.leftover.is_empty()
            && state.failed.is_none()
            && in_flight.load(Ordering::Relaxed) == 0;
        let Some((writer, addr)) = state
            .live
            .as_ref()
            .filter(|(writer, _)| idle && writer.takes_direct_writes())
        else {
            return Sent::Declined(request);
        };
        let commands = request.waiter.commands();
        let outcome = match request.payload {
            Payload::Cmd(cmd) => {
                let header = cmd.header();
                let header = header.as_bytes();
                let total = header.len() + cmd.body_bytes().len();
                let result = writer
                    .try_write_vectored(&[IoSlice::new(header), IoSlice::new(cmd.body_bytes())]);
                let rest = |n: usize| {
                    // Built only when the socket took less than everything.
                    let mut rest = VecDeque::new();
                    if n < header.len() {
                        rest.push_back(Bytes::copy_from_slice(&header[n..]));
                    }
                    let body = cmd.into_buffer().freeze();
                    rest.push_back(body.slice(n.saturating_sub(header.len()).min(body.len())..));
                    rest
                };
                written_and_rest(result, rest, total)
            }
            Payload::Encoded(bytes) => {
                let result = writer.try_write_vectored(&[IoSlice::new(&bytes)]);
                let total = bytes.len();
                let rest = |n: usize| VecDeque::from([bytes.slice(n.min(total)..)]);
                written_and_rest(result, rest, total)
            }
            // Declined above.
            Payload::PubSub(_) | Payload::Resume => return Sent::Declined(request),
        };
        let written = match outcome {
            Ok((written, rest)) => {
                state.leftover = rest;
                written
            }
            Err(e) => {
                state.failed = Some(Error::io(format!("writing to {addr}"), e));
                0
            }
        };
        in_flight.fetch_add(1, Ordering::Relaxed);
        Counters::add(&counters.commands, commands as u64);
        Counters::add(&counters.bytes_written, written as u64);
        state.pending.push_back(Written {
            waiter: request.waiter,
            label,
            commands,
            at,
        });
        if state.leftover.is_empty() && state.failed.is_none() {
            Counters::add(&counters.caller_writes, 1);
            Sent::Whole
        } else {
            Sent::WakeDriver
        }
    }
}
