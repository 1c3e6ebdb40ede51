//! Faults injected by a proxy between the client and a real server: cuts, stalls, half-closes,
//! drips and corruption.

use super::{bounded, eventually, expect_err, fast, get, value_for};
use sider::prelude::*;
use sider::{Client, Error, ErrorKind, Pool};
use sider_tests::proxy::{Corruption, Cut, Proxy};
use sider_tests::RedisServer;
use std::time::{Duration, Instant};

async fn proxied(server: &RedisServer) -> (Proxy, Client) {
    let proxy = Proxy::start(server.port()).await;
    let client = bounded("connect", Client::connect_with(fast(proxy.config())))
        .await
        .expect("connect through the proxy");
    (proxy, client)
}

#[tokio::test]
async fn reset_mid_reply() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let (proxy, client) = proxied(&server).await;
    let big = value_for("big", 256 * 1024);
    client.set("big", &big).await?;

    proxy.cut_after(1000);
    let err = bounded("GET cut mid-reply", get(&client, "big")).await;
    let err = expect_err("GET cut mid-reply", err, ErrorKind::Io);
    assert!(err.to_string().contains("reading from"), "{err}");

    // A fresh connection, and the whole value.
    assert_eq!(get(&client, "big").await?.as_deref(), Some(big.as_str()));
    assert_eq!(proxy.connections(), 2);
    Ok(())
}

#[tokio::test]
async fn cut_while_commands_wait() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let (proxy, client) = proxied(&server).await;
    client.set("a", "A").await?;
    for (how, kind) in [(Cut::Reset, ErrorKind::Io), (Cut::Close, ErrorKind::Closed)] {
        // The stall keeps the replies from arriving before the cut.
        proxy.stall();
        let (result, ()) = tokio::join!(get(&client, "a"), async {
            tokio::task::yield_now().await;
            proxy.cut_all(how).await;
        });
        expect_err(&format!("GET during {how:?}"), result, kind);
        proxy.normal();
        assert_eq!(get(&client, "a").await?.as_deref(), Some("A"), "{how:?}");
    }
    assert_eq!(proxy.connections(), 3);
    Ok(())
}

#[tokio::test]
async fn cut_while_idle() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let (proxy, client) = proxied(&server).await;
    client.set("a", "A").await?;
    proxy.cut_all(Cut::Reset).await;
    // The driver may or may not have seen the reset before this command: at worst this one
    // fails with the cause, and the next succeeds on a fresh connection.
    let value = eventually("GET after an idle cut", || get(&client, "a")).await;
    assert_eq!(value.as_deref(), Some("A"));
    Ok(())
}

#[tokio::test]
async fn stalled_stream_times_out_and_late_replies_go_nowhere() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let limit = Duration::from_millis(300);
    let client = Client::connect_with(fast(proxy.config()).response_timeout(limit)).await?;
    for i in 0..10 {
        client
            .set(format!("s{i}"), value_for(&format!("s{i}"), 100))
            .await?;
    }

    proxy.stall();
    let started = Instant::now();
    let (one, many) = tokio::join!(get(&client, "s0"), async {
        let mut batch = client.batch();
        for i in 1..5 {
            batch.push(move |c| c.get(format!("s{i}")));
        }
        let values: Result<Vec<Option<String>>, Error> = batch.execute().await;
        values
    });
    let err = expect_err("stalled GET", one, ErrorKind::Timeout);
    assert!(err.to_string().contains("waiting for a reply"), "{err}");
    expect_err("stalled batch", many, ErrorKind::Timeout);
    assert!(started.elapsed() >= limit, "{:?}", started.elapsed());

    // The stalled replies are now released toward a connection the client has dropped: every
    // later command gets its own reply, never one of those.
    proxy.release();
    for i in (5..10).rev() {
        let key = format!("s{i}");
        assert_eq!(get(&client, &key).await?, Some(value_for(&key, 100)));
    }
    let mut batch = client.batch();
    for i in 0..10 {
        batch.push(move |c| c.get(format!("s{i}")));
    }
    let values: Vec<Option<String>> = batch.execute().await?;
    for (i, value) in values.into_iter().enumerate() {
        assert_eq!(value, Some(value_for(&format!("s{i}"), 100)));
    }
    Ok(())
}

#[tokio::test]
async fn abandoned_call_during_a_stall_does_not_shift_replies() -> anyhow::Result<()> {
    // No response timeout: the caller gives up on its own, the connection stays up, and the
    // late reply must be read and dropped rather than handed to the next command.
    let server = RedisServer::start();
    let (proxy, client) = proxied(&server).await;
    client.set("first", "1").await?;
    client.set("second", "2").await?;
    proxy.stall();
    let gave_up = tokio::time::timeout(Duration::from_millis(100), get(&client, "first")).await;
    assert!(gave_up.is_err(), "the stalled GET answered: {gave_up:?}");
    proxy.release();
    assert_eq!(
        bounded("GET after release", get(&client, "second"))
            .await?
            .as_deref(),
        Some("2")
    );
    assert_eq!(proxy.connections(), 1);
    Ok(())
}

#[tokio::test]
async fn half_closed_socket() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let (proxy, client) = proxied(&server).await;
    client.set("h", "H").await?;

    // In flight: the reply can never come, and the end of stream says so.
    proxy.stall();
    let (result, ()) = tokio::join!(get(&client, "h"), async {
        tokio::task::yield_now().await;
        proxy.half_close().await;
    });
    let err = expect_err("GET on a half-closed socket", result, ErrorKind::Closed);
    assert!(err.to_string().contains("closed the connection"), "{err}");
    proxy.normal();
    assert_eq!(get(&client, "h").await?.as_deref(), Some("H"));

    // Idle: the client notices the end of stream (or fails one command with it) and recovers.
    proxy.half_close().await;
    let value = eventually("GET after an idle half-close", || get(&client, "h")).await;
    assert_eq!(value.as_deref(), Some("H"));
    Ok(())
}

#[tokio::test]
async fn slow_drip_one_byte_at_a_time() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    // The handshake's replies come one byte at a time too.
    proxy.drip(1, Duration::from_millis(1));
    let client = bounded("connect", Client::connect_with(fast(proxy.config()))).await?;
    let value = value_for("small", 60);
    client.set("small", &value).await?;
    let (got, pong, n) = bounded(
        "dripped pipeline",
        client
            .pipeline()
            .get::<String>("small")
            .ping()
            .incr("counter")
            .execute(),
    )
    .await?;
    assert_eq!(got, Some(value));
    assert_eq!(pong, "PONG");
    assert_eq!(n, 1);
    assert_eq!(proxy.connections(), 1);
    Ok(())
}

#[tokio::test]
async fn slow_drip_of_a_large_value_outlasting_the_response_timeout() -> anyhow::Result<()> {
    // Bytes keep arriving, just slowly: the response timeout bounds silence, not the length of
    // a reply, so a 64 KiB value dripped over more than the timeout still arrives whole.
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let limit = Duration::from_millis(250);
    let client = Client::connect_with(fast(proxy.config()).response_timeout(limit)).await?;
    let value = value_for("large", 64 * 1024);
    client.set("large", &value).await?;

    proxy.drip(512, Duration::from_millis(5));
    let started = Instant::now();
    let got = bounded("dripped 64 KiB GET", get(&client, "large")).await?;
    let took = started.elapsed();
    assert!(
        got.as_deref() == Some(value.as_str()),
        "the value came back changed"
    );
    assert!(took > limit, "the drip took only {took:?}");
    assert_eq!(proxy.connections(), 1);
    Ok(())
}

#[tokio::test]
async fn corrupted_stream() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let (proxy, client) = proxied(&server).await;
    client.set("c", "hello").await?;
    let cases = [
        // `$` becomes 0xdb: no such type.
        (Corruption::Flip(0), "unknown RESP type byte 0xdb"),
        // `$5` becomes `$` 0xca: not a length.
        (Corruption::Flip(1), "invalid length"),
        (
            Corruption::Insert(b"\x00".to_vec()),
            "unknown RESP type byte 0x00",
        ),
        (Corruption::Insert(b":1x\r\n".to_vec()), "invalid integer"),
    ];
    for (i, (corruption, message)) in cases.into_iter().enumerate() {
        proxy.corrupt_next(corruption.clone());
        let result = bounded("corrupted GET", get(&client, "c")).await;
        let err = expect_err(&format!("{corruption:?}"), result, ErrorKind::Protocol);
        assert!(err.to_string().contains(message), "{corruption:?}: {err}");
        assert_eq!(get(&client, "c").await?.as_deref(), Some("hello"));
        assert_eq!(proxy.connections(), i + 2);
    }
    Ok(())
}

#[tokio::test]
async fn batch_of_1000_cut_midway() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let (proxy, client) = proxied(&server).await;
    let keys: Vec<String> = (0..1000).map(|i| format!("p{i}")).collect();
    let mut batch = client.batch();
    for key in &keys {
        batch.push(|c| c.set(key, value_for(key, 1000)));
    }
    batch.execute_ignore_results().await?;

    // About 1 MB of replies; the cut lands around the 300th.
    proxy.cut_after(300_000);
    let mut batch = client.batch();
    for key in &keys {
        batch.push(|c| c.get(key));
    }
    let result: Result<Vec<Option<String>>, Error> = bounded("cut batch", batch.execute()).await;
    expect_err("batch cut midway", result, ErrorKind::Io);

    proxy.cut_after(300_000);
    let mut batch = client.batch();
    for key in &keys {
        batch.push(|c| c.get::<String>(key));
    }
    let result = bounded("cut batch", batch.execute_ignore_results()).await;
    expect_err("batch (results ignored) cut midway", result, ErrorKind::Io);

    // A typed pipeline cut in its middle.
    proxy.cut_after(1500);
    let result = bounded(
        "cut pipeline",
        client
            .pipeline()
            .get::<String>("p1")
            .get::<String>("p2")
            .get::<String>("p3")
            .execute(),
    )
    .await;
    expect_err("pipeline cut midway", result, ErrorKind::Io);

    let mut batch = client.batch();
    for key in &keys {
        batch.push(|c| c.get(key));
    }
    let values: Vec<Option<String>> = bounded("batch after the cuts", batch.execute()).await?;
    for (key, value) in keys.iter().zip(values) {
        assert_eq!(value, Some(value_for(key, 1000)), "{key}");
    }
    assert_eq!(proxy.connections(), 4);
    Ok(())
}

#[tokio::test]
async fn pool_does_not_lend_a_connection_that_was_cut() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let pool = Pool::new(fast(proxy.config()), 2);
    {
        let mut conn = pool.acquire().await?;
        conn.set("pk", "v").await?;
    }
    assert_eq!((pool.idle(), proxy.connections()), (1, 1));

    let mut conn = pool.acquire().await?;
    proxy.stall();
    let (result, ()) = tokio::join!(conn.get::<String>("pk"), async {
        tokio::task::yield_now().await;
        proxy.cut_all(Cut::Reset).await;
    });
    expect_err("pooled GET during a cut", result, ErrorKind::Io);
    proxy.normal();
    drop(conn);
    assert_eq!(pool.idle(), 0, "a broken connection went back to the pool");

    let mut conn = bounded("acquire after the cut", pool.acquire()).await?;
    assert_eq!(conn.get::<String>("pk").await?.as_deref(), Some("v"));
    assert_eq!(proxy.connections(), 2);
    drop(conn);
    assert_eq!(pool.idle(), 1);
    Ok(())
}
