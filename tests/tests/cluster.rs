//! Redis Cluster: routing over every slot, hash tags, pipelines across nodes, cross-slot errors,
//! fan-out commands, transactions, replica reads, a live slot migration and a failover, all on
//! one six-node cluster started once for this binary. Scenarios run in sequence; the failover,
//! which leaves a shard without a replica, runs last.

use sider::cluster::{key_slot, ClusterClient, ClusterConfig};
use sider::prelude::*;
use sider::{Client, Cmd, ErrorKind, Value};
use sider_tests::cluster::{cli, Cluster};
use sider_tests::log::Log;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn admin(port: u16) -> anyhow::Result<Client> {
    Ok(Client::connect(&format!("redis://127.0.0.1:{port}")).await?)
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("host:port")
}

/// Polls `check` every 20 ms for up to `limit`.
async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster() -> anyhow::Result<()> {
    let log = Log::capture();
    let started = Instant::now();
    let mut nodes = Cluster::start();
    eprintln!("cluster up in {:?}", started.elapsed());
    let cluster = ClusterClient::connect(&nodes.urls()).await?;
    assert_eq!(cluster.primaries().len(), 3);
    cluster.flushall().await?;

    let t = Instant::now();
    routes_over_every_slot(&cluster).await?;
    hash_tags_keep_keys_together(&cluster).await?;
    pipelines_span_nodes(&cluster).await?;
    cross_slot_fails_before_sending(&cluster).await?;
    transactions_keep_to_one_slot(&cluster).await?;
    reads_from_replicas(&nodes).await?;
    eprintln!("basic scenarios in {:?}", t.elapsed());
    let t = Instant::now();
    follows_a_live_migration(&cluster).await?;
    eprintln!("migration in {:?}", t.elapsed());
    // The redirects the migration caused are in the trace, as a user with `tracing` sees them.
    let text = log.text();
    for event in [
        "sider: MOVED sider.cluster.slot=",
        "sider: ASK server.address=127.0.0.1 server.port=",
    ] {
        assert!(text.contains(event), "no `{event}` event in the trace");
    }
    let t = Instant::now();
    survives_a_failover(&mut nodes).await?;
    eprintln!("failover in {:?}", t.elapsed());
    Ok(())
}

async fn routes_over_every_slot(cluster: &ClusterClient) -> anyhow::Result<()> {
    let keys: Vec<String> = (0..2000).map(|i| format!("route:{i}")).collect();
    // Every primary serves some of these keys.
    let owners: HashSet<String> = keys
        .iter()
        .filter_map(|k| cluster.primary_for_slot(key_slot(k.as_bytes())))
        .collect();
    assert_eq!(owners.len(), 3, "{owners:?}");
    for (i, key) in keys.iter().enumerate() {
        cluster.set(key, i as i64).await?;
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(cluster.get::<i64>(key).await?, Some(i as i64), "{key}");
    }
    // Each key is on the node that serves its slot, and only there.
    for key in keys.iter().take(50) {
        let owner = cluster
            .primary_for_slot(key_slot(key.as_bytes()))
            .expect("owner");
        let node = admin(port_of(&owner)).await?;
        assert_eq!(node.send::<i64>(Cmd::new("EXISTS").arg(key)).await?, 1);
    }
    // Fan-out: DBSIZE sums the primaries, KEYS and SCAN gather every node's keys.
    assert_eq!(cluster.dbsize().await?, 2000);
    let listed: HashSet<String> = cluster
        .keys::<String>("route:*")
        .await?
        .into_iter()
        .collect();
    assert_eq!(listed.len(), 2000);
    let scanned: HashSet<String> = cluster
        .scan_all::<String>("route:*")
        .await?
        .into_iter()
        .collect();
    assert_eq!(scanned, listed);
    // Commands without keys work too.
    assert_eq!(cluster.send::<String>(Cmd::new("PING")).await?, "PONG");
    // A raw command routed by the key it names.
    let raw: Option<i64> = cluster.send(Cmd::new("GET").key("route:7")).await?;
    assert_eq!(raw, Some(7));
    // Commands Redis Cluster refuses fail before they are sent.
    let err = cluster.move_db("route:7", 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    Ok(())
}

async fn hash_tags_keep_keys_together(cluster: &ClusterClient) -> anyhow::Result<()> {
    cluster
        .mset([
            ("{user:1}.name", "Ada"),
            ("{user:1}.lang", "en"),
            ("{user:1}.city", "London"),
        ])
        .await?;
    let values = cluster
        .mget::<String>([
            "{user:1}.name",
            "{user:1}.lang",
            "{user:1}.city",
            "{user:1}.none",
        ])
        .await?;
    assert_eq!(
        values,
        [
            Some("Ada".to_owned()),
            Some("en".to_owned()),
            Some("London".to_owned()),
            None
        ]
    );
    cluster.rename("{user:1}.city", "{user:1}.town").await?;
    assert_eq!(cluster.del(["{user:1}.name", "{user:1}.town"]).await?, 2);
    assert_eq!(
        key_slot(b"{user:1}.name"),
        key_slot(b"user:1"),
        "a hash tag hashes alone"
    );
    Ok(())
}

async fn pipelines_span_nodes(cluster: &ClusterClient) -> anyhow::Result<()> {
    // Keys on every primary, replies typed and in the order queued.
    let (a, (), n, b, len, missing, c) = cluster
        .pipeline()
        .get::<i64>("route:1")
        .set("pipe:a", "hello")
        .incr("pipe:counter")
        .get::<String>("pipe:a")
        .rpush("pipe:list", ["x", "y"])
        .get::<String>("pipe:missing")
        .get::<i64>("route:2")
        .execute()
        .await?;
    assert_eq!(a, Some(1));
    assert_eq!(n, 1);
    assert_eq!(b.as_deref(), Some("hello"));
    assert_eq!(len, 2);
    assert_eq!(missing, None);
    assert_eq!(c, Some(2));
    let slots: HashSet<Option<String>> = ["route:1", "pipe:a", "pipe:counter", "pipe:list"]
        .iter()
        .map(|k| cluster.primary_for_slot(key_slot(k.as_bytes())))
        .collect();
    assert!(slots.len() >= 2, "the pipeline should span nodes");

    // A batch of any length, in order.
    let keys: Vec<String> = (0..3000).map(|i| format!("batch:{i}")).collect();
    let mut batch = cluster.batch();
    for (i, key) in keys.iter().enumerate() {
        batch.push(|c| c.set(key, i as i64));
    }
    batch.execute_ignore_results().await?;
    let mut batch = cluster.batch();
    for key in &keys {
        batch.push(|c| c.get::<i64>(key));
    }
    let values: Vec<Option<i64>> = batch.execute().await?;
    assert!(values.iter().enumerate().all(|(i, v)| *v == Some(i as i64)));

    // One failing command fails its own slot only.
    let (ok, bad) = cluster
        .pipeline()
        .set("pipe:str", "x")
        .incr("pipe:str")
        .execute_each()
        .await?;
    ok?;
    assert_eq!(bad.unwrap_err().kind(), ErrorKind::Server);
    Ok(())
}

async fn cross_slot_fails_before_sending(cluster: &ClusterClient) -> anyhow::Result<()> {
    assert_ne!(key_slot(b"xa"), key_slot(b"xb"));
    // MSET, MGET, DEL... split per slot (tests/cluster_split.rs); other commands refuse.
    let err = cluster.msetnx([("xa", 1), ("xb", 2)]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CrossSlot, "{err}");
    assert!(err.to_string().contains("MSETNX"), "{err}");
    assert_eq!(cluster.exists(["xa"]).await?, 0, "nothing was sent");
    let err = cluster.sunion::<i64>(["xa", "xb"]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CrossSlot);

    // In a pipeline, the whole pipeline fails before anything is sent.
    let err = cluster
        .pipeline()
        .set("xc", 1)
        .mset([("xa", 1), ("xb", 2)])
        .execute()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CrossSlot);
    assert!(err.to_string().contains("command 2 (MSET)"), "{err}");
    assert_eq!(cluster.exists(["xc"]).await?, 0, "nothing was sent");
    Ok(())
}

async fn transactions_keep_to_one_slot(cluster: &ClusterClient) -> anyhow::Result<()> {
    let (a, b, value) = cluster
        .transaction()
        .incr("{tx}.n")
        .incr("{tx}.n")
        .get::<i64>("{tx}.n")
        .execute()
        .await?;
    assert_eq!((a, b, value), (1, 2, Some(2)));
    let err = cluster
        .transaction()
        .incr("{tx}.n")
        .incr("elsewhere")
        .execute()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CrossSlot, "{err}");
    assert_eq!(
        cluster.get::<i64>("{tx}.n").await?,
        Some(2),
        "nothing was sent"
    );
    Ok(())
}

fn get_calls(port: u16) -> u64 {
    cli(port, &["INFO", "commandstats"])
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_get:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

async fn reads_from_replicas(nodes: &Cluster) -> anyhow::Result<()> {
    nodes.wait_online(&nodes.ports(), 6);
    let config = ClusterConfig::from_urls(&nodes.urls())?.read_from_replicas(true);
    let cluster = ClusterClient::connect_with(config).await?;
    let replicas: Vec<u16> = nodes
        .ports()
        .into_iter()
        .filter(|&p| cli(p, &["INFO", "replication"]).contains("role:slave"))
        .collect();
    assert_eq!(replicas.len(), 3);
    let before: u64 = replicas.iter().map(|&p| get_calls(p)).sum();
    for i in 0..300 {
        let key = format!("route:{i}");
        assert_eq!(cluster.get::<i64>(&key).await?, Some(i));
    }
    let after: u64 = replicas.iter().map(|&p| get_calls(p)).sum();
    assert_eq!(
        after - before,
        300,
        "every read went to a replica ({before} -> {after})"
    );
    // Writes still go to primaries.
    cluster.set("replica:w", 1).await?;
    Ok(())
}

async fn follows_a_live_migration(cluster: &ClusterClient) -> anyhow::Result<()> {
    let slot = key_slot(b"mig");
    let source = port_of(&cluster.primary_for_slot(slot).expect("owner"));
    let target = cluster
        .primaries()
        .iter()
        .map(|a| port_of(a))
        .find(|&p| p != source)
        .expect("another primary");
    let (source_id, target_id) = (Cluster::node_id(source), Cluster::node_id(target));
    const KEYS: usize = 300;
    for i in 0..KEYS {
        cluster.set(format!("{{mig}}:{i}"), format!("v{i}")).await?;
    }
    let before = cluster.stats();

    // Readers and a writer keep going while the slot moves.
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let cluster = cluster.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let (mut reads, mut acked) = (0usize, Vec::new());
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("{{mig}}:{}", i % KEYS);
                let value = cluster.get::<String>(&key).await?;
                anyhow::ensure!(value == Some(format!("v{}", i % KEYS)), "{key}: {value:?}");
                reads += 1;
                if i.is_multiple_of(5) {
                    let (a, b) = cluster
                        .pipeline()
                        .get::<String>(format!("{{mig}}:{}", (i + 7) % KEYS))
                        .get::<String>("route:3")
                        .execute()
                        .await?;
                    anyhow::ensure!(a == Some(format!("v{}", (i + 7) % KEYS)), "pipeline: {a:?}");
                    anyhow::ensure!(b.as_deref() == Some("3"), "pipeline: {b:?}");
                    cluster.set(format!("{{mig}}:w{i}"), i as i64).await?;
                    acked.push(i);
                }
                i += 1;
            }
            Ok::<_, anyhow::Error>((reads, acked))
        })
    };

    let src = admin(source).await?;
    let dst = admin(target).await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
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
            .send(Cmd::new("CLUSTER GETKEYSINSLOT").arg(slot).arg(25))
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
        // Let the readers meet keys on both sides of the move.
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    for port in [target, source] {
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
    for primary in cluster.primaries() {
        let port = port_of(&primary);
        if port != source && port != target {
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
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let (reads, acked) = worker.await??;

    let after = cluster.stats();
    eprintln!(
        "migration: {reads} reads, {} writes, {before:?} -> {after:?}",
        acked.len()
    );
    assert!(after.ask > before.ask, "no ASK was followed: {after:?}");
    assert!(
        after.moved > before.moved,
        "no MOVED was followed: {after:?}"
    );
    assert_eq!(
        cluster.primary_for_slot(slot).map(|a| port_of(&a)),
        Some(target)
    );
    for i in 0..KEYS {
        let key = format!("{{mig}}:{i}");
        assert_eq!(
            cluster.get::<String>(&key).await?,
            Some(format!("v{i}")),
            "{key}"
        );
    }
    for i in &acked {
        let key = format!("{{mig}}:w{i}");
        assert_eq!(cluster.get::<i64>(&key).await?, Some(*i as i64), "{key}");
    }
    let moved: i64 = dst
        .send(Cmd::new("CLUSTER COUNTKEYSINSLOT").arg(slot))
        .await?;
    assert_eq!(moved as usize, KEYS + acked.len());
    Ok(())
}

async fn survives_a_failover(nodes: &mut Cluster) -> anyhow::Result<()> {
    let cluster = ClusterClient::connect(&nodes.urls()).await?;
    let victim = port_of(&cluster.primary_for_slot(key_slot(b"fo")).expect("owner"));
    let replica = Cluster::replica_of(victim).expect("the victim has a replica");

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let cluster = cluster.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let (mut acked, mut failed) = (Vec::new(), 0usize);
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // Keys over every slot, the victim's among them.
                match cluster.set(format!("fo:{i}"), i as i64).await {
                    Ok(()) => acked.push(i),
                    Err(e) => {
                        if failed < 5 {
                            eprintln!("write fo:{i} failed: {e} / {e:?}");
                        }
                        failed += 1
                    }
                }
                i += 1;
            }
            (acked, failed)
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    nodes.kill(victim);
    let killed = Instant::now();
    // Promote the replica once it has read everything its primary sent.
    eventually(
        "the replica to see its primary gone",
        Duration::from_secs(10),
        || async { cli(replica, &["INFO", "replication"]).contains("master_link_status:down") },
    )
    .await?;
    let reply = cli(replica, &["CLUSTER", "FAILOVER", "TAKEOVER"]);
    assert!(reply.contains("OK"), "{reply}");
    eventually(
        "the replica to be promoted",
        Duration::from_secs(10),
        || async { cli(replica, &["INFO", "replication"]).contains("role:master") },
    )
    .await?;
    let promoted = killed.elapsed();
    let survivors: Vec<u16> = nodes.ports().into_iter().filter(|&p| p != victim).collect();
    nodes.wait_healthy(&survivors, 2);
    // Writes flow again through the new primary.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let (acked, failed) = writer.await?;
    let stats = cluster.stats();
    eprintln!(
        "failover: promoted {promoted:?} after the kill; {} writes acknowledged, {failed} failed; {stats:?}",
        acked.len()
    );
    assert!(failed < 20, "{failed} writes failed");
    assert_eq!(
        cluster
            .primary_for_slot(key_slot(b"fo"))
            .map(|a| port_of(&a)),
        Some(replica)
    );
    // Every acknowledged write is there, on whichever primary serves it now.
    let mut batch = cluster.batch();
    for i in &acked {
        batch.push(|c| c.get::<i64>(format!("fo:{i}")));
    }
    let values: Vec<Option<i64>> = batch.execute().await?;
    for (i, value) in acked.iter().zip(values) {
        assert_eq!(value, Some(*i as i64), "fo:{i}");
    }
    let victim_slot_writes = acked
        .iter()
        .filter(|i| {
            cluster.primary_for_slot(key_slot(format!("fo:{i}").as_bytes()))
                == Some(format!("127.0.0.1:{replica}"))
        })
        .count();
    assert!(victim_slot_writes > 0);
    Ok(())
}
