//! [`ClusterClient`]: one [`Client`] per node, the slot table, and reading the cluster's layout.
//! The command future and its redirect path are in the sibling `call`.

use super::call::ClusterCall;
use super::pipeline::{ClusterBatch, ClusterPipeline};
use super::topology::{self, Node, Routing, Shard, Topology};
use super::transaction::ClusterTransaction;
use super::{seed_addr, ClusterConfig, Redirect};
use crate::client::Client;
use crate::cmd::Cmd;
use crate::error::{Error, ErrorKind};
use crate::reply::FromReply;
use crate::resp::Frame;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// A client for a Redis Cluster: every typed command, routed by the hash slot of its keys.
///
/// Cloning is cheap; clones share the connections and the slot table. See the
/// [module docs](super) for what is routed where and how redirects are followed.
///
/// ```no_run
/// use sider::cluster::ClusterClient;
/// use sider::prelude::*;
///
/// # async fn run() -> Result<(), sider::Error> {
/// let cluster = ClusterClient::connect(&["redis://127.0.0.1:7000"]).await?;
/// cluster.set("user:1", "Ada").await?;
/// let name = cluster.get::<String>("user:1").await?;
/// // Keys with one hash tag share a slot, so every multi-key command works on them.
/// cluster.sadd("{user:1}.a", 1).await?;
/// let err = cluster.sunion::<i64>(&["{user:1}.a", "b"]).await.unwrap_err();
/// assert_eq!(err.kind(), sider::ErrorKind::CrossSlot);
/// // MGET, MSET, DEL, UNLINK, EXISTS and TOUCH are split per slot instead.
/// cluster.mset(&[("a", 1), ("b", 2)]).await?;
/// let values = cluster.mget::<i64>(&["a", "b"]).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ClusterClient {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) config: ClusterConfig,
    pub(super) routing: RwLock<Arc<Routing>>,
    /// Every node connection, by `host:port`; the routing table holds clones.
    pub(super) pool: Mutex<HashMap<Arc<str>, Client>>,
    /// Held while the layout is read again, so that a burst of redirects reads it once.
    refreshing: tokio::sync::Mutex<()>,
    /// Round-robin position for keyless commands and replica reads.
    pub(super) turn: AtomicUsize,
    stats: Counters,
}

#[derive(Debug, Default)]
struct Counters {
    moved: AtomicU64,
    ask: AtomicU64,
    retries: AtomicU64,
    refreshes: AtomicU64,
}

/// How often the cluster redirected this client, since it connected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClusterStats {
    /// `MOVED` replies followed.
    pub moved: u64,
    /// `ASK` replies followed.
    pub ask: u64,
    /// Retries after `TRYAGAIN`, `CLUSTERDOWN` or an unreachable node.
    pub retries: u64,
    /// Times the slot map was read, the first included.
    pub refreshes: u64,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ClusterClient {
    /// Connects through any of the seed nodes the URLs name, and reads the slot map.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] for a bad URL; the last seed's error when none answers
    /// `CLUSTER SHARDS` (or `CLUSTER SLOTS`) with a layout.
    pub async fn connect<S: AsRef<str>>(urls: &[S]) -> Result<ClusterClient, Error> {
        ClusterClient::connect_with(ClusterConfig::from_urls(urls)?).await
    }

    /// Connects with an explicit [`ClusterConfig`].
    ///
    /// # Errors
    ///
    /// As for [`ClusterClient::connect`].
    pub async fn connect_with(config: ClusterConfig) -> Result<ClusterClient, Error> {
        if config.seeds.is_empty() {
            return Err(Error::config("a cluster needs at least one seed node"));
        }
        let client = ClusterClient {
            inner: Arc::new(Inner {
                config,
                routing: RwLock::new(Arc::new(Routing::empty())),
                pool: Mutex::new(HashMap::new()),
                refreshing: tokio::sync::Mutex::new(()),
                turn: AtomicUsize::new(0),
                stats: Counters::default(),
            }),
        };
        client.refresh().await?;
        Ok(client)
    }

    /// Sends a command built by hand, routed by the keys it was given with
    /// [`Cmd::key`]/[`Cmd::push_key`]; without keys it goes to any primary.
    pub fn send<T: FromReply>(&self, cmd: Cmd) -> ClusterCall<'_, T> {
        ClusterCall::new(self, cmd)
    }

    /// Starts a typed pipeline whose commands may span nodes; see [`ClusterPipeline`].
    pub fn pipeline(&self) -> ClusterPipeline<'_> {
        ClusterPipeline::new(self)
    }

    /// Starts a pipeline of any length whose commands share one reply type; see
    /// [`ClusterBatch`].
    pub fn batch<T: FromReply>(&self) -> ClusterBatch<'_, T> {
        ClusterBatch::new(self)
    }

    /// Starts a MULTI/EXEC transaction, whose keys must all be in one slot; see
    /// [`ClusterTransaction`].
    pub fn transaction(&self) -> ClusterTransaction<'_> {
        ClusterTransaction::new(self)
    }

    /// Every key matching `pattern` on every primary, through `SCAN` (unlike `KEYS`, no node
    /// blocks while it walks its keys). A key may appear twice if it migrates meanwhile.
    ///
    /// # Errors
    ///
    /// The first node's failure.
    pub async fn scan_all<K: FromReply>(&self, pattern: &str) -> Result<Vec<K>, Error> {
        let routing = self.routing();
        let mut keys = Vec::new();
        for shard in &routing.shards {
            let client = node_client(&shard.primary)?;
            let mut cursor = String::from("0");
            loop {
                let scan = Cmd::new("SCAN")
                    .arg(cursor.as_str())
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(1000);
                let (next, batch): (String, Vec<K>) = client.send(scan).await?;
                keys.extend(batch);
                if next == "0" {
                    break;
                }
                cursor = next;
            }
        }
        Ok(keys)
    }

    /// The primaries' addresses (`host:port`), in slot order.
    pub fn primaries(&self) -> Vec<String> {
        let routing = self.routing();
        routing
            .shards
            .iter()
            .map(|s| s.primary.addr.to_string())
            .collect()
    }

    /// The address of the primary serving `slot`, per the current map.
    pub fn primary_for_slot(&self, slot: u16) -> Option<String> {
        let routing = self.routing();
        let shard = routing.shard(slot)?;
        Some(shard.primary.addr.to_string())
    }

    /// The connection to one node, by `host:port`, opened if needed: for commands meant for a
    /// particular node (`INFO`, `CLUSTER NODES`, `WAIT` after a write routed there).
    ///
    /// # Errors
    ///
    /// When the node cannot be reached.
    pub async fn node(&self, addr: &str) -> Result<Client, Error> {
        self.connect_node(addr, false).await
    }

    /// Redirects and retries so far.
    pub fn stats(&self) -> ClusterStats {
        let c = &self.inner.stats;
        ClusterStats {
            moved: c.moved.load(Ordering::Relaxed),
            ask: c.ask.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            refreshes: c.refreshes.load(Ordering::Relaxed),
        }
    }

    /// Reads the slot map again from any node that answers.
    ///
    /// # Errors
    ///
    /// The last node's error when none answers with a layout.
    pub async fn refresh(&self) -> Result<(), Error> {
        let _guard = self.inner.refreshing.lock().await;
        self.refresh_locked(None).await
    }

    pub(crate) fn config(&self) -> &ClusterConfig {
        &self.inner.config
    }

    pub(crate) fn routing(&self) -> Arc<Routing> {
        let guard = self
            .inner
            .routing
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&guard)
    }

    pub(crate) fn count_retry(&self) {
        self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
    }

    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn count_redirect(&self, redirect: &Redirect) {
        let counter = match redirect {
            Redirect::Moved { slot, addr } => {
                crate::conn::event!(debug, "sider.cluster.slot" = slot, to = %addr, "MOVED");
                &self.inner.stats.moved
            }
            Redirect::Ask { addr } => {
                crate::conn::event!(debug, to = %addr, "ASK");
                &self.inner.stats.ask
            }
            Redirect::Retry { refresh } => {
                crate::conn::event!(
                    debug,
                    "sider.cluster.refresh" = refresh,
                    "TRYAGAIN or CLUSTERDOWN: retrying"
                );
                &self.inner.stats.retries
            }
            Redirect::None => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The node for a command in `routing`, and whether it is a replica.
    pub(crate) fn pick<'r>(
        &self,
        routing: &'r Routing,
        slot: Option<u16>,
        readonly: bool,
    ) -> Option<(&'r Node, bool)> {
        let config = &self.inner.config;
        let replica = readonly && config.reads_replicas();
        routing.pick(slot, replica, config.zone(), &self.inner.turn)
    }

    /// Reads the map again, unless someone did since `epoch` or it already agrees with the
    /// `MOVED` hint. A failure keeps the old map: the caller's retry goes on.
    pub(crate) async fn refresh_after(&self, epoch: u64, moved: Option<(u16, &str)>) {
        let _guard = self.inner.refreshing.lock().await;
        let routing = self.routing();
        if routing.epoch != epoch {
            return;
        }
        if let Some((slot, addr)) = moved {
            if routing.serves(slot, addr) {
                return;
            }
        }
        let _ = self.refresh_locked(moved).await;
    }

    async fn refresh_locked(&self, moved: Option<(u16, &str)>) -> Result<(), Error> {
        let current = self.routing();
        let topology = self.fetch_topology(&current).await?;
        let replicas = self.inner.config.reads_replicas();
        let mut shards = Vec::with_capacity(topology.shards.len());
        for info in &topology.shards {
            let client = self.connect_node(&info.primary, false).await.ok();
            let primary = Node {
                addr: Arc::from(info.primary.as_str()),
                zone: zone_of(client.as_ref()),
                client,
            };
            let mut nodes = Vec::new();
            for addr in &info.replicas {
                let client = match replicas {
                    true => self.connect_node(addr, true).await.ok(),
                    false => None,
                };
                nodes.push(Node {
                    addr: Arc::from(addr.as_str()),
                    zone: zone_of(client.as_ref()),
                    client,
                });
            }
            shards.push(Shard {
                primary,
                replicas: nodes,
            });
        }
        let mut routing = Routing::new(current.epoch + 1, &topology.shards, shards);
        if let Some((slot, addr)) = moved {
            routing.repoint(slot, addr);
        }
        // Connections to nodes that left the cluster close once in-flight commands are done.
        lock(&self.inner.pool).retain(|addr, _| {
            routing
                .shards
                .iter()
                .any(|s| s.primary.addr == *addr || s.replicas.iter().any(|r| r.addr == *addr))
        });
        *self
            .inner
            .routing
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(routing);
        self.inner.stats.refreshes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The layout, from the first node that gives one: known primaries, then replicas, then
    /// the seeds.
    async fn fetch_topology(&self, current: &Routing) -> Result<Topology, Error> {
        let mut candidates: Vec<String> = Vec::new();
        for shard in &current.shards {
            candidates.push(shard.primary.addr.to_string());
        }
        for shard in &current.shards {
            candidates.extend(shard.replicas.iter().map(|r| r.addr.to_string()));
        }
        for seed in &self.inner.config.seeds {
            let addr = seed_addr(seed)?;
            if !candidates.contains(&addr) {
                candidates.push(addr);
            }
        }
        let mut last = Error::config("a cluster needs at least one seed node");
        for addr in candidates {
            match self.ask_topology(&addr).await {
                Ok(topology) if !topology.shards.is_empty() => return Ok(topology),
                Ok(_) => last = Error::protocol_msg(format!("{addr} reports no slots served")),
                Err(err) => last = err,
            }
        }
        Err(last.context("reading the cluster's slot map"))
    }

    async fn ask_topology(&self, addr: &str) -> Result<Topology, Error> {
        let client = self.connect_node(addr, false).await?;
        let host = super::split_addr(addr).map_or(addr, |(host, _)| host);
        match client.send::<Frame>(Cmd::new("CLUSTER SHARDS")).await {
            Ok(frame) => topology::parse_shards(&frame, host),
            // Servers before 7.0 know only CLUSTER SLOTS.
            Err(err) if err.kind() == ErrorKind::Server => {
                let frame = client.send::<Frame>(Cmd::new("CLUSTER SLOTS")).await?;
                topology::parse_slots(&frame, host)
            }
            Err(err) => Err(err),
        }
    }

    /// The pooled connection to `addr`, opened (with `READONLY` for a replica) when missing.
    pub(super) async fn connect_node(&self, addr: &str, readonly: bool) -> Result<Client, Error> {
        if let Some(client) = lock(&self.inner.pool).get(addr) {
            return Ok(client.clone());
        }
        let client = Client::connect_with(self.inner.config.node_config(addr)?).await?;
        if readonly {
            client.send::<()>(Cmd::new("READONLY")).await?;
        }
        let mut pool = lock(&self.inner.pool);
        // Another task may have connected meanwhile: keep one connection per node.
        let client = pool.entry(Arc::from(addr)).or_insert(client).clone();
        Ok(client)
    }
}

/// The availability zone a node reported when its connection was opened.
fn zone_of(client: Option<&Client>) -> Option<Arc<str>> {
    let server = client?.server();
    server.availability_zone().map(Arc::from)
}

pub(super) fn node_client(node: &Node) -> Result<&Client, Error> {
    node.client
        .as_ref()
        .ok_or_else(|| Error::closed(format!("no connection to {}", node.addr)))
}
