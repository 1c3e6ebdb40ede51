//! A cluster-wide `SCAN` that survives resharding and failover: [`ClusterScan`], from
//! [`ClusterClient::scan_iter`].
//!
//! A `SCAN` cursor belongs to one node, and a node's walk says nothing of slots that moved in or
//! out while it ran. So the walk tracks which of the 16384 slots are *covered*, as valkey-glide
//! does: it takes the primary serving the first uncovered slot, notes the uncovered slots that
//! node serves and is not migrating away (`CLUSTER NODES`, its own line), walks its whole
//! keyspace, and passes on only keys of those slots. When the node's cursor comes back to 0, the
//! map is read again, and a slot counts as covered only if the node still serves it and is not
//! migrating it: then every key of that slot present for the whole walk was on that node for the
//! whole of its `SCAN`, which returns such keys at least once. Any other slot (it moved, it is
//! migrating, the node failed mid-walk) is walked again wherever it is served next. The walk
//! ends when every slot is covered.
//!
//! So: every key present for the whole walk is returned at least once, across migrations and
//! failovers; a key may be returned twice (Redis's own `SCAN` may repeat one, and a slot walked
//! again repeats what its first walk passed on before the move was seen).
//!
//! Imports the siblings `client`, `slot` and `topology`, and `client`, `cmd`, `error`, `reply`,
//! `resp`.

use super::client::ClusterClient;
use super::slot::{key_slot, SLOTS};
use crate::args::ToArg;
use crate::client::Client;
use crate::cmd::Cmd;
use crate::error::Error;
use crate::reply::FromReply;
use crate::resp::Frame;
use bytes::Bytes;
use futures_core::Stream;
use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

/// How many times in a row a walk may find no slot it can cover (no node serves it, a node
/// fails, a slot stays in migration) before it gives up; between two, it waits as a command
/// does before a retry.
const MAX_IDLE_PASSES: u32 = 200;

/// The options of a walk, as `SCAN` arguments.
#[derive(Clone, Debug, Default)]
struct Options {
    pattern: Option<Bytes>,
    count: Option<u64>,
    of_type: Option<Bytes>,
}

/// The walk between two pages.
#[derive(Debug)]
struct Walk {
    covered: Vec<bool>,
    left: usize,
    node: Option<NodeWalk>,
    idle: u32,
    backoff: Duration,
    walks: u32,
}

/// The walk of one node's keyspace.
#[derive(Debug)]
struct NodeWalk {
    addr: Arc<str>,
    client: Client,
    cursor: Bytes,
    /// The uncovered slots the node served, not migrating, when its walk began.
    slots: Vec<bool>,
}

type Page<'a> = Pin<Box<dyn Future<Output = Result<(Walk, Vec<Frame>), Error>> + Send + 'a>>;

/// Every key of a cluster, as a stream of `K`, through `SCAN` on each primary, safe across slot
/// migrations and failovers; from [`ClusterClient::scan_iter`].
///
/// A `SCAN` cursor belongs to one node, and a node's walk says nothing of slots that moved in or
/// out while it ran. So the walk tracks which of the 16384 slots are covered: it walks the
/// primary serving the first uncovered slot, passes on only keys of the uncovered slots that
/// node served (and was not migrating) when its walk began, and counts those slots covered only
/// if the node still serves them, unmigrated, when its cursor comes back to 0. Any other slot is
/// walked again where it is served next; while a failover runs, the walk waits with the
/// client's retry backoff. So every key present for the whole walk is returned at least once; a
/// key may be returned twice.
#[must_use = "streams do nothing unless polled"]
pub struct ClusterScan<'a, K> {
    cluster: &'a ClusterClient,
    options: Options,
    walk: Option<Walk>,
    page: Option<Page<'a>>,
    items: VecDeque<Frame>,
    failed: bool,
    item: PhantomData<fn() -> K>,
}

impl<K> std::fmt::Debug for ClusterScan<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let left = self.walk.as_ref().map(|w| w.left);
        f.debug_struct("ClusterScan")
            .field("slots_left", &left)
            .field("buffered", &self.items.len())
            .finish()
    }
}

impl<K> Unpin for ClusterScan<'_, K> {}

impl ClusterClient {
    /// Every key of the cluster, decoded as `K`, through `SCAN` on every primary; filter with
    /// [`pattern`](ClusterScan::pattern) and [`of_type`](ClusterScan::of_type).
    ///
    /// Every key present for the whole walk is returned at least once, even while slots migrate
    /// or a primary fails over: the walk tracks which slots it has covered and walks again any
    /// slot whose node changed under it (see [`ClusterScan`]). A key may come twice.
    ///
    /// ```no_run
    /// # async fn run(cluster: sider::cluster::ClusterClient) -> Result<(), sider::Error> {
    /// let mut keys = cluster.scan_iter::<String>().pattern("user:*").count(500);
    /// while let Some(key) = keys.next().await {
    ///     println!("{}", key?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn scan_iter<K: FromReply>(&self) -> ClusterScan<'_, K> {
        ClusterScan {
            cluster: self,
            options: Options::default(),
            walk: Some(Walk {
                covered: vec![false; SLOTS],
                left: SLOTS,
                node: None,
                idle: 0,
                backoff: self.config().retry_backoff.0,
                walks: 0,
            }),
            page: None,
            items: VecDeque::new(),
            failed: false,
            item: PhantomData,
        }
    }
}

impl<'a, K: FromReply> ClusterScan<'a, K> {
    /// Only keys matching a glob-style pattern (`MATCH`).
    pub fn pattern(mut self, pattern: impl ToArg) -> Self {
        self.options.pattern = Some(arg_bytes(&pattern));
        self
    }

    /// A hint of how many keys each node looks at per page (`COUNT`).
    pub fn count(mut self, count: u64) -> Self {
        self.options.count = Some(count);
        self
    }

    /// Only keys of one type (`TYPE`: `string`, `hash`, `zset`...).
    pub fn of_type(mut self, key_type: impl ToArg) -> Self {
        self.options.of_type = Some(arg_bytes(&key_type));
        self
    }

    /// How many node walks have started so far: one per primary when nothing moves, more
    /// when slots had to be walked again after a migration or a failover.
    pub fn walks(&self) -> u32 {
        self.walk.as_ref().map_or(0, |w| w.walks)
    }

    /// The next key; `None` once every slot is covered.
    ///
    /// # Errors
    ///
    /// A key that does not decode as `K` (the walk goes on), or a walk that could not cover a
    /// slot after many attempts (it ends).
    pub async fn next(&mut self) -> Option<Result<K, Error>> {
        std::future::poll_fn(|cx| self.poll_key(cx)).await
    }

    /// Every remaining key, collected.
    ///
    /// # Errors
    ///
    /// The first error [`next`](Self::next) meets.
    pub async fn try_collect<C: Default + Extend<K>>(mut self) -> Result<C, Error> {
        let mut out = C::default();
        while let Some(key) = self.next().await {
            out.extend(Some(key?));
        }
        Ok(out)
    }

    fn poll_key(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<K, Error>>> {
        loop {
            if let Some(frame) = self.items.pop_front() {
                return Poll::Ready(Some(crate::client::decode(frame)));
            }
            if self.failed {
                return Poll::Ready(None);
            }
            if self.page.is_none() {
                if self.walk.as_ref().is_none_or(|w| w.left == 0) {
                    return Poll::Ready(None);
                }
                let Some(walk) = self.walk.take() else {
                    return Poll::Ready(None);
                };
                let (cluster, options) = (self.cluster, self.options.clone());
                self.page = Some(Box::pin(async move { step(cluster, &options, walk).await }));
            }
            let Some(page) = self.page.as_mut() else {
                continue;
            };
            let result = ready!(page.as_mut().poll(cx));
            self.page = None;
            match result {
                Ok((walk, keys)) => {
                    self.walk = Some(walk);
                    self.items.extend(keys);
                }
                Err(err) => {
                    self.failed = true;
                    return Poll::Ready(Some(Err(err)));
                }
            }
        }
    }
}

impl<K: FromReply> Stream for ClusterScan<'_, K> {
    type Item = Result<K, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_key(cx)
    }
}

fn arg_bytes(arg: &impl ToArg) -> Bytes {
    let mut cmd = Cmd::new("");
    cmd.push_arg(arg);
    let bytes = cmd
        .written_args()
        .next()
        .map_or_else(Bytes::new, Bytes::copy_from_slice);
    bytes
}

/// One page: starts a node's walk when none is under way, sends one `SCAN`, and ends the node's
/// walk when its cursor comes back to 0. Returns the keys to pass on.
async fn step(
    cluster: &ClusterClient,
    options: &Options,
    mut walk: Walk,
) -> Result<(Walk, Vec<Frame>), Error> {
    let node = match walk.node.take() {
        Some(node) => node,
        None => match start_node(cluster, &walk).await {
            Ok(node) => {
                walk.walks += 1;
                node
            }
            Err(err) => {
                idle(cluster, &mut walk, err).await?;
                return Ok((walk, Vec::new()));
            }
        },
    };
    let mut scan = Cmd::new("SCAN").arg(node.cursor.as_ref());
    if let Some(pattern) = &options.pattern {
        scan = scan.arg("MATCH").arg(pattern.as_ref());
    }
    if let Some(count) = options.count {
        scan = scan.arg("COUNT").arg(count);
    }
    if let Some(of_type) = &options.of_type {
        scan = scan.arg("TYPE").arg(of_type.as_ref());
    }
    let (cursor, keys) = match node.client.send::<Frame>(scan).await.and_then(page) {
        Ok(page) => page,
        Err(err) => {
            // The node failed (or is failing over): its slots are walked again, where the map
            // says next.
            let err = err.context(format_args!("SCAN on {}", node.addr));
            idle(cluster, &mut walk, err).await?;
            return Ok((walk, Vec::new()));
        }
    };
    let keys: Vec<Frame> = keys
        .into_iter()
        .filter(|key| match key {
            Frame::Bulk(bytes) | Frame::Simple(bytes) => {
                node.slots.get(usize::from(key_slot(bytes))) == Some(&true)
            }
            _ => true,
        })
        .collect();
    if cursor.as_ref() != b"0" {
        walk.node = Some(NodeWalk { cursor, ..node });
        return Ok((walk, keys));
    }
    // The node's walk is over: its slots count as covered if it still serves them, unmoved.
    cluster.refresh().await.ok();
    let routing = cluster.routing();
    let migrating = migrating_slots(&node.client)
        .await
        .unwrap_or_else(|_| vec![true; SLOTS]);
    let mut progress = false;
    for slot in 0..SLOTS {
        let Ok(s) = u16::try_from(slot) else { break };
        let kept = node.slots.get(slot) == Some(&true)
            && routing.serves(s, &node.addr)
            && migrating.get(slot) == Some(&false);
        if kept {
            if let Some(covered) = walk.covered.get_mut(slot) {
                if !*covered {
                    *covered = true;
                    walk.left -= 1;
                    progress = true;
                }
            }
        }
    }
    if progress {
        walk.idle = 0;
        walk.backoff = cluster.config().retry_backoff.0;
    } else {
        idle(
            cluster,
            &mut walk,
            Error::closed(format!(
                "{} gave up its slots during its SCAN, or is migrating them",
                node.addr
            )),
        )
        .await?;
    }
    Ok((walk, keys))
}

/// A pass that covered nothing: wait, read the map again, and give up after too many.
async fn idle(cluster: &ClusterClient, walk: &mut Walk, err: Error) -> Result<(), Error> {
    walk.idle += 1;
    cluster.count_retry();
    if walk.idle >= MAX_IDLE_PASSES {
        return Err(err.context(format_args!(
            "cluster SCAN: {} slots still uncovered after {MAX_IDLE_PASSES} passes without progress",
            walk.left
        )));
    }
    tokio::time::sleep(walk.backoff).await;
    walk.backoff = (walk.backoff * 2).min(cluster.config().retry_backoff.1);
    cluster.refresh().await.ok();
    Ok(())
}

/// The node serving the first uncovered slot, with the uncovered slots it serves and is not
/// migrating away.
async fn start_node(cluster: &ClusterClient, walk: &Walk) -> Result<NodeWalk, Error> {
    let routing = cluster.routing();
    let first = walk
        .covered
        .iter()
        .position(|c| !c)
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| Error::closed("no slot left"))?;
    let shard = routing
        .shard(first)
        .ok_or_else(|| Error::closed(format!("no node serves slot {first}")))?;
    let addr = shard.primary.addr.clone();
    let client = cluster.node(&addr).await?;
    let migrating = migrating_slots(&client).await?;
    let mut slots = vec![false; SLOTS];
    let mut any = false;
    for (slot, mine) in slots.iter_mut().enumerate() {
        let Ok(s) = u16::try_from(slot) else { break };
        *mine = walk.covered.get(slot) == Some(&false)
            && routing.serves(s, &addr)
            && migrating.get(slot) == Some(&false);
        any |= *mine;
    }
    if !any {
        return Err(Error::closed(format!(
            "{addr} is migrating every uncovered slot it serves"
        )));
    }
    Ok(NodeWalk {
        addr,
        client,
        cursor: Bytes::from_static(b"0"),
        slots,
    })
}

/// `SCAN`'s reply: the next cursor and the keys.
fn page(frame: Frame) -> Result<(Bytes, Vec<Frame>), Error> {
    match frame {
        Frame::Array(mut items) if items.len() == 2 => {
            let keys = items.pop();
            let cursor = items.pop();
            match (cursor, keys) {
                (Some(Frame::Bulk(cursor) | Frame::Simple(cursor)), Some(Frame::Array(keys))) => {
                    Ok((cursor, keys))
                }
                _ => Err(Error::protocol_msg("SCAN replied with a malformed page")),
            }
        }
        other => Err(Error::protocol_msg(format!(
            "SCAN replied with {}",
            other.describe()
        ))),
    }
}

/// The slots `client`'s node is migrating to another node or importing from one, per its own
/// line of `CLUSTER NODES` (`[slot->-id]`, `[slot-<-id]`).
async fn migrating_slots(client: &Client) -> Result<Vec<bool>, Error> {
    let nodes: Frame = client.send(Cmd::new("CLUSTER NODES")).await?;
    let text = match &nodes {
        Frame::Bulk(b) | Frame::Simple(b) => b.clone(),
        Frame::Verbatim { data, .. } => data.clone(),
        other => {
            return Err(Error::protocol_msg(format!(
                "CLUSTER NODES replied with {}",
                other.describe()
            )))
        }
    };
    Ok(parse_migrating(&text))
}

fn parse_migrating(text: &[u8]) -> Vec<bool> {
    let mut slots = vec![false; SLOTS];
    let text = String::from_utf8_lossy(text);
    let Some(myself) = text.lines().find(|l| l.contains("myself")) else {
        return slots;
    };
    for word in myself.split(' ') {
        let Some(inner) = word.strip_prefix('[').and_then(|w| w.strip_suffix(']')) else {
            continue;
        };
        let slot = inner
            .split(['-', '<', '>'])
            .next()
            .and_then(|s| s.parse::<usize>().ok());
        if let Some(entry) = slot.and_then(|s| slots.get_mut(s)) {
            *entry = true;
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_migrating_slots_on_the_nodes_own_line() {
        let text = b"abc 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [93->-def] [77-<-ghi]\n\
                     def 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922 [5-<-abc]\n";
        let slots = parse_migrating(text);
        assert!(slots[93] && slots[77]);
        assert!(!slots[5] && !slots[0]);
        assert_eq!(slots.iter().filter(|s| **s).count(), 2);
        let (cursor, keys) = page(Frame::Array(vec![
            Frame::Bulk(Bytes::from_static(b"17")),
            Frame::Array(vec![Frame::Bulk(Bytes::from_static(b"k"))]),
        ]))
        .unwrap();
        assert_eq!((cursor.as_ref(), keys.len()), (&b"17"[..], 1));
    }
}
