//! Redis Cluster beyond routing (issue 20): multi-key commands split per slot, a script in a
//! `ClusterBatch`, a cluster-wide `SCAN` that survives resharding, replica reads by availability
//! zone, and sharded pub/sub that follows its slots.
//!
//! It starts nothing: it connects to the nodes `CLUSTER_URLS` lists (comma separated), or to
//! 127.0.0.1:7000 (`scripts/start-cluster DIR` starts a six-node cluster and prints that list).
//! `CLUSTER_ZONE` names the zone to read from (nodes report theirs in `HELLO` on Valkey 8.1+).

use sider::cluster::{ClusterClient, ClusterConfig, ReadFrom};
use sider::prelude::*;
use sider::{Event, Script};
use std::time::Duration;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let urls: Vec<String> = std::env::var("CLUSTER_URLS")
        .unwrap_or_else(|_| "redis://127.0.0.1:7000".to_owned())
        .split(',')
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .collect();
    let read_from = match std::env::var("CLUSTER_ZONE") {
        Ok(zone) => ReadFrom::AzAffinity(zone),
        Err(_) => ReadFrom::PreferReplica,
    };
    let cluster =
        ClusterClient::connect_with(ClusterConfig::from_urls(&urls)?.read_from(read_from)).await?;

    // MSET, MGET, DEL, UNLINK, EXISTS and TOUCH across slots: one command per slot, in parallel,
    // replies in your order. A split MSET is not atomic.
    let keys: Vec<String> = (0..10).map(|n| format!("example:{n}")).collect();
    let pairs: Vec<(&str, usize)> = keys.iter().map(|k| k.as_str()).zip(0..).collect();
    cluster.mset(&pairs).await?;
    let values: Vec<Option<usize>> = cluster.mget(&keys).await?;
    println!("MGET over {} slots: {values:?}", keys.len());

    // A script in a batch: loaded on every node the batch reaches, ahead of its share.
    let incr = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    let mut batch = cluster.batch::<i64>();
    for key in &keys {
        batch.push(|c| c.invoke(incr.key(key).arg(100)));
    }
    println!("script replies: {:?}", batch.execute().await?);

    // Every key, at least once, even if slots move meanwhile.
    let mut walk = cluster
        .scan_iter::<String>()
        .pattern("example:*")
        .count(100);
    let mut found = 0;
    while let Some(key) = walk.next().await {
        key?;
        found += 1;
    }
    println!("SCAN found {found} keys in {} node walks", walk.walks());

    // Sharded pub/sub: each channel on the primary of its slot, followed as slots move.
    let mut sub = cluster.ssubscribe(["orders:{eu}", "orders:{us}"]).await?;
    cluster.spublish("orders:{eu}", "order 1").await?;
    match tokio::time::timeout(Duration::from_secs(1), sub.next()).await {
        Ok(Some(Event::Message(msg))) => {
            println!("{}: {}", msg.channel_str(), msg.payload::<String>()?)
        }
        Ok(Some(Event::Reconnected)) => println!("moved: messages may have been missed"),
        other => println!("no message: {other:?}"),
    }
    cluster.del(&keys).await?;
    Ok(())
}
