//! The shared, multiplexed client under concurrency: cancellation never shifts replies, and
//! blocking commands never stall other tasks.

use sider::prelude::*;
use sider::{Client, Cmd, ErrorKind};
use sider_tests::RedisServer;
use std::future::IntoFuture;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_calls_never_shift_replies() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    let mut batch = client.batch();
    for i in 0..1000 {
        batch.push(|c| c.set(format!("key:{i}"), format!("value:{i}")));
    }
    batch.execute_ignore_results().await?;

    let mut tasks = Vec::new();
    for t in 0..64u64 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            // A small deterministic generator per task: which key, and how soon to give up.
            let mut seed = t
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mut next = move || {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                seed >> 33
            };
            let (mut completed, mut cancelled) = (0, 0);
            for _ in 0..300 {
                let i = next() % 1000;
                let key = format!("key:{i}");
                let want = format!("value:{i}");
                match next() % 4 {
                    // Cancelled by a timeout at a random point, often before the reply.
                    0 => {
                        let limit = Duration::from_micros(next() % 200);
                        match tokio::time::timeout(limit, client.get::<String>(&key)).await {
                            Ok(got) => {
                                assert_eq!(got?.as_deref(), Some(want.as_str()));
                                completed += 1;
                            }
                            Err(_) => cancelled += 1,
                        }
                    }
                    // Cancelled by select! against a racing branch.
                    1 => {
                        tokio::select! {
                            got = client.get::<String>(&key) => {
                                assert_eq!(got?.as_deref(), Some(want.as_str()));
                                completed += 1;
                            }
                            _ = tokio::task::yield_now() => cancelled += 1,
                        }
                    }
                    // A pipeline, dropped or completed.
                    2 => {
                        let pipe = client.pipeline().get::<String>(&key).strlen(&key).execute();
                        match tokio::time::timeout(Duration::from_micros(next() % 300), pipe).await
                        {
                            Ok(got) => {
                                let (value, len) = got?;
                                assert_eq!(value.as_deref(), Some(want.as_str()));
                                assert_eq!(len, want.len() as i64);
                                completed += 1;
                            }
                            Err(_) => cancelled += 1,
                        }
                    }
                    _ => {
                        assert_eq!(
                            client.get::<String>(&key).await?.as_deref(),
                            Some(want.as_str())
                        );
                        completed += 1;
                    }
                }
            }
            anyhow::Ok((completed, cancelled))
        }));
    }
    // Tasks aborted outright while their commands are in flight.
    let mut aborted = Vec::new();
    for _ in 0..16 {
        let client = client.clone();
        aborted.push(tokio::spawn(async move {
            loop {
                let _ = client.get::<String>("key:1").await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    for task in &aborted {
        task.abort();
    }
    let (mut completed, mut cancelled) = (0, 0);
    for task in tasks {
        let (c, x) = task.await??;
        completed += c;
        cancelled += x;
    }
    assert!(
        completed > 1000 && cancelled > 100,
        "completed {completed}, cancelled {cancelled}"
    );
    // Afterwards the connection is in sync.
    assert_eq!(
        client.get::<String>("key:7").await?.as_deref(),
        Some("value:7")
    );
    Ok(())
}

#[tokio::test]
async fn a_blocking_pop_does_not_stall_other_tasks() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    client.set("k", "v").await?;
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .blpop::<String, String>(["queue"], Duration::from_secs(10))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    // While BLPOP waits, the shared connection serves others: each of these is bounded.
    for _ in 0..100 {
        let got = tokio::time::timeout(Duration::from_secs(2), client.get::<String>("k")).await??;
        assert_eq!(got.as_deref(), Some("v"));
    }
    assert!(!waiting.is_finished());
    client.rpush("queue", ["item"]).await?;
    let popped = tokio::time::timeout(Duration::from_secs(5), waiting).await???;
    assert_eq!(popped, Some(("queue".to_owned(), "item".to_owned())));
    // A blocking pop that times out returns None, not an error.
    let none = client
        .blpop::<String, String>(["empty"], Duration::from_millis(100))
        .await?;
    assert_eq!(none, None);
    Ok(())
}

#[tokio::test]
async fn a_thousand_concurrent_gets_share_the_connection() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    client.set("shared", "x").await?;
    let calls = (0..1000).map(|_| client.get::<String>("shared").into_future());
    let replies = futures_join_all(calls).await;
    assert!(replies.iter().all(|r| matches!(r, Ok(Some(v)) if v == "x")));
    let clients: String = client.send(Cmd::new("CLIENT LIST")).await?;
    assert_eq!(
        clients.lines().count(),
        1,
        "one connection carried all of them"
    );
    Ok(())
}

async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out = Vec::with_capacity(set.len());
    for f in set {
        out.push(f.await);
    }
    out
}

#[tokio::test]
async fn response_timeout_fails_a_stalled_call_and_the_client_recovers() -> anyhow::Result<()> {
    let server = RedisServer::builder()
        .arg("enable-debug-command", "yes")
        .start();
    let config =
        sider::Config::tcp("127.0.0.1", server.port()).response_timeout(Duration::from_millis(200));
    let client = Client::connect_with(config).await?;
    client.set("k", "v").await?;
    // DEBUG SLEEP stalls the server past the response timeout.
    let admin = Client::connect(&server.url()).await?;
    let stall =
        tokio::spawn(async move { admin.send::<()>(Cmd::new("DEBUG SLEEP").arg(0.5)).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let err = client.get::<String>("k").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    let _ = stall.await;
    assert_eq!(client.get::<String>("k").await?.as_deref(), Some("v"));
    Ok(())
}

#[tokio::test]
async fn a_command_without_a_name_fails_alone() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    let err = client
        .send::<sider::Value>(Cmd::new(""))
        .await
        .expect_err("nothing to send");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    client.set("k", "v").await?;
    assert_eq!(client.get::<String>("k").await?.as_deref(), Some("v"));
    Ok(())
}

/// Commands written by callers that find the connection idle and commands handed to the
/// driver while others are in flight all get their own replies, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_own_writes_and_the_drivers_keep_replies_in_order() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    // Every task counts in a range of its own, so a reply handed to the wrong task shows.
    let start = |t: i64| t * 1_000_000;
    for t in 0..=8 {
        client.set(format!("order:{t}"), start(t)).await?;
    }
    let before = client.stats();

    let mut tasks = Vec::new();
    for t in 0..8i64 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("order:{t}");
            for i in 1..=300 {
                assert_eq!(client.incr(&key).await?, start(t) + i);
                // Pauses of different lengths, so that the connection is often idle when a
                // task sends its next command, and often not.
                if (i + t) % 5 == 0 {
                    tokio::time::sleep(Duration::from_micros(100 * (t as u64 + 1))).await;
                }
            }
            anyhow::Ok(())
        }));
    }
    // This thread is not one of the runtime's workers: its commands cross to the driver's
    // thread when they do not go out at once.
    for i in 1..=300 {
        assert_eq!(client.incr("order:8").await?, start(8) + i);
    }
    for task in tasks {
        task.await??;
    }

    let after = client.stats();
    assert_eq!(after.in_flight, 0, "{after}");
    assert_eq!(after.replies - before.replies, 9 * 300);
    let caller_writes = after.caller_writes - before.caller_writes;
    // Both ways were taken: some commands found the connection idle, some did not.
    assert!(caller_writes > 0, "{after}");
    assert!(caller_writes < 9 * 300, "{after}");
    Ok(())
}

/// A command larger than the socket takes at once: its caller writes what the socket takes,
/// the driver writes the rest before anything else, and the value arrives whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_driver_finishes_a_large_write_its_caller_started() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    // Far beyond a socket's send buffer (Linux's grows to 4 MiB at most by default).
    let big: Vec<u8> = (0..32u32 << 20).map(|i| (i % 251) as u8).collect();
    let before = client.stats();
    let (set, after_set) = tokio::join!(client.set("large", &big[..]), async {
        // Queued behind the large value's rest, which must go first.
        tokio::task::yield_now().await;
        client.incr("after-large").await
    });
    set?;
    assert_eq!(after_set?, 1);
    let stats = client.stats();
    // Not written whole by its caller: the driver wrote (at least) the rest.
    assert_eq!(stats.caller_writes, before.caller_writes, "{stats}");
    let back: Option<Vec<u8>> = client.get("large").await?;
    assert!(
        back.as_deref() == Some(&big[..]),
        "the value came back changed"
    );
    assert_eq!(client.stats().caller_writes, before.caller_writes + 1);
    Ok(())
}

/// A response timeout too long to add to a clock reading is no timeout at all, not a panic in
/// the connection's driver.
#[tokio::test]
async fn the_longest_response_timeout_is_accepted() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let config = sider::Config::tcp("127.0.0.1", server.port()).response_timeout(Duration::MAX);
    let client = Client::connect_with(config).await?;
    client.set("k", "v").await?;
    assert_eq!(client.get::<String>("k").await?.as_deref(), Some("v"));
    Ok(())
}

/// In a batch, a pipeline or a transaction, a command without a name gets the server's error
/// in its own place instead of a reply that never comes; the others are unaffected.
#[tokio::test]
async fn a_command_without_a_name_fails_alone_in_a_batch() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    let mut batch = client.batch::<sider::Value>();
    batch.push_cmd(Cmd::new("PING"));
    batch.push_cmd(Cmd::new(""));
    batch.push_cmd(Cmd::new("PING"));
    let results = batch.execute_each().await?;
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    let err = results[1].as_ref().expect_err("no command is named ``");
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert!(err.to_string().contains("command 2 of 3"), "{err}");

    let (a, b) = client
        .pipeline()
        .cmd::<sider::Value>(Cmd::new(""))
        .incr("after")
        .execute_each()
        .await?;
    assert_eq!(a.expect_err("nameless").kind(), ErrorKind::Server);
    assert_eq!(b?, 1);

    let err = client
        .transaction()
        .incr("after")
        .cmd::<sider::Value>(Cmd::new(""))
        .execute()
        .await
        .expect_err("the server discards the transaction");
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(client.get::<i64>("after").await?, Some(1));
    Ok(())
}
