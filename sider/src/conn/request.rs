//! What a caller hands the driver: a [`Request`] is a [`Payload`] to write and the [`Waiter`]
//! that takes its replies.
//!
//! Imports from `cmd`, `error`, `resp` and `push`; the driver and the callers' write path
//! (`direct`) both work on these.

use super::cache::Cache;
use super::push::PubSubOp;
use crate::cmd::Cmd;
use crate::error::Error;
use crate::resp::Frame;
use bytes::Bytes;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What a request sends.
#[derive(Debug)]
pub(crate) enum Payload {
    /// One command, copied into the shared write buffer.
    Cmd(Cmd),
    /// Commands already encoded (a pipeline).
    Encoded(Bytes),
    /// A subscription change: the driver works out which channels the server must hear about.
    PubSub(PubSubOp),
    /// Nothing to send: a caller's own write left bytes unwritten, or failed, and the driver
    /// takes over (see `direct`).
    Resume,
}

/// Summary of replies read without being kept.
#[derive(Debug, Default)]
pub(crate) struct Discarded {
    pub(crate) errors: usize,
    pub(crate) first_error: Option<(usize, Frame)>,
}

/// Takes the replies of a batch one by one as they are read, so a typed batch decodes each on
/// the driver's side while later replies are still on their way, and keeps no frames.
pub(crate) trait ReplySink: Send {
    /// The next reply, in order.
    fn push(&mut self, frame: Frame);
    /// Every reply has arrived.
    fn finish(self: Box<Self>);
    /// The connection failed before every reply arrived.
    fn fail(self: Box<Self>, err: Error);
}

impl std::fmt::Debug for dyn ReplySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReplySink")
    }
}

/// Who receives the replies of one request.
#[derive(Debug)]
pub(crate) enum Waiter {
    /// One command: takes one frame.
    One(oneshot::Sender<Result<Frame, Error>>),
    /// A batch: collects `expected` frames.
    Many {
        expected: usize,
        frames: Vec<Frame>,
        tx: oneshot::Sender<Result<Vec<Frame>, Error>>,
    },
    /// A cacheable read that missed: its reply is stored in the client-side cache, in stream
    /// order with invalidations, before it is handed over.
    Cached(Box<CachedRead>),
    /// A subscription change: completes after one confirmation push per channel sent.
    Subscribe {
        remaining: usize,
        tx: Option<oneshot::Sender<Result<Frame, Error>>>,
    },
    /// A batch whose replies go to a sink as they come.
    Sink {
        expected: usize,
        seen: usize,
        sink: Box<dyn ReplySink>,
    },
    /// A batch whose replies are counted but not kept, except the first error.
    Discard {
        expected: usize,
        seen: usize,
        summary: Discarded,
        tx: oneshot::Sender<Result<Discarded, Error>>,
    },
    /// Nobody: a request that only wakes the driver.
    Nobody,
}

impl Waiter {
    /// Hands one frame to this waiter. Returns the frame back when it completes a single
    /// command's waiter, which must then be popped and completed with it.
    pub(super) fn push(&mut self, frame: Frame) -> Step {
        let done = match self {
            Waiter::One(_) | Waiter::Subscribe { .. } | Waiter::Nobody => {
                return Step::Single(frame)
            }
            Waiter::Cached(read) => {
                // The keys' PTTL replies come first, then the read's own.
                if read.pttls.len() < read.keys.len() {
                    read.pttls.push(match frame {
                        Frame::Integer(ms) => ms,
                        _ => -1,
                    });
                    return Step::More;
                }
                return Step::Single(frame);
            }
            Waiter::Many {
                expected, frames, ..
            } => {
                frames.push(frame);
                frames.len() == *expected
            }
            Waiter::Sink {
                expected,
                seen,
                sink,
            } => {
                sink.push(frame);
                *seen += 1;
                *seen == *expected
            }
            Waiter::Discard {
                expected,
                seen,
                summary,
                ..
            } => {
                if let Frame::Error(_) = frame {
                    summary.errors += 1;
                    if summary.first_error.is_none() {
                        summary.first_error = Some((*seen, frame));
                    }
                }
                *seen += 1;
                *seen == *expected
            }
        };
        if done {
            Step::Done
        } else {
            Step::More
        }
    }

    pub(crate) fn expects_nothing(&self) -> bool {
        // A subscription change the server need not hear of (the channel is already held by
        // another subscriber, or still is) sends nothing and gets no confirmation.
        matches!(
            self,
            Waiter::Many { expected: 0, .. }
                | Waiter::Sink { expected: 0, .. }
                | Waiter::Discard { expected: 0, .. }
                | Waiter::Subscribe { remaining: 0, .. }
                | Waiter::Nobody
        )
    }

    /// How many commands' replies this waiter takes.
    pub(crate) fn commands(&self) -> usize {
        match self {
            Waiter::Many { expected, .. }
            | Waiter::Sink { expected, .. }
            | Waiter::Discard { expected, .. } => *expected,
            Waiter::Nobody => 0,
            Waiter::Cached(read) => read.keys.len() + 1,
            _ => 1,
        }
    }

    /// Delivers the completed result. A receiver that is gone has nothing to learn.
    pub(super) fn complete(self, single: Frame) {
        match self {
            Waiter::One(tx) => drop(tx.send(Ok(single))),
            Waiter::Cached(read) => read.complete(single, None),
            Waiter::Subscribe { tx, .. } => {
                if let Some(tx) = tx {
                    drop(tx.send(Ok(single)));
                }
            }
            Waiter::Many { frames, tx, .. } => drop(tx.send(Ok(frames))),
            Waiter::Sink { sink, .. } => sink.finish(),
            Waiter::Discard { summary, tx, .. } => drop(tx.send(Ok(summary))),
            Waiter::Nobody => {}
        }
    }

    pub(crate) fn fail(self, err: Error) {
        match self {
            Waiter::One(tx) => drop(tx.send(Err(err))),
            Waiter::Cached(read) => drop(read.tx.send(Err(err))),
            Waiter::Subscribe { tx, .. } => {
                if let Some(tx) = tx {
                    drop(tx.send(Err(err)));
                }
            }
            Waiter::Many { tx, .. } => drop(tx.send(Err(err))),
            Waiter::Sink { sink, .. } => sink.fail(err),
            Waiter::Discard { tx, .. } => drop(tx.send(Err(err))),
            Waiter::Nobody => {}
        }
    }
}

/// A cacheable read that missed, sent as `PTTL key` for each key read, then the read itself.
#[derive(Debug)]
pub(crate) struct CachedRead {
    pub(crate) tx: oneshot::Sender<Result<Frame, Error>>,
    /// Each key read and the encoded command whose reply is kept for it: the read itself, or
    /// for `MGET`, a `GET` of each key that missed.
    pub(crate) keys: Vec<(Bytes, Bytes)>,
    /// The longest the entries may live, from the call or the configuration.
    pub(crate) ttl: Option<Duration>,
    /// For `MGET`: the reply of every key asked, in order, `None` where it missed (filled from
    /// the reply of `MGET` over the misses).
    pub(crate) mget: Option<Vec<Option<Frame>>>,
    /// The keys' `PTTL` replies so far.
    pub(crate) pttls: Vec<i64>,
}

impl CachedRead {
    /// Stores the reply (unless it is an error, or the cache is dead) and hands it over.
    pub(crate) fn complete(self, reply: Frame, cache: Option<&Cache>) {
        let now = Instant::now();
        let store = |cache: &Cache, (key, command): (Bytes, Bytes), pttl: i64, frame: Frame| {
            let own = u64::try_from(pttl).ok().map(Duration::from_millis);
            let life = match (self.ttl, own) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            cache.insert(key, command, frame, life.map(|d| now + d));
        };
        let pttls = self.pttls.into_iter().chain(std::iter::repeat(-1));
        let reply = match (self.mget, reply) {
            (Some(mut all), Frame::Array(values)) if values.len() == self.keys.len() => {
                let missed = all.iter_mut().filter(|slot| slot.is_none());
                for (((slot, value), key), pttl) in missed.zip(values).zip(self.keys).zip(pttls) {
                    if let Some(cache) = cache {
                        store(cache, key, pttl, value.clone());
                    }
                    *slot = Some(value);
                }
                Frame::Array(all.into_iter().map(|v| v.unwrap_or(Frame::Null)).collect())
            }
            (Some(_), other) => other, // an error (or a shape MGET never sends): as it came
            (None, Frame::Error(line)) => Frame::Error(line),
            (None, frame) => {
                if let (Some(cache), Some(key)) = (cache, self.keys.into_iter().next()) {
                    let pttl = pttls.into_iter().next().unwrap_or(-1);
                    store(cache, key, pttl, frame.clone());
                }
                frame
            }
        };
        drop(self.tx.send(Ok(reply)));
    }
}

/// What [`Waiter::push`] did with a frame.
pub(super) enum Step {
    More,
    Done,
    Single(Frame),
}

/// One request to the driver.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) payload: Payload,
    pub(crate) waiter: Waiter,
}

impl Payload {
    /// What its trace span and timing call it: the command's name (`SUBSCRIBE`... for a
    /// subscription change), `MULTI` for a transaction, `PIPELINE` for another batch.
    pub(super) fn label(&self) -> &'static str {
        match self {
            Payload::Cmd(cmd) => cmd.name(),
            // A transaction's batch opens with its MULTI (`Queue::multi`).
            Payload::Encoded(bytes) if bytes.starts_with(b"*1\r\n$5\r\nMULTI\r\n") => "MULTI",
            Payload::Encoded(_) => "PIPELINE",
            Payload::PubSub(PubSubOp::Subscribe { kind, .. }) => kind.subscribe(),
            Payload::PubSub(PubSubOp::Unsubscribe { kind, .. }) => kind.unsubscribe(),
            Payload::Resume => "resume",
        }
    }

    /// About how many bytes the request occupies while queued.
    pub(super) fn size(&self) -> usize {
        match self {
            Payload::Cmd(cmd) => cmd.encoded_len(),
            Payload::Encoded(bytes) => bytes.len(),
            Payload::PubSub(_) => 64,
            Payload::Resume => 0,
        }
    }
}
