//! The pool: lazy opening, FIFO waiters, timeouts, drain, close, and never reusing a dirty
//! connection.

use sider::prelude::*;
use sider::{Cmd, Config, ErrorKind, Pool};
use sider_tests::RedisServer;
use std::time::Duration;

fn config(server: &RedisServer) -> Config {
    server.url().parse().expect("url")
}

async fn client_count(server: &RedisServer) -> i64 {
    let admin = sider::Client::connect(&server.url())
        .await
        .expect("connect");
    let list: String = admin
        .send(Cmd::new("CLIENT LIST"))
        .await
        .expect("client list");
    // Minus the admin connection itself.
    list.lines().count() as i64 - 1
}

#[tokio::test]
async fn opens_lazily_and_counts_connections() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let pool = Pool::new(config(&server), 3);
    assert_eq!((pool.idle(), pool.in_use()), (0, 0));
    assert_eq!(client_count(&server).await, 0);
    {
        let mut a = pool.acquire().await?;
        a.set("k", "v").await?;
        assert_eq!((pool.idle(), pool.in_use()), (0, 1));
        assert_eq!(client_count(&server).await, 1);
    }
    assert_eq!((pool.idle(), pool.in_use()), (1, 0));
    pool.init().await?;
    assert_eq!((pool.idle(), pool.in_use()), (3, 0));
    assert_eq!(client_count(&server).await, 3);
    Ok(())
}

#[tokio::test]
async fn waiters_are_served_in_order_and_can_time_out() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let pool = Pool::new(config(&server), 1);
    let held = pool.acquire().await?;
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..5 {
        let pool = pool.clone();
        let order = order.clone();
        tasks.push(tokio::spawn(async move {
            let _conn = pool.acquire().await?;
            order.lock().unwrap().push(i);
            anyhow::Ok(())
        }));
        // Let each task queue up before the next one.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(held);
    for task in tasks {
        task.await??;
    }
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);

    let pool = Pool::with_acquire_timeout(config(&server), 1, Some(Duration::from_millis(50)));
    let _held = pool.acquire().await?;
    let err = pool.acquire().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    Ok(())
}

#[tokio::test]
async fn drain_closes_connections_and_the_pool_stays_usable() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let pool = Pool::new(config(&server), 2);
    pool.init().await?;
    let mut lent = pool.acquire().await?;
    let drained = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.drain().await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !drained.is_finished(),
        "drain waits for the lent connection"
    );
    lent.set("still", "works").await?;
    drop(lent);
    tokio::time::timeout(Duration::from_secs(5), drained).await??;
    assert_eq!(pool.idle(), 0);
    // The server sees the connections close.
    for _ in 0..100 {
        if client_count(&server).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(client_count(&server).await, 0);
    let mut fresh = pool.acquire().await?;
    assert_eq!(
        fresh.get::<String>("still").await?.as_deref(),
        Some("works")
    );
    Ok(())
}

#[tokio::test]
async fn close_is_final() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let pool = Pool::new(config(&server), 2);
    pool.init().await?;
    pool.close();
    assert!(pool.is_closed());
    let err = pool.acquire().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
    assert!(err.to_string().contains("pool is closed"), "{err}");
    Ok(())
}

async fn id(conn: &mut sider::PooledConnection) -> Result<i64, sider::Error> {
    conn.client_id().await
}

#[tokio::test]
async fn dirty_connections_are_not_lent_again() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let pool = Pool::new(config(&server), 1);

    let mut conn = pool.acquire().await?;
    let first = id(&mut conn).await?;
    drop(conn);
    let mut conn = pool.acquire().await?;
    assert_eq!(id(&mut conn).await?, first, "a clean connection is reused");

    // WATCH changes the connection's state: it is replaced.
    conn.watch("k").await?;
    drop(conn);
    let mut conn = pool.acquire().await?;
    let second = id(&mut conn).await?;
    assert_ne!(second, first);

    // SELECT through a raw command, too.
    conn.send::<()>(Cmd::new("SELECT").arg(3)).await?;
    drop(conn);
    let mut conn = pool.acquire().await?;
    let third = id(&mut conn).await?;
    assert_ne!(third, second);
    assert_eq!(conn.get::<String>("k").await?, None);

    // Dropped mid-reply: the caller left before the reply came.
    let pending = tokio::time::timeout(
        Duration::from_millis(20),
        conn.blpop::<String, String>(["nothing"], Duration::from_secs(1)),
    );
    assert!(pending.await.is_err());
    drop(conn);
    let mut conn = pool.acquire().await?;
    assert_ne!(id(&mut conn).await?, third);
    Ok(())
}

#[tokio::test]
async fn blocking_commands_and_transactions_on_a_pooled_connection() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let pool = Pool::new(config(&server), 2);
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut conn = pool.acquire().await?;
            let got: Option<(String, String)> =
                conn.blpop(["jobs"], Duration::from_secs(5)).await?;
            anyhow::Ok(got)
        })
    };
    let mut conn = pool.acquire().await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    conn.rpush("jobs", ["job-1"]).await?;
    assert_eq!(
        waiter.await??,
        Some(("jobs".to_owned(), "job-1".to_owned()))
    );
    conn.set("bal", 5).await?;
    let value = conn
        .watching("bal", 3, async |c| {
            let n: i64 = c.get("bal").await?.unwrap_or(0);
            c.transaction().set("bal", n * 3).execute().await?;
            Ok(n * 3)
        })
        .await?;
    assert_eq!(value, 15);
    Ok(())
}
