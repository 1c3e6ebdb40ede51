//! Redis Cluster: typed commands routed by slot, a hash-tagged multi-key command, a typed
//! pipeline across nodes, and a throughput figure: a 10,000-command pipeline spread over every
//! primary against the same pipeline kept on one node (one hash tag), and against a plain
//! `Client` connected straight to that node.
//!
//! It starts nothing: it connects to the nodes `CLUSTER_URLS` lists (comma separated), or to
//! 127.0.0.1:7000. `scripts/start-cluster DIR` starts a six-node cluster and prints that list.
//! Needs sider's `cluster` feature, which `examples/Cargo.toml` turns on.

use sider::cluster::{key_slot, ClusterClient};
use sider::prelude::*;
use std::time::{Duration, Instant};

const COMMANDS: usize = 10_000;
const ROUNDS: usize = 7;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let urls: Vec<String> = std::env::var("CLUSTER_URLS")
        .unwrap_or_else(|_| "redis://127.0.0.1:7000".to_owned())
        .split(',')
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .collect();
    let cluster = ClusterClient::connect(&urls).await?;
    println!("primaries: {}", cluster.primaries().join(", "));

    // Typed commands, each sent to the primary that serves its key.
    cluster.set("user:1", "Ada").await?;
    let name: Option<String> = cluster.get("user:1").await?;
    assert_eq!(name.as_deref(), Some("Ada"));

    // Keys that share a hash tag share a slot, so one command can touch them all.
    cluster
        .mset([("{user:2}.name", "Grace"), ("{user:2}.lang", "COBOL")])
        .await?;
    let both: Vec<Option<String>> = cluster.mget(["{user:2}.name", "{user:2}.lang"]).await?;
    println!("{both:?}");

    // A typed pipeline over several nodes: replies come back in the order queued.
    let ((), visits, name) = cluster
        .pipeline()
        .set("page:home", "<html>")
        .incr("visits")
        .get::<String>("user:1")
        .execute()
        .await?;
    println!("visits {visits}, user:1 is {name:?}");

    // Throughput: the same 10,000 SETs, spread over the cluster or kept on one node.
    let spread: Vec<String> = (0..COMMANDS).map(|i| format!("bench:{i}")).collect();
    let tagged: Vec<String> = (0..COMMANDS).map(|i| format!("{{bench}}:{i}")).collect();
    let node = cluster
        .primary_for_slot(key_slot(b"bench"))
        .ok_or_else(|| anyhow::anyhow!("no primary serves the slot of {{bench}}"))?;
    let direct = cluster.node(&node).await?;

    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let mut batch = cluster.batch();
        for key in &spread {
            batch.push(|c| c.set(key, key));
        }
        batch.execute_ignore_results().await?;
        times[0].push(started.elapsed());

        let started = Instant::now();
        let mut batch = cluster.batch();
        for key in &tagged {
            batch.push(|c| c.set(key, key));
        }
        batch.execute_ignore_results().await?;
        times[1].push(started.elapsed());

        let started = Instant::now();
        let mut batch = direct.batch();
        for key in &tagged {
            batch.push(|c| c.set(key, key));
        }
        batch.execute_ignore_results().await?;
        times[2].push(started.elapsed());
    }
    let per_command = |samples: &mut Vec<Duration>| {
        samples.sort();
        samples[samples.len() / 2].as_secs_f64() * 1e6 / COMMANDS as f64
    };
    println!(
        "{COMMANDS}-command pipeline, median of {ROUNDS}: over {} primaries {:.3} µs/command; \
         on one node through the cluster client {:.3} µs/command; \
         on one node through a plain Client {:.3} µs/command",
        cluster.primaries().len(),
        per_command(&mut times[0]),
        per_command(&mut times[1]),
        per_command(&mut times[2]),
    );

    // Read back through the cluster, typed and in order.
    let mut batch = cluster.batch();
    for key in &spread {
        batch.push(|c| c.get::<String>(key));
    }
    let values: Vec<Option<String>> = batch.execute().await?;
    assert!(values
        .iter()
        .zip(&spread)
        .all(|(v, k)| v.as_deref() == Some(k.as_str())));
    println!("stats: {:?}", cluster.stats());
    Ok(())
}
