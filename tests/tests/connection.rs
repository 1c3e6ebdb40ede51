//! Connecting, authenticating, selecting, and the basic typed calls, against real servers.

use sider::prelude::*;
use sider::{Client, Cmd, Config, ErrorKind, Protocol, Value};
use sider_tests::RedisServer;

#[tokio::test]
async fn set_and_get_over_tcp() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    assert_eq!(client.protocol(), Protocol::Resp3);
    client.set("hello", "world").await?;
    assert_eq!(
        client.get::<String>("hello").await?.as_deref(),
        Some("world")
    );
    assert_eq!(client.get::<String>("missing").await?, None);
    Ok(())
}

#[tokio::test]
async fn connects_over_a_unix_socket() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let url = format!("unix://{}?db=3", server.unix_socket().display());
    let client = Client::connect(&url).await?;
    client.set("k", "unix").await?;
    let db: i64 = client
        .send(Cmd::new("CLIENT INFO"))
        .await
        .map(|info: String| {
            let db = info
                .split(' ')
                .find_map(|f| f.strip_prefix("db="))
                .unwrap_or("?");
            db.parse().unwrap_or(-1)
        })?;
    assert_eq!(db, 3);
    Ok(())
}

#[tokio::test]
async fn requirepass_good_and_bad() -> anyhow::Result<()> {
    let server = RedisServer::builder().requirepass("s3cret").start();
    let port = server.port();
    for protocol in [2, 3] {
        let client = Client::connect(&format!(
            "redis://:s3cret@127.0.0.1:{port}?protocol={protocol}"
        ))
        .await?;
        client.set("a", "1").await?;

        let err = Client::connect(&format!(
            "redis://:wrong@127.0.0.1:{port}?protocol={protocol}"
        ))
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
        assert_eq!(
            err.server_error().map(|e| e.code()),
            Some("WRONGPASS"),
            "{err}"
        );
        assert!(
            !format!("{err} {err:?}").contains("wrong"),
            "password leaked: {err:?}"
        );

        // No password at all: the first command is refused.
        let result =
            Client::connect(&format!("redis://127.0.0.1:{port}?protocol={protocol}")).await;
        let err = match result {
            Err(err) => err,
            Ok(client) => client.get::<String>("a").await.unwrap_err(),
        };
        assert!(
            matches!(err.kind(), ErrorKind::Auth | ErrorKind::Server),
            "{err}"
        );
        assert_eq!(
            err.server_error().map(|e| e.code()),
            Some("NOAUTH"),
            "{err}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn acl_user_good_and_bad_password() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    admin
        .send::<()>(Cmd::new("ACL SETUSER").args(["app", "on", ">apppass", "~app:*", "+@all"]))
        .await?;
    for protocol in [2, 3] {
        let url = format!(
            "redis://app:apppass@127.0.0.1:{}?protocol={protocol}",
            server.port()
        );
        let app = Client::connect(&url).await?;
        app.set("app:x", "1").await?;
        let err = app.set("other", "1").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server);
        assert_eq!(err.server_error().map(|e| e.code()), Some("NOPERM"));

        let bad = format!(
            "redis://app:nope@127.0.0.1:{}?protocol={protocol}",
            server.port()
        );
        let err = Client::connect(&bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert_eq!(err.server_error().map(|e| e.code()), Some("WRONGPASS"));
    }
    Ok(())
}

#[tokio::test]
async fn selects_the_database_from_the_url() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let db5 = Client::connect(&format!("{}/5?protocol={protocol}", server.url())).await?;
        db5.set("where", "five").await?;
        let db0 = Client::connect(&server.url()).await?;
        assert_eq!(db0.get::<String>("where").await?, None);
        let again =
            Client::connect_with(Config::tcp("127.0.0.1", server.port()).database(5)).await?;
        assert_eq!(again.get::<String>("where").await?.as_deref(), Some("five"));
        db5.send::<()>(Cmd::new("FLUSHDB")).await?;
    }
    Ok(())
}

#[tokio::test]
async fn resp2_and_resp3_decode_to_the_same_values() -> anyhow::Result<()> {
    use std::collections::{BTreeSet, HashMap};
    let server = RedisServer::start();
    let r2 = Client::connect(&format!("{}?protocol=2", server.url())).await?;
    let r3 = Client::connect(&server.url()).await?;
    assert_eq!(r2.protocol(), Protocol::Resp2);
    assert_eq!(r3.protocol(), Protocol::Resp3);
    r3.send::<()>(Cmd::new("HSET").args(("h", "a", "1", "b", "2")))
        .await?;
    r3.send::<()>(Cmd::new("SADD").args(("s", "x", "y", "z")))
        .await?;
    r3.send::<()>(Cmd::new("ZADD").args(("z", 1.5, "m1", 2.5, "m2")))
        .await?;
    r3.set("n", "10").await?;
    for client in [&r2, &r3] {
        let h: HashMap<String, i64> = client.send(Cmd::new("HGETALL").arg("h")).await?;
        assert_eq!(h, HashMap::from([("a".to_owned(), 1), ("b".to_owned(), 2)]));
        let pairs: Vec<(String, String)> = client.send(Cmd::new("HGETALL").arg("h")).await?;
        assert_eq!(pairs.len(), 2);
        let s: BTreeSet<String> = client.send(Cmd::new("SMEMBERS").arg("s")).await?;
        assert_eq!(s.into_iter().collect::<Vec<_>>(), ["x", "y", "z"]);
        let z: Vec<(String, f64)> = client
            .send(Cmd::new("ZRANGE").args(("z", 0, -1, "WITHSCORES")))
            .await?;
        assert_eq!(z, [("m1".to_owned(), 1.5), ("m2".to_owned(), 2.5)]);
        let score: f64 = client.send(Cmd::new("ZSCORE").args(("z", "m2"))).await?;
        assert_eq!(score, 2.5);
        let n: i64 = client.send(Cmd::new("INCR").arg("n")).await?;
        assert!(n > 10);
        let missing: Option<f64> = client.send(Cmd::new("ZSCORE").args(("z", "nope"))).await?;
        assert_eq!(missing, None);
        let exists: bool = client.send(Cmd::new("SISMEMBER").args(("s", "x"))).await?;
        assert!(exists);
        let info: String = client.send(Cmd::new("INFO").arg("server")).await?;
        assert!(info.contains("redis_version"));
        let nothing: Vec<String> = client
            .send(Cmd::new("LRANGE").args(("nolist", 0, -1)))
            .await?;
        assert!(nothing.is_empty());
    }
    Ok(())
}

#[tokio::test]
async fn large_values_both_ways() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    let big: Vec<u8> = (0..16 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    client.set("big", big.as_slice()).await?;
    let back: Option<Vec<u8>> = client.get("big").await?;
    assert!(
        back.as_deref() == Some(big.as_slice()),
        "16 MiB value came back different"
    );
    let len: i64 = client.send(Cmd::new("STRLEN").arg("big")).await?;
    assert_eq!(len, big.len() as i64);
    Ok(())
}

#[tokio::test]
async fn binary_safe_keys_and_values() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    let all: Vec<u8> = (0..=255u8).collect();
    for protocol in [2, 3] {
        let c = Client::connect(&format!("{}?protocol={protocol}", server.url())).await?;
        let mut key = all.clone();
        key.push(protocol);
        c.set(key.as_slice(), all.as_slice()).await?;
        let back: Option<bytes::Bytes> = c.get(key.as_slice()).await?;
        assert_eq!(back.as_deref(), Some(all.as_slice()));
        // One byte a key, including CR, LF and NUL.
        for b in 0..=255u8 {
            c.set([b, protocol], [b]).await?;
        }
        for b in 0..=255u8 {
            assert_eq!(c.get::<Vec<u8>>([b, protocol]).await?, Some(vec![b]));
        }
    }
    let dbsize: i64 = client.send(Cmd::new("DBSIZE")).await?;
    assert_eq!(dbsize, 2 + 2 * 256);
    Ok(())
}

#[tokio::test]
async fn server_errors_carry_code_and_message() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    client
        .send::<()>(Cmd::new("LPUSH").args(("list", "a")))
        .await?;
    let err = client.get::<String>("list").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    let server_err = err.server_error().unwrap();
    assert_eq!(server_err.code(), "WRONGTYPE");
    assert!(
        server_err.message().contains("wrong kind of value"),
        "{server_err}"
    );
    assert!(
        err.to_string().starts_with("GET: server error: WRONGTYPE"),
        "{err}"
    );

    let err = client
        .send::<Value>(Cmd::new("NOSUCHCOMMAND"))
        .await
        .unwrap_err();
    assert_eq!(err.server_error().map(|e| e.code()), Some("ERR"));

    // A reply of the wrong shape is a typed error, and the connection stays usable.
    client.set("s", "text").await?;
    let err = client
        .send::<i64>(Cmd::new("GET").arg("s"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Reply);
    assert!(err.to_string().contains("expected integer"), "{err}");
    assert_eq!(client.get::<String>("s").await?.as_deref(), Some("text"));
    Ok(())
}

#[tokio::test]
async fn raw_commands_decode_into_values() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    for i in 0..100 {
        client.send::<()>(Cmd::new("SET").arg(i).arg(i)).await?;
    }
    let v: Value = client.send(Cmd::new("MGET").args([1, 2, 1000])).await?;
    assert_eq!(
        v,
        Value::Array(vec![
            Value::Bulk("1".into()),
            Value::Bulk("2".into()),
            Value::Null
        ])
    );
    let hello: Value = client.send(Cmd::new("HELLO").arg(3)).await?;
    assert!(matches!(hello, Value::Map(_)), "{hello:?}");
    Ok(())
}

#[tokio::test]
async fn reconnects_after_the_server_drops_the_connection() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&format!("{}?client_name=victim", server.url())).await?;
    client.set("k", "v").await?;
    let admin = Client::connect(&server.url()).await?;
    let killed: i64 = admin
        .send(Cmd::new("CLIENT KILL").args(["SKIPME", "yes", "TYPE", "normal"]))
        .await?;
    assert_eq!(killed, 1);
    // The first command after the cut may fail with a connection error; the client recovers.
    let first = client.get::<String>("k").await;
    if let Err(err) = &first {
        assert!(err.is_connection_error(), "{err}");
    }
    assert_eq!(client.get::<String>("k").await?.as_deref(), Some("v"));
    Ok(())
}

#[tokio::test]
async fn unreachable_server_is_an_io_error() {
    let port = sider_tests::free_port();
    let err = Client::connect(&format!("redis://127.0.0.1:{port}"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

/// The version a server reports in `INFO server`: `valkey_version` first (Valkey reports a
/// `redis_version` for compatibility too), then `redis_version`.
async fn reported(client: &Client) -> anyhow::Result<(String, String)> {
    let info: String = client.send(Cmd::new("INFO").arg("server")).await?;
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(|v| v.trim().to_owned())
    };
    Ok(match field("valkey_version") {
        Some(v) => ("valkey".to_owned(), v),
        None => (
            "redis".to_owned(),
            field("redis_version").unwrap_or_default(),
        ),
    })
}

#[tokio::test]
async fn the_client_knows_its_server_under_both_protocols() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let url = format!("{}?protocol={protocol}", server.url());
        let client = Client::connect(&url).await?;
        let (name, version) = reported(&client).await?;
        let info = client.server();
        assert_eq!(info.name(), name, "RESP{protocol}");
        let (major, minor, patch) = info.version();
        assert_eq!(
            format!("{major}.{minor}.{patch}"),
            version,
            "RESP{protocol}"
        );
        let shown = if name == "valkey" { "Valkey" } else { "Redis" };
        assert_eq!(info.to_string(), format!("{shown} {version}"));
        // A connection held alone knows it too.
        let conn = sider::Connection::open(Config::from_url(&url)?).await?;
        assert_eq!(conn.server(), info);
    }
    Ok(())
}

#[tokio::test]
async fn the_handshake_names_the_library_where_the_server_has_client_setinfo() -> anyhow::Result<()>
{
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let url = format!("{}?protocol={protocol}", server.url());
        let client = Client::connect(&url).await?;
        let info: String = client.send(Cmd::new("CLIENT INFO")).await?;
        let field = |name: &str| {
            info.split(' ')
                .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
                .map(str::to_owned)
        };
        let server_info = client.server();
        if server_info.is_valkey() || server_info.version() >= (7, 2, 0) {
            assert_eq!(field("lib-name").as_deref(), Some("sider"), "{info}");
            assert_eq!(
                field("lib-ver").as_deref(),
                Some(env!("CARGO_PKG_VERSION")),
                "{info}"
            );
        } else {
            // Redis 7.0 has no CLIENT SETINFO and no such fields; its refusal was no error.
            assert_eq!(field("lib-name"), None, "{info}");
        }
        // The connection works after it.
        client.set("setinfo", protocol).await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_command_the_server_is_too_old_for_names_the_versions_that_have_it() -> anyhow::Result<()>
{
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    let info = client.server();
    // HEXPIRE came in Redis 7.4.0 and Valkey 9.0.0; sent by hand, as a spec command would be.
    let result: Result<Value, _> = client
        .send(
            Cmd::new("HEXPIRE")
                .arg("h")
                .arg(100)
                .arg("FIELDS")
                .arg(1)
                .arg("f"),
        )
        .await;
    let has = if info.is_valkey() {
        info.version() >= (9, 0, 0)
    } else {
        info.version() >= (7, 4, 0)
    };
    if has {
        // A missing key: -2 for the one field.
        assert_eq!(result?, Value::Array(vec![Value::Integer(-2)]));
    } else {
        let err = result.expect_err("an old server refuses HEXPIRE");
        assert_eq!(err.kind(), ErrorKind::Server);
        assert_eq!(err.server_error().map(|e| e.code()), Some("ERR"));
        let text = err.to_string();
        let expected = format!("HEXPIRE: needs Redis 7.4.0 or Valkey 9.0.0; connected to {info}");
        assert!(text.contains(&expected), "{text}");
    }
    // A command the server should have but does not know is left as the server said it.
    let err = client
        .send::<Value>(Cmd::new("NOSUCHCOMMAND"))
        .await
        .expect_err("unknown");
    assert!(!err.to_string().contains("needs"), "{err}");
    assert!(err.to_string().contains("unknown command"), "{err}");
    Ok(())
}
