//! Faults between the client and the server: a proxy that cuts, stalls, half-closes, drips and
//! corrupts the stream of a real server, a server killed and restarted, and a scripted fake
//! server that sends malformed, gigantic, endless or missing replies.
//!
//! For each fault the calls it hits fail with a typed error naming the cause, nothing panics or
//! hangs (every wait is bounded by [`BOUND`]), memory stays bounded, and the next call succeeds
//! on a fresh connection of the same `Client`, with its own reply.

use sider::prelude::*;
use sider::{Client, Cmd, Config, Error, ErrorKind};
use sider_tests::RedisServer;
use std::future::IntoFuture;
use std::time::Duration;

#[path = "faults/hostile.rs"]
mod hostile;
#[path = "faults/proxied.rs"]
mod proxied;

/// No call in these tests may take longer than this: past it the client hangs.
const BOUND: Duration = Duration::from_secs(5);

/// Reconnect backoff for these tests: short, so recovery takes milliseconds.
fn fast(config: Config) -> Config {
    config.reconnect_backoff(Duration::from_millis(5), Duration::from_millis(50))
}

async fn bounded<F: IntoFuture>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(BOUND, future.into_future()).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: still waiting after {BOUND:?}"),
    }
}

/// Runs `call` until it succeeds, within [`BOUND`]; only connection errors may come before.
async fn eventually<T, Fut>(what: &str, mut call: impl FnMut() -> Fut) -> T
where
    Fut: IntoFuture<Output = Result<T, Error>>,
{
    bounded(what, async {
        loop {
            match call().await {
                Ok(value) => return value,
                Err(e) if e.is_connection_error() => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(e) => panic!("{what}: {e}"),
            }
        }
    })
    .await
}

/// The call's error, which must be of `kind`.
fn expect_err<T: std::fmt::Debug>(what: &str, result: Result<T, Error>, kind: ErrorKind) -> Error {
    match result {
        Ok(value) => panic!("{what}: expected a {kind:?} error, got Ok({value:?})"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "{what}: {e}");
            assert!(e.is_connection_error(), "{what}: {e}");
            e
        }
    }
}

/// The resident set size of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Fails if RSS grew by more than 64 MiB since `start` (the tests of this binary run in
/// parallel, so the bound is loose; an allocation sized by a hostile length is gigabytes).
fn assert_rss_bounded(what: &str, start: u64) {
    let now = rss_kib();
    assert!(
        now.saturating_sub(start) < 64 * 1024,
        "{what}: RSS grew from {start} KiB to {now} KiB"
    );
}

/// A value unique to `key`, `len` bytes long.
fn value_for(key: &str, len: usize) -> String {
    let seed = key
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    (0..len)
        .map(|i| char::from(b'a' + ((seed as usize + i * 7) % 26) as u8))
        .collect()
}

async fn get(client: &Client, key: &str) -> Result<Option<String>, Error> {
    client.get::<String>(key).await
}

#[tokio::test]
async fn server_killed_and_restarted() -> anyhow::Result<()> {
    let mut server = RedisServer::start();
    let client = Client::connect_with(fast(Config::tcp("127.0.0.1", server.port()))).await?;
    client.set("before", "1").await?;

    // Hold every command on the server, so that those sent next are in flight when it dies.
    let admin = Client::connect(&server.url()).await?;
    admin
        .send::<()>(Cmd::new("CLIENT PAUSE").arg(10_000).arg("ALL"))
        .await?;
    let in_flight: Vec<_> = (0..10)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.get::<String>(format!("k{i}")).await })
        })
        .collect();
    let batch = {
        let client = client.clone();
        tokio::spawn(async move {
            let mut batch = client.batch();
            for i in 0..100 {
                batch.push(move |c| c.get(format!("b{i}")));
            }
            let values: Result<Vec<Option<String>>, Error> = batch.execute().await;
            values
        })
    };
    // Time for the commands to go out. Not needed for the outcome: one not yet written fails on
    // the dead connection (or the refused reconnect) just the same.
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.kill();
    for task in in_flight {
        let err = bounded("in-flight GET", task).await?.unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Closed | ErrorKind::Io),
            "{err}"
        );
    }
    let err = bounded("in-flight batch", batch).await?.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Closed | ErrorKind::Io),
        "{err}"
    );

    // While the server is down, commands fail fast with the reason, never hang.
    let err = bounded("GET with the server down", get(&client, "down"))
        .await
        .unwrap_err();
    assert!(err.is_connection_error(), "{err}");

    server.restart();
    // The same Client reconnects on its own; the new server has no data.
    eventually("SET after the restart", || client.set("after", "2")).await;
    assert_eq!(get(&client, "after").await?.as_deref(), Some("2"));
    assert_eq!(get(&client, "before").await?, None);
    Ok(())
}
