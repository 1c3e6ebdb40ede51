//! Pub/sub on a cluster: [`ClusterSubscription`], one stream of [`Event`]s over every node it
//! needs, kept subscribed as slots move and primaries fail over.
//!
//! - Channels and patterns (`SUBSCRIBE`, `PSUBSCRIBE`) are cluster-wide: a message published on
//!   any node reaches every node. They are subscribed on one primary; when that node leaves the
//!   map (it failed), they are subscribed again on another.
//! - Shard channels (`SSUBSCRIBE`) live in the slot their name hashes to, like keys: each is
//!   subscribed on the primary serving that slot (one subscription per node). When the slot
//!   moves (a migration, a failover), the server drops the subscription, and it is made again on
//!   the slot's new primary.
//!
//! A background task owns the per-node subscriptions. It forwards their messages, and every
//! 250 ms (and at once when a node's subscription ends) reads the slot map again and moves what
//! must move. Each move yields [`Event::Reconnected`] before the messages that follow it.
//!
//! What is guaranteed across a move: no message is delivered twice (a subscription is made on
//! the new node only once the old one is gone: the slot left it, or the node did), and messages
//! published between the loss of the old subscription and the new one are lost, as Redis pub/sub
//! keeps nothing; each such gap is reported by the [`Event::Reconnected`] that ends it.
//!
//! Imports the siblings `client` and `slot`, and `conn`, `pubsub`, `error`.

use super::client::ClusterClient;
use super::slot::key_slot;
use crate::conn::Event;
use crate::error::Error;
use crate::pubsub::{Channels, Subscription};
use bytes::Bytes;
use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How often the slot map is read again to move subscriptions.
const CHECK_EVERY: Duration = Duration::from_millis(250);

/// A change asked of the task, with where its result goes.
#[derive(Debug)]
enum Op {
    Subscribe(Vec<Bytes>, oneshot::Sender<Result<(), Error>>),
    Psubscribe(Vec<Bytes>, oneshot::Sender<Result<(), Error>>),
    Ssubscribe(Vec<Bytes>, oneshot::Sender<Result<(), Error>>),
}

/// Channel, pattern and shard-channel subscriptions on a cluster, read as one stream of
/// [`Event`]s.
///
/// Channels and patterns are subscribed on one primary, and again on another when it leaves
/// the map. Each shard channel is subscribed on the primary serving its slot, and again on the
/// slot's new primary after a migration or a failover. A background task reads the slot map
/// every 250 ms to see what moved, and yields [`Event::Reconnected`] for each move. Across a
/// move no message is delivered twice; messages published between the loss of the old
/// subscription and the new one are lost (Redis pub/sub keeps nothing), and each such gap is
/// reported by that event. Messages of a cluster-wide channel published on different nodes may
/// arrive out of order (they cross the cluster bus); a shard channel's keep their order.
///
/// ```no_run
/// # async fn run(cluster: sider::cluster::ClusterClient) -> Result<(), sider::Error> {
/// use sider::Event;
///
/// let mut sub = cluster.ssubscribe(["orders:{eu}", "orders:{us}"]).await?;
/// sub.subscribe("news").await?;
/// while let Some(event) = sub.next().await {
///     match event {
///         Event::Message(msg) => println!("{}: {}", msg.channel_str(), msg.payload::<String>()?),
///         Event::Reconnected => println!("moved or reconnected: messages may have been missed"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ClusterSubscription {
    events: mpsc::UnboundedReceiver<Event>,
    ops: mpsc::UnboundedSender<Op>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ClusterSubscription {
    fn drop(&mut self) {
        // Dropping the task drops its per-node subscriptions, which unsubscribe.
        self.task.abort();
    }
}

impl ClusterClient {
    /// An empty [`ClusterSubscription`], to add channels, patterns and shard channels to.
    pub fn subscription(&self) -> ClusterSubscription {
        let (events_tx, events) = mpsc::unbounded_channel();
        let (ops, ops_rx) = mpsc::unbounded_channel();
        let task = Task {
            cluster: self.clone(),
            events: events_tx,
            channels: Vec::new(),
            patterns: Vec::new(),
            global: None,
            shards: Vec::new(),
            nodes: HashMap::new(),
        };
        ClusterSubscription {
            events,
            ops,
            task: tokio::spawn(task.run(ops_rx)),
        }
    }

    /// Subscribes to channels (`SUBSCRIBE`), on any one primary.
    ///
    /// # Errors
    ///
    /// When no node takes the subscription.
    pub async fn subscribe(&self, channels: impl Channels) -> Result<ClusterSubscription, Error> {
        let mut sub = self.subscription();
        sub.subscribe(channels).await?;
        Ok(sub)
    }

    /// Subscribes to patterns (`PSUBSCRIBE`), on any one primary.
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn psubscribe(&self, patterns: impl Channels) -> Result<ClusterSubscription, Error> {
        let mut sub = self.subscription();
        sub.psubscribe(patterns).await?;
        Ok(sub)
    }

    /// Subscribes to shard channels (`SSUBSCRIBE`, Redis 7), each on the primary serving its
    /// slot. Publish to them with the generated `spublish`, routed the same way.
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn ssubscribe(&self, channels: impl Channels) -> Result<ClusterSubscription, Error> {
        let mut sub = self.subscription();
        sub.ssubscribe(channels).await?;
        Ok(sub)
    }
}

impl ClusterSubscription {
    async fn ask(
        &mut self,
        op: impl FnOnce(oneshot::Sender<Result<(), Error>>) -> Op,
    ) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.ops
            .send(op(tx))
            .map_err(|_| Error::closed("the cluster subscription's task has stopped"))?;
        rx.await
            .map_err(|_| Error::closed("the cluster subscription's task has stopped"))?
    }

    /// Adds channels (`SUBSCRIBE`).
    ///
    /// # Errors
    ///
    /// When the server refuses or no node can be reached.
    pub async fn subscribe(&mut self, channels: impl Channels) -> Result<(), Error> {
        let channels = channels.__into_channels();
        self.ask(|tx| Op::Subscribe(channels, tx)).await
    }

    /// Adds patterns (`PSUBSCRIBE`).
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn psubscribe(&mut self, patterns: impl Channels) -> Result<(), Error> {
        let patterns = patterns.__into_channels();
        self.ask(|tx| Op::Psubscribe(patterns, tx)).await
    }

    /// Adds shard channels (`SSUBSCRIBE`), each on the primary serving its slot.
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn ssubscribe(&mut self, channels: impl Channels) -> Result<(), Error> {
        let channels = channels.__into_channels();
        self.ask(|tx| Op::Ssubscribe(channels, tx)).await
    }

    /// The next message or event; `None` once the task has stopped.
    pub async fn next(&mut self) -> Option<Event> {
        self.events.recv().await
    }
}

impl futures_core::Stream for ClusterSubscription {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.get_mut().events.poll_recv(cx)
    }
}

/// The background task and everything it owns.
struct Task {
    cluster: ClusterClient,
    events: mpsc::UnboundedSender<Event>,
    channels: Vec<Bytes>,
    patterns: Vec<Bytes>,
    /// The node holding the channels and patterns, with their subscription.
    global: Option<(Arc<str>, Subscription)>,
    /// Every shard channel.
    shards: Vec<Bytes>,
    /// Per node: the subscription of its shard channels, and which they are.
    nodes: HashMap<Arc<str>, (Subscription, Vec<Bytes>)>,
}

/// What woke the task.
enum Wake {
    Op(Option<Op>),
    Event(Event),
    /// A node's subscription ended: its node is to be looked at again.
    Ended,
    Tick,
}

impl Task {
    async fn run(mut self, mut ops: mpsc::UnboundedReceiver<Op>) {
        let mut tick = tokio::time::interval(CHECK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let wake = poll_fn(|cx| {
                if let Poll::Ready(op) = ops.poll_recv(cx) {
                    return Poll::Ready(Wake::Op(op));
                }
                if let Some(wake) = self.poll_subscriptions(cx) {
                    return Poll::Ready(wake);
                }
                if tick.poll_tick(cx).is_ready() {
                    return Poll::Ready(Wake::Tick);
                }
                Poll::Pending
            })
            .await;
            match wake {
                Wake::Op(None) => return, // the ClusterSubscription is gone
                Wake::Op(Some(op)) => self.apply(op).await,
                Wake::Event(event) => {
                    if self.events.send(event).is_err() {
                        return;
                    }
                }
                Wake::Ended | Wake::Tick => self.follow().await,
            }
        }
    }

    fn poll_subscriptions(&mut self, cx: &mut Context<'_>) -> Option<Wake> {
        let subs = self
            .global
            .iter_mut()
            .map(|(_, sub)| sub)
            .chain(self.nodes.values_mut().map(|(sub, _)| sub));
        for sub in subs {
            match sub.poll_next_event(cx) {
                Poll::Ready(Some(event)) => return Some(Wake::Event(event)),
                Poll::Ready(None) => return Some(Wake::Ended),
                Poll::Pending => {}
            }
        }
        None
    }

    async fn apply(&mut self, op: Op) {
        let (result, reply) = match op {
            Op::Subscribe(channels, reply) => (self.add_global(channels, false).await, reply),
            Op::Psubscribe(patterns, reply) => (self.add_global(patterns, true).await, reply),
            Op::Ssubscribe(channels, reply) => (self.add_shards(channels).await, reply),
        };
        let _ = reply.send(result);
    }

    async fn add_global(&mut self, names: Vec<Bytes>, patterns: bool) -> Result<(), Error> {
        if self.global.is_none() {
            let addr = self
                .cluster
                .primaries()
                .into_iter()
                .next()
                .ok_or_else(|| Error::closed("the cluster map lists no primaries"))?;
            let sub = self.cluster.node(&addr).await?.subscription().await?;
            self.global = Some((Arc::from(addr.as_str()), sub));
        }
        if let Some((_, sub)) = &mut self.global {
            if patterns {
                sub.psubscribe(names.clone()).await?;
            } else {
                sub.subscribe(names.clone()).await?;
            }
        }
        let list = if patterns {
            &mut self.patterns
        } else {
            &mut self.channels
        };
        list.extend(names);
        Ok(())
    }

    async fn add_shards(&mut self, channels: Vec<Bytes>) -> Result<(), Error> {
        let mut by_node: HashMap<String, Vec<Bytes>> = HashMap::new();
        for channel in channels {
            let slot = key_slot(&channel);
            let addr = self
                .cluster
                .primary_for_slot(slot)
                .ok_or_else(|| Error::closed(format!("no node serves slot {slot}")))?;
            by_node.entry(addr).or_default().push(channel);
        }
        for (addr, channels) in by_node {
            self.ssubscribe_on(&addr, channels.clone()).await?;
            self.shards.extend(channels);
        }
        Ok(())
    }

    async fn ssubscribe_on(&mut self, addr: &str, channels: Vec<Bytes>) -> Result<(), Error> {
        let key: Arc<str> = Arc::from(addr);
        if !self.nodes.contains_key(&key) {
            let sub = self.cluster.node(addr).await?.subscription().await?;
            self.nodes.insert(key.clone(), (sub, Vec::new()));
        }
        if let Some((sub, list)) = self.nodes.get_mut(&key) {
            sub.ssubscribe(channels.clone()).await?;
            list.extend(channels);
        }
        Ok(())
    }

    /// Reads the map again and moves what it says has moved; a failure leaves things for the
    /// next tick.
    async fn follow(&mut self) {
        if self.cluster.refresh().await.is_err() {
            return;
        }
        let primaries = self.cluster.primaries();
        let mut moved = false;
        // Channels and patterns: their node must still be a primary.
        let global_lost = match &self.global {
            Some((addr, _)) => !primaries.iter().any(|p| p.as_str() == &**addr),
            // A move that failed: channels or patterns still wait for a node.
            None => !self.channels.is_empty() || !self.patterns.is_empty(),
        };
        if global_lost {
            self.global = None;
            let (channels, patterns) = (
                std::mem::take(&mut self.channels),
                std::mem::take(&mut self.patterns),
            );
            let mut ok = true;
            if !channels.is_empty() {
                ok &= self.add_global(channels.clone(), false).await.is_ok();
            }
            if !patterns.is_empty() && ok {
                ok &= self.add_global(patterns.clone(), true).await.is_ok();
            }
            if !ok {
                // Try again on the next tick, from scratch.
                self.global = None;
                self.channels = channels;
                self.patterns = patterns;
            } else {
                moved = true;
            }
        }
        // Shard channels: each on the primary of its slot now.
        let mut emptied: Vec<Arc<str>> = Vec::new();
        for (addr, (_, list)) in self.nodes.iter_mut() {
            list.retain(|channel| {
                self.cluster.primary_for_slot(key_slot(channel)).as_deref() == Some(&**addr)
            });
            if list.is_empty() {
                emptied.push(addr.clone());
            }
        }
        // A subscription left with no channel is dropped; one that keeps some also keeps the
        // moved ones in its own set until the server's own unsubscribe, which is harmless.
        for addr in emptied {
            self.nodes.remove(&addr);
        }
        let unplaced: Vec<Bytes> = self
            .shards
            .iter()
            .filter(|c| !self.nodes.values().any(|(_, list)| list.contains(c)))
            .cloned()
            .collect();
        for channel in unplaced {
            let Some(addr) = self.cluster.primary_for_slot(key_slot(&channel)) else {
                continue;
            };
            if self.ssubscribe_on(&addr, vec![channel]).await.is_ok() {
                moved = true;
            }
        }
        if moved {
            let _ = self.events.send(Event::Reconnected);
        }
    }
}
