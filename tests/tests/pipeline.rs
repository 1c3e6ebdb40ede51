//! Typed pipelines, batches and transactions against a real server.

use sider::prelude::*;
use sider::{Client, Cmd, ErrorKind, Value};
use sider_tests::RedisServer;
use std::future::IntoFuture;
use std::time::Duration;

async fn client(server: &RedisServer, protocol: u8) -> Client {
    Client::connect(&format!("{}?protocol={protocol}", server.url()))
        .await
        .expect("connect")
}

#[tokio::test]
async fn pipeline_returns_a_typed_tuple() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let (a, b, c) = client
            .pipeline()
            .set("k", "v")
            .get::<String>("k")
            .incr("n")
            .execute()
            .await?;
        let _: () = a;
        assert_eq!(b.as_deref(), Some("v"));
        assert!(c >= 1);
        // Options chain inside a pipeline.
        let ((), ttl, old) = client
            .pipeline()
            .set("t", "1")
            .ex(Duration::from_secs(100))
            .ttl("t")
            .set("t", "2")
            .get_old::<String>()
            .execute()
            .await?;
        assert!(ttl > 90 && ttl <= 100, "{ttl}");
        assert_eq!(old.as_deref(), Some("1"));
        let (kept,) = client.pipeline().get::<i64>("t").execute().await?;
        assert_eq!(kept, Some(2));
    }
    Ok(())
}

#[tokio::test]
async fn forty_commands_in_one_tuple() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    let r = client
        .pipeline()
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .incr("c")
        .get::<String>("c")
        .execute()
        .await?;
    assert_eq!(r.0, 1);
    assert_eq!(r.38, 39);
    assert_eq!(r.39.as_deref(), Some("39"));
    Ok(())
}

#[tokio::test]
async fn batch_in_a_loop_returns_a_vec() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    let items: Vec<String> = (0..10_000).map(|n| n.to_string()).collect();
    let mut batch = client.batch();
    for item in &items {
        batch.push(|c| c.set(item, item));
    }
    let done = batch.execute_ignore_results().await?;
    assert_eq!(done.replies, 10_000);

    let mut batch = client.batch();
    for item in &items {
        batch.push(|c| c.get(item));
    }
    let values: Vec<Option<String>> = batch.execute().await?;
    assert_eq!(values.len(), items.len());
    assert!(values
        .iter()
        .zip(&items)
        .all(|(v, i)| v.as_deref() == Some(i.as_str())));

    // Raw commands in a loop, decoded as Value or as a chosen type.
    let mut raw = client.batch::<Value>();
    for item in items.iter().take(3) {
        raw.push_cmd(Cmd::new("GET").arg(item));
    }
    assert_eq!(raw.execute().await?[2], Value::Bulk("2".into()));
    let mut raw = client.batch::<i64>();
    for item in items.iter().take(3) {
        raw.push_cmd(Cmd::new("INCR").arg(item));
    }
    assert_eq!(raw.execute().await?, [1, 2, 3]);
    Ok(())
}

#[tokio::test]
async fn one_failing_command_does_not_hide_the_others() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    client.set("text", "abc").await?;
    let err = client
        .pipeline()
        .set("a", "1")
        .incr("text")
        .get::<String>("a")
        .execute()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(
        err.to_string()
            .starts_with("command 2 of 3 (INCR): server error: ERR"),
        "{err}"
    );

    let (a, b, c) = client
        .pipeline()
        .set("a", "1")
        .incr("text")
        .get::<String>("a")
        .execute_each()
        .await?;
    assert!(a.is_ok());
    assert_eq!(b.unwrap_err().server_error().map(|e| e.code()), Some("ERR"));
    assert_eq!(c?.as_deref(), Some("1"));

    // A reply that does not decode is an error at its position; the connection stays in sync.
    let (x, y) = client
        .pipeline()
        .cmd::<i64>(Cmd::new("GET").arg("text"))
        .get::<String>("a")
        .execute_each()
        .await?;
    let err = x.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Reply);
    assert!(err.to_string().contains("command 1 of 2 (GET)"), "{err}");
    assert_eq!(y?.as_deref(), Some("1"));
    assert_eq!(client.get::<String>("a").await?.as_deref(), Some("1"));

    // ignore_results still reports errors: how many, and the first with its position.
    let mut batch = client.batch::<()>();
    for i in 0..100 {
        if i % 10 == 7 {
            batch.push_cmd(Cmd::new("INCR").arg("text"));
        } else {
            batch.push(|c| c.set(i, i));
        }
    }
    let err = batch.execute_ignore_results().await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("10 of 100 commands failed; the first was command 8 of 100 (INCR)"),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn a_million_commands_in_one_pipeline() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    let mut batch = client.batch();
    for i in 0..1_000_000u32 {
        batch.push(|c| c.incr(i % 1000));
    }
    let replies: Vec<i64> = batch.execute().await?;
    assert_eq!(replies.len(), 1_000_000);
    assert_eq!(replies[999_999], 1000);
    Ok(())
}

#[tokio::test]
async fn big_values_both_ways_do_not_deadlock() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    let value = vec![b'x'; 100 * 1024];
    // 10,000 writes of 100 KiB: about 1 GB written while replies come back.
    let mut batch = client.batch();
    for i in 0..10_000u32 {
        batch.push(|c| c.set(i % 16, value.as_slice()));
    }
    batch.execute_ignore_results().await?;
    // 10,000 reads of 100 KiB: the replies fill the socket while the requests are still going
    // out, so the client must read while it writes.
    let mut batch = client.batch();
    for i in 0..10_000u32 {
        batch.push(|c| c.strlen(i % 16));
    }
    let lens: Vec<i64> = batch.execute().await?;
    assert!(lens.iter().all(|&n| n == 100 * 1024));
    let mut batch = client.batch();
    for i in 0..10_000u32 {
        batch.push(|c| c.get(i % 16));
    }
    let values: Vec<Option<bytes::Bytes>> = batch.execute().await?;
    assert!(values
        .iter()
        .all(|v| v.as_ref().map(|b| b.len()) == Some(100 * 1024)));
    Ok(())
}

#[tokio::test]
async fn transaction_returns_exec_replies() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        client.set("n", "10").await?;
        let (a, b, c) = client
            .transaction()
            .incr("n")
            .incr("n")
            .get::<i64>("n")
            .execute()
            .await?;
        assert_eq!((a, b, c), (11, 12, Some(12)));
    }
    Ok(())
}

#[tokio::test]
async fn transaction_errors_are_distinct() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    client.set("text", "abc").await?;
    // Rejected while queueing: the server discards the whole transaction.
    let err = client
        .transaction()
        .set("x", "1")
        .cmd::<()>(Cmd::new("INCR"))
        .execute()
        .await
        .unwrap_err();
    assert_eq!(
        err.server_error().map(|e| e.code()),
        Some("EXECABORT"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("command 2 of 2 (INCR) was rejected"),
        "{err}"
    );
    assert_eq!(client.get::<String>("x").await?, None, "nothing ran");

    // Failing while EXEC runs: that command's slot fails, the others ran.
    let (ok, failed) = client
        .transaction()
        .set("y", "1")
        .incr("text")
        .execute_each()
        .await?;
    assert!(ok.is_ok());
    let failed = failed.unwrap_err();
    assert_eq!(failed.server_error().map(|e| e.code()), Some("ERR"));
    assert!(
        failed.to_string().contains("command 2 of 2 (INCR)"),
        "{failed}"
    );
    assert_eq!(client.get::<String>("y").await?.as_deref(), Some("1"));
    Ok(())
}

#[tokio::test]
async fn watch_abort_is_its_own_outcome() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    let mut conn = client.dedicated().await?;
    conn.watch("w").await?;
    client.set("w", "changed").await?;
    let err = conn
        .transaction()
        .set("w", "mine")
        .execute()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted, "{err}");
    assert_eq!(client.get::<String>("w").await?.as_deref(), Some("changed"));
    Ok(())
}

#[tokio::test]
async fn check_and_set_with_concurrent_writers_loses_nothing() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    client.set("counter", 0).await?;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = client.dedicated().await?;
            for _ in 0..25 {
                conn.watching("counter", 1000, async |conn| {
                    let n: i64 = conn.get("counter").await?.unwrap_or(0);
                    conn.transaction().set("counter", n + 1).execute().await?;
                    Ok(())
                })
                .await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    assert_eq!(client.get::<i64>("counter").await?, Some(200));
    Ok(())
}

#[tokio::test]
async fn concurrent_pipelines_and_transactions_get_their_own_replies() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    let mut tasks = Vec::new();
    for t in 0..32u32 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..50u32 {
                let key = format!("task:{t}:{round}");
                let value = format!("{t}-{round}");
                let ((), got, len) = client
                    .pipeline()
                    .set(&key, &value)
                    .get::<String>(&key)
                    .strlen(&key)
                    .execute()
                    .await?;
                assert_eq!(got.as_deref(), Some(value.as_str()));
                assert_eq!(len, value.len() as i64);
                let (n, back) = client
                    .transaction()
                    .incr(format!("count:{t}"))
                    .get::<String>(&key)
                    .execute()
                    .await?;
                assert_eq!(n, i64::from(round) + 1);
                assert_eq!(back.as_deref(), Some(value.as_str()));
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

#[tokio::test]
async fn transaction_batch_is_the_loop_form_of_a_transaction() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    let mut tx = client.transaction_batch();
    for _ in 0..100 {
        tx.push(|c| c.incr("looped"));
    }
    let counts: Vec<i64> = tx.execute().await?;
    assert_eq!(counts, (1..=100).collect::<Vec<i64>>());
    let mut tx = client.transaction_batch::<()>();
    tx.push(|c| c.set("a", 1));
    tx.push_cmd(Cmd::new("INCR"));
    let err = tx.execute().await.unwrap_err();
    assert_eq!(
        err.server_error().map(|e| e.code()),
        Some("EXECABORT"),
        "{err}"
    );
    Ok(())
}

/// A reply type whose decoding panics on one value: a user's bug, not the connection's.
#[derive(Debug)]
struct PanicsOnBoom;

impl sider::FromReply for PanicsOnBoom {
    fn from_reply(frame: Value) -> Result<Self, sider::ReplyError> {
        let text = String::from_reply(frame)?;
        assert_ne!(text, "boom", "this impl panics on purpose");
        Ok(PanicsOnBoom)
    }
}

#[tokio::test]
async fn a_panicking_reply_type_fails_its_batch_not_the_connection() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    client.set("ok", "fine").await?;
    client.set("bad", "boom").await?;
    let mut batch = client.batch::<PanicsOnBoom>();
    for key in ["ok", "bad", "ok"] {
        batch.push(move |c| c.cmd(Cmd::new("GET").key(key)));
    }
    let err = batch.execute().await.expect_err("the second reply panics");
    assert_eq!(err.kind(), ErrorKind::Reply, "{err}");
    assert!(err.to_string().contains("command 2 of 3"), "{err}");
    // The connection, shared by every caller, lives on.
    assert_eq!(client.get::<String>("ok").await?.as_deref(), Some("fine"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_and_small_commands_interleaved_keep_their_bytes_in_order() -> anyhow::Result<()> {
    // Values of 40 KiB or more are written from their own buffers while small commands coalesce
    // behind them. The server is stopped for 2 s, so nothing is read and well over a vectored
    // write's worth of buffers piles up; then every byte must still go out in order.
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    let frozen = server.freeze();
    let thaw = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        drop(frozen);
    });
    let mut calls = Vec::new();
    for i in 0..150usize {
        let client = client.clone();
        calls.push(tokio::spawn(async move {
            let big = vec![b'a' + (i % 26) as u8; 40 * 1024 + i];
            let (set_big, set_small) = tokio::join!(
                client.set(format!("big:{i}"), big.as_slice()).into_future(),
                client.set(format!("small:{i}"), i).into_future(),
            );
            set_big?;
            set_small?;
            let back: Option<Vec<u8>> = client.get(format!("big:{i}")).await?;
            anyhow::ensure!(
                back.as_deref() == Some(&big[..]),
                "big:{i} came back changed"
            );
            let small: Option<usize> = client.get(format!("small:{i}")).await?;
            anyhow::ensure!(small == Some(i), "small:{i} is {small:?}");
            anyhow::Ok(())
        }));
    }
    for call in calls {
        call.await??;
    }
    thaw.await?;
    Ok(())
}
