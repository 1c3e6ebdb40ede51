//! [`ClusterTransaction`]: MULTI/EXEC on the primary of the one slot its keys share.

use super::client::ClusterClient;
use super::never_sent;
use super::pipeline::{ignored, replies, start_many, Plan, Via};
use super::Redirect;
use crate::cmd::Cmd;
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::info::CommandInfo;
use crate::pipeline::Names;
use crate::pipeline::{position, Execute, Ignored, ReplyList};
use crate::reply::FromReply;
use crate::resp::Frame;
use bytes::BytesMut;
use std::marker::PhantomData;

/// A MULTI/EXEC transaction on a cluster: [`Transaction`](crate::Transaction)'s builder, run on
/// the primary of the one slot all its keys must share.
///
/// Keys in two slots fail `execute()` with [`ErrorKind::CrossSlot`](crate::ErrorKind::CrossSlot)
/// before anything is sent. A transaction redirected (its slot moved or is migrating) is sent
/// again whole, where the cluster says.
///
/// ```no_run
/// use sider::prelude::*;
///
/// # async fn run(cluster: sider::cluster::ClusterClient) -> Result<(), sider::Error> {
/// let (n, ()) = cluster
///     .transaction()
///     .incr("{user:1}.visits")
///     .set("{user:1}.seen", "now")
///     .execute()
///     .await?;
/// let _: i64 = n;
/// # Ok(()) }
/// ```
#[must_use = "a transaction does nothing until executed"]
#[derive(Debug)]
pub struct ClusterTransaction<'c, L = ()> {
    cluster: &'c ClusterClient,
    plan: Plan,
    list: PhantomData<fn() -> L>,
}

impl<'c> ClusterTransaction<'c, ()> {
    pub(crate) fn new(cluster: &'c ClusterClient) -> Self {
        ClusterTransaction {
            cluster,
            plan: Plan::default(),
            list: PhantomData,
        }
    }
}

impl<L> ClusterTransaction<'_, L> {
    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.plan.names.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.plan.names.is_empty()
    }
}

impl<'c, L> Dispatch for ClusterTransaction<'c, L> {
    type Out<T: FromReply> = ClusterTransaction<'c, (L, T)>;

    fn dispatch<T: FromReply>(mut self, cmd: Cmd) -> ClusterTransaction<'c, (L, T)> {
        self.plan.push(cmd);
        ClusterTransaction {
            cluster: self.cluster,
            plan: self.plan,
            list: PhantomData,
        }
    }

    fn new_cmd(&mut self, info: &'static CommandInfo) -> Cmd {
        self.plan.new_cmd(info)
    }
}

impl<L: ReplyList> Execute for ClusterTransaction<'_, L> {
    type Output = L::Tuple;
    type Each = L::Each;

    async fn execute(self) -> Result<L::Tuple, Error> {
        let (replies, names) = transact(self.cluster, self.plan).await?;
        L::decode(replies, &names)
    }

    async fn execute_each(self) -> Result<L::Each, Error> {
        let (replies, names) = transact(self.cluster, self.plan).await?;
        Ok(L::decode_each(replies, &names))
    }

    async fn execute_ignore_results(self) -> Result<Ignored, Error> {
        let (replies, names) = transact(self.cluster, self.plan).await?;
        ignored(&replies, &names)
    }
}

/// The one slot of a transaction's keys (None when it has none).
fn common_slot(plan: &Plan) -> Result<Option<u16>, Error> {
    let mut first: Option<(usize, u16)> = None;
    for (i, entry) in plan.entries.iter().enumerate() {
        let Some(slot) = entry.slot else { continue };
        match first {
            None => first = Some((i, slot)),
            Some((_, s)) if s == slot => {}
            Some((j, s)) => {
                let count = plan.entries.len();
                return Err(Error::cross_slot(format!(
                    "a cluster transaction runs on one node, but {} uses slot {s} and {} slot {slot}",
                    position(j, count, &plan.names),
                    position(i, count, &plan.names),
                )));
            }
        }
    }
    Ok(first.map(|(_, slot)| slot))
}

/// Runs MULTI, the commands and EXEC on the slot's primary, following redirects.
async fn transact(cluster: &ClusterClient, plan: Plan) -> Result<(Vec<Frame>, Names), Error> {
    if let Some(err) = plan.error {
        return Err(err);
    }
    let slot = common_slot(&plan)?;
    let count = plan.entries.len();
    let mut body = BytesMut::with_capacity(plan.buf.len() + 64);
    Cmd::new("MULTI").encode(&mut body);
    body.extend_from_slice(&plan.buf);
    Cmd::new("EXEC").encode(&mut body);
    let body = body.freeze();
    let config = cluster.config();
    let mut backoff = config.retry_backoff.0;
    let mut via = Via::Route;
    let mut last = Error::closed("no node took the transaction");
    for _ in 0..config.max_attempts {
        if matches!(via, Via::Wait) {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(config.retry_backoff.1);
        }
        let routing = cluster.routing();
        let (client, asking) = match &via {
            Via::Route | Via::Wait => match cluster.pick(&routing, slot, false) {
                Some((node, _)) => match &node.client {
                    Some(client) => (client.clone(), false),
                    None => {
                        last = Error::closed(format!("no connection to {}", node.addr));
                        via = Via::Wait;
                        cluster.refresh_after(routing.epoch, None).await;
                        continue;
                    }
                },
                None => {
                    via = Via::Wait;
                    cluster.refresh_after(routing.epoch, None).await;
                    continue;
                }
            },
            Via::Node(addr) | Via::Asking(addr) => match cluster.node(addr).await {
                Ok(client) => (client, matches!(via, Via::Asking(_))),
                Err(err) => {
                    last = err;
                    via = Via::Wait;
                    continue;
                }
            },
        };
        // ASKING before MULTI holds for the whole transaction: the server keeps the flag while
        // the connection is inside MULTI.
        let payload = if asking {
            let mut payload = BytesMut::with_capacity(body.len() + 20);
            Cmd::new("ASKING").encode(&mut payload);
            payload.extend_from_slice(&body);
            payload.freeze()
        } else {
            body.clone()
        };
        let expected = count + 2 + usize::from(asking);
        let mut frames = match replies(start_many(client.handle(), payload, expected)).await {
            Ok(frames) => frames,
            Err(err) if never_sent(&err) => {
                cluster.count_retry();
                last = err;
                via = Via::Wait;
                cluster.refresh_after(routing.epoch, None).await;
                continue;
            }
            Err(err) => return Err(err.context("cluster transaction")),
        };
        if asking && !frames.is_empty() {
            frames.remove(0);
        }
        let redirect = frames
            .iter()
            .skip(1)
            .map(Redirect::of_frame)
            .find(|r| *r != Redirect::None)
            .unwrap_or(Redirect::None);
        cluster.count_redirect(&redirect);
        match redirect {
            Redirect::Moved { slot, addr } => {
                cluster
                    .refresh_after(routing.epoch, Some((slot, &addr)))
                    .await;
                via = Via::Node(addr);
            }
            Redirect::Ask { addr } => via = Via::Asking(addr),
            Redirect::Retry { refresh } => {
                if refresh {
                    cluster.refresh_after(routing.epoch, None).await;
                }
                via = Via::Wait;
            }
            Redirect::None => {
                let names = plan.names;
                return exec_replies(frames, count, &names).map(|replies| (replies, names));
            }
        }
        last = Error::closed("the cluster kept redirecting the transaction");
    }
    Err(last.context(format_args!(
        "gave up after {} attempts",
        config.max_attempts
    )))
}

/// EXEC's replies out of the frames of MULTI, the queued commands and EXEC.
fn exec_replies(mut frames: Vec<Frame>, count: usize, names: &Names) -> Result<Vec<Frame>, Error> {
    let exec = frames.pop().unwrap_or(Frame::Null);
    if let Some(Frame::Error(line)) = frames.first() {
        return Err(Error::server(line).context("MULTI"));
    }
    match exec {
        Frame::Array(replies) if replies.len() == count => Ok(replies),
        Frame::Array(replies) => Err(Error::protocol_msg(format!(
            "EXEC returned {} replies for {count} commands",
            replies.len()
        ))),
        Frame::Null => Err(Error::aborted("transaction aborted by the server")),
        Frame::Error(line) => {
            let rejected = frames
                .iter()
                .skip(1)
                .enumerate()
                .find_map(|(i, f)| f.as_error().map(|e| (i, e)));
            match rejected {
                Some((i, reason)) => Err(Error::server(&line).context(format_args!(
                    "transaction discarded: {} was rejected ({})",
                    position(i, count, names),
                    String::from_utf8_lossy(reason)
                ))),
                None => Err(Error::server(&line).context("EXEC")),
            }
        }
        other => Err(Error::protocol_msg(format!(
            "EXEC replied with {}",
            other.describe()
        ))),
    }
}
