//! Redis Cluster, issue 20: pub/sub on a cluster. Two shard channels on two primaries and one
//! cluster-wide channel are read through one `ClusterSubscription` while a publisher keeps
//! publishing; one shard channel's slot migrates live, then the other's primary is killed. The
//! messages keep coming after each; none comes twice; and every message that was published
//! (acknowledged) but not received lies in a gap that a `Reconnected` event reports.

use sider::cluster::{key_slot, ClusterClient};
use sider::prelude::*;
use sider::{Client, Cmd, Event};
use sider_tests::cluster::Cluster;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("host:port")
}

async fn admin(port: u16) -> anyhow::Result<Client> {
    Ok(Client::connect(&format!("redis://127.0.0.1:{port}")).await?)
}

/// What the reader saw, in order: a message (channel, number) or a reported gap.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Message(String, u64),
    Gap,
}

/// Moves an empty `slot` from `source` to `target`.
async fn migrate(
    cluster: &ClusterClient,
    slot: u16,
    source: u16,
    target: u16,
) -> anyhow::Result<()> {
    let (source_id, target_id) = (Cluster::node_id(source), Cluster::node_id(target));
    admin(target)
        .await?
        .send::<()>(
            Cmd::new("CLUSTER SETSLOT")
                .arg(slot)
                .arg("IMPORTING")
                .arg(&source_id),
        )
        .await?;
    admin(source)
        .await?
        .send::<()>(
            Cmd::new("CLUSTER SETSLOT")
                .arg(slot)
                .arg("MIGRATING")
                .arg(&target_id),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut ports = vec![target, source];
    ports.extend(
        cluster
            .primaries()
            .iter()
            .map(|a| port_of(a))
            .filter(|&p| p != source && p != target),
    );
    for port in ports {
        admin(port)
            .await?
            .send::<()>(
                Cmd::new("CLUSTER SETSLOT")
                    .arg(slot)
                    .arg("NODE")
                    .arg(&target_id),
            )
            .await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_pubsub() -> anyhow::Result<()> {
    let started = Instant::now();
    let mut nodes = Cluster::start();
    eprintln!("cluster up in {:?}", started.elapsed());
    let cluster = ClusterClient::connect(&nodes.urls()).await?;
    let primaries: Vec<u16> = cluster.primaries().iter().map(|a| port_of(a)).collect();
    let owner = |c: &str| {
        port_of(
            &cluster
                .primary_for_slot(key_slot(c.as_bytes()))
                .expect("owner"),
        )
    };
    // Two shard channels on two different primaries.
    let a = (0..)
        .map(|n| format!("orders:{n}"))
        .find(|c| owner(c) == primaries[1])
        .expect("a");
    let b = (0..)
        .map(|n| format!("orders:{n}"))
        .find(|c| owner(c) == primaries[0])
        .expect("b");

    let mut sub = cluster.ssubscribe([a.as_str(), b.as_str()]).await?;
    sub.subscribe("news").await?;
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let reader = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Some(event) = sub.next().await {
                let entry = match event {
                    Event::Message(msg) => {
                        let n: u64 = msg.payload::<String>()?.parse()?;
                        Seen::Message(msg.channel_str().into_owned(), n)
                    }
                    Event::Reconnected => Seen::Gap,
                    _ => continue,
                };
                seen.lock().expect("lock").push(entry);
            }
            Ok::<_, anyhow::Error>(())
        })
    };

    // The publisher: every 5 ms, a number on each channel; it keeps what was acknowledged.
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<HashMap<String, Vec<u64>>>> = Arc::default();
    let publisher = {
        let (cluster, stop, acked) = (cluster.clone(), stop.clone(), acked.clone());
        let (a, b) = (a.clone(), b.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                for channel in [&a, &b] {
                    if cluster
                        .spublish(channel.as_str(), n.to_string())
                        .await
                        .is_ok()
                    {
                        acked
                            .lock()
                            .expect("lock")
                            .entry(channel.clone())
                            .or_default()
                            .push(n);
                    }
                }
                if cluster.publish("news", n.to_string()).await.is_ok() {
                    acked
                        .lock()
                        .expect("lock")
                        .entry("news".into())
                        .or_default()
                        .push(n);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let last_on = |channel: &str| {
        seen.lock()
            .expect("lock")
            .iter()
            .rev()
            .find_map(|s| match s {
                Seen::Message(c, n) if c == channel => Some(*n),
                _ => None,
            })
            .unwrap_or(0)
    };
    let published = |channel: &str| {
        acked
            .lock()
            .expect("lock")
            .get(channel)
            .and_then(|v| v.last().copied())
            .unwrap_or(0)
    };
    // Waits until `channel` delivers a message published after now.
    let arrives = |channel: String, what: &'static str, limit: Duration| {
        let from = published(&channel);
        let deadline = Instant::now() + limit;
        let (seen, acked) = (seen.clone(), acked.clone());
        async move {
            let _ = (&seen, &acked);
            loop {
                if last_on(&channel) > from {
                    return Ok::<_, anyhow::Error>(());
                }
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "no message on {channel} after {what}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    for channel in [&a, &b, &"news".to_owned()] {
        arrives(channel.clone(), "subscribing", Duration::from_secs(5)).await?;
    }

    // A live migration of a's slot to the third primary.
    let t = Instant::now();
    migrate(&cluster, key_slot(a.as_bytes()), primaries[1], primaries[2]).await?;
    arrives(a.clone(), "the migration", Duration::from_secs(5)).await?;
    eprintln!("{a} flows again {:?} after its slot moved", t.elapsed());

    // A failover: b's primary dies, its replica takes over. The cluster-wide channel was
    // subscribed on that node too (the first primary), so it moves as well.
    let t = Instant::now();
    nodes.kill(primaries[0]);
    arrives(b.clone(), "the failover", Duration::from_secs(30)).await?;
    eprintln!("{b} flows again {:?} after its primary died", t.elapsed());
    for channel in [&a, &"news".to_owned()] {
        arrives(channel.clone(), "the failover", Duration::from_secs(5)).await?;
    }

    stop.store(true, Ordering::Relaxed);
    publisher.await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    reader.abort();
    let seen = seen.lock().expect("lock").clone();
    let acked = acked.lock().expect("lock").clone();
    let gaps = seen.iter().filter(|s| **s == Seen::Gap).count();
    eprintln!("{} events, {gaps} reported gaps", seen.len());
    assert!(gaps >= 2, "the migration and the failover are reported");

    for channel in [a.as_str(), b.as_str(), "news"] {
        // No duplicates, in order.
        let got: Vec<u64> = seen
            .iter()
            .filter_map(|s| match s {
                Seen::Message(c, n) if c == channel => Some(*n),
                _ => None,
            })
            .collect();
        // No duplicates; a shard channel (one node publishes it) also keeps its order, while
        // a cluster-wide message reaches the subscribed node over the cluster bus from the node
        // it was published on, so two from different nodes may swap.
        let distinct: HashSet<u64> = got.iter().copied().collect();
        assert_eq!(distinct.len(), got.len(), "{channel}: a message came twice");
        if channel != "news" {
            assert!(
                got.windows(2).all(|w| w[0] < w[1]),
                "{channel}: out of order"
            );
        }
        // Every acknowledged message that did not arrive lies in a reported gap: between the
        // messages around it there is a Gap.
        let received: HashSet<u64> = got.iter().copied().collect();
        let lost: Vec<u64> = acked[channel]
            .iter()
            .copied()
            .filter(|n| !received.contains(n) && *n <= got.last().copied().unwrap_or(0))
            .collect();
        for n in &lost {
            let before = seen
                .iter()
                .rposition(|s| matches!(s, Seen::Message(c, m) if c == channel && m < n));
            let after = seen
                .iter()
                .position(|s| matches!(s, Seen::Message(c, m) if c == channel && m > n));
            let (Some(before), Some(after)) = (before, after) else {
                continue;
            };
            assert!(
                seen[before..after].contains(&Seen::Gap),
                "{channel}: message {n} was lost with no gap reported"
            );
        }
        eprintln!(
            "{channel}: {} received, {} acknowledged but lost in reported gaps",
            got.len(),
            lost.len()
        );
    }
    Ok(())
}
