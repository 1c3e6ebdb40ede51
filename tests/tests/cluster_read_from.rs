//! Redis Cluster, issue 20: read routing (`ReadFrom::Primary`, `PreferReplica`, `AzAffinity`)
//! on a Valkey 9.1 cluster whose nodes report an `availability_zone` in `HELLO`; the test counts
//! where the reads went with `INFO commandstats`.
//!
//! The Valkey binary is `VALKEY_SERVER_BIN`, or the newest `scripts/servers` build under
//! `~/.cache/sider/servers/valkey-*/` (run `scripts/servers valkey` first).

use sider::cluster::{ClusterClient, ClusterConfig, ReadFrom};
use sider::prelude::*;
use sider_tests::cluster::{cli, Cluster};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

fn valkey_binary() -> String {
    if let Ok(path) = std::env::var("VALKEY_SERVER_BIN") {
        return path;
    }
    let cache = std::env::var("SIDER_SERVERS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_owned());
            PathBuf::from(home).join(".cache/sider/servers")
        });
    let mut builds: Vec<PathBuf> = std::fs::read_dir(&cache)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("valkey-9."))
                })
                .map(|p| p.join("valkey-server"))
                .filter(|p| p.exists())
                .collect()
        })
        .unwrap_or_default();
    builds.sort();
    match builds.pop() {
        Some(path) => path.display().to_string(),
        None => panic!(
            "no Valkey 9 build in {}: run `scripts/servers valkey`, or set VALKEY_SERVER_BIN",
            cache.display()
        ),
    }
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("host:port")
}

/// `GET` calls per node port, per `INFO commandstats`.
fn gets(ports: &[u16]) -> HashMap<u16, u64> {
    ports
        .iter()
        .map(|&port| {
            let calls = cli(port, &["INFO", "commandstats"])
                .lines()
                .find_map(|l| l.strip_prefix("cmdstat_get:calls="))
                .and_then(|rest| rest.split(',').next())
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0);
            (port, calls)
        })
        .collect()
}

/// Runs 300 reads over every slot range with a client reading `from`, and returns how many
/// landed on each node.
async fn reads(
    nodes: &Cluster,
    from: ReadFrom,
) -> anyhow::Result<(ClusterClient, HashMap<u16, u64>)> {
    let config = ClusterConfig::from_urls(&nodes.urls())?.read_from(from);
    let cluster = ClusterClient::connect_with(config).await?;
    let ports = nodes.ports();
    let before = gets(&ports);
    for n in 0..300 {
        let value = cluster.get::<i64>(format!("read:{n}")).await?;
        assert_eq!(value, Some(n), "read:{n}");
    }
    let after = gets(&ports);
    let delta = ports
        .iter()
        .map(|p| (*p, after[p] - before[p]))
        .filter(|(_, n)| *n > 0)
        .collect();
    Ok((cluster, delta))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_go_where_read_from_says() -> anyhow::Result<()> {
    let started = Instant::now();
    // Every node starts in a zone of its own; the replicas are put in zones below, once
    // `redis-cli` has said which replica serves which primary.
    let mut builder = Cluster::builder().binary(&valkey_binary()).replicas(2);
    for i in 0..9 {
        builder = builder.node_args(i, &["--availability-zone", "az-primary"]);
    }
    let nodes = builder.start();
    eprintln!("valkey cluster up in {:?}", started.elapsed());
    nodes.wait_online(&nodes.ports(), 9);

    let writer = ClusterClient::connect(&nodes.urls()).await?;
    let primaries: Vec<u16> = writer.primaries().iter().map(|a| port_of(a)).collect();
    let (mut in_a, mut in_b) = (Vec::new(), Vec::new());
    for &primary in &primaries {
        let replicas = Cluster::replicas_of(primary);
        assert_eq!(replicas.len(), 2, "two replicas of {primary}");
        in_a.push(replicas[0]);
        in_b.push(replicas[1]);
        cli(replicas[0], &["CONFIG", "SET", "availability-zone", "az-a"]);
        cli(replicas[1], &["CONFIG", "SET", "availability-zone", "az-b"]);
    }
    for n in 0..300i64 {
        writer.set(format!("read:{n}"), n).await?;
    }
    for &primary in &primaries {
        let _: i64 = writer
            .node(&format!("127.0.0.1:{primary}"))
            .await?
            .wait(2, std::time::Duration::from_secs(5))
            .await?;
    }
    // The zone each node reports in HELLO.
    let node = writer.node(&format!("127.0.0.1:{}", in_a[0])).await?;
    assert_eq!(node.server().availability_zone(), Some("az-a"));
    assert!(node.server().is_valkey());

    // Primary: every read on a primary.
    let (_, went) = reads(&nodes, ReadFrom::Primary).await?;
    eprintln!("Primary: {went:?}");
    assert!(went.keys().all(|p| primaries.contains(p)), "{went:?}");
    assert_eq!(went.values().sum::<u64>(), 300);

    // AzAffinity(az-a): every read on the az-a replicas, each shard's.
    let (_, went) = reads(&nodes, ReadFrom::AzAffinity("az-a".into())).await?;
    eprintln!("AzAffinity(az-a): {went:?}");
    assert!(went.keys().all(|p| in_a.contains(p)), "{went:?}");
    assert_eq!(went.len(), 3, "every shard's az-a replica: {went:?}");
    assert_eq!(went.values().sum::<u64>(), 300);

    let (_, went) = reads(&nodes, ReadFrom::AzAffinity("az-b".into())).await?;
    eprintln!("AzAffinity(az-b): {went:?}");
    assert!(went.keys().all(|p| in_b.contains(p)), "{went:?}");

    // A zone with no replica: reads fall back to the other replicas, never the primaries.
    let (_, went) = reads(&nodes, ReadFrom::AzAffinity("az-z".into())).await?;
    eprintln!("AzAffinity(az-z): {went:?}");
    assert!(went.keys().all(|p| !primaries.contains(p)), "{went:?}");
    assert_eq!(went.len(), 6, "both replicas of every shard: {went:?}");

    // PreferReplica: over every replica, no primary.
    let (_, went) = reads(&nodes, ReadFrom::PreferReplica).await?;
    eprintln!("PreferReplica: {went:?}");
    assert!(went.keys().all(|p| !primaries.contains(p)), "{went:?}");
    assert_eq!(went.len(), 6, "{went:?}");

    // Writes go to primaries whatever the read setting.
    let config =
        ClusterConfig::from_urls(&nodes.urls())?.read_from(ReadFrom::AzAffinity("az-a".into()));
    let zoned = ClusterClient::connect_with(config).await?;
    zoned.set("read:written", 1).await?;
    assert_eq!(writer.get::<i64>("read:written").await?, Some(1));
    Ok(())
}
