//! [`Subscription`]: pub/sub as an async stream of typed messages.

use crate::conn::{Event, Handle, PubSubOp, SubscriptionKind};
use crate::connection::Connection;
use crate::error::Error;
use crate::resp::Frame;
use bytes::Bytes;
use std::borrow::Cow;
use std::collections::HashSet;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::sync::mpsc;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A live set of channel, pattern and shard-channel subscriptions, read as a stream of
/// [`Event`]s.
///
/// Under RESP3 it shares the client's connection: messages arrive as push frames beside
/// ordinary replies. Under RESP2 a connection in subscribe mode can run nothing else, so the
/// subscription opens one of its own. Either way, if the connection drops, the subscriptions are
/// renewed on the new one and the stream yields [`Event::Reconnected`]; messages published in
/// between are lost (Redis pub/sub keeps nothing).
///
/// Dropping the subscription unsubscribes.
///
/// ```no_run
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// use sider::Event;
///
/// let mut sub = client.subscribe("news").await?; // one channel, or many: ["news", "sport"]
/// sub.psubscribe("alerts.*").await?;
/// while let Some(event) = sub.next().await {
///     match event {
///         Event::Message(msg) => println!("{}: {}", msg.channel_str(), msg.payload::<String>()?),
///         Event::Reconnected => println!("reconnected; messages may have been missed"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Subscription {
    handle: Handle,
    /// Keeps the connection of its own alive (RESP2).
    _own: Option<Connection>,
    id: u64,
    events: mpsc::UnboundedReceiver<Event>,
    sender: mpsc::UnboundedSender<Event>,
    active: HashSet<(SubscriptionKind, Bytes)>,
}

impl Subscription {
    pub(crate) fn new(handle: Handle, own: Option<Connection>) -> Subscription {
        let (sender, events) = mpsc::unbounded_channel();
        Subscription {
            handle,
            _own: own,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            events,
            sender,
            active: HashSet::new(),
        }
    }

    async fn change(
        &mut self,
        kind: SubscriptionKind,
        channels: Vec<Bytes>,
        add: bool,
    ) -> Result<(), Error> {
        if channels.is_empty() {
            return Ok(());
        }
        let op = if add {
            PubSubOp::Subscribe {
                kind,
                channels: channels.clone(),
                id: self.id,
                events: self.sender.clone(),
            }
        } else {
            PubSubOp::Unsubscribe {
                kind,
                channels: channels.clone(),
                id: self.id,
            }
        };
        let confirmed = self.handle.pubsub(op);
        let name = if add {
            kind.subscribe()
        } else {
            kind.unsubscribe()
        };
        match confirmed.await {
            Ok(Frame::Error(line)) => return Err(Error::server(&line).context(name)),
            Ok(_) => {}
            Err(e) => return Err(e.context(name)),
        }
        for channel in channels {
            if add {
                self.active.insert((kind, channel));
            } else {
                self.active.remove(&(kind, channel));
            }
        }
        Ok(())
    }

    /// Adds channels (`SUBSCRIBE`).
    ///
    /// # Errors
    ///
    /// When the server refuses (e.g. ACL) or the connection fails.
    pub async fn subscribe(&mut self, channels: impl Channels) -> Result<(), Error> {
        self.change(SubscriptionKind::Channel, channels.__into_channels(), true)
            .await
    }

    /// Adds patterns (`PSUBSCRIBE`).
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn psubscribe(&mut self, patterns: impl Channels) -> Result<(), Error> {
        self.change(SubscriptionKind::Pattern, patterns.__into_channels(), true)
            .await
    }

    /// Adds shard channels (`SSUBSCRIBE`, Redis 7).
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn ssubscribe(&mut self, channels: impl Channels) -> Result<(), Error> {
        self.change(SubscriptionKind::Shard, channels.__into_channels(), true)
            .await
    }

    /// Removes channels (`UNSUBSCRIBE`).
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn unsubscribe(&mut self, channels: impl Channels) -> Result<(), Error> {
        self.change(SubscriptionKind::Channel, channels.__into_channels(), false)
            .await
    }

    /// Removes patterns (`PUNSUBSCRIBE`).
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn punsubscribe(&mut self, patterns: impl Channels) -> Result<(), Error> {
        self.change(SubscriptionKind::Pattern, patterns.__into_channels(), false)
            .await
    }

    /// Removes shard channels (`SUNSUBSCRIBE`).
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn sunsubscribe(&mut self, channels: impl Channels) -> Result<(), Error> {
        self.change(SubscriptionKind::Shard, channels.__into_channels(), false)
            .await
    }

    /// The next message or event; `None` once the client is gone.
    pub async fn next(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Polls for the next event (the `Stream` shape).
    pub fn poll_next_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.events.poll_recv(cx)
    }

    /// The channels, patterns and shard channels subscribed to.
    pub fn active(&self) -> impl Iterator<Item = (SubscriptionKind, &[u8])> {
        self.active.iter().map(|(k, c)| (*k, &c[..]))
    }
}

impl futures_core::Stream for Subscription {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.get_mut().events.poll_recv(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut by_kind: Vec<(SubscriptionKind, Vec<Bytes>)> = Vec::new();
        for (kind, channel) in self.active.drain() {
            match by_kind.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, list)) => list.push(channel),
                None => by_kind.push((kind, vec![channel])),
            }
        }
        for (kind, channels) in by_kind {
            self.handle.pubsub_and_forget(PubSubOp::Unsubscribe {
                kind,
                channels,
                id: self.id,
            });
        }
    }
}

/// One channel (or pattern) name, or many: what [`Client::subscribe`](crate::Client::subscribe)
/// and the methods of [`Subscription`] take.
///
/// One name is a `&str`, a `String` or [`Bytes`]; many are an array, slice or `Vec` of
/// anything that is bytes (`&str`, `String`, `&[u8]`, `Vec<u8>`, `Bytes`...), or
/// [`Each`](crate::Each) around any iterator of them.
///
/// ```no_run
/// # async fn run(client: sider::Client, rooms: Vec<String>) -> Result<(), sider::Error> {
/// use sider::Each;
///
/// let mut sub = client.subscribe("chat:lobby").await?;
/// sub.subscribe(["chat:a", "chat:b"]).await?;
/// sub.subscribe(&rooms).await?;
/// sub.subscribe(Each(rooms.iter().map(|r| format!("chat:{r}")))).await?;
/// sub.psubscribe("alerts.*").await?;
/// # Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a channel name or a list of them",
    label = "expected a channel name, or a list of names",
    note = "one name is a `&str`, `String` or `Bytes`; many are an array, slice or Vec of strings or bytes, or `Each(iterator)`"
)]
pub trait Channels {
    /// The names, copied.
    #[doc(hidden)]
    fn __into_channels(self) -> Vec<Bytes>;
}

impl Channels for &str {
    fn __into_channels(self) -> Vec<Bytes> {
        vec![Bytes::copy_from_slice(self.as_bytes())]
    }
}

impl Channels for String {
    fn __into_channels(self) -> Vec<Bytes> {
        vec![Bytes::from(self)]
    }
}

impl Channels for &String {
    fn __into_channels(self) -> Vec<Bytes> {
        self.as_str().__into_channels()
    }
}

impl Channels for Cow<'_, str> {
    fn __into_channels(self) -> Vec<Bytes> {
        vec![Bytes::from(self.into_owned())]
    }
}

impl Channels for Bytes {
    fn __into_channels(self) -> Vec<Bytes> {
        vec![self]
    }
}

impl<C: AsRef<[u8]>, const N: usize> Channels for [C; N] {
    fn __into_channels(self) -> Vec<Bytes> {
        copy_all(self)
    }
}

impl<C: AsRef<[u8]>, const N: usize> Channels for &[C; N] {
    fn __into_channels(self) -> Vec<Bytes> {
        copy_all(self)
    }
}

impl<C: AsRef<[u8]>> Channels for &[C] {
    fn __into_channels(self) -> Vec<Bytes> {
        copy_all(self)
    }
}

impl<C: AsRef<[u8]>> Channels for Vec<C> {
    fn __into_channels(self) -> Vec<Bytes> {
        copy_all(self)
    }
}

impl<C: AsRef<[u8]>> Channels for &Vec<C> {
    fn __into_channels(self) -> Vec<Bytes> {
        copy_all(self)
    }
}

impl<I> Channels for crate::Each<I>
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    fn __into_channels(self) -> Vec<Bytes> {
        copy_all(self.0)
    }
}

fn copy_all<C: AsRef<[u8]>>(channels: impl IntoIterator<Item = C>) -> Vec<Bytes> {
    channels
        .into_iter()
        .map(|c| Bytes::copy_from_slice(c.as_ref()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Channels;
    use bytes::Bytes;

    #[test]
    fn one_name_or_many() {
        let names = |c: Vec<Bytes>| c.iter().map(|b| b.to_vec()).collect::<Vec<_>>();
        assert_eq!(names("one".__into_channels()), [b"one"]);
        assert_eq!(names(String::from("one").__into_channels()), [b"one"]);
        assert_eq!(names(["a", "b"].__into_channels()), [b"a", b"b"]);
        let owned = vec![String::from("a"), String::from("b")];
        assert_eq!(names((&owned).__into_channels()), [b"a", b"b"]);
        assert_eq!(names(owned[..].__into_channels()), [b"a", b"b"]);
        let each = crate::Each(owned.iter().map(|o| format!("x:{o}")));
        assert_eq!(names(each.__into_channels()), [b"x:a", b"x:b"]);
        assert_eq!(names([&b"bin"[..]].__into_channels()), [b"bin"]);
    }
}
