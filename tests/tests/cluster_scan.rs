//! Redis Cluster, issue 20: a cluster-wide `SCAN` that returns every key present for the whole
//! walk at least once, with a slot migrating in the middle of the walk. One six-node cluster,
//! started once for this binary.

use sider::cluster::{key_slot, ClusterClient};
use sider::prelude::*;
use sider::{Client, Cmd, Value};
use sider_tests::cluster::Cluster;
use std::collections::HashMap;
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

/// Moves `slot` from the primary on `source` to the one on `target`, keys and ownership.
async fn migrate(
    cluster: &ClusterClient,
    slot: u16,
    source: u16,
    target: u16,
) -> anyhow::Result<()> {
    let (source_id, target_id) = (Cluster::node_id(source), Cluster::node_id(target));
    let (src, dst) = (admin(source).await?, admin(target).await?);
    dst.send::<()>(
        Cmd::new("CLUSTER SETSLOT")
            .arg(slot)
            .arg("IMPORTING")
            .arg(&source_id),
    )
    .await?;
    src.send::<()>(
        Cmd::new("CLUSTER SETSLOT")
            .arg(slot)
            .arg("MIGRATING")
            .arg(&target_id),
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let keys: Vec<String> = src
            .send(Cmd::new("CLUSTER GETKEYSINSLOT").arg(slot).arg(100))
            .await?;
        if keys.is_empty() {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "migration did not finish");
        let migrate = Cmd::new("MIGRATE")
            .arg("127.0.0.1")
            .arg(target)
            .arg("")
            .arg(0)
            .arg(5000)
            .arg("KEYS")
            .args(&keys);
        src.send::<Value>(migrate).await?;
    }
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
async fn cluster_scan() -> anyhow::Result<()> {
    let started = Instant::now();
    let mut nodes = Cluster::start();
    eprintln!("cluster up in {:?}", started.elapsed());
    let cluster = ClusterClient::connect(&nodes.urls()).await?;
    cluster.flushall().await?;

    // Keys over every node, and one slot full of keys on a node the walk reaches late.
    let first = port_of(&cluster.primary_for_slot(0).expect("slot 0 is served"));
    let moving = (0u32..)
        .map(|n| format!("mv{n}"))
        .find(|tag| {
            let owner = cluster.primary_for_slot(key_slot(tag.as_bytes()));
            owner.is_some_and(|o| port_of(&o) != first)
        })
        .expect("a tag on another node");
    let slot = key_slot(moving.as_bytes());
    let source = port_of(&cluster.primary_for_slot(slot).expect("owner"));
    let mut expected: Vec<String> = (0..3000).map(|n| format!("scan:{n}")).collect();
    expected.extend((0..500).map(|n| format!("{{{moving}}}:{n}")));
    let pairs: Vec<(&str, i64)> = expected.iter().map(|k| (k.as_str(), 1)).collect();
    for chunk in pairs.chunks(500) {
        cluster.mset(chunk).await?;
    }
    cluster.sadd("scan:a-set", "x").await?;

    // Walk: a few pages into the first node's walk, the slot moves from its node (not walked
    // yet) to the node being walked, whose walk did not take that slot. A walk that did not
    // track slots would miss those 500 keys.
    let mut walk = cluster.scan_iter::<String>().pattern("*").count(50);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for _ in 0..100 {
        let key = walk.next().await.expect("more keys")?;
        *seen.entry(key).or_default() += 1;
    }
    let t = Instant::now();
    migrate(&cluster, slot, source, first).await?;
    eprintln!(
        "slot {slot} moved from {source} to {first} in {:?}",
        t.elapsed()
    );
    while let Some(key) = walk.next().await {
        *seen.entry(key?).or_default() += 1;
    }
    // Three primaries, and the moved slot walked again on its new node.
    assert!(walk.walks() > 3, "{} walks", walk.walks());
    let missing: Vec<&String> = expected.iter().filter(|k| !seen.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "{} keys missed, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    let twice = seen.values().filter(|&&n| n > 1).count();
    eprintln!(
        "{} distinct keys, {twice} returned more than once",
        seen.len()
    );
    assert_eq!(
        seen.len(),
        expected.len() + 1,
        "nothing but the keys written"
    );
    assert_eq!(
        cluster.primary_for_slot(slot).map(|a| port_of(&a)),
        Some(first)
    );

    // Filters go to every node.
    let sets: Vec<String> = cluster.scan_iter().of_type("set").try_collect().await?;
    assert_eq!(sets, ["scan:a-set"]);
    let moved: Vec<String> = cluster
        .scan_iter()
        .pattern(format!("{{{moving}}}:*"))
        .count(1000)
        .try_collect()
        .await?;
    let mut moved_distinct = moved.clone();
    moved_distinct.sort();
    moved_distinct.dedup();
    assert_eq!(moved_distinct.len(), 500);

    // HSCAN, SSCAN, ZSCAN: one node's walk; when the key moves, it starts over where it went.
    let hash = format!("{{{moving}}}:hash");
    let fields: Vec<(String, i64)> = (0..2000).map(|n| (format!("f{n}"), n)).collect();
    cluster.hset(&hash, &fields).await?;
    let mut walk = cluster.hscan_iter::<String, i64>(&hash).count(20);
    let mut got: HashMap<String, i64> = HashMap::new();
    for _ in 0..100 {
        let (field, value) = walk.next().await.expect("more fields")?;
        got.insert(field, value);
    }
    let here = port_of(&cluster.primary_for_slot(slot).expect("owner"));
    let there = cluster
        .primaries()
        .iter()
        .map(|a| port_of(a))
        .find(|&p| p != here)
        .expect("another primary");
    migrate(&cluster, slot, here, there).await?;
    while let Some(pair) = walk.next().await {
        let (field, value) = pair?;
        got.insert(field, value);
    }
    assert_eq!(got.len(), 2000, "every field of the hash");
    assert!(
        walk.restarts() >= 1,
        "the walk started over on the key's new node"
    );
    let set = format!("{{{moving}}}:set");
    cluster.sadd(&set, ["a", "b", "c"]).await?;
    let mut members: Vec<String> = cluster.sscan_iter(&set).try_collect().await?;
    members.sort();
    assert_eq!(members, ["a", "b", "c"]);
    let zset = format!("{{{moving}}}:zset");
    cluster.zadd(&zset, [(1.5, "x"), (2.0, "y")]).await?;
    let scored: Vec<(String, f64)> = cluster.zscan_iter(&zset).try_collect().await?;
    assert_eq!(scored.len(), 2);

    // A primary the walk has not reached yet dies; its replica takes over, and the walk goes
    // on there once the cluster has promoted it.
    let victim = cluster
        .primaries()
        .iter()
        .map(|a| port_of(a))
        .find(|&p| p != first)
        .expect("another primary");
    let mut walk = cluster.scan_iter::<String>().count(50);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for _ in 0..100 {
        let key = walk.next().await.expect("more keys")?;
        *seen.entry(key).or_default() += 1;
    }
    let t = Instant::now();
    nodes.kill(victim);
    while let Some(key) = walk.next().await {
        *seen.entry(key?).or_default() += 1;
    }
    eprintln!(
        "walk finished {:?} after killing {victim}, {} walks",
        t.elapsed(),
        walk.walks()
    );
    let missing: Vec<&String> = expected.iter().filter(|k| !seen.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "{} keys missed across the failover, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert!(!cluster.primaries().contains(&format!("127.0.0.1:{victim}")));
    Ok(())
}
