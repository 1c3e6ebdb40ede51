//! `sider::pools::Manager` in `bb8` and `deadpool` (features `bb8`, `deadpool`) against a real
//! server: a connection comes back as the configuration describes it whatever its last user set
//! (database, name, `WATCH`, `CLIENT REPLY`), under RESP3 and RESP2, and a connection the server
//! killed is replaced rather than lent.

use sider::pools::Manager;
use sider::prelude::*;
use sider::{Client, Cmd, Config, Connection};
use sider_tests::RedisServer;
use std::collections::HashMap;
use std::time::Duration;

type Deadpool = deadpool::managed::Pool<Manager>;

/// `CLIENT INFO` of `conn` as fields: `id`, `db`, `name`, `flags`...
async fn client_info(conn: &mut Connection) -> anyhow::Result<HashMap<String, String>> {
    let text: String = conn.send(Cmd::new("CLIENT INFO")).await?;
    Ok(text
        .split_whitespace()
        .filter_map(|field| field.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

fn config(server: &RedisServer, protocol: u8) -> anyhow::Result<Config> {
    let url = format!("{}/2?protocol={protocol}", server.url());
    Ok(Config::from_url(&url)?.client_name("pooled"))
}

/// Leaves every kind of state a user can leave on a connection.
async fn dirty(conn: &mut Connection) -> anyhow::Result<String> {
    let id = client_info(conn).await?["id"].clone();
    // Watched in database 2, where `check_clean` changes it.
    conn.send::<()>(Cmd::new("WATCH").arg("pm:watched")).await?;
    conn.send::<()>(Cmd::new("SELECT").arg(5)).await?;
    conn.send::<()>(Cmd::new("CLIENT SETNAME").arg("someone-else"))
        .await?;
    conn.set("pm:in-db-5", "x").await?;
    Ok(id)
}

/// The connection is as `config` describes it: database 2, named `pooled`, nothing watched
/// (a transaction succeeds though another client changed the key it watched), and speaking
/// the protocol it was opened with.
async fn check_clean(
    conn: &mut Connection,
    server: &RedisServer,
    protocol: u8,
) -> anyhow::Result<String> {
    let info = client_info(conn).await?;
    assert_eq!(info["db"], "2", "{info:?}");
    assert_eq!(info["name"], "pooled", "{info:?}");
    assert_eq!(
        info.get("resp").map(String::as_str),
        Some(&*protocol.to_string())
    );
    // (`CLIENT INFO` shows `watch=` from Redis 7.4 on: the transaction below tells instead.)
    let other = Client::connect(&format!("{}/2", server.url())).await?;
    other.set("pm:watched", "changed").await?;
    let ((),) = conn.transaction().set("pm:tx", "ran").execute().await?;
    let hashed: Option<String> = conn.get("pm:in-db-5").await?;
    assert_eq!(hashed, None, "database 5's key is not in database 2");
    Ok(info["id"].clone())
}

/// Kills the server side of `id` from another client.
async fn kill(server: &RedisServer, id: &str) -> anyhow::Result<()> {
    let admin = Client::connect(&server.url()).await?;
    let killed: i64 = admin
        .send(Cmd::new("CLIENT KILL").arg("ID").arg(id))
        .await?;
    assert_eq!(killed, 1);
    // The connection's driver reads the server's close at once; give it the moment it takes.
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(())
}

#[tokio::test]
async fn bb8_resets_what_a_user_left_and_replaces_a_killed_connection() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [3, 2] {
        let pool = bb8::Pool::builder()
            .max_size(1)
            .build(Manager::new(config(&server, protocol)?))
            .await?;
        let id = {
            let mut conn = pool.get().await?;
            dirty(&mut conn).await?
        };
        let again = {
            let mut conn = pool.get().await?;
            check_clean(&mut conn, &server, protocol).await?
        };
        assert_eq!(again, id, "the same connection, reset, not a new one");

        kill(&server, &id).await?;
        let mut conn = pool.get().await?;
        let fresh = check_clean(&mut conn, &server, protocol).await?;
        assert_ne!(fresh, id, "a killed connection is replaced");
    }
    Ok(())
}

#[tokio::test]
async fn deadpool_resets_what_a_user_left_and_replaces_a_killed_connection() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [3, 2] {
        let pool = Deadpool::builder(Manager::new(config(&server, protocol)?))
            .max_size(1)
            .build()?;
        let get = async || {
            pool.get()
                .await
                .map_err(|e| anyhow::anyhow!("deadpool: {e}"))
        };
        let id = {
            let mut conn = get().await?;
            dirty(&mut conn).await?
        };
        let again = {
            let mut conn = get().await?;
            check_clean(&mut conn, &server, protocol).await?
        };
        assert_eq!(again, id, "the same connection, reset, not a new one");

        kill(&server, &id).await?;
        let mut conn = get().await?;
        let fresh = check_clean(&mut conn, &server, protocol).await?;
        assert_ne!(fresh, id, "a killed connection is replaced");
        drop(conn);
        assert_eq!(pool.status().size, 1);
    }
    Ok(())
}

#[tokio::test]
async fn a_connection_left_owing_replies_is_not_lent_again() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let pool = bb8::Pool::builder()
        .max_size(1)
        .build(Manager::new(config(&server, 3)?))
        .await?;
    let id = {
        let mut conn = pool.get().await?;
        let id = client_info(&mut conn).await?["id"].clone();
        // A blocking read its user gave up on: its reply is still owed.
        let blpop = conn.send::<Option<(String, String)>>(Cmd::new("BLPOP").arg("pm:empty").arg(0));
        let gave_up = tokio::time::timeout(Duration::from_millis(50), blpop).await;
        assert!(gave_up.is_err());
        id
    };
    let mut conn = pool.get().await?;
    let fresh = check_clean(&mut conn, &server, 3).await?;
    assert_ne!(fresh, id);
    Ok(())
}

/// A server without `RESET` (before Redis 6.2), played by sider's mock: a connection nobody
/// changed is checked with `PING` alone; one whose state a command changed is replaced.
#[tokio::test]
async fn without_reset_a_changed_connection_is_replaced() -> anyhow::Result<()> {
    let mock = sider::mock::Mock::builder()
        .server("redis", "6.0.16")
        .start()
        .await?;
    mock.expect(|c| c.get::<String>("k")).returns(None);
    mock.expect_cmd(Cmd::new("SELECT").arg(5))
        .returns(sider::Value::Simple("OK".into()));
    let pool = bb8::Pool::builder()
        .max_size(1)
        .build(Manager::new(mock.config()))
        .await?;
    {
        let mut conn = pool.get().await?;
        assert_eq!(conn.server().to_string(), "Redis 6.0.16");
        conn.get::<String>("k").await?;
    }
    {
        let mut conn = pool.get().await?; // PING only: no RESET, which the mock would refuse
        conn.send::<()>(Cmd::new("SELECT").arg(5)).await?;
    }
    assert_eq!(mock.connections(), 1);
    drop(pool.get().await?);
    assert_eq!(
        mock.connections(),
        2,
        "the connection that ran SELECT was replaced"
    );
    mock.verify()?;
    Ok(())
}
