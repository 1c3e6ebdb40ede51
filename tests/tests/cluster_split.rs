//! Redis Cluster, issue 20: multi-key commands split per slot and reassembled in the caller's
//! order, and scripts preloaded on every node a `ClusterBatch` reaches. One six-node cluster,
//! started once for this binary; scenarios run in sequence on it.

use sider::cluster::{key_slot, ClusterClient};
use sider::prelude::*;
use sider::{Client, ErrorKind, Script};
use sider_tests::cluster::{cli, Cluster};
use std::collections::HashSet;
use std::time::Instant;

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("host:port")
}

/// How many times each primary ran `command`, per `INFO commandstats`.
fn calls(ports: &[u16], command: &str) -> u64 {
    let prefix = format!("cmdstat_{command}:calls=");
    ports
        .iter()
        .map(|&port| {
            cli(port, &["INFO", "commandstats"])
                .lines()
                .find_map(|l| l.strip_prefix(prefix.as_str()))
                .and_then(|rest| rest.split(',').next())
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_split() -> anyhow::Result<()> {
    let started = Instant::now();
    let nodes = Cluster::start();
    eprintln!("cluster up in {:?}", started.elapsed());
    let cluster = ClusterClient::connect(&nodes.urls()).await?;
    cluster.flushall().await?;
    multi_key_commands_split_by_slot(&cluster).await?;
    a_failed_part_fails_the_whole(&nodes).await?;
    batches_preload_their_scripts(&cluster).await?;
    Ok(())
}

async fn multi_key_commands_split_by_slot(cluster: &ClusterClient) -> anyhow::Result<()> {
    let primaries: Vec<u16> = cluster.primaries().iter().map(|a| port_of(a)).collect();
    // 200 keys over (nearly) every primary and many slots, with one missing key in between.
    let keys: Vec<String> = (0..200).map(|n| format!("split:{n}")).collect();
    let slots: HashSet<u16> = keys.iter().map(|k| key_slot(k.as_bytes())).collect();
    assert!(slots.len() > 100, "the keys span many slots");
    let pairs: Vec<(String, String)> = keys.iter().map(|k| (k.clone(), format!("v:{k}"))).collect();

    let msets = calls(&primaries, "mset");
    cluster.mset(&pairs).await?;
    // One MSET per slot, not per key.
    assert_eq!(calls(&primaries, "mset") - msets, slots.len() as u64);

    let mut asked: Vec<String> = keys.clone();
    asked.insert(57, "split:missing".to_owned());
    asked.push(keys[3].clone()); // a key twice: both places get its value
    let values: Vec<Option<String>> = cluster.mget(&asked).await?;
    assert_eq!(values.len(), asked.len());
    for (key, value) in asked.iter().zip(&values) {
        let expected = (key != "split:missing").then(|| format!("v:{key}"));
        assert_eq!(value, &expected, "MGET's reply for {key}");
    }

    // Counts add up; EXISTS counts a key named twice twice, as one node would.
    assert_eq!(cluster.exists(&asked).await?, 201);
    assert_eq!(cluster.touch(&keys).await?, 200);
    assert_eq!(cluster.del(&keys[..100]).await?, 100);
    assert_eq!(cluster.unlink(&asked).await?, 100);
    assert_eq!(cluster.exists(&asked).await?, 0);

    // Keys of one slot are still one command, and other multi-key commands still refuse.
    cluster.mset([("{s}a", 1), ("{s}b", 2)]).await?;
    assert_eq!(
        cluster.mget::<i64>(["{s}a", "{s}b"]).await?,
        [Some(1), Some(2)]
    );
    let err = cluster
        .sunion::<String>(["split:a", "split:b"])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CrossSlot, "{err}");
    // In a pipeline, a command must still keep to one slot.
    let err = cluster
        .pipeline()
        .mget::<String>(["split:a", "split:b"])
        .execute()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CrossSlot, "{err}");
    Ok(())
}

async fn a_failed_part_fails_the_whole(nodes: &Cluster) -> anyhow::Result<()> {
    // A user allowed only `ok:*` keys, on every node (ACLs are per node).
    for port in nodes.ports() {
        cli(
            port,
            &["ACL", "SETUSER", "limited", "on", ">pw", "~ok:*", "+@all"],
        );
    }
    let urls: Vec<String> = nodes
        .ports()
        .iter()
        .map(|p| format!("redis://limited:pw@127.0.0.1:{p}"))
        .collect();
    let limited = ClusterClient::connect(&urls).await?;
    assert_ne!(key_slot(b"ok:1"), key_slot(b"no:1"));
    let err = limited.mset([("ok:1", 1), ("no:1", 2)]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert!(
        err.to_string().contains("1 of 2 slots' parts succeeded"),
        "{err}"
    );
    // MSET across slots is not atomic: the allowed part stays written.
    assert_eq!(limited.get::<i64>("ok:1").await?, Some(1));
    // A read fails as a whole too, and the reply decodes as one.
    let err = limited.mget::<i64>(["ok:1", "no:1"]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    limited.set("ok:2", "x").await?;
    let err = limited.mget::<i64>(["ok:1", "ok:2"]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Reply, "{err}");
    Ok(())
}

async fn batches_preload_their_scripts(cluster: &ClusterClient) -> anyhow::Result<()> {
    let script = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    // No node has the script yet.
    for addr in cluster.primaries() {
        let node: Client = cluster.node(&addr).await?;
        node.script_flush().await?;
    }
    let keys: Vec<String> = (0..50).map(|n| format!("script:{n}")).collect();
    let mut batch = cluster.batch::<i64>();
    for (n, key) in keys.iter().enumerate() {
        batch.push(|c| c.invoke(script.key(key).arg(n as i64 + 1)));
    }
    let replies = batch.execute().await?;
    assert_eq!(replies, (1..=50).collect::<Vec<i64>>());
    // Every primary now has it: each got its SCRIPT LOAD ahead of its share.
    for addr in cluster.primaries() {
        let node: Client = cluster.node(&addr).await?;
        let known: Vec<bool> = node.script_exists([script.sha1()]).await?;
        assert_eq!(known, [true], "the script is loaded on {addr}");
    }
    // A script that does not compile is reported as SCRIPT LOAD's error, not as NOSCRIPT.
    let broken = Script::new("return (");
    let mut batch = cluster.batch::<i64>();
    batch.push(|c| c.invoke(broken.key("script:0")));
    let err = batch.execute().await.unwrap_err();
    assert!(err.to_string().contains("SCRIPT LOAD"), "{err}");

    // The typed cluster pipeline preloads too.
    for addr in cluster.primaries() {
        cluster.node(&addr).await?.script_flush().await?;
    }
    let (a, b) = cluster
        .pipeline()
        .invoke::<i64>(script.key("script:0").arg(10))
        .invoke::<i64>(script.key("script:1").arg(10))
        .execute()
        .await?;
    assert_eq!((a, b), (11, 12));
    Ok(())
}
