//! Sentinel: a primary, a replica and three sentinels from the harness. The client finds the
//! primary through the sentinels, keeps writing while the primary is killed, and carries on on
//! the replica Sentinel promotes; every write acknowledged is readable afterwards.

use sider::prelude::*;
use sider::{Addr, Client, Cmd, Config, Value};
use sider_tests::log::Log;
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

/// The port of the server `client` is connected to right now.
async fn server_port(client: &Client) -> Result<u16, sider::Error> {
    let config: HashMap<String, String> = client.config_get("port").await?;
    Ok(config.get("port").and_then(|p| p.parse().ok()).unwrap_or(0))
}

/// What the writer saw: the keys whose write is known to survive, and how many writes failed.
#[derive(Debug, Default)]
struct Writes {
    acknowledged: Vec<u64>,
    on_new_primary: usize,
    failed: usize,
}

/// Writes `key:N = N` until told to stop. A write counts as acknowledged when it reached the
/// replica (`WAIT 1` says so) or was made on the new primary, which nothing kills: a write the
/// old primary took in its last instant and never replicated is lost in any Redis failover, and
/// is not the client's to keep. The three commands go in one pipeline, so they share a
/// connection even when the client reconnects around them.
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
                let port: HashMap<String, String> = config;
                let port: u16 = port.get("port").and_then(|p| p.parse().ok()).unwrap_or(0);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_the_primary_through_a_failover() -> anyhow::Result<()> {
    let log = Log::capture();
    let started = Instant::now();
    let mut group = tokio::task::spawn_blocking(SentinelGroup::start).await?;
    let (old_port, new_port) = (group.primary.port(), group.replica.port());
    eprintln!("group ready after {:?}", started.elapsed());

    let config = Config::sentinel(MASTER, group.sentinel_addrs())
        .connect_timeout(Duration::from_secs(2))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200));
    let from_url = Config::from_url(&group.url())?;
    assert_eq!(from_url.addr(), config.addr());

    assert_eq!(sider::sentinel::primary(&config).await?, tcp(old_port));
    assert_eq!(sider::sentinel::replicas(&config).await?, [tcp(new_port)]);

    let client = Client::connect_with(config.clone()).await?;
    assert_eq!(server_port(&client).await?, old_port);

    // A replica, for reads: ROLE says so, and it has the primary's writes.
    client.set("before", "failover").await?;
    let _: i64 = client.wait(1, Duration::from_secs(1)).await?;
    let replica_config = Config::sentinel_replica(MASTER, group.sentinel_addrs());
    let reader = Client::connect_with(replica_config).await?;
    assert_eq!(server_port(&reader).await?, new_port);
    let role: Value = reader.send(Cmd::new("ROLE")).await?;
    assert!(
        matches!(&role, Value::Array(items) if items.first() == Some(&Value::Bulk("slave".into()))),
        "{role:?}"
    );
    assert_eq!(
        reader.get::<String>("before").await?.as_deref(),
        Some("failover")
    );
    drop(reader);

    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write_loop(client.clone(), new_port, stop.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Kill the primary; the sentinels agree it is down and promote the replica.
    let killed = Instant::now();
    group.primary.kill();
    let deadline = killed + Duration::from_secs(15);
    loop {
        assert!(Instant::now() < deadline, "no failover within 15 s");
        if let Ok(addr) = sider::sentinel::primary(&config).await {
            if addr == tcp(new_port) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "sentinels switched the primary {:?} after the kill",
        killed.elapsed()
    );

    // Let the writer reach the new primary and write there for a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server_port(&client).await.ok() != Some(new_port) {
        assert!(
            Instant::now() < deadline,
            "the client did not reach the new primary"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "client on the new primary {:?} after the kill",
        killed.elapsed()
    );
    let moved_to =
        format!("primary changed (failover) sider.previous.address=127.0.0.1:{old_port} server.address=127.0.0.1 server.port={new_port}");
    assert!(
        log.text().contains(&moved_to),
        "no `{moved_to}` event in the trace:\n{}",
        log.text()
            .lines()
            .filter(|l| !l.contains("DEBUG"))
            .collect::<Vec<_>>()
            .join("\n")
    );
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

    // Every acknowledged write is on the new primary, read through the same client.
    assert_eq!(server_port(&client).await?, new_port);
    let keys: Vec<String> = writes
        .acknowledged
        .iter()
        .map(|n| format!("key:{n}"))
        .collect();
    let values: Vec<Option<u64>> = client.mget(&keys).await?;
    for (n, value) in writes.acknowledged.iter().zip(&values) {
        assert_eq!(value, &Some(*n), "key:{n} was acknowledged but is gone");
    }
    assert_eq!(
        client.get::<String>("before").await?.as_deref(),
        Some("failover")
    );
    eprintln!("whole test {:?}", started.elapsed());
    Ok(())
}

#[tokio::test]
async fn unknown_group_and_unreachable_sentinels_fail_clearly() -> anyhow::Result<()> {
    let server = sider_tests::RedisServer::start();
    // A plain server is no sentinel: the lookup fails, and the error names the group.
    let config = Config::sentinel("nosuchgroup", [("127.0.0.1", server.port())])
        .connect_timeout(Duration::from_secs(2));
    let err = Client::connect_with(config)
        .await
        .expect_err("not a sentinel");
    assert!(err.to_string().contains("`nosuchgroup`"), "{err}");

    let port = sider_tests::free_port();
    let config = Config::sentinel(MASTER, [("127.0.0.1", port)]);
    let err = Client::connect_with(config).await.expect_err("no sentinel");
    assert!(err.is_connection_error(), "{err:?}");
    assert!(err.to_string().contains(MASTER), "{err}");
    Ok(())
}
