//! The guide's common tasks (`sider::guide::common_tasks`) against a real server: the same files
//! the guide compiles, included here and run, under RESP2 and RESP3.

use sider::prelude::*;
use sider::Client;
use sider_tests::RedisServer;
use std::time::Duration;

mod queue {
    include!("../../sider/src/guide/tasks/queue.rs");
}

mod leaderboard {
    include!("../../sider/src/guide/tasks/leaderboard.rs");
}

mod session {
    include!("../../sider/src/guide/tasks/session.rs");
}

mod rate_limit {
    include!("../../sider/src/guide/tasks/rate_limit.rs");
}

mod pubsub {
    include!("../../sider/src/guide/tasks/pubsub.rs");
}

const WAIT: Duration = Duration::from_secs(5);

async fn client(server: &RedisServer, protocol: u8) -> Client {
    Client::connect(&format!("{}?protocol={protocol}", server.url()))
        .await
        .expect("connect")
}

/// Eight workers share the jobs, each handed to one of them, beside ordinary traffic; each
/// waiting worker holds a blocking connection, which `stats()` counts.
#[tokio::test]
async fn a_job_queue_with_a_consumer_group() -> anyhow::Result<()> {
    for protocol in [2, 3] {
        let server = RedisServer::start();
        let client = client(&server, protocol).await;
        queue::create_group(&client).await?;
        queue::create_group(&client).await?; // again: the group exists, fine

        let workers: Vec<_> = (0..8)
            .map(|w| {
                let client = client.clone();
                tokio::spawn(async move {
                    let mut done = Vec::new();
                    // Rounds until one comes back empty after the last job was queued.
                    loop {
                        let round = queue::work(&client, &format!("worker-{w}")).await?;
                        if round.is_empty() && client.exists(["queued"]).await? == 1 {
                            return Ok::<_, sider::Error>(done);
                        }
                        done.extend(round);
                    }
                })
            })
            .collect();
        // The workers wait, each on a connection of its own.
        let deadline = tokio::time::Instant::now() + WAIT;
        while client.stats().blocking_connections < 8 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{:?}",
                client.stats()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for n in 0..100 {
            queue::enqueue(&client, &format!("job {n}")).await?;
            client.incr("traffic").await?;
        }
        client.set("queued", 1).await?;

        let mut all = Vec::new();
        for worker in workers {
            all.extend(worker.await??);
        }
        all.sort_by_key(|job| job[4..].parse::<u32>().unwrap_or(u32::MAX));
        let expected: Vec<String> = (0..100).map(|n| format!("job {n}")).collect();
        assert_eq!(all, expected, "each job handled once");

        // Nothing is left pending: every job was acknowledged.
        let (pending, ..): (i64, sider::Value, sider::Value, sider::Value) = client
            .send(sider::Cmd::new("XPENDING").arg("jobs").arg("workers"))
            .await?;
        assert_eq!(pending, 0);
        assert!(client.stats().blocking_connections <= 8);
    }
    Ok(())
}

#[tokio::test]
async fn a_leaderboard() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        client.del(["leaderboard"]).await?;
        leaderboard::score(&client, "ada", 120.0).await?;
        leaderboard::score(&client, "grace", 95.0).await?;
        leaderboard::score(&client, "alan", 80.5).await?;
        assert_eq!(leaderboard::score(&client, "grace", 30.0).await?, 125.0);
        assert_eq!(
            leaderboard::top(&client, 2).await?,
            [("grace".to_owned(), 125.0), ("ada".to_owned(), 120.0)]
        );
        assert_eq!(
            leaderboard::standing(&client, "alan").await?,
            Some((3, 80.5))
        );
        assert_eq!(leaderboard::standing(&client, "nobody").await?, None);
    }
    Ok(())
}

#[tokio::test]
async fn a_session_store() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let id = format!("s{protocol}");
        assert_eq!(session::load(&client, &id).await?, None);

        let mut value = session::Session {
            user_id: 7,
            name: "Ada".into(),
            admin: true,
            email: Some("ada@example.com".into()),
            roles: sider::Json(vec!["dev".into(), "ops".into()]),
        };
        session::save(&client, &id, &value).await?;
        assert_eq!(session::load(&client, &id).await?, Some(value.clone()));
        let key = format!("session:{id}");
        let ttl: i64 = client.ttl(&key).await?;
        assert!((1..=1800).contains(&ttl), "{ttl}");

        // A field set to None is gone after saving again.
        value.email = None;
        session::save(&client, &id, &value).await?;
        assert_eq!(session::load(&client, &id).await?, Some(value.clone()));

        // Corrupt is not missing.
        client.hdel(&key, ["user_id"]).await?;
        let err = session::load(&client, &id).await.unwrap_err();
        assert_eq!(err.kind(), sider::ErrorKind::Reply);
        assert!(err.to_string().contains("missing field `user_id`"), "{err}");
    }
    Ok(())
}

#[tokio::test]
async fn a_rate_limiter() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let who = format!("alice{protocol}");
        let window = Duration::from_secs(1);
        for _ in 0..3 {
            assert!(rate_limit::allow(&client, &who, 3, window).await?);
        }
        assert!(!rate_limit::allow(&client, &who, 3, window).await?);
        // The window's clock started with its first call and ends on time.
        let ttl: i64 = client.pttl(format!("rate:{who}")).await?;
        assert!((1..=1000).contains(&ttl), "{ttl}");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert!(rate_limit::allow(&client, &who, 3, window).await?);
    }
    Ok(())
}

#[tokio::test]
async fn a_chat_room_over_pub_sub() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let (client, listener) = (client(&server, protocol).await, client(&server, 3).await);
        let mut lobby = pubsub::join(&client, "lobby").await?;
        let mut other = pubsub::join(&listener, "lobby").await?;
        assert_eq!(pubsub::say(&client, "lobby", "hello").await?, 2);
        for room in [&mut lobby, &mut other] {
            let heard = tokio::time::timeout(WAIT, pubsub::hear(room)).await??;
            assert_eq!(heard.as_deref(), Some("hello"));
        }
        drop(other);
        // Unsubscribing is sent on drop; wait for the server to count one listener.
        let deadline = tokio::time::Instant::now() + WAIT;
        while pubsub::say(&client, "lobby", "again").await? != 1 {
            assert!(tokio::time::Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(pubsub::say(&client, "nowhere", "anyone?").await?, 0);
    }
    Ok(())
}
