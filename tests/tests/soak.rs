//! Soak: 200 tasks mixing commands, pipelines, transactions and pub/sub against a real server,
//! through a proxy that cuts every connection at random moments. At the end every acknowledged
//! write must be present, every reply must have matched its request, and memory must be flat.
//!
//! `SIDER_SOAK_SECS` sets the duration (default 5 s, what CI runs); `scripts/soak` runs it for
//! minutes and prints the figures.

use sider::prelude::*;
use sider::{Client, Config, Event};
use sider_tests::proxy::{Cut, Proxy};
use sider_tests::RedisServer;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Only connection failures are acceptable under faults; anything else is a bug.
fn tolerable(err: &sider::Error) -> bool {
    err.is_connection_error()
}

/// The key and value of write `n` of task `t`.
fn entry(t: u64, n: u64) -> (String, String) {
    (
        format!("soak:{t}:{n}"),
        format!("{t}-{n}-{}", n * 7919 % 1000),
    )
}

#[derive(Default)]
struct Counts {
    ops: AtomicU64,
    failed: AtomicU64,
    messages: AtomicU64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_random_connection_cuts() -> anyhow::Result<()> {
    let secs: u64 = std::env::var("SIDER_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let config: Config = proxy
        .config()
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(50))
        .response_timeout(Duration::from_secs(5));
    let client = Client::connect_with(config).await?;
    let counts = Arc::new(Counts::default());
    let rss_start = rss_kib();
    let deadline = Instant::now() + Duration::from_secs(secs);

    // A subscriber whose every message must be one that was published.
    let mut subscription = client.subscribe(["soak"]).await?;
    let listener = {
        let counts = counts.clone();
        tokio::spawn(async move {
            while let Some(event) = subscription.next().await {
                if let Event::Message(m) = event {
                    let text: String = m.payload()?;
                    anyhow::ensure!(text.starts_with("msg:"), "foreign payload {text:?}");
                    counts.messages.fetch_add(1, Ordering::Relaxed);
                }
                if Instant::now() > deadline + Duration::from_secs(1) {
                    break;
                }
            }
            anyhow::Ok(())
        })
    };

    let mut tasks = Vec::new();
    for t in 0..200u64 {
        let client = client.clone();
        let counts = counts.clone();
        tasks.push(tokio::spawn(async move {
            // Which writes were acknowledged, as their sequence numbers: keys and values are
            // rebuilt from them, so the test's own memory stays small next to the client's.
            let mut acknowledged: Vec<u32> = Vec::new();
            let mut last: Option<(String, String)> = None;
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let (key, value) = entry(t, n);
                let outcome: Result<(), sider::Error> = match n % 5 {
                    0 | 1 => client.set(&key, &value).await.map(|()| {
                        acknowledged.push(n as u32);
                        last = Some((key.clone(), value.clone()));
                    }),
                    2 => match client
                        .pipeline()
                        .set(&key, &value)
                        .get::<String>(&key)
                        .execute()
                        .await
                    {
                        Ok(((), got)) => {
                            anyhow::ensure!(
                                got.as_deref() == Some(value.as_str()),
                                "pipeline reply mixed up"
                            );
                            acknowledged.push(n as u32);
                            Ok(())
                        }
                        Err(e) => Err(e),
                    },
                    3 => match client
                        .transaction()
                        .set(&key, &value)
                        .strlen(&key)
                        .execute()
                        .await
                    {
                        Ok(((), len)) => {
                            anyhow::ensure!(
                                len == value.len() as i64,
                                "transaction reply mixed up"
                            );
                            acknowledged.push(n as u32);
                            Ok(())
                        }
                        Err(e) => Err(e),
                    },
                    _ if n % 10 == 4 => client
                        .publish("soak", format!("msg:{t}:{n}"))
                        .await
                        .map(drop),
                    _ => match &last {
                        Some((k, v)) => match client.get::<String>(k).await {
                            Ok(got) => {
                                anyhow::ensure!(
                                    got.as_deref() == Some(v.as_str()),
                                    "GET reply mixed up"
                                );
                                Ok(())
                            }
                            Err(e) => Err(e),
                        },
                        None => client
                            .publish("soak", format!("msg:{t}:{n}"))
                            .await
                            .map(drop),
                    },
                };
                counts.ops.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = outcome {
                    anyhow::ensure!(tolerable(&e), "unexpected error under faults: {e}");
                    counts.failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            anyhow::Ok((t, acknowledged))
        }));
    }

    // The fault injector: cut every connection at pseudo-random intervals.
    let mut faults = 0u64;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    while Instant::now() < deadline {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(Duration::from_millis(50 + seed % 250)).await;
        proxy
            .cut_all(if seed & 1 == 0 {
                Cut::Reset
            } else {
                Cut::Close
            })
            .await;
        faults += 1;
    }

    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.push(task.await??);
    }
    listener.abort();
    let rss_end = rss_kib();
    let writes: usize = acknowledged.iter().map(|(_, a)| a.len()).sum();

    // Every acknowledged write is on the server: checked without the proxy.
    let direct = Client::connect(&server.url()).await?;
    let mut lost = 0;
    for (t, numbers) in &acknowledged {
        for chunk in numbers.chunks(1000) {
            let entries: Vec<(String, String)> =
                chunk.iter().map(|&n| entry(*t, u64::from(n))).collect();
            let keys: Vec<&String> = entries.iter().map(|(k, _)| k).collect();
            let values: Vec<Option<String>> = direct.mget::<String>(keys).await?;
            for ((_, want), got) in entries.iter().zip(values) {
                if got.as_deref() != Some(want.as_str()) {
                    lost += 1;
                }
            }
        }
    }
    let stats = client.stats();
    println!(
        "soak: {secs} s, {} operations ({} failed by faults), {faults} faults injected, {} \
         acknowledged writes, {lost} lost, {} pub/sub messages, reconnects {}, RSS {} KiB -> {} KiB",
        counts.ops.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed),
        writes,
        counts.messages.load(Ordering::Relaxed),
        stats.reconnects,
        rss_start,
        rss_end
    );
    assert_eq!(lost, 0, "acknowledged writes lost");
    assert!(faults > 0 && stats.reconnects > 0);
    // The test keeps 4 bytes per acknowledged write; beyond that, memory is flat.
    assert!(
        rss_end < rss_start + 64 * 1024 + (writes as u64 * 4) / 1024,
        "memory grew from {rss_start} KiB to {rss_end} KiB"
    );
    Ok(())
}
