//! The command future of a [`ClusterClient`]: the fast path that routes by slot and sends on
//! the node's connection, and the boxed slow path that follows redirects and retries.

use super::client::{lock, node_client, ClusterClient};
use super::multikey;
use super::pipeline::start_many;
use super::slot::{self, Merge, Target};
use super::{never_sent, Redirect};
use crate::client::{decode, CallFuture, Client};
use crate::cmd::Cmd;
use crate::dispatch::Dispatch;
use crate::error::{Error, ErrorKind};
use crate::pipeline::Execute;
use crate::reply::FromReply;
use crate::resp::Frame;
use bytes::BytesMut;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::Duration;

/// Where one attempt of a command went, for deciding what its failure calls for.
#[derive(Clone, Debug)]
pub(crate) struct Attempt {
    slot: Option<u16>,
    /// The routing epoch the command was routed with.
    epoch: u64,
    /// The node it went to (None when no node could take it).
    addr: Option<Arc<str>>,
    replica: bool,
    readonly: bool,
}

impl ClusterClient {
    /// Routes and sends `cmd` on the current map: the fast path, which allocates nothing but
    /// the copy of the command kept for a retry. `Err` when no connection can take it.
    fn start(
        &self,
        cmd: &Cmd,
        slot: Option<u16>,
        readonly: bool,
    ) -> Result<(CallFuture<Frame>, Attempt), Attempt> {
        let routing = self
            .inner
            .routing
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let config = &self.inner.config;
        let replica = readonly && config.reads_replicas();
        let mut at = Attempt {
            slot,
            epoch: routing.epoch,
            addr: None,
            replica: false,
            readonly,
        };
        let Some((node, replica)) = routing.pick(slot, replica, config.zone(), &self.inner.turn)
        else {
            return Err(at);
        };
        at.addr = Some(node.addr.clone());
        at.replica = replica;
        match &node.client {
            Some(client) => Ok((client.send::<Frame>(cmd.clone()).into_future(), at)),
            None => Err(at),
        }
    }

    /// The slow path: follows redirects and retries until a reply that is not one, or the
    /// attempts run out.
    async fn recover(
        &self,
        cmd: Cmd,
        mut err: Error,
        mut at: Attempt,
        mut unsent: bool,
    ) -> Result<Frame, Error> {
        let config = &self.inner.config;
        let mut backoff = config.retry_backoff.0;
        let wait = |backoff: &mut Duration| {
            let now = *backoff;
            *backoff = (*backoff * 2).min(config.retry_backoff.1);
            tokio::time::sleep(now)
        };
        for _ in 1..config.max_attempts {
            let redirect = Redirect::of_error(&err);
            self.count_redirect(&redirect);
            let result = match redirect {
                Redirect::Moved { slot, addr } => {
                    if let (true, Some(replica)) = (at.replica, &at.addr) {
                        // A replica that forgot READONLY (it reconnected): tell it again.
                        self.reassert_readonly(replica);
                    }
                    self.refresh_after(at.epoch, Some((slot, &addr))).await;
                    self.send_to(&cmd, &addr, false, &mut at).await
                }
                Redirect::Ask { addr } => self.send_to(&cmd, &addr, true, &mut at).await,
                Redirect::Retry { refresh } => {
                    wait(&mut backoff).await;
                    if refresh {
                        self.refresh_after(at.epoch, None).await;
                    }
                    self.send_routed(&cmd, &mut at).await
                }
                Redirect::None if unsent || (at.readonly && err.is_connection_error()) => {
                    self.count_retry();
                    wait(&mut backoff).await;
                    self.refresh_after(at.epoch, None).await;
                    self.send_routed(&cmd, &mut at).await
                }
                Redirect::None => return Err(err),
            };
            match result {
                Ok(frame) => return Ok(frame),
                Err((e, never)) => {
                    err = e;
                    unsent = never;
                }
            }
        }
        Err(err.context(format_args!(
            "gave up after {} attempts",
            config.max_attempts
        )))
    }

    /// Sends `READONLY` again to a replica that answered a read with `MOVED`: it lost the flag
    /// when its connection was reopened.
    pub(crate) fn reassert_readonly(&self, addr: &str) {
        if let Some(client) = lock(&self.inner.pool).get(addr) {
            // Sent now; its reply is read and dropped with the future.
            drop(client.send::<()>(Cmd::new("READONLY")).into_future());
        }
    }

    /// Sends `cmd` to the node at `addr`, after `ASKING` when `asking`.
    async fn send_to(
        &self,
        cmd: &Cmd,
        addr: &str,
        asking: bool,
        at: &mut Attempt,
    ) -> Result<Frame, (Error, bool)> {
        let client = self
            .connect_node(addr, false)
            .await
            .map_err(|e| (e, true))?;
        at.addr = Some(Arc::from(addr));
        at.replica = false;
        at.epoch = self.routing().epoch;
        let result = if asking {
            ask(&client, cmd).await
        } else {
            client.send::<Frame>(cmd.clone()).await
        };
        result.map_err(|e| {
            let never = never_sent(&e);
            (e, never)
        })
    }

    /// Sends `cmd` where the current map says.
    async fn send_routed(&self, cmd: &Cmd, at: &mut Attempt) -> Result<Frame, (Error, bool)> {
        let routing = self.routing();
        at.epoch = routing.epoch;
        let Some((node, replica)) = self.pick(&routing, at.slot, at.readonly) else {
            let what = at
                .slot
                .map_or("any slot".to_owned(), |s| format!("slot {s}"));
            return Err((Error::closed(format!("no node serves {what}")), true));
        };
        at.addr = Some(node.addr.clone());
        at.replica = replica;
        let client = match node.client.clone() {
            Some(client) => client,
            None => self
                .connect_node(&node.addr, replica)
                .await
                .map_err(|e| (e, true))?,
        };
        client.send::<Frame>(cmd.clone()).await.map_err(|e| {
            let never = never_sent(&e);
            (e, never)
        })
    }

    /// Sends `cmd` to every primary and merges the replies.
    async fn fan_out(&self, cmd: Cmd, merge: Merge) -> Result<Frame, Error> {
        let routing = self.routing();
        if routing.shards.is_empty() {
            return Err(Error::closed("the cluster map lists no primaries"));
        }
        // Every request is on its way before the first reply is awaited.
        let calls = routing
            .shards
            .iter()
            .map(|shard| {
                let client = node_client(&shard.primary)?;
                Ok((
                    shard.primary.addr.clone(),
                    client.send::<Frame>(cmd.clone()).into_future(),
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut merged: Option<Frame> = None;
        for (addr, call) in calls {
            let frame = call
                .await
                .map_err(|e| e.context(format_args!("on {addr}")))?;
            merged = Some(match (merged, merge) {
                (None, _) => frame,
                (Some(Frame::Integer(a)), Merge::Sum) => match frame {
                    Frame::Integer(b) => Frame::Integer(a.saturating_add(b)),
                    other => {
                        return Err(Error::protocol_msg(format!(
                            "{addr} replied to {} with {}",
                            cmd.name(),
                            other.describe()
                        )))
                    }
                },
                (Some(Frame::Array(mut all) | Frame::Set(mut all)), Merge::Concat) => match frame {
                    Frame::Array(more) | Frame::Set(more) => {
                        all.extend(more);
                        Frame::Array(all)
                    }
                    other => {
                        return Err(Error::protocol_msg(format!(
                            "{addr} replied to {} with {}",
                            cmd.name(),
                            other.describe()
                        )))
                    }
                },
                (Some(first), _) => first,
            });
        }
        merged.ok_or_else(|| Error::closed("the cluster map lists no primaries"))
    }
}

/// `ASKING` and `cmd` in one write on the node's connection, so nothing lands between them. A
/// blocking command takes a connection of its own, as it would on a [`Client`].
pub(super) async fn ask(client: &Client, cmd: &Cmd) -> Result<Frame, Error> {
    let mut buf = BytesMut::new();
    Cmd::new("ASKING").encode(&mut buf);
    cmd.encode(&mut buf);
    if cmd.info().is_some_and(|i| i.is_blocking()) {
        let mut conn = client.dedicated().await?;
        let (asking, reply) = conn
            .pipeline()
            .cmd::<()>(Cmd::new("ASKING"))
            .cmd::<Frame>(cmd.clone())
            .execute_each()
            .await?;
        asking?;
        return reply;
    }
    let mut frames = start_many(client.handle(), buf.freeze(), 2)
        .await?
        .into_iter();
    match (frames.next(), frames.next()) {
        (Some(Frame::Error(line)), _) => Err(Error::server(&line).context("ASKING")),
        (_, Some(Frame::Error(line))) => Err(Error::server(&line).context(cmd.name())),
        (_, Some(frame)) => Ok(frame),
        _ => Err(Error::protocol_msg("missing reply after ASKING")),
    }
}

impl<'a> Dispatch for &'a ClusterClient {
    type Out<T: FromReply> = ClusterCall<'a, T>;

    fn dispatch<T: FromReply>(self, cmd: Cmd) -> ClusterCall<'a, T> {
        self.send(cmd)
    }
}

/// A command ready to go to a cluster; `.await` routes it, sends it and decodes the reply.
#[must_use = "a command is sent only when awaited"]
#[derive(Debug)]
pub struct ClusterCall<'a, T> {
    cluster: &'a ClusterClient,
    cmd: Cmd,
    reply: PhantomData<fn() -> T>,
}

impl<'a, T> ClusterCall<'a, T> {
    pub(super) fn new(cluster: &'a ClusterClient, cmd: Cmd) -> Self {
        ClusterCall {
            cluster,
            cmd,
            reply: PhantomData,
        }
    }

    /// The command as built so far.
    pub fn cmd(&self) -> &Cmd {
        &self.cmd
    }
}

impl<'a, T: FromReply> IntoFuture for ClusterCall<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = ClusterFuture<'a, T>;

    fn into_future(self) -> ClusterFuture<'a, T> {
        let ClusterCall { cluster, cmd, .. } = self;
        let name = cmd.name();
        let state = match slot::target(&cmd) {
            // MGET, MSET, DEL, UNLINK, EXISTS, TOUCH: one command per slot, merged.
            Err(err) if err.kind() == ErrorKind::CrossSlot => match multikey::split_of(&cmd) {
                Some((width, split)) => State::Slow(Box::pin(cluster.split(cmd, width, split))),
                None => State::Failed(Some(err.context(name))),
            },
            Err(err) => State::Failed(Some(err.context(name))),
            Ok(Target::FanOut(merge)) => State::Slow(Box::pin(cluster.fan_out(cmd, merge))),
            Ok(target) => {
                let slot = match target {
                    Target::Slot(slot) => Some(slot),
                    _ => None,
                };
                let readonly = slot::is_readonly(&cmd);
                match cluster.start(&cmd, slot, readonly) {
                    Ok((call, at)) => State::Sent {
                        call,
                        cmd: Some(cmd),
                        cluster,
                        at,
                    },
                    Err(at) => {
                        let err = Error::closed(format!("no connection for {name}"));
                        State::Slow(Box::pin(cluster.recover(cmd, err, at, true)))
                    }
                }
            }
        };
        ClusterFuture {
            state,
            name,
            reply: PhantomData,
        }
    }
}

/// The future of an awaited [`ClusterCall`].
///
/// It owns one copy of the command so that a redirect can resend it; the redirect path itself is
/// a boxed future, taken only when the cluster redirects.
#[must_use = "futures do nothing unless polled"]
pub struct ClusterFuture<'a, T> {
    state: State<'a>,
    name: &'static str,
    reply: PhantomData<fn() -> T>,
}

type SlowPath<'a> = Pin<Box<dyn Future<Output = Result<Frame, Error>> + Send + 'a>>;

#[expect(
    clippy::large_enum_variant,
    reason = "the large variant is the common one; boxing it would allocate for every command"
)]
enum State<'a> {
    Sent {
        call: CallFuture<Frame>,
        cmd: Option<Cmd>,
        cluster: &'a ClusterClient,
        at: Attempt,
    },
    Slow(SlowPath<'a>),
    Failed(Option<Error>),
}

impl<T> std::fmt::Debug for ClusterFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Sent { .. } => "Sent",
            State::Slow(_) => "Redirected",
            State::Failed(_) => "Failed",
        };
        f.debug_struct("ClusterFuture")
            .field("command", &self.name)
            .field("state", &state)
            .finish()
    }
}

impl<T: FromReply> Future for ClusterFuture<'_, T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let name = this.name;
        loop {
            let frame = match &mut this.state {
                State::Sent {
                    call,
                    cmd,
                    cluster,
                    at,
                } => match ready!(Pin::new(call).poll(cx)) {
                    Ok(frame) => frame,
                    Err(err) => {
                        let unsent = never_sent(&err);
                        let retry = unsent
                            || Redirect::of_error(&err) != Redirect::None
                            || (at.readonly && err.is_connection_error());
                        let Some(cmd) = cmd.take().filter(|_| retry) else {
                            return Poll::Ready(Err(err));
                        };
                        let at = at.clone();
                        let cluster: &ClusterClient = cluster;
                        this.state = State::Slow(Box::pin(cluster.recover(cmd, err, at, unsent)));
                        continue;
                    }
                },
                State::Slow(fut) => ready!(fut.as_mut().poll(cx))?,
                State::Failed(err) => {
                    return Poll::Ready(Err(err
                        .take()
                        .unwrap_or_else(|| Error::closed("polled after completion"))))
                }
            };
            return Poll::Ready(decode(frame).map_err(|e| e.context(name)));
        }
    }
}
