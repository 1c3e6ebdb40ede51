//! The cluster's layout: `CLUSTER SHARDS` (Redis 7) or `CLUSTER SLOTS` (older servers) parsed
//! into shards, and the slot table built from them that routes every command.
//!
//! Imports `client` (one [`Client`] per node), `resp`, `error` and the sibling `slot`.

use super::slot::SLOTS;
use crate::client::Client;
use crate::error::Error;
use crate::resp::Frame;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// One shard as the server described it: its slot ranges, its primary and its healthy replicas,
/// each as `host:port`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ShardInfo {
    pub(crate) ranges: Vec<(u16, u16)>,
    pub(crate) primary: String,
    pub(crate) replicas: Vec<String>,
}

/// Every shard that serves slots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Topology {
    pub(crate) shards: Vec<ShardInfo>,
}

fn bad(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::protocol_msg(format!("unexpected {what} reply: {detail}"))
}

fn text(frame: &Frame) -> Option<String> {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Frame::Verbatim { data, .. } => Some(String::from_utf8_lossy(data).into_owned()),
        _ => None,
    }
}

fn int(frame: &Frame) -> Option<i64> {
    match frame {
        Frame::Integer(n) => Some(*n),
        other => text(other)?.parse().ok(),
    }
}

/// A map's pairs: a RESP3 map, or RESP2's flat array of keys and values.
fn fields(frame: &Frame) -> Option<Vec<(String, &Frame)>> {
    match frame {
        Frame::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| Some((text(k)?, v)))
            .collect::<Option<Vec<_>>>(),
        Frame::Array(items) if items.len() % 2 == 0 => items
            .chunks(2)
            .map(|pair| match pair {
                [k, v] => Some((text(k)?, v)),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn field<'a>(fields: &[(String, &'a Frame)], name: &str) -> Option<&'a Frame> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

fn list(frame: &Frame) -> Option<&[Frame]> {
    match frame {
        Frame::Array(items) | Frame::Set(items) => Some(items),
        _ => None,
    }
}

fn slot(n: i64) -> Option<u16> {
    u16::try_from(n).ok().filter(|&s| usize::from(s) < SLOTS)
}

/// `host:port`; a host the server does not know (`?`, empty) is the host we asked.
fn address(host: Option<String>, port: i64, asked: &str) -> String {
    let host = match host {
        Some(h) if !h.is_empty() && h != "?" => h,
        _ => asked.to_owned(),
    };
    format!("{host}:{port}")
}

/// Parses `CLUSTER SHARDS`. `asked` is the host of the node that answered.
pub(crate) fn parse_shards(frame: &Frame, asked: &str) -> Result<Topology, Error> {
    const WHAT: &str = "CLUSTER SHARDS";
    let shards = list(frame).ok_or_else(|| bad(WHAT, frame.describe()))?;
    let mut topology = Topology::default();
    for shard in shards {
        let shard = fields(shard).ok_or_else(|| bad(WHAT, shard.describe()))?;
        let bounds = field(&shard, "slots")
            .and_then(list)
            .ok_or_else(|| bad(WHAT, "a shard without `slots`"))?;
        let mut info = ShardInfo::default();
        for pair in bounds.chunks(2) {
            match pair {
                [start, end] => {
                    let range = (int(start).and_then(slot), int(end).and_then(slot));
                    match range {
                        (Some(start), Some(end)) if start <= end => info.ranges.push((start, end)),
                        _ => return Err(bad(WHAT, "a slot range out of bounds")),
                    }
                }
                _ => return Err(bad(WHAT, "an odd number of slot bounds")),
            }
        }
        let nodes = field(&shard, "nodes")
            .and_then(list)
            .ok_or_else(|| bad(WHAT, "a shard without `nodes`"))?;
        for node in nodes {
            let node = fields(node).ok_or_else(|| bad(WHAT, node.describe()))?;
            let get = |name| field(&node, name).and_then(text);
            let port = field(&node, "port")
                .or_else(|| field(&node, "tls-port"))
                .and_then(int)
                .ok_or_else(|| bad(WHAT, "a node without a port"))?;
            let host = get("endpoint")
                .filter(|h| !h.is_empty() && h != "?")
                .or_else(|| get("ip"));
            let addr = address(host, port, asked);
            match get("role").as_deref() {
                Some("master") => info.primary = addr,
                _ if get("health").as_deref() == Some("online") => info.replicas.push(addr),
                _ => {}
            }
        }
        if !info.ranges.is_empty() && !info.primary.is_empty() {
            topology.shards.push(info);
        }
    }
    Ok(topology)
}

/// Parses `CLUSTER SLOTS`: one entry per slot range, primary first, then replicas.
pub(crate) fn parse_slots(frame: &Frame, asked: &str) -> Result<Topology, Error> {
    const WHAT: &str = "CLUSTER SLOTS";
    let entries = list(frame).ok_or_else(|| bad(WHAT, frame.describe()))?;
    let mut topology = Topology::default();
    for entry in entries {
        let Some([start, end, nodes @ ..]) = list(entry) else {
            return Err(bad(WHAT, entry.describe()));
        };
        let (Some(start), Some(end)) = (int(start).and_then(slot), int(end).and_then(slot)) else {
            return Err(bad(WHAT, "a slot range out of bounds"));
        };
        let mut addrs = nodes.iter().map(|node| {
            let parts = list(node).ok_or_else(|| bad(WHAT, node.describe()))?;
            let port = parts
                .get(1)
                .and_then(int)
                .ok_or_else(|| bad(WHAT, "a node without a port"))?;
            Ok(address(parts.first().and_then(text), port, asked))
        });
        let primary = addrs
            .next()
            .ok_or_else(|| bad(WHAT, "a slot range without nodes"))??;
        let replicas = addrs.collect::<Result<Vec<_>, Error>>()?;
        // A shard with several ranges appears once per range.
        match topology.shards.iter_mut().find(|s| s.primary == primary) {
            Some(shard) => shard.ranges.push((start, end)),
            None => topology.shards.push(ShardInfo {
                ranges: vec![(start, end)],
                primary,
                replicas,
            }),
        }
    }
    Ok(topology)
}

/// One node: its address and, when it could be reached, its connection.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) addr: Arc<str>,
    pub(crate) client: Option<Client>,
    /// The availability zone the node reported (`HELLO`'s `availability_zone`).
    pub(crate) zone: Option<Arc<str>>,
}

/// A shard with its connections.
#[derive(Clone, Debug)]
pub(crate) struct Shard {
    pub(crate) primary: Node,
    pub(crate) replicas: Vec<Node>,
}

/// Marks a slot no shard serves.
const UNASSIGNED: u16 = u16::MAX;

/// The slot table: which shard serves each slot. Replaced whole on every refresh, so a command
/// routes against one consistent snapshot.
#[derive(Debug)]
pub(crate) struct Routing {
    /// Bumped on every refresh; a redirect seen by a command routed with an older epoch has
    /// already been acted on.
    pub(crate) epoch: u64,
    slots: Box<[u16]>,
    pub(crate) shards: Vec<Shard>,
}

impl Routing {
    /// An empty table, before the first refresh.
    pub(crate) fn empty() -> Routing {
        Routing {
            epoch: 0,
            slots: vec![UNASSIGNED; SLOTS].into_boxed_slice(),
            shards: Vec::new(),
        }
    }

    /// A table for `shards`, in the order of `infos`.
    pub(crate) fn new(epoch: u64, infos: &[ShardInfo], shards: Vec<Shard>) -> Routing {
        let mut slots = vec![UNASSIGNED; SLOTS].into_boxed_slice();
        for (index, info) in infos.iter().enumerate() {
            let Ok(index) = u16::try_from(index) else {
                break;
            };
            for &(start, end) in &info.ranges {
                for slot in start..=end {
                    if let Some(entry) = slots.get_mut(usize::from(slot)) {
                        *entry = index;
                    }
                }
            }
        }
        Routing {
            epoch,
            slots,
            shards,
        }
    }

    /// The shard serving `slot`.
    pub(crate) fn shard(&self, slot: u16) -> Option<&Shard> {
        let index = *self.slots.get(usize::from(slot))?;
        self.shards.get(usize::from(index))
    }

    /// Points `slot` at the shard whose primary is `addr`, when there is one: a `MOVED` reply
    /// is fresher than a topology read from a node that has not heard of the move yet.
    pub(crate) fn repoint(&mut self, slot: u16, addr: &str) {
        let index = self.shards.iter().position(|s| &*s.primary.addr == addr);
        if let (Some(index), Some(entry)) = (index, self.slots.get_mut(usize::from(slot))) {
            if let Ok(index) = u16::try_from(index) {
                *entry = index;
            }
        }
    }

    /// The node for a command, and whether it is a replica: the slot's primary, or with
    /// `replica` one of its live replicas in turn (those in `zone` first, when given); a keyless
    /// command goes to the primaries in turn.
    pub(crate) fn pick(
        &self,
        slot: Option<u16>,
        replica: bool,
        zone: Option<&str>,
        turn: &AtomicUsize,
    ) -> Option<(&Node, bool)> {
        let shard = match slot {
            Some(slot) => self.shard(slot)?,
            None => {
                let n = self.shards.len();
                let i = turn.fetch_add(1, Ordering::Relaxed) % n.max(1);
                self.shards.get(i)?
            }
        };
        if let (true, Some(zone)) = (replica, zone) {
            let local = |r: &&Node| r.client.is_some() && r.zone.as_deref() == Some(zone);
            let count = shard.replicas.iter().filter(local).count();
            if count > 0 {
                let i = turn.fetch_add(1, Ordering::Relaxed) % count;
                let node = shard.replicas.iter().filter(local).nth(i);
                return node.map(|n| (n, true));
            }
        }
        if replica {
            let live = shard.replicas.iter().filter(|r| r.client.is_some()).count();
            if live > 0 {
                let i = turn.fetch_add(1, Ordering::Relaxed) % live;
                let node = shard.replicas.iter().filter(|r| r.client.is_some()).nth(i);
                return node.map(|n| (n, true));
            }
        }
        Some((&shard.primary, false))
    }

    /// Whether `addr` is the primary serving `slot` here.
    pub(crate) fn serves(&self, slot: u16, addr: &str) -> bool {
        self.shard(slot).is_some_and(|s| &*s.primary.addr == addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn node(port: i64, role: &str, health: &str) -> Frame {
        Frame::Array(vec![
            bulk("id"),
            bulk("abc"),
            bulk("port"),
            Frame::Integer(port),
            bulk("ip"),
            bulk("127.0.0.1"),
            bulk("endpoint"),
            bulk("127.0.0.1"),
            bulk("role"),
            bulk(role),
            bulk("health"),
            bulk(health),
        ])
    }

    #[test]
    fn parses_shards() {
        let reply = Frame::Array(vec![Frame::Array(vec![
            bulk("slots"),
            Frame::Array(vec![Frame::Integer(0), Frame::Integer(5460)]),
            bulk("nodes"),
            Frame::Array(vec![
                node(7000, "master", "online"),
                node(7003, "replica", "online"),
                node(7004, "replica", "failed"),
            ]),
        ])]);
        let topology = parse_shards(&reply, "localhost").unwrap();
        assert_eq!(
            topology.shards,
            [ShardInfo {
                ranges: vec![(0, 5460)],
                primary: "127.0.0.1:7000".into(),
                replicas: vec!["127.0.0.1:7003".into()],
            }]
        );
    }

    #[test]
    fn parses_slots() {
        let entry = |start, end, port| {
            Frame::Array(vec![
                Frame::Integer(start),
                Frame::Integer(end),
                Frame::Array(vec![bulk(""), Frame::Integer(port), bulk("id")]),
            ])
        };
        let reply = Frame::Array(vec![
            entry(0, 99, 7000),
            entry(100, 199, 7001),
            entry(200, 16383, 7000),
        ]);
        let topology = parse_slots(&reply, "10.0.0.1").unwrap();
        assert_eq!(topology.shards.len(), 2);
        assert_eq!(topology.shards[0].primary, "10.0.0.1:7000");
        assert_eq!(topology.shards[0].ranges, [(0, 99), (200, 16383)]);
    }
}
