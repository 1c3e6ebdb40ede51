//! Pub/sub streams, RESP3 pushes and client-side caching against a real server.

use sider::prelude::*;
use sider::{Client, Cmd, Config, Event, Message, SubscriptionKind, Tracking, Value};
use sider_tests::RedisServer;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

async fn next_message(sub: &mut sider::Subscription) -> Message {
    loop {
        match tokio::time::timeout(WAIT, sub.next()).await {
            Ok(Some(Event::Message(m))) => return m,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("subscription ended"),
            Err(_) => panic!("no message within {WAIT:?}"),
        }
    }
}

#[tokio::test]
async fn subscribe_publish_and_unsubscribe_under_both_protocols() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let publisher = Client::connect(&server.url()).await?;
    for protocol in [2, 3] {
        let client = Client::connect(&format!("{}?protocol={protocol}", server.url())).await?;
        let mut sub = client.subscribe(["news"]).await?;
        sub.psubscribe(["alerts.*"]).await?;
        sub.ssubscribe(["shard"]).await?;

        let receivers: i64 = publisher.publish("news", "hello").await?;
        assert_eq!(receivers, 1);
        let m = next_message(&mut sub).await;
        assert_eq!(
            (m.kind, m.channel_str().as_ref()),
            (SubscriptionKind::Channel, "news")
        );
        assert_eq!(m.payload::<String>()?, "hello");

        publisher.publish("alerts.fire", 42).await?;
        let m = next_message(&mut sub).await;
        assert_eq!(m.kind, SubscriptionKind::Pattern);
        assert_eq!(m.pattern.as_deref(), Some(&b"alerts.*"[..]));
        assert_eq!(m.payload::<i64>()?, 42);

        publisher.spublish("shard", "s").await?;
        let m = next_message(&mut sub).await;
        assert_eq!(
            (m.kind, m.payload::<String>()?),
            (SubscriptionKind::Shard, "s".to_owned())
        );

        // Channels come and go on a live subscription.
        sub.subscribe(["late"]).await?;
        sub.unsubscribe(["news"]).await?;
        assert_eq!(publisher.publish("news", "unheard").await?, 0);
        publisher.publish("late", "heard").await?;
        assert_eq!(next_message(&mut sub).await.payload::<String>()?, "heard");

        // The client keeps working while subscribed.
        client.set("k", "v").await?;
        assert_eq!(client.get::<String>("k").await?.as_deref(), Some("v"));
        drop(sub);
        // Dropping unsubscribes: eventually nobody listens.
        let mut listeners = 1;
        for _ in 0..100 {
            listeners = publisher.publish("late", "x").await?;
            if listeners == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(listeners, 0);
    }
    Ok(())
}

#[tokio::test]
async fn under_resp3_the_subscription_shares_the_connection() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    let mut sub = client.subscribe(["c"]).await?;
    let list: String = client.send(Cmd::new("CLIENT LIST")).await?;
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.contains("sub=1"), "{list}");
    let (n, ()) = client
        .pipeline()
        .publish("c", "via pipeline")
        .set("x", 1)
        .execute()
        .await?;
    assert_eq!(n, 1);
    assert_eq!(
        next_message(&mut sub).await.payload::<String>()?,
        "via pipeline"
    );
    Ok(())
}

#[tokio::test]
async fn a_reconnect_renews_subscriptions_and_says_so() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    for protocol in [2, 3] {
        let client = Client::connect(&format!("{}?protocol={protocol}", server.url())).await?;
        let mut sub = client.subscribe(["r"]).await?;
        let killed: i64 = admin
            .send(Cmd::new("CLIENT KILL").args(["TYPE", "pubsub"]))
            .await?;
        assert_eq!(killed, 1);
        let event = tokio::time::timeout(WAIT, sub.next()).await?;
        assert_eq!(event, Some(Event::Reconnected));
        // Renewed: messages flow again (retry while the SUBSCRIBE is on its way).
        let mut heard = false;
        for _ in 0..100 {
            if admin.publish("r", "again").await? == 1 {
                heard = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(heard, "subscription not renewed");
        assert_eq!(next_message(&mut sub).await.payload::<String>()?, "again");
    }
    Ok(())
}

#[tokio::test]
async fn other_pushes_reach_the_registered_handler() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    let mut pushes = client.push_messages();
    // Tracking without sider's cache: the invalidations are the user's to handle.
    client
        .send::<()>(Cmd::new("CLIENT TRACKING").arg("ON"))
        .await?;
    client.set("tracked", "1").await?;
    let _: Option<String> = client.get("tracked").await?;
    let other = Client::connect(&server.url()).await?;
    other.set("tracked", "2").await?;
    let push = tokio::time::timeout(WAIT, pushes.recv())
        .await?
        .expect("a push");
    let Value::Push(items) = push else {
        panic!("{push:?}")
    };
    assert_eq!(items[0], Value::Bulk("invalidate".into()));
    Ok(())
}

async fn server_gets(client: &Client) -> i64 {
    let info: String = client
        .send(Cmd::new("INFO").arg("commandstats"))
        .await
        .expect("info");
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_get:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn cached_get_is_served_locally_then_fresh_after_another_clients_set() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = Client::connect(&server.url()).await?;
    for tracking in [
        Tracking::Default { capacity: 1000 },
        Tracking::Broadcast {
            prefixes: vec!["user:".to_owned()],
            capacity: 1000,
        },
    ] {
        let config = Config::tcp("127.0.0.1", server.port()).client_tracking(tracking);
        let client = Client::connect_with(config).await?;
        admin.set("user:1", "ada").await?;
        assert_eq!(
            client.get::<String>("user:1").await?.as_deref(),
            Some("ada")
        );
        let before = server_gets(&admin).await;
        for _ in 0..10 {
            assert_eq!(
                client.get::<String>("user:1").await?.as_deref(),
                Some("ada")
            );
        }
        assert_eq!(
            server_gets(&admin).await,
            before,
            "served from the local cache"
        );
        assert_eq!(client.cached_replies(), 1);

        admin.set("user:1", "grace").await?;
        // The invalidation is a push on the client's connection; wait (bounded) for it.
        let mut fresh = None;
        for _ in 0..200 {
            fresh = client.get::<String>("user:1").await?;
            if fresh.as_deref() == Some("grace") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(fresh.as_deref(), Some("grace"));
    }
    // Caching needs RESP3.
    let config = Config::tcp("127.0.0.1", server.port())
        .protocol_version(sider::Protocol::Resp2)
        .client_tracking(Tracking::Default { capacity: 10 });
    let err = Client::connect_with(config).await.unwrap_err();
    assert_eq!(err.kind(), sider::ErrorKind::Config);
    Ok(())
}

#[tokio::test]
async fn a_second_subscriber_of_a_held_channel_shifts_no_reply() -> anyhow::Result<()> {
    // Under RESP3 both subscriptions share the connection: the second SUBSCRIBE and the first
    // one's UNSUBSCRIBE (on drop) change nothing on the server, so nothing is sent and nothing
    // must wait for a reply, or the next command's reply would go to it.
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    let mut first = client.subscribe(["held"]).await?;
    let second = tokio::time::timeout(Duration::from_secs(5), client.subscribe(["held"]))
        .await
        .expect("the second subscribe completes")?;
    client.set("after", "subscribe").await?;
    assert_eq!(
        client.get::<String>("after").await?.as_deref(),
        Some("subscribe")
    );
    drop(second);
    let n: i64 = client.incr("counter").await?;
    assert_eq!(n, 1);
    let _: i64 = client.publish("held", "still here").await?;
    assert_eq!(
        next_message(&mut first).await.payload::<String>()?,
        "still here"
    );
    Ok(())
}
