//! Sentinel, issue 20: the sentinels' `+switch-master` announcements as a stream, and a client
//! that moves to the new primary when one arrives, before its next command. A manual failover
//! (`SENTINEL FAILOVER`) leaves the old primary up, as a replica that accepts connections: a
//! client still connected to it would write to a replica (`READONLY`) or, in the moment before
//! Sentinel demotes it, to a primary about to be discarded.

use sider::prelude::*;
use sider::{Addr, Client, Config};
use sider_tests::sentinel::{SentinelGroup, MASTER};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn tcp(port: u16) -> Addr {
    Addr::Tcp {
        host: "127.0.0.1".into(),
        port,
    }
}

async fn server_port(client: &Client) -> Result<u16, sider::Error> {
    let config: HashMap<String, String> = client.config_get("port").await?;
    Ok(config.get("port").and_then(|p| p.parse().ok()).unwrap_or(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_to_the_new_primary_on_switch_master() -> anyhow::Result<()> {
    let started = Instant::now();
    // Started on the test's own thread: the harness ties each server's life to the thread that
    // spawned it (PR_SET_PDEATHSIG), and a `spawn_blocking` thread exits after 10 s idle.
    let group = SentinelGroup::start();
    let (old_port, new_port) = (group.primary.port(), group.replica.port());
    eprintln!("group ready after {:?}", started.elapsed());
    let config = Config::sentinel(MASTER, group.sentinel_addrs())
        .connect_timeout(Duration::from_secs(2))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200));
    let mut switches = sider::sentinel::switches(&config)?;
    let client = Client::connect_with(config.clone()).await?;
    assert_eq!(server_port(&client).await?, old_port);
    client.set("before", 1).await?;
    let _: i64 = client.wait(1, Duration::from_secs(2)).await?;
    // Give the listeners time to subscribe: a switch announced before is not replayed.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // No command in flight: the failover happens while the client is idle.
    let failover = group.sentinels[0].command(&["SENTINEL", "FAILOVER", MASTER]);
    assert!(
        failover.is_some_and(|r| r.contains("OK")),
        "SENTINEL FAILOVER refused"
    );
    let switched = Instant::now();
    let switch = tokio::time::timeout(Duration::from_secs(20), switches.next())
        .await?
        .expect("the stream lives");
    eprintln!("+switch-master after {:?}", switched.elapsed());
    assert_eq!((switch.from, switch.to), (tcp(old_port), tcp(new_port)));
    assert_eq!(switch.master, MASTER);

    // The next command goes straight to the new primary, without an error.
    tokio::time::sleep(Duration::from_millis(200)).await;
    client.set("after", 2).await?;
    assert_eq!(server_port(&client).await?, new_port);
    assert_eq!(client.get::<i64>("before").await?, Some(1));
    assert_eq!(client.get::<i64>("after").await?, Some(2));

    // Commands in flight: a writer keeps going through a failover back to the first server,
    // once that server is a replica in sync (so that WAIT acknowledges writes before it).
    let deadline = Instant::now() + Duration::from_secs(30);
    let demoted = Client::connect(&format!("redis://127.0.0.1:{old_port}")).await?;
    loop {
        let info: String = demoted
            .send(sider::Cmd::new("INFO").arg("replication"))
            .await?;
        if info.contains("master_link_status:up") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the demoted server never synced: {info}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write_loop(client.clone(), old_port, stop.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // Refused (NOGOODSLAVE, INPROG) until the demoted server is a replica in sync again.
        let reply = group.sentinels[1].command(&["SENTINEL", "FAILOVER", MASTER]);
        if reply.is_some_and(|r| r.contains("OK")) {
            break;
        }
        assert!(Instant::now() < deadline, "no second failover within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let switch = tokio::time::timeout(Duration::from_secs(20), switches.next())
        .await?
        .expect("the stream lives");
    assert_eq!((switch.from, switch.to), (tcp(new_port), tcp(old_port)));
    let deadline = Instant::now() + Duration::from_secs(5);
    while server_port(&client).await.ok() != Some(old_port) {
        assert!(Instant::now() < deadline, "the client did not move back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let writes = writer.await?;
    eprintln!(
        "{} writes acknowledged ({} on the new primary), {} failed",
        writes.acknowledged.len(),
        writes.on_new_primary,
        writes.failed
    );
    assert!(writes.on_new_primary > 0, "{writes:?}");
    assert!(
        writes.acknowledged.len() > writes.on_new_primary,
        "{writes:?}"
    );
    let keys: Vec<String> = writes
        .acknowledged
        .iter()
        .map(|n| format!("key:{n}"))
        .collect();
    let values: Vec<Option<u64>> = client.mget(&keys).await?;
    for (n, value) in writes.acknowledged.iter().zip(&values) {
        assert_eq!(value, &Some(*n), "key:{n} was acknowledged but is gone");
    }
    Ok(())
}

/// What the writer saw: the keys whose write is known to survive, and how many writes failed.
#[derive(Debug, Default)]
struct Writes {
    acknowledged: Vec<u64>,
    on_new_primary: usize,
    failed: usize,
}

/// Writes `key:N = N` until told to stop; a write is acknowledged when `WAIT 1` says a replica
/// has it or it was made on the new primary (as in tests/sentinel.rs). Every failure must be a
/// connection error: the connection closed under commands in flight.
async fn write_loop(client: Client, new_primary: u16, stop: Arc<AtomicBool>) -> Writes {
    let mut writes = Writes::default();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let result = client
            .pipeline()
            .set(format!("key:{n}"), n)
            .wait(1, Duration::from_millis(100))
            .config_get("port")
            .execute()
            .await;
        match result {
            Ok(((), replicas, config)) => {
                let config: HashMap<String, String> = config;
                let port: u16 = config.get("port").and_then(|p| p.parse().ok()).unwrap_or(0);
                if port == new_primary {
                    writes.on_new_primary += 1;
                    writes.acknowledged.push(n);
                } else if replicas >= 1 {
                    writes.acknowledged.push(n);
                }
            }
            Err(e) => {
                assert!(e.is_connection_error(), "unexpected failure: {e:?}");
                writes.failed += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    writes
}
