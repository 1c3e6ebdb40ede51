//! Client-side caching against a real server: what is cached, what empties it, and that no
//! stale reply is served after the connection carrying invalidations is lost.

use sider::prelude::*;
use sider::{Client, Cmd, Config, ErrorKind, Tracking};
use sider_tests::proxy::Proxy;
use sider_tests::RedisServer;
use std::time::{Duration, Instant};

/// How long a test waits for something that must happen soon (an invalidation push); the tests
/// poll and return as soon as it has.
const SOON: Duration = Duration::from_secs(3);

fn cached(port: u16, tracking: Tracking) -> Config {
    Config::tcp("127.0.0.1", port).client_tracking(tracking)
}

fn default_tracking() -> Tracking {
    Tracking::Default { capacity: 1000 }
}

/// How many times the server ran `command` (lower case, as `INFO commandstats` names it).
async fn calls(admin: &Client, command: &str) -> i64 {
    let info: String = admin
        .send(Cmd::new("INFO").arg("commandstats"))
        .await
        .expect("INFO");
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Reads `key` until it holds `want` (an invalidation is a push that may still be on its way).
async fn reads_eventually(client: &Client, key: &str, want: Option<&str>) -> anyhow::Result<()> {
    let deadline = Instant::now() + SOON;
    loop {
        let got = client.get::<String>(key).await?;
        if got.as_deref() == want {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{key} still reads {got:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until `check` holds, for at most [`SOON`].
async fn until(what: &str, mut check: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + SOON;
    while !check() {
        anyhow::ensure!(Instant::now() < deadline, "not so within {SOON:?}: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Reads `key` twice through `client` and says whether the second read stayed local.
async fn second_read_is_local(admin: &Client, client: &Client, key: &str) -> anyhow::Result<bool> {
    let _: Option<String> = client.get(key).await?;
    let before = calls(admin, "get").await;
    let _: Option<String> = client.get(key).await?;
    Ok(calls(admin, "get").await == before)
}

#[tokio::test]
async fn another_clients_write_invalidates_and_stats_count_hits_and_misses() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    let client = Client::connect_with(cached(server.port(), default_tracking())).await?;
    admin.set("r", "old").await?;
    assert_eq!(client.get::<String>("r").await?.as_deref(), Some("old"));
    for _ in 0..5 {
        assert_eq!(client.get::<String>("r").await?.as_deref(), Some("old"));
    }
    let stats = client.stats().cache.expect("caching is on");
    assert_eq!((stats.hits, stats.misses, stats.entries), (5, 1, 1));
    assert!(client
        .stats()
        .to_string()
        .contains("cache: hits 5 · misses 1"));
    admin.set("r", "new").await?;
    reads_eventually(&client, "r", Some("new")).await?;
    assert!(client.stats().cache.expect("on").invalidated >= 1);
    Ok(())
}

#[tokio::test]
async fn flushall_and_flushdb_empty_the_cache() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    let client = Client::connect_with(cached(server.port(), default_tracking())).await?;
    for flush in ["FLUSHALL", "FLUSHDB"] {
        admin.set("a", "1").await?;
        admin.set("b", "2").await?;
        let _: Option<String> = client.get("a").await?;
        let _: Option<String> = client.get("b").await?;
        assert_eq!(client.cached_replies(), 2);
        admin.send::<()>(Cmd::new(flush)).await?;
        // The null invalidation drops everything.
        until(flush, || client.cached_replies() == 0).await?;
        assert_eq!(client.get::<String>("a").await?, None);
    }
    Ok(())
}

#[tokio::test]
async fn a_lost_connection_empties_the_cache_at_once_with_the_driver_idle() -> anyhow::Result<()> {
    // As reported: the cached client's connection is killed, then another client writes. The
    // cached client must not keep serving the old value while its reads all hit.
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    let client = Client::connect_with(cached(server.port(), default_tracking())).await?;
    admin.set("r", "old").await?;
    assert!(second_read_is_local(&admin, &client, "r").await?);
    let killed: i64 = admin
        .send(
            Cmd::new("CLIENT KILL")
                .arg("TYPE")
                .arg("normal")
                .arg("SKIPME")
                .arg("yes"),
        )
        .await?;
    assert!(killed >= 1);
    admin.set("r", "new").await?;
    // The driver sees the connection end and empties the cache before any read asks.
    until("cache emptied on the lost connection", || {
        client.cached_replies() == 0
    })
    .await?;
    assert_eq!(client.get::<String>("r").await?.as_deref(), Some("new"));
    let stats = client.stats().cache.expect("on");
    assert_eq!(stats.disconnects, 1, "{stats:?}");
    // Caching goes on over the new connection.
    assert!(second_read_is_local(&admin, &client, "r").await?);
    admin.set("r", "newer").await?;
    reads_eventually(&client, "r", Some("newer")).await?;
    Ok(())
}

#[tokio::test]
async fn a_lost_connection_with_requests_in_flight_fails_them_and_empties_the_cache(
) -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    let proxy = Proxy::start(server.port()).await;
    let config = proxy.config().client_tracking(default_tracking());
    let client = Client::connect_with(config).await?;
    admin.set("r", "old").await?;
    admin.set("s", "x").await?;
    let _: Option<String> = client.get("r").await?;
    assert_eq!(client.cached_replies(), 1);
    // Replies stop coming; a miss is sent and waits; then the connection is cut under it.
    proxy.stall();
    let in_flight = {
        let client = client.clone();
        tokio::spawn(async move { client.get::<String>("s").await })
    };
    until("the miss is in flight", || client.stats().in_flight >= 1).await?;
    proxy.cut_all(sider_tests::proxy::Cut::Reset).await;
    let err = in_flight.await?.expect_err("its connection was cut");
    assert!(err.is_connection_error(), "{err}");
    assert_eq!(client.cached_replies(), 0);
    proxy.normal();
    admin.set("r", "new").await?;
    assert_eq!(client.get::<String>("r").await?.as_deref(), Some("new"));
    Ok(())
}

#[tokio::test]
async fn a_restarted_server_leaves_nothing_cached() -> anyhow::Result<()> {
    let mut server = RedisServer::start();
    let client = Client::connect_with(cached(server.port(), default_tracking())).await?;
    client.set("r", "before").await?;
    assert_eq!(client.get::<String>("r").await?.as_deref(), Some("before"));
    server.restart(); // the data is gone with it
    until("cache emptied by the restart", || {
        client.cached_replies() == 0
    })
    .await?;
    assert_eq!(client.get::<String>("r").await?, None);
    Ok(())
}

#[tokio::test]
async fn a_silent_connection_is_noticed_by_the_health_check() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let every = Duration::from_millis(100);
    let config = cached(server.port(), default_tracking()).cache_health_check(every);
    let client = Client::connect_with(config).await?;
    client.set("r", "v").await?;
    let _: Option<String> = client.get("r").await?;
    assert_eq!(client.cached_replies(), 1);
    // The server stops answering without closing anything: an idle client notices within
    // two intervals (a PING, then silence) and drops the connection and the cache.
    {
        let _frozen = server.freeze();
        until("cache emptied while the server is silent", || {
            client.cached_replies() == 0
        })
        .await?;
        assert!(client.stats().cache.expect("on").disconnects >= 1);
    }
    // Thawed: it reconnects and caches again.
    assert_eq!(client.get::<String>("r").await?.as_deref(), Some("v"));
    assert_eq!(client.get::<String>("r").await?.as_deref(), Some("v"));
    until("cached again", || client.cached_replies() == 1).await?;
    Ok(())
}

#[tokio::test]
async fn a_silent_connection_with_commands_owed_serves_no_hit_until_heard() -> anyhow::Result<()> {
    // Replies stall while a command is owed (a slow command looks the same): the connection is
    // the response timeout's business, but the cache stops serving hits, and serves again once
    // the server is heard from.
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    let proxy = Proxy::start(server.port()).await;
    let config = proxy
        .config()
        .client_tracking(default_tracking())
        .cache_health_check(Duration::from_millis(100));
    let client = Client::connect_with(config).await?;
    admin.set("r", "old").await?;
    let _: Option<String> = client.get("r").await?;
    proxy.stall();
    let owed = {
        let client = client.clone();
        tokio::spawn(async move { client.incr("n").await })
    };
    until("no hit while the server is silent", || {
        client.cached_replies() == 0
    })
    .await?;
    let before = calls(&admin, "get").await;
    proxy.release();
    assert_eq!(owed.await??, 1);
    // Heard again: the read goes to the server (nothing was kept), then caches again.
    assert_eq!(client.get::<String>("r").await?.as_deref(), Some("old"));
    assert_eq!(calls(&admin, "get").await, before + 1);
    assert!(second_read_is_local(&admin, &client, "r").await?);
    Ok(())
}

#[tokio::test]
async fn eviction_at_capacity_in_entries_and_in_bytes() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    let client =
        Client::connect_with(cached(server.port(), Tracking::Default { capacity: 3 })).await?;
    for key in ["a", "b", "c", "d"] {
        admin.set(key, key).await?;
        let _: Option<String> = client.get(key).await?;
    }
    assert_eq!(client.cached_replies(), 3);
    assert_eq!(client.stats().cache.expect("on").evicted, 1);
    // "a" was the least recently used: it went, and reading it goes to the server; "d" is
    // still there.
    let before = calls(&admin, "get").await;
    let _: Option<String> = client.get("d").await?;
    assert_eq!(calls(&admin, "get").await, before, "d is cached");
    let _: Option<String> = client.get("a").await?;
    assert_eq!(calls(&admin, "get").await, before + 1, "a was evicted");

    // 64 KiB values in a 200 KiB cache: three fit, not four.
    let config = cached(server.port(), default_tracking()).cache_max_bytes(200 * 1024);
    let client = Client::connect_with(config).await?;
    let big = vec![b'x'; 64 * 1024];
    for key in ["b1", "b2", "b3", "b4"] {
        admin.set(key, big.as_slice()).await?;
        let _: Option<Vec<u8>> = client.get(key).await?;
    }
    let stats = client.stats().cache.expect("on");
    assert_eq!((stats.entries, stats.evicted), (3, 1), "{stats:?}");
    assert!(stats.bytes <= 200 * 1024, "{stats:?}");
    // A value larger than the whole bound is never kept.
    admin.set("huge", vec![b'y'; 300 * 1024].as_slice()).await?;
    let _: Option<Vec<u8>> = client.get("huge").await?;
    assert!(!second_read_is_local(&admin, &client, "huge").await?);
    Ok(())
}

#[tokio::test]
async fn entries_expire_with_their_ttl_and_their_keys() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    // The configured TTL.
    let config = cached(server.port(), default_tracking()).cache_ttl(Duration::from_millis(100));
    let client = Client::connect_with(config).await?;
    admin.set("t", "v").await?;
    assert!(second_read_is_local(&admin, &client, "t").await?);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let before = calls(&admin, "get").await;
    let _: Option<String> = client.get("t").await?;
    assert_eq!(
        calls(&admin, "get").await,
        before + 1,
        "expired: read again"
    );
    assert!(client.stats().cache.expect("on").expired >= 1);

    // A read's own TTL, shorter or longer than the configuration's.
    let client = Client::connect_with(cached(server.port(), default_tracking())).await?;
    let _: Option<String> = client.get("t").cache_ttl(Duration::from_millis(50)).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = calls(&admin, "get").await;
    let _: Option<String> = client.get("t").await?;
    assert_eq!(calls(&admin, "get").await, before + 1);

    // The key's own time to live caps the entry, whatever the TTL asked.
    admin.set("k", "short-lived").px(150).await?;
    let _: Option<String> = client.get("k").cache_ttl(Duration::from_secs(3600)).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(client.get::<String>("k").await?, None);
    Ok(())
}

#[tokio::test]
async fn mget_takes_hits_from_the_cache_and_only_the_misses_from_the_server() -> anyhow::Result<()>
{
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    let client = Client::connect_with(cached(server.port(), default_tracking())).await?;
    for key in ["a", "b", "c"] {
        admin.set(key, key.to_uppercase()).await?;
    }
    let _: Option<String> = client.get("a").await?;
    let _: Option<String> = client.get("c").await?;
    let before = client.stats().cache.expect("on");
    let got: Vec<Option<String>> = client.mget(["a", "b", "c", "missing"]).await?;
    assert_eq!(
        got,
        [
            Some("A".to_owned()),
            Some("B".to_owned()),
            Some("C".to_owned()),
            None
        ]
    );
    let after = client.stats().cache.expect("on");
    assert_eq!(
        (after.hits - before.hits, after.misses - before.misses),
        (2, 2)
    );
    // Now every key is cached (as a GET would be): one more MGET never reaches the server,
    // and a GET of a key MGET brought in is a hit.
    let mgets = calls(&admin, "mget").await;
    let gets = calls(&admin, "get").await;
    let again: Vec<Option<String>> = client.mget(["missing", "c", "b", "a"]).await?;
    assert_eq!(
        again,
        [
            None,
            Some("C".to_owned()),
            Some("B".to_owned()),
            Some("A".to_owned())
        ]
    );
    assert_eq!(client.get::<String>("b").await?.as_deref(), Some("B"));
    assert_eq!(
        (calls(&admin, "mget").await, calls(&admin, "get").await),
        (mgets, gets)
    );
    // And a write to one of them invalidates just that one.
    admin.set("b", "B2").await?;
    let deadline = Instant::now() + SOON;
    loop {
        let now: Vec<Option<String>> = client.mget(["a", "b"]).await?;
        if now == [Some("A".to_owned()), Some("B2".to_owned())] {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "MGET still reads {now:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

#[tokio::test]
async fn broadcast_caches_keys_under_its_prefixes_only() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    let tracking = Tracking::Broadcast {
        prefixes: vec!["user:".to_owned(), "cfg:".to_owned()],
        capacity: 100,
    };
    let client = Client::connect_with(cached(server.port(), tracking)).await?;
    admin.set("user:1", "ada").await?;
    admin.set("cfg:x", "1").await?;
    admin.set("other", "o").await?;
    assert!(second_read_is_local(&admin, &client, "user:1").await?);
    assert!(second_read_is_local(&admin, &client, "cfg:x").await?);
    // Nothing would invalidate a key outside the prefixes: it is never kept.
    assert!(!second_read_is_local(&admin, &client, "other").await?);
    admin.set("user:1", "grace").await?;
    reads_eventually(&client, "user:1", Some("grace")).await?;
    // In broadcast mode a write invalidates even what this client never read.
    admin.set("cfg:x", "2").await?;
    reads_eventually(&client, "cfg:x", Some("2")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_and_a_reader_race_and_every_key_ends_at_its_last_value() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let writer = Client::connect(&server.url()).await?;
    let reader = Client::connect_with(cached(server.port(), default_tracking())).await?;
    const KEYS: usize = 50;
    const ROUNDS: usize = 40;
    let keys: Vec<String> = (0..KEYS).map(|i| format!("race:{i}")).collect();
    let writes = {
        let keys = keys.clone();
        tokio::spawn(async move {
            for round in 0..ROUNDS {
                for key in &keys {
                    writer.set(key, round).await?;
                }
            }
            anyhow::Ok(writer)
        })
    };
    let reads = {
        let keys = keys.clone();
        let reader = reader.clone();
        tokio::spawn(async move {
            let mut n = 0usize;
            while n < KEYS * ROUNDS * 2 {
                let key = &keys[(n * 7) % KEYS];
                let _: Option<i64> = reader.get(key).await?;
                n += 1;
            }
            anyhow::Ok(())
        })
    };
    let writer = writes.await??;
    reads.await??;
    // Invalidations for every write done so far precede the reply to a command sent after
    // them on the reader's connection: a round trip there lets them all arrive.
    let _: String = reader.ping().await?;
    let last = i64::try_from(ROUNDS - 1)?;
    for key in &keys {
        assert_eq!(reader.get::<i64>(key).await?, Some(last), "{key}");
    }
    let stats = reader.stats().cache.expect("on");
    assert!(stats.hits > 0 && stats.invalidated > 0, "{stats:?}");
    drop(writer);
    Ok(())
}

#[tokio::test]
async fn caching_under_resp2_is_refused_with_a_config_error() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let config = cached(server.port(), default_tracking()).protocol_version(sider::Protocol::Resp2);
    let err = Client::connect_with(config)
        .await
        .expect_err("RESP2 cannot carry invalidations on the same connection");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("RESP3"), "{err}");
    Ok(())
}
