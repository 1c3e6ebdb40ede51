//! Redis Cluster: [`ClusterClient`] routes every typed command to the node serving its keys.
//!
//! The client reads the slot map (`CLUSTER SHARDS`, or `CLUSTER SLOTS` on servers before 7.0)
//! and keeps one multiplexed [`Client`](crate::Client) per node. Each command goes to the
//! primary serving the hash slot of its keys ([`key_slot`]: CRC16 of the key or of its
//! `{hash tag}`), without an allocation of its own on the way. The slow path, taken only when
//! the cluster answers otherwise, follows:
//!
//! - `MOVED`: the slot has a new owner. The map is read again (once, however many commands saw
//!   the redirect) and the command is resent to the node the reply names.
//! - `ASK`: the slot is migrating and this key is already on the target. `ASKING` and the command
//!   go to the target in one write, so nothing else lands between them.
//! - `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `MASTERDOWN`: retried after a backoff that doubles up
//!   to a bound, [`ClusterConfig::max_attempts`] times at most.
//! - A node that refuses connections (a primary that died, before its replica is promoted):
//!   the map is read again and the command retried with the same backoff. A command whose
//!   connection broke after it was sent is retried only if it is read-only; a write fails,
//!   because it may have run.
//!
//! Keyless commands go to the primaries in turn. Read-only commands go where
//! [`ClusterConfig::read_from`] says ([`ReadFrom`]): the primary (the default), the slot's
//! replicas in turn, or the replicas in the caller's availability zone first, as the nodes
//! report it in `HELLO` (Valkey 8.1 and later), then the other replicas, then the primary. The generated `dbsize`, `keys`,
//! `flushall`, `flushdb`, `script_load`, `script_flush`, `function_load`, `function_flush` and
//! `function_delete` go to every primary: `DBSIZE` replies with the sum, `KEYS` with every
//! node's keys, the others with the first node's reply once every node succeeded.
//! [`ClusterClient::scan_all`] iterates `SCAN` over every primary; [`ClusterClient::scan_iter`]
//! streams every key, at least once, even while slots migrate or a primary fails over (it
//! tracks which slots its walk has covered; see [`ClusterScan`]).
//! [`ClusterClient::hscan_iter`], [`sscan_iter`](ClusterClient::sscan_iter) and
//! [`zscan_iter`](ClusterClient::zscan_iter) walk one collection, starting over on the key's new
//! node when it moves ([`ClusterElements`]).
//!
//! `MGET`, `MSET`, `DEL`, `UNLINK`, `EXISTS` and `TOUCH` whose keys hash to different slots are
//! split into one command per slot, sent to their nodes at once (each with the redirect path of
//! any command), and put back together: `MGET`'s values in the caller's order, the counts of the
//! others added up, `MSET`'s `OK` once every part succeeded. These six split because the reply of
//! the whole is a plain function of the parts'. **A split `MSET` (or `DEL`) is not atomic**: when
//! one part fails the others stay applied, and the error says how many did; readers may see some
//! slots' new values before others'. Keep keys under one `{hash tag}` when that matters. Inside a
//! pipeline or a transaction nothing splits. Any other command whose keys hash to different slots
//! (`SUNION`, `RENAME`, `MSETNX`, scripts...) reads or writes them together, which no split can
//! give; it fails with [`ErrorKind::CrossSlot`] before anything is sent.
//!
//! Pub/sub: [`ClusterClient::subscribe`], [`psubscribe`](ClusterClient::psubscribe) and
//! [`ssubscribe`](ClusterClient::ssubscribe) give one [`ClusterSubscription`] stream, kept
//! subscribed through slot migrations and failovers (each move reported by
//! [`Event::Reconnected`](crate::Event::Reconnected); no message twice, messages in the gap lost);
//! the generated `spublish` goes to the shard channel's primary like a key.
//!
//! Pipelines ([`ClusterPipeline`], [`ClusterBatch`]) are split by node, sent to every node at
//! once and reassembled in the caller's order; [`ClusterTransaction`]s must keep to one slot.
//! A script call in a pipeline or a batch (`batch.push(|c| c.invoke(script.key(k)))`) runs as
//! `EVALSHA`, after a `SCRIPT LOAD` of its script sent ahead of it on the same connection to
//! every node that takes a share (redirects included), so no call meets `NOSCRIPT`.
//!
//! Imports from `client`, `conn`, `cmd`, `pipeline`, `reply`, `resp` and `error`: the top layer.

mod call;
mod client;
mod elements;
mod multikey;
mod pipeline;
mod pubsub;
mod scan;
mod slot;
mod topology;
mod transaction;

pub use call::{ClusterCall, ClusterFuture};
pub use client::{ClusterClient, ClusterStats};
pub use elements::ClusterElements;
pub use pipeline::{ClusterBatch, ClusterPipeline};
pub use pubsub::ClusterSubscription;
pub use scan::ClusterScan;
pub use slot::{hash_tag, key_slot, SLOTS};
pub use transaction::ClusterTransaction;

use crate::conn::{Addr, Config};
use crate::error::{Error, ErrorKind, ServerError};
use crate::resp::Frame;
use std::time::Duration;

/// How to reach a cluster and how patiently to follow it.
///
/// ```
/// use sider::cluster::ClusterConfig;
/// use std::time::Duration;
///
/// let config = ClusterConfig::from_urls(&["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"])?
///     .read_from_replicas(true)
///     .max_attempts(10)
///     .retry_backoff(Duration::from_millis(5), Duration::from_millis(200));
/// # Ok::<(), sider::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    seeds: Vec<Config>,
    read_from: ReadFrom,
    max_attempts: u32,
    retry_backoff: (Duration, Duration),
}

impl ClusterConfig {
    /// Seed nodes to read the cluster's layout from; any one that answers is enough. Every node
    /// connects with the first seed's settings (password, protocol, timeouts...), its own
    /// address aside.
    pub fn new(seeds: impl IntoIterator<Item = Config>) -> ClusterConfig {
        ClusterConfig {
            seeds: seeds.into_iter().collect(),
            read_from: ReadFrom::Primary,
            max_attempts: 16,
            retry_backoff: (Duration::from_millis(10), Duration::from_millis(500)),
        }
    }

    /// Seed nodes as URLs; see [`Config::from_url`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] for a bad URL or a Unix socket (cluster
    /// nodes are addressed by host and port).
    pub fn from_urls<S: AsRef<str>>(urls: &[S]) -> Result<ClusterConfig, Error> {
        let seeds = urls
            .iter()
            .map(|url| Config::from_url(url.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ClusterConfig::new(seeds))
    }

    /// Sends read-only commands (per the spec's `readonly` flag) to replicas, in turn, after
    /// `READONLY` on their connections. Replicas lag their primary: a read may not see a write
    /// that just succeeded. Default: off, everything goes to primaries.
    pub fn read_from_replicas(mut self, on: bool) -> ClusterConfig {
        self.read_from = if on {
            ReadFrom::PreferReplica
        } else {
            ReadFrom::Primary
        };
        self
    }

    /// Where read-only commands (per the spec's `readonly` flag) go; see [`ReadFrom`]. Default:
    /// [`ReadFrom::Primary`]. Writes always go to primaries.
    ///
    /// ```
    /// use sider::cluster::{ClusterConfig, ReadFrom};
    ///
    /// let config = ClusterConfig::from_urls(&["redis://127.0.0.1:7000"])?
    ///     .read_from(ReadFrom::AzAffinity("us-east-1a".into()));
    /// # Ok::<(), sider::Error>(())
    /// ```
    pub fn read_from(mut self, read_from: ReadFrom) -> ClusterConfig {
        self.read_from = read_from;
        self
    }

    /// Whether reads may go to replicas (their connections are opened, with `READONLY`).
    pub(crate) fn reads_replicas(&self) -> bool {
        self.read_from != ReadFrom::Primary
    }

    /// The zone whose replicas reads prefer.
    pub(crate) fn zone(&self) -> Option<&str> {
        match &self.read_from {
            ReadFrom::AzAffinity(zone) => Some(zone),
            _ => None,
        }
    }

    /// How many times a command is sent at most, redirects and retries included. Default: 16.
    pub fn max_attempts(mut self, attempts: u32) -> ClusterConfig {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before retrying after `TRYAGAIN`, `CLUSTERDOWN` or an unreachable node: `min`
    /// first, doubling up to `max`. Default: 10 ms to 500 ms, which with 16 attempts rides out
    /// about five seconds of failover.
    pub fn retry_backoff(mut self, min: Duration, max: Duration) -> ClusterConfig {
        self.retry_backoff = (min, max.max(min));
        self
    }

    /// The settings a node at `addr` (`host:port`) connects with.
    fn node_config(&self, addr: &str) -> Result<Config, Error> {
        let template = self
            .seeds
            .first()
            .ok_or_else(|| Error::config("a cluster needs at least one seed node"))?;
        let (host, port) = split_addr(addr)
            .ok_or_else(|| Error::protocol_msg(format!("bad node address `{addr}`")))?;
        let mut config = template.clone();
        config.addr = Addr::Tcp {
            host: host.to_owned(),
            port,
        };
        Ok(config)
    }
}

/// Where a [`ClusterClient`] sends read-only commands (those the spec flags `readonly`).
///
/// Replicas lag their primary: a read from one may not see a write that just succeeded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadFrom {
    /// Every command to the primary serving its slot.
    #[default]
    Primary,
    /// Reads to the slot's replicas in turn (after `READONLY` on their connections); to the
    /// primary when it has none that can be reached.
    PreferReplica,
    /// Reads to the slot's replicas in this availability zone, in turn; to its other replicas
    /// when none is in the zone, then to the primary. A node's zone is what it reports in
    /// `HELLO`'s `availability_zone` (Valkey 8.1 and later, its `availability-zone` option; see
    /// [`ServerInfo::availability_zone`](crate::ServerInfo::availability_zone)); a node that
    /// reports none is in no zone.
    AzAffinity(String),
}

/// `host:port` (the host may be an IPv6 address, with or without brackets).
fn split_addr(addr: &str) -> Option<(&str, u16)> {
    let (host, port) = addr.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host, port.parse().ok()?))
}

/// A seed's `host:port`, as the cluster names nodes.
fn seed_addr(config: &Config) -> Result<String, Error> {
    match &config.addr {
        Addr::Tcp { host, port } => Ok(format!("{host}:{port}")),
        other => Err(Error::config(format!(
            "cluster nodes are reached over TCP, not {other}"
        ))),
    }
}

/// What an error reply asks of a cluster client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Redirect {
    /// The slot is served by `addr` from now on.
    Moved { slot: u16, addr: String },
    /// This one command goes to `addr`, after `ASKING`.
    Ask { addr: String },
    /// Retry after a backoff; `refresh` when the layout may have changed.
    Retry { refresh: bool },
    /// Not a redirect.
    None,
}

impl Redirect {
    fn of(server: &ServerError) -> Redirect {
        let target = || {
            let (slot, addr) = server.message().split_once(' ')?;
            Some((slot.parse::<u16>().ok()?, addr.trim().to_owned()))
        };
        match server.code() {
            "MOVED" => target().map_or(Redirect::None, |(slot, addr)| Redirect::Moved {
                slot,
                addr,
            }),
            "ASK" => target().map_or(Redirect::None, |(_, addr)| Redirect::Ask { addr }),
            "TRYAGAIN" | "LOADING" => Redirect::Retry { refresh: false },
            // A write that reached a replica (a demoted primary), or a cluster that lost a shard.
            "CLUSTERDOWN" | "MASTERDOWN" | "READONLY" => Redirect::Retry { refresh: true },
            _ => Redirect::None,
        }
    }

    fn of_error(err: &Error) -> Redirect {
        match err.kind() {
            ErrorKind::Server => err.server_error().map_or(Redirect::None, Redirect::of),
            _ => Redirect::None,
        }
    }

    fn of_frame(frame: &Frame) -> Redirect {
        match frame {
            Frame::Error(line) => Redirect::of(&ServerError::parse(line)),
            _ => Redirect::None,
        }
    }
}

/// Whether a command certainly never reached the server: its connection could not be opened
/// (refused, reset during the handshake, timed out), as happens to a primary that died.
fn never_sent(err: &Error) -> bool {
    err.is_unsent() && err.is_connection_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_redirects() {
        let moved = Redirect::of_frame(&Frame::Error("MOVED 3999 127.0.0.1:6381".into()));
        assert_eq!(
            moved,
            Redirect::Moved {
                slot: 3999,
                addr: "127.0.0.1:6381".into()
            }
        );
        let ask = Redirect::of_frame(&Frame::Error("ASK 3999 [::1]:6381".into()));
        assert_eq!(
            ask,
            Redirect::Ask {
                addr: "[::1]:6381".into()
            }
        );
        let again = Redirect::of_frame(&Frame::Error("TRYAGAIN Multiple keys request".into()));
        assert_eq!(again, Redirect::Retry { refresh: false });
        let other = Redirect::of_frame(&Frame::Error("ERR wrong".into()));
        assert_eq!(other, Redirect::None);
        assert_eq!(split_addr("[::1]:6381"), Some(("::1", 6381)));
        assert_eq!(split_addr("::1:6381"), Some(("::1", 6381)));
        assert_eq!(split_addr("10.0.0.1:7000"), Some(("10.0.0.1", 7000)));
    }
}
