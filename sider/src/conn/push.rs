//! Out-of-band traffic: pub/sub messages, RESP3 pushes, and client-side caching.
//!
//! The [`Router`] lives with the driver for the whole life of a client, across reconnects: it
//! knows every subscription (to route messages and to subscribe again after a reconnect), the
//! client-side cache (filled and invalidated in stream order, so a stale value can never be
//! stored after its invalidation), and where other pushes go.

use super::cache::Cache;
use super::config::Protocol;
use crate::cmd::Cmd;
use crate::error::Error;
use crate::reply::FromReply;
use crate::resp::Frame;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Which subscribe command a subscription came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubscriptionKind {
    /// `SUBSCRIBE channel`
    Channel,
    /// `PSUBSCRIBE pattern`
    Pattern,
    /// `SSUBSCRIBE shardchannel` (Redis 7)
    Shard,
}

impl SubscriptionKind {
    pub(crate) fn subscribe(self) -> &'static str {
        match self {
            SubscriptionKind::Channel => "SUBSCRIBE",
            SubscriptionKind::Pattern => "PSUBSCRIBE",
            SubscriptionKind::Shard => "SSUBSCRIBE",
        }
    }

    pub(crate) fn unsubscribe(self) -> &'static str {
        match self {
            SubscriptionKind::Channel => "UNSUBSCRIBE",
            SubscriptionKind::Pattern => "PUNSUBSCRIBE",
            SubscriptionKind::Shard => "SUNSUBSCRIBE",
        }
    }
}

/// A message published to a channel this subscription listens to.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// How the subscription matched it.
    pub kind: SubscriptionKind,
    /// The channel it was published to.
    pub channel: Bytes,
    /// The pattern that matched, for `PSUBSCRIBE` subscriptions.
    pub pattern: Option<Bytes>,
    /// The payload as sent.
    pub payload: Frame,
}

impl Message {
    /// Decodes the payload into `T`.
    ///
    /// # Errors
    ///
    /// A [`ReplyError`](crate::ReplyError) (as an [`Error`]) when it does not decode.
    pub fn payload<T: FromReply>(&self) -> Result<T, Error> {
        T::from_reply(self.payload.clone()).map_err(Error::reply)
    }

    /// The channel as text (lossy).
    pub fn channel_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.channel)
    }
}

/// What a [`Subscription`](crate::Subscription) yields.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A published message.
    Message(Message),
    /// The connection was lost and re-established, and the subscriptions renewed. Messages
    /// published in between are lost: Redis pub/sub does not keep them.
    Reconnected,
}

/// A change to the subscription set, applied by the driver in order with the command.
#[derive(Debug)]
pub(crate) enum PubSubOp {
    Subscribe {
        kind: SubscriptionKind,
        channels: Vec<Bytes>,
        id: u64,
        events: mpsc::UnboundedSender<Event>,
    },
    Unsubscribe {
        kind: SubscriptionKind,
        channels: Vec<Bytes>,
        id: u64,
    },
}

/// Where pushes that are neither pub/sub nor invalidations go, if the user asked for them.
pub(crate) type PushSink = Arc<Mutex<Option<mpsc::UnboundedSender<Frame>>>>;

/// One subscription's id and where its events go.
type Subscriber = (u64, mpsc::UnboundedSender<Event>);

/// Routes out-of-band frames; owned by the driver.
#[derive(Debug, Default)]
pub(crate) struct Router {
    subscriptions: HashMap<(SubscriptionKind, Bytes), Vec<Subscriber>>,
    pub(crate) cache: Option<Arc<Cache>>,
    pub(crate) pushes: PushSink,
}

/// What a pub/sub frame was.
pub(crate) enum Routed {
    /// A subscribe/unsubscribe confirmation, for the waiter at the front.
    Confirmation,
    /// Delivered (or dropped: nobody listens).
    Done,
}

fn kind_of(word: &[u8]) -> Option<(SubscriptionKind, bool)> {
    Some(match word {
        b"message" => (SubscriptionKind::Channel, false),
        b"pmessage" => (SubscriptionKind::Pattern, false),
        b"smessage" => (SubscriptionKind::Shard, false),
        b"subscribe" | b"unsubscribe" => (SubscriptionKind::Channel, true),
        b"psubscribe" | b"punsubscribe" => (SubscriptionKind::Pattern, true),
        b"ssubscribe" | b"sunsubscribe" => (SubscriptionKind::Shard, true),
        _ => return None,
    })
}

fn text(frame: &Frame) -> Option<&Bytes> {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) => Some(b),
        _ => None,
    }
}

impl Router {
    pub(crate) fn new(cache: Option<Arc<Cache>>, pushes: PushSink) -> Router {
        Router {
            subscriptions: HashMap::new(),
            cache,
            pushes,
        }
    }

    pub(crate) fn has_subscriptions(&self) -> bool {
        !self.subscriptions.is_empty()
    }

    /// Whether a RESP2 reply is really a pub/sub message (on a connection in subscribe mode).
    pub(crate) fn is_resp2_push(&self, protocol: Protocol, frame: &Frame) -> bool {
        if protocol != Protocol::Resp2 || self.subscriptions.is_empty() {
            return false;
        }
        matches!(frame, Frame::Array(items) if items.first().and_then(text).is_some_and(|w| kind_of(w).is_some()))
    }

    /// Applies a subscription change; returns how many confirmations the server will send
    /// (0 when nothing needs to go to the server).
    pub(crate) fn apply(&mut self, op: PubSubOp) -> Vec<Bytes> {
        match op {
            PubSubOp::Subscribe {
                kind,
                channels,
                id,
                events,
            } => {
                let mut fresh = Vec::new();
                for channel in channels {
                    let subs = self
                        .subscriptions
                        .entry((kind, channel.clone()))
                        .or_default();
                    if subs.is_empty() {
                        fresh.push(channel);
                    }
                    subs.retain(|(i, _)| *i != id);
                    subs.push((id, events.clone()));
                }
                fresh
            }
            PubSubOp::Unsubscribe { kind, channels, id } => {
                let mut gone = Vec::new();
                for channel in channels {
                    let key = (kind, channel.clone());
                    if let Some(subs) = self.subscriptions.get_mut(&key) {
                        subs.retain(|(i, _)| *i != id);
                        if subs.is_empty() {
                            self.subscriptions.remove(&key);
                            gone.push(channel);
                        }
                    }
                }
                gone
            }
        }
    }

    /// The commands that renew every subscription after a reconnect, and tells subscribers.
    pub(crate) fn renew(&mut self) -> Vec<(Cmd, usize)> {
        let mut by_kind: HashMap<SubscriptionKind, Vec<Bytes>> = HashMap::new();
        for ((kind, channel), subs) in &mut self.subscriptions {
            subs.retain(|(_, tx)| tx.send(Event::Reconnected).is_ok());
            if !subs.is_empty() {
                by_kind.entry(*kind).or_default().push(channel.clone());
            }
        }
        self.subscriptions.retain(|_, subs| !subs.is_empty());
        by_kind
            .into_iter()
            .map(|(kind, channels)| {
                let n = channels.len();
                let mut cmd = Cmd::new(kind.subscribe());
                for c in &channels {
                    cmd.push_arg(c);
                }
                (cmd, n)
            })
            .collect()
    }

    /// Routes a push (or a RESP2 pub/sub array).
    pub(crate) fn route(&mut self, items: Vec<Frame>) -> Routed {
        let word = items.first().and_then(text).cloned().unwrap_or_default();
        if &word[..] == b"invalidate" && self.cache.is_some() {
            if let Some(cache) = &self.cache {
                match items.get(1) {
                    Some(Frame::Array(keys)) => keys
                        .iter()
                        .filter_map(text)
                        .for_each(|k| cache.invalidate(k)),
                    _ => cache.flush(), // a null: the server flushed everything
                }
            }
            return Routed::Done;
        }
        match kind_of(&word) {
            Some((_, true)) => Routed::Confirmation,
            Some((kind, false)) => {
                let mut items = items.into_iter().skip(1);
                let (pattern, channel) = if kind == SubscriptionKind::Pattern {
                    let pattern = items.next().as_ref().and_then(text).cloned();
                    (pattern, items.next().as_ref().and_then(text).cloned())
                } else {
                    (None, items.next().as_ref().and_then(text).cloned())
                };
                let payload = items.next().unwrap_or(Frame::Null);
                let Some(channel) = channel else {
                    return Routed::Done;
                };
                let key = (kind, pattern.clone().unwrap_or_else(|| channel.clone()));
                if let Some(subs) = self.subscriptions.get_mut(&key) {
                    let message = Message {
                        kind,
                        channel,
                        pattern,
                        payload,
                    };
                    subs.retain(|(_, tx)| tx.send(Event::Message(message.clone())).is_ok());
                }
                Routed::Done
            }
            None => {
                if let Ok(sink) = self.pushes.lock() {
                    if let Some(tx) = sink.as_ref() {
                        let _ = tx.send(Frame::Push(items));
                    }
                }
                Routed::Done
            }
        }
    }
}
