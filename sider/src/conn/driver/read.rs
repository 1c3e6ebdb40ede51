//! The driver's read side: reading what the socket has, and handing each reply to the waiter
//! it answers (pushes to the router, errors explained, cacheable replies into the cache).

use super::{Link, MAX_RESERVE_AHEAD, READ_CHUNK};
use crate::conn::push::Routed;
use crate::conn::request::{Step, Waiter};
use crate::error::Error;
use crate::info::explain_unknown;
use crate::resp::Frame;
use crate::stats::Counters;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use tokio::time::Instant;

impl Link {
    /// Reads what the socket has and delivers every complete frame; true if anything was read.
    pub(super) fn poll_read(&mut self, cx: &mut Context<'_>) -> Result<bool, Error> {
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
                self.deliver()?;
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

    fn deliver(&mut self) -> Result<(), Error> {
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
