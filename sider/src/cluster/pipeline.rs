//! Pipelines on a cluster: the same typed builders as on one node (transactions are in the
//! sibling `transaction`).
//!
//! Commands are encoded back to back as they are queued, each with its hash slot. `execute()`
//! splits them by node, sends every node its share at once, and puts the replies back in the
//! caller's order; a command answered with `MOVED`, `ASK` or `TRYAGAIN` is sent again where the
//! cluster says, the others keep their replies.

use super::client::ClusterClient;
use super::slot::{self, Target};
use super::{never_sent, Redirect};
use crate::cmd::Cmd;
use crate::conn::{Handle, Reply};
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::info::CommandInfo;
use crate::pipeline::Names;
use crate::pipeline::{position, Detached, Execute, Ignored, IntoTyped, ReplyList};
use crate::reply::FromReply;
use crate::resp::Frame;
use crate::script::{Invoke, ScriptCall};
use crate::Script;
use bytes::{Bytes, BytesMut};
use std::marker::PhantomData;
use std::sync::Arc;

type Replies = Reply<Vec<Frame>>;

/// Sends encoded commands now and returns where their `count` replies will arrive: several
/// nodes' shares are all on their way before the first reply is awaited.
pub(crate) fn start_many(handle: &Handle, payload: Bytes, count: usize) -> Replies {
    handle.batch(payload, count)
}

pub(super) async fn replies(rx: Replies) -> Result<Vec<Frame>, Error> {
    rx.await
}

/// One queued command: its bytes in the plan's buffer and where it goes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    start: usize,
    end: usize,
    pub(super) slot: Option<u16>,
    readonly: bool,
    /// The index in `Plan::scripts` of the script an `EVALSHA` runs.
    script: Option<usize>,
}

/// Commands queued for a cluster, encoded back to back.
#[derive(Debug, Default)]
pub(super) struct Plan {
    pub(super) buf: BytesMut,
    pub(super) entries: Vec<Entry>,
    pub(super) names: Names,
    scratch: BytesMut,
    /// The first command that cannot be routed (keys in two slots...): `execute()` reports it
    /// before anything is sent.
    pub(super) error: Option<Error>,
    /// The distinct scripts the commands run with `EVALSHA`: each node loads those of its share
    /// ahead of it.
    pub(super) scripts: Vec<Script>,
}

impl Plan {
    pub(super) fn new_cmd(&mut self, info: &'static CommandInfo) -> Cmd {
        Cmd::from_info_in(info, std::mem::take(&mut self.scratch))
    }

    pub(super) fn push(&mut self, cmd: Cmd) {
        self.push_with_script(cmd, None);
    }

    /// Queues `cmd`, which runs `script` with `EVALSHA` when there is one.
    pub(super) fn push_with_script(&mut self, cmd: Cmd, script: Option<Script>) {
        let script = script.map(|script| {
            match self.scripts.iter().position(|s| s.sha1() == script.sha1()) {
                Some(i) => i,
                None => {
                    self.scripts.push(script);
                    self.scripts.len() - 1
                }
            }
        });
        let index = self.names.len();
        let slot = match slot::target(&cmd) {
            Ok(Target::Slot(slot)) => Some(slot),
            Ok(Target::Any) => None,
            Ok(Target::FanOut(_)) => {
                self.fail(Error::config(format!(
                    "{} goes to every primary: send it on its own, not in a pipeline",
                    cmd.name()
                )));
                None
            }
            Err(err) => {
                self.fail(err.context(format_args!("command {} ({})", index + 1, cmd.name())));
                None
            }
        };
        let start = self.buf.len();
        cmd.encode(&mut self.buf);
        self.entries.push(Entry {
            start,
            end: self.buf.len(),
            slot,
            readonly: slot::is_readonly(&cmd),
            script,
        });
        self.names.push(cmd.name());
        self.scratch = cmd.into_buffer();
    }

    fn fail(&mut self, err: Error) {
        if self.error.is_none() {
            self.error = Some(err);
        }
    }
}

/// How a command is to be sent on the next round.
#[derive(Clone, Debug)]
pub(super) enum Via {
    /// Where the slot map says.
    Route,
    /// Where the slot map says, after a backoff.
    Wait,
    /// To the node a `MOVED` named.
    Node(String),
    /// To the node an `ASK` named, after `ASKING`.
    Asking(String),
}

/// One node's share of a round.
struct Share {
    addr: Arc<str>,
    client: crate::Client,
    asking: bool,
    replica: bool,
    indices: Vec<usize>,
    len: usize,
}

/// Sends every command of `plan` and returns the replies in its order, with its names.
async fn run(cluster: &ClusterClient, plan: Plan) -> Result<(Vec<Frame>, Names), Error> {
    if let Some(err) = plan.error {
        return Err(err);
    }
    let Plan {
        buf,
        entries,
        names,
        scripts,
        ..
    } = plan;
    let wire = buf.freeze();
    let config = cluster.config();
    let mut backoff = config.retry_backoff.0;
    let mut out: Vec<Option<Frame>> = (0..entries.len()).map(|_| None).collect();
    let mut pending: Vec<(usize, Via)> = (0..entries.len()).map(|i| (i, Via::Route)).collect();
    let mut failure: Option<Error> = None;
    for round in 0..config.max_attempts {
        if pending.is_empty() {
            break;
        }
        if pending.iter().any(|(_, via)| matches!(via, Via::Wait)) {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(config.retry_backoff.1);
        }
        let routing = cluster.routing();
        let mut shares: Vec<Share> = Vec::new();
        let mut next: Vec<(usize, Via)> = Vec::new();
        for (index, via) in std::mem::take(&mut pending) {
            let Some(entry) = entries.get(index) else {
                continue;
            };
            // The common case borrows the node from the map; a share clones its client once.
            let named;
            let (addr, client, asking, replica) = match &via {
                Via::Route | Via::Wait => {
                    match cluster.pick(&routing, entry.slot, entry.readonly) {
                        Some((node, replica)) => match &node.client {
                            Some(client) => (&node.addr, client, false, replica),
                            None => {
                                failure =
                                    Some(Error::closed(format!("no connection to {}", node.addr)));
                                next.push((index, Via::Wait));
                                continue;
                            }
                        },
                        None => {
                            failure = Some(Error::closed("no node serves the slot"));
                            next.push((index, Via::Wait));
                            continue;
                        }
                    }
                }
                Via::Node(addr) | Via::Asking(addr) => match cluster.node(addr).await {
                    Ok(client) => {
                        named = (Arc::<str>::from(addr.as_str()), client);
                        (&named.0, &named.1, matches!(via, Via::Asking(_)), false)
                    }
                    Err(err) => {
                        failure = Some(err);
                        next.push((index, Via::Wait));
                        continue;
                    }
                },
            };
            let found = shares.iter().position(|s| {
                s.asking == asking && (Arc::ptr_eq(&s.addr, addr) || s.addr == *addr)
            });
            let i = match found {
                Some(i) => i,
                None => {
                    shares.push(Share {
                        addr: addr.clone(),
                        client: client.clone(),
                        asking,
                        replica,
                        indices: Vec::new(),
                        len: 0,
                    });
                    shares.len() - 1
                }
            };
            if let Some(share) = shares.get_mut(i) {
                share.indices.push(index);
                share.len += entry.end - entry.start;
            }
        }
        // Every share is on its way before the first reply is awaited.
        let mut sent = Vec::with_capacity(shares.len());
        for share in shares {
            // The scripts this share runs go first, on the same connection: no EVALSHA of it
            // can meet NOSCRIPT, whichever node a redirect sent it to.
            let loads = share_scripts(&share.indices, &entries);
            let whole = round == 0 && share.indices.len() == entries.len() && loads.is_empty();
            let payload = if whole {
                wire.clone() // one node takes everything: send the buffer as queued
            } else {
                let mut payload = BytesMut::with_capacity(share.len + share.indices.len() * 20);
                for &i in &loads {
                    if let Some(script) = scripts.get(i) {
                        script.load_cmd().encode(&mut payload);
                    }
                }
                for &i in &share.indices {
                    if share.asking {
                        Cmd::new("ASKING").encode(&mut payload);
                    }
                    if let Some(e) = entries.get(i) {
                        payload.extend_from_slice(&wire[e.start..e.end]);
                    }
                }
                payload.freeze()
            };
            let count = share.indices.len() * if share.asking { 2 } else { 1 } + loads.len();
            let rx = start_many(share.client.handle(), payload, count);
            sent.push((share, rx, loads.len()));
        }
        let mut moved: Option<(u16, String)> = None;
        let mut refresh = false;
        for (share, rx, loads) in sent {
            let replies = replies(rx).await.and_then(|mut frames| {
                let loaded: Vec<Frame> = frames.drain(..loads.min(frames.len())).collect();
                // A script that does not compile: that error, not the NOSCRIPT its EVALSHA
                // then got, is the one to report.
                match loaded.iter().find_map(Frame::as_error) {
                    Some(line) => Err(Error::server(line).context(format_args!(
                        "SCRIPT LOAD ahead of the pipeline on {}",
                        share.addr
                    ))),
                    None => Ok(frames),
                }
            });
            match replies {
                // One node took everything and redirected nothing: the replies are in order.
                Ok(frames)
                    if share.indices.len() == entries.len()
                        && !share.asking
                        && frames.len() == entries.len()
                        && frames
                            .iter()
                            .all(|f| Redirect::of_frame(f) == Redirect::None) =>
                {
                    return Ok((frames, names));
                }
                Ok(frames) => {
                    let mut frames = frames.into_iter();
                    for &index in &share.indices {
                        if share.asking {
                            frames.next(); // ASKING's +OK
                        }
                        let Some(frame) = frames.next() else { break };
                        let redirect = Redirect::of_frame(&frame);
                        cluster.count_redirect(&redirect);
                        match redirect {
                            Redirect::Moved { slot, addr } => {
                                if share.replica {
                                    cluster.reassert_readonly(&share.addr);
                                }
                                moved.get_or_insert((slot, addr.clone()));
                                next.push((index, Via::Node(addr)));
                            }
                            Redirect::Ask { addr } => next.push((index, Via::Asking(addr))),
                            Redirect::Retry { refresh: r } => {
                                refresh |= r;
                                next.push((index, Via::Wait));
                            }
                            Redirect::None => {}
                        }
                        // A redirect's error stays as the reply should the attempts run out.
                        if let Some(slot) = out.get_mut(index) {
                            *slot = Some(frame);
                        }
                    }
                }
                Err(err) => {
                    let reads = share
                        .indices
                        .iter()
                        .all(|&i| entries.get(i).is_some_and(|e| e.readonly));
                    if !(never_sent(&err) || reads && err.is_connection_error()) {
                        // Writes may have run: the caller decides what to retry.
                        return Err(
                            err.context(format_args!("pipeline share sent to {}", share.addr))
                        );
                    }
                    cluster.count_retry();
                    next.extend(share.indices.iter().map(|&i| (i, Via::Wait)));
                    failure = Some(err);
                    refresh = true;
                }
            }
        }
        if moved.is_some() || refresh {
            let hint = moved.as_ref().map(|(slot, addr)| (*slot, addr.as_str()));
            cluster.refresh_after(routing.epoch, hint).await;
        }
        // Commands for one node keep the caller's order when they are sent again.
        next.sort_by_key(|(index, _)| *index);
        pending = next;
    }
    let mut frames = Vec::with_capacity(out.len());
    for frame in out {
        match frame {
            Some(frame) => frames.push(frame),
            None => {
                let err = failure.unwrap_or_else(|| Error::closed("no node took the command"));
                return Err(err.context(format_args!(
                    "gave up after {} attempts",
                    config.max_attempts
                )));
            }
        }
    }
    Ok((frames, names))
}

/// The scripts (indices in `Plan::scripts`) the commands at `indices` run, each once.
fn share_scripts(indices: &[usize], entries: &[Entry]) -> Vec<usize> {
    let mut loads: Vec<usize> = Vec::new();
    for script in indices.iter().filter_map(|&i| entries.get(i)?.script) {
        if !loads.contains(&script) {
            loads.push(script);
        }
    }
    loads
}

/// Counts the error replies among `frames`, like [`Execute::execute_ignore_results`].
pub(super) fn ignored(frames: &[Frame], names: &Names) -> Result<Ignored, Error> {
    let count = frames.len();
    let mut errors = frames
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.as_error().map(|e| (i, e)));
    match errors.next() {
        None => Ok(Ignored { replies: count }),
        Some((i, line)) => Err(Error::server(line).context(format_args!(
            "{} of {count} commands failed; the first was {}",
            1 + errors.count(),
            position(i, count, names)
        ))),
    }
}

/// Decodes slot `index` of a batch of replies.
fn decode_slot<T: FromReply>(
    frame: Frame,
    index: usize,
    count: usize,
    names: &Names,
) -> Result<T, Error> {
    crate::client::decode(frame).map_err(|e| e.context(position(index, count, names)))
}

/// A typed pipeline on a cluster: [`Pipeline`](crate::Pipeline)'s builder, split by node.
///
/// Commands to one node run in the order queued; commands to different nodes run in parallel,
/// so a pipeline that writes a key on one node and reads a key on another sees no ordering
/// between the two. A command in a pipeline must keep its own keys in one slot.
///
/// ```no_run
/// use sider::prelude::*;
///
/// # async fn run(cluster: sider::cluster::ClusterClient) -> Result<(), sider::Error> {
/// let ((), (), a, b) = cluster
///     .pipeline()
///     .set("a", 1)
///     .set("b", 2)
///     .get::<i64>("a")
///     .get::<i64>("b")
///     .execute()
///     .await?;
/// assert_eq!((a, b), (Some(1), Some(2)));
/// # Ok(()) }
/// ```
#[must_use = "a pipeline does nothing until executed"]
#[derive(Debug)]
pub struct ClusterPipeline<'c, L = ()> {
    cluster: &'c ClusterClient,
    plan: Plan,
    list: PhantomData<fn() -> L>,
}

impl<'c> ClusterPipeline<'c, ()> {
    pub(crate) fn new(cluster: &'c ClusterClient) -> Self {
        ClusterPipeline {
            cluster,
            plan: Plan::default(),
            list: PhantomData,
        }
    }
}

impl<L> ClusterPipeline<'_, L> {
    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.plan.names.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.plan.names.is_empty()
    }
}

impl<'c, L> Dispatch for ClusterPipeline<'c, L> {
    type Out<T: FromReply> = ClusterPipeline<'c, (L, T)>;

    fn dispatch<T: FromReply>(mut self, cmd: Cmd) -> ClusterPipeline<'c, (L, T)> {
        self.plan.push(cmd);
        ClusterPipeline {
            cluster: self.cluster,
            plan: self.plan,
            list: PhantomData,
        }
    }

    fn new_cmd(&mut self, info: &'static CommandInfo) -> Cmd {
        self.plan.new_cmd(info)
    }
}

impl<L: ReplyList> Execute for ClusterPipeline<'_, L> {
    type Output = L::Tuple;
    type Each = L::Each;

    async fn execute(self) -> Result<L::Tuple, Error> {
        let (frames, names) = run(self.cluster, self.plan).await?;
        L::decode(frames, &names)
    }

    async fn execute_each(self) -> Result<L::Each, Error> {
        let (frames, names) = run(self.cluster, self.plan).await?;
        Ok(L::decode_each(frames, &names))
    }

    async fn execute_ignore_results(self) -> Result<Ignored, Error> {
        let (frames, names) = run(self.cluster, self.plan).await?;
        ignored(&frames, &names)
    }
}

/// A pipeline of any length on a cluster whose commands share one reply type, like
/// [`Batch`](crate::Batch); split by node and reassembled in order.
///
/// ```no_run
/// use sider::prelude::*;
///
/// # async fn run(cluster: sider::cluster::ClusterClient) -> Result<(), sider::Error> {
/// let keys: Vec<String> = (0..10_000).map(|n| format!("key:{n}")).collect();
/// let mut batch = cluster.batch();
/// for key in &keys {
///     batch.push(|c| c.set(key, key));
/// }
/// batch.execute_ignore_results().await?;
/// # Ok(()) }
/// ```
#[must_use = "a batch does nothing until executed"]
#[derive(Debug)]
pub struct ClusterBatch<'c, T> {
    cluster: &'c ClusterClient,
    plan: Plan,
    reply: PhantomData<fn() -> T>,
}

impl<'c, T: FromReply> ClusterBatch<'c, T> {
    pub(crate) fn new(cluster: &'c ClusterClient) -> Self {
        ClusterBatch {
            cluster,
            plan: Plan::default(),
            reply: PhantomData,
        }
    }

    /// Queues the command the closure builds; its reply type must be `T`.
    pub fn push<C: IntoTyped<T>>(&mut self, build: impl FnOnce(Detached) -> C) -> &mut Self {
        let detached = Detached::with_scratch(std::mem::take(&mut self.plan.scratch));
        let (cmd, script) = build(detached).into_typed().into_parts();
        self.plan.push_with_script(cmd, script);
        self
    }

    /// Queues a command built by hand; its reply is decoded as `T`.
    pub fn push_cmd(&mut self, cmd: Cmd) -> &mut Self {
        self.plan.push(cmd);
        self
    }

    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.plan.names.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.plan.names.is_empty()
    }
}

impl<T: FromReply> Execute for ClusterBatch<'_, T> {
    type Output = Vec<T>;
    type Each = Vec<Result<T, Error>>;

    async fn execute(self) -> Result<Vec<T>, Error> {
        let (frames, names) = run(self.cluster, self.plan).await?;
        let count = frames.len();
        frames
            .into_iter()
            .enumerate()
            .map(|(i, frame)| decode_slot(frame, i, count, &names))
            .collect()
    }

    async fn execute_each(self) -> Result<Vec<Result<T, Error>>, Error> {
        let (frames, names) = run(self.cluster, self.plan).await?;
        let count = frames.len();
        Ok(frames
            .into_iter()
            .enumerate()
            .map(|(i, frame)| decode_slot(frame, i, count, &names))
            .collect())
    }

    async fn execute_ignore_results(self) -> Result<Ignored, Error> {
        let (frames, names) = run(self.cluster, self.plan).await?;
        ignored(&frames, &names)
    }
}

/// In a cluster pipeline: `EVALSHA`, after `SCRIPT LOAD` on each node the pipeline sends the
/// call to.
impl<'c, L> Invoke for ClusterPipeline<'c, L> {
    type Out<T: FromReply> = ClusterPipeline<'c, (L, T)>;

    fn invoke<T: FromReply>(mut self, call: impl Into<ScriptCall>) -> Self::Out<T> {
        let detached = Detached::with_scratch(std::mem::take(&mut self.plan.scratch));
        let (cmd, script) = detached.invoke::<T>(call).into_parts();
        self.plan.push_with_script(cmd, script);
        ClusterPipeline {
            cluster: self.cluster,
            plan: self.plan,
            list: PhantomData,
        }
    }
}
