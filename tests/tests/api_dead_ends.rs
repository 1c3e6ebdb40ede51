//! The dead ends a new user met (issue 18), each against a real server: a missing hash told from
//! a corrupt one, structs written into hashes, `bool` and long tuples as arguments, one channel
//! given to `subscribe`, and the connections blocking commands use, bounded and counted.

use serde::{Deserialize, Serialize};
use sider::prelude::*;
use sider::{Client, Config, ErrorKind, Event, Json, Record, Value};
use sider_tests::RedisServer;
use std::collections::HashMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

async fn client(server: &RedisServer, protocol: u8) -> Client {
    Client::connect(&format!("{}?protocol={protocol}", server.url()))
        .await
        .expect("connect")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Plan {
    Free,
    Pro,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Session {
    user_id: u64,
    name: String,
    admin: bool,
    plan: Plan,
    score: f64,
    email: Option<String>,
    roles: Json<Vec<String>>,
}

fn session() -> Session {
    Session {
        user_id: 42,
        name: "Ada \"the first\" ✓".into(),
        admin: true,
        plan: Plan::Pro,
        score: -1.25,
        email: None,
        roles: Json(vec!["dev".into(), "ops".into()]),
    }
}

/// Dead end 1: `HGETALL` of a missing key is an empty map; asked for `Option<Record<T>>` (or
/// `Record<Option<T>>`) it is `None`, and a hash missing a field is still an error.
#[tokio::test]
async fn a_missing_hash_is_none_and_a_corrupt_one_an_error() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let key = format!("session:{protocol}");
        let missing = client
            .hgetall_as::<Option<Record<Session>>>("session:missing")
            .await?;
        assert_eq!(missing, None);
        let missing = client
            .hgetall_as::<Record<Option<Session>>>("session:missing")
            .await?;
        assert_eq!(missing.into_inner(), None);

        client.hset(&key, Record(&session())).await?;
        let found = client.hgetall_as::<Option<Record<Session>>>(&key).await?;
        assert_eq!(found.map(Record::into_inner), Some(session()));

        // Corrupt: a field is gone. The error names the command and the field.
        client.hdel(&key, ["user_id"]).await?;
        let err = client
            .hgetall_as::<Option<Record<Session>>>(&key)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Reply);
        assert_eq!(
            err.to_string(),
            "HGETALL: unexpected reply: missing field `user_id`"
        );

        // In a pipeline, each slot on its own.
        let (missing, found) = client
            .pipeline()
            .hgetall_as::<Option<Record<Session>>>("session:missing")
            .hgetall_as::<Option<Record<Plan2>>>(&key)
            .execute()
            .await?;
        assert!(missing.is_none());
        assert_eq!(found.map(|r| r.0.plan), Some(Plan::Pro));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct Plan2 {
    plan: Plan,
}

/// Decoding a `Value` by hand: `?` converts a `ReplyError`, and `.at()` keeps the context.
#[tokio::test]
async fn a_hand_decode_converts_with_question_mark() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;

    async fn load(client: &Client, key: &str) -> Result<Option<Session>, sider::Error> {
        let raw: Value = client.hgetall_as(key).await?;
        let record = Option::<Record<Session>>::from_reply(raw)
            .map_err(|e| e.at(format_args!("HGETALL {key}")))?;
        Ok(record.map(Record::into_inner))
    }

    assert_eq!(load(&client, "nobody").await?, None);
    client.hset("half", [("name", "Ada")]).await?;
    let err = load(&client, "half").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Reply);
    assert_eq!(
        err.to_string(),
        "unexpected reply: HGETALL half: missing field `user_id`"
    );
    assert_eq!(err.reply_error().map(|e| e.place()), Some("HGETALL half"));
    Ok(())
}

/// Dead end 2: a struct goes into a hash with `Record(&value)`, through `Serialize`, wherever
/// field/value pairs go: HSET, HMSET, XADD, HSETEX.
#[tokio::test]
async fn a_struct_is_written_into_a_hash_and_read_back() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let key = format!("write:{protocol}");
        let value = session();

        // `email: None` is left out: six fields.
        let added: i64 = client.hset(&key, Record(&value)).await?;
        assert_eq!(added, 6);
        let back = client.hgetall_as::<Record<Session>>(&key).await?;
        assert_eq!(back.into_inner(), value);

        // The stored values are what a person would write by hand.
        let raw: HashMap<String, String> = client.hgetall(&key).await?;
        assert_eq!(raw["admin"], "1");
        assert_eq!(raw["plan"], "pro");
        assert_eq!(raw["score"], "-1.25");
        assert_eq!(raw["roles"], r#"["dev","ops"]"#);
        assert!(!raw.contains_key("email"));

        // Setting a field to Some and writing again adds it; the others are overwritten.
        let updated = Session {
            email: Some("ada@example.com".into()),
            admin: false,
            ..value.clone()
        };
        assert_eq!(client.hset(&key, Record(&updated)).await?, 1);
        let back = client.hgetall_as::<Record<Session>>(&key).await?;
        assert_eq!(back.into_inner(), updated);

        // HMSET, and a stream entry through XADD.
        #[allow(deprecated, reason = "HMSET takes a record as HSET does")]
        client.hmset(format!("{key}:hmset"), Record(&value)).await?;
        let back = client
            .hgetall_as::<Record<Session>>(format!("{key}:hmset"))
            .await?;
        assert_eq!(back.into_inner(), value);
        let stream = format!("{key}:stream");
        client.xadd(&stream, "*", Record(&value)).await?;
        let entries: Vec<(String, Vec<(String, String)>)> =
            client.xrange(&stream, "-", "+").await?;
        let fields: Vec<&str> = entries[0].1.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["user_id", "name", "admin", "plan", "score", "roles"]
        );

        // HSETEX counts the fields of a Record for its FIELDS argument (Redis 8.0, Valkey 9.0).
        let server_info = client.server();
        let since = if server_info.is_valkey() {
            (9, 0, 0)
        } else {
            (8, 0, 0)
        };
        let hsetex = client
            .hsetex(format!("{key}:hsetex"), Record(&value))
            .ex(Duration::from_secs(600))
            .await;
        if server_info.version() >= since {
            assert!(hsetex?);
            let back = client
                .hgetall_as::<Record<Session>>(format!("{key}:hsetex"))
                .await?;
            assert_eq!(back.into_inner(), value);
        } else {
            let err = hsetex.unwrap_err().to_string();
            assert!(err.contains("needs Redis 8.0.0"), "{err}");
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct Nested {
    name: &'static str,
    tags: Vec<&'static str>,
}

/// A value that cannot be one hash value is refused by the server, naming the field; nothing of
/// the command runs, not even in a transaction.
#[tokio::test]
async fn a_field_that_is_not_one_value_is_refused_and_nothing_runs() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    let value = Nested {
        name: "a",
        tags: vec!["x", "y"],
    };
    let err = client.hset("nested", Record(&value)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    let text = err.to_string();
    assert!(
        text.starts_with("HSET: server error: ERR unknown command"),
        "{text}"
    );
    assert!(
        text.contains("sider: field `tags`: a sequence is not one value; wrap it in Json"),
        "{text}"
    );
    assert_eq!(client.exists(["nested"]).await?, 0);

    let result = client
        .transaction()
        .set("tx:before", 1)
        .hset("nested", Record(&value))
        .execute()
        .await;
    let err = result.unwrap_err();
    assert!(err.to_string().contains("EXECABORT"), "{err}");
    assert_eq!(client.get::<i64>("tx:before").await?, None);
    Ok(())
}

/// `bool` is an argument, written as Redis writes yes and no.
#[tokio::test]
async fn bools_are_arguments() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    client.set("flag", true).await?;
    assert_eq!(client.get::<String>("flag").await?.as_deref(), Some("1"));
    assert_eq!(client.get::<bool>("flag").await?, Some(true));
    client.set("flag", false).await?;
    assert_eq!(client.get::<String>("flag").await?.as_deref(), Some("0"));
    client.hset("flags", [("on", true), ("off", false)]).await?;
    assert_eq!(
        client.hget::<String>("flags", "on").await?.as_deref(),
        Some("1")
    );
    Ok(())
}

/// Tuples of pairs (and of arguments in general) go up to 16 elements.
#[tokio::test]
async fn long_tuples_are_arguments() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    let added: i64 = client
        .hset(
            "eight",
            (
                ("a", 1),
                ("b", "two"),
                ("c", 3.5),
                ("d", true),
                ("e", 5u64),
                ("f", "six"),
                ("g", 7i8),
                ("h", String::from("eight")),
            ),
        )
        .await?;
    assert_eq!(added, 8);
    let raw: HashMap<String, String> = client.hgetall("eight").await?;
    assert_eq!(raw["d"], "1");
    assert_eq!(raw["h"], "eight");

    let added: i64 = client
        .hset(
            "twelve",
            (
                ("a", 1),
                ("b", 2),
                ("c", 3),
                ("d", 4),
                ("e", 5),
                ("f", 6),
                ("g", 7),
                ("h", 8),
                ("i", 9),
                ("j", 10),
                ("k", 11),
                ("l", 12),
            ),
        )
        .await?;
    assert_eq!(added, 12);
    let pushed: i64 = client
        .rpush(
            "sixteen",
            (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
        )
        .await?;
    assert_eq!(pushed, 16);
    Ok(())
}

async fn next_payload(sub: &mut sider::Subscription) -> String {
    loop {
        match tokio::time::timeout(WAIT, sub.next()).await {
            Ok(Some(Event::Message(m))) => return m.payload::<String>().expect("utf-8"),
            Ok(Some(_)) => continue,
            Ok(None) => panic!("subscription ended"),
            Err(_) => panic!("no message within {WAIT:?}"),
        }
    }
}

/// Dead end 4: one channel is given as it is, like one key; many as a list.
#[tokio::test]
async fn subscribe_takes_one_channel_or_many() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let publisher = client(&server, 3).await;
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let mut sub = client.subscribe("one-channel").await?;
        sub.subscribe(String::from("owned")).await?;
        sub.subscribe(vec!["v1", "v2"]).await?;
        let rooms = vec![String::from("r1")];
        sub.subscribe(&rooms).await?;
        sub.subscribe(sider::Each(rooms.iter().map(|r| format!("{r}:x"))))
            .await?;
        sub.psubscribe("pat.*").await?;
        for (channel, text) in [
            ("one-channel", "a"),
            ("owned", "b"),
            ("v2", "c"),
            ("r1", "d"),
            ("r1:x", "e"),
            ("pat.1", "f"),
        ] {
            assert_eq!(publisher.publish(channel, text).await?, 1, "{channel}");
            assert_eq!(next_payload(&mut sub).await, text);
        }
        sub.unsubscribe("one-channel").await?;
        assert_eq!(publisher.publish("one-channel", "gone").await?, 0);

        let mut patterns = client.psubscribe("alerts.*").await?;
        publisher.publish("alerts.fire", "hot").await?;
        assert_eq!(next_payload(&mut patterns).await, "hot");

        let mut shard = client.ssubscribe("shard-one").await?;
        publisher.spublish("shard-one", "s").await?;
        assert_eq!(next_payload(&mut shard).await, "s");
    }
    Ok(())
}

/// Waits until `check` holds for the client's stats, or fails with the last ones seen.
async fn stats_until(client: &Client, check: impl Fn(&sider::Stats) -> bool) -> sider::Stats {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let stats = client.stats();
        if check(&stats) {
            return stats;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "stats never got there: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// How many connections the server has, this test's admin connection included.
async fn server_connections(admin: &Client) -> anyhow::Result<usize> {
    let list: String = admin.client_list().await?;
    Ok(list.lines().count())
}

/// Dead end 7, by default: one connection per blocking call in flight, idle ones kept (8 at
/// most), all counted in `stats()`.
#[tokio::test]
async fn blocking_calls_take_a_connection_each_and_stats_count_them() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = client(&server, 3).await;
    let client = client(&server, 3).await;
    let before = server_connections(&admin).await?;
    assert_eq!(client.stats().blocking_connections, 0);

    let mut calls = Vec::new();
    for i in 0..10 {
        let client = client.clone();
        calls.push(tokio::spawn(async move {
            client
                .blpop::<String, String>([format!("queue:{i}")], 10)
                .await
        }));
    }
    let stats = stats_until(&client, |s| s.blocking_connections == 10).await;
    assert_eq!((stats.blocking_idle, stats.blocking_waiting), (0, 0));
    assert!(stats
        .to_string()
        .contains("blocking commands: 10 connections (0 idle)"));
    // Wait for the server to see them all blocked.
    let deadline = tokio::time::Instant::now() + WAIT;
    while server_connections(&admin).await? < before + 10 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    for i in 0..10 {
        admin.rpush(format!("queue:{i}"), ["job"]).await?;
    }
    for call in calls {
        let (_, job) = call.await??.expect("a job");
        assert_eq!(job, "job");
    }
    // Eight are kept for the next calls; the other two are closed.
    let stats = stats_until(&client, |s| s.blocking_connections == 8).await;
    assert_eq!(stats.blocking_idle, 8);
    // The next blocking call reuses an idle one.
    admin.rpush("queue:0", ["again"]).await?;
    let (_, job) = client
        .blpop::<String, String>(["queue:0"], 1)
        .await?
        .expect("a job");
    assert_eq!(job, "again");
    let stats = client.stats();
    assert_eq!((stats.blocking_connections, stats.blocking_idle), (8, 8));
    Ok(())
}

/// `Config::max_blocking_connections`: past the bound, calls wait for a connection to free up,
/// in turn; a waiting call dropped takes nothing with it.
#[tokio::test]
async fn blocking_connections_are_bounded_and_calls_wait_their_turn() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = client(&server, 3).await;
    let config = Config::from_url(&server.url())?.max_blocking_connections(2);
    let client = Client::connect_with(config).await?;

    let mut calls = Vec::new();
    for _ in 0..5 {
        let client = client.clone();
        calls.push(tokio::spawn(async move {
            client.blpop::<String, String>(["bounded"], 10).await
        }));
    }
    let stats = stats_until(&client, |s| {
        s.blocking_connections == 2 && s.blocking_waiting == 3
    })
    .await;
    assert!(
        stats.to_string().contains("3 calls waiting for one"),
        "{stats}"
    );

    // Five jobs: each served call hands its connection to a waiting one.
    for n in 0..5 {
        admin.rpush("bounded", [n]).await?;
    }
    let mut jobs = Vec::new();
    for call in calls {
        let (_, job) = call.await??.expect("a job");
        jobs.push(job.parse::<i64>()?);
    }
    jobs.sort_unstable();
    assert_eq!(jobs, [0, 1, 2, 3, 4]);
    let stats = client.stats();
    assert_eq!((stats.blocking_connections, stats.blocking_waiting), (2, 0));

    // A call dropped while waiting (a timeout, an aborted task) leaves no slot behind.
    let holders: Vec<_> = (0..2)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.blpop::<String, String>(["held"], 10).await })
        })
        .collect();
    stats_until(&client, |s| {
        s.blocking_idle == 0 && s.blocking_connections == 2
    })
    .await;
    let timed_out = tokio::time::timeout(
        Duration::from_millis(100),
        client.blpop::<String, String>(["never"], 0),
    )
    .await;
    assert!(timed_out.is_err(), "it waited for a slot");
    let aborted = {
        let client = client.clone();
        tokio::spawn(async move { client.blpop::<String, String>(["never"], 0).await })
    };
    stats_until(&client, |s| s.blocking_waiting == 1).await;
    aborted.abort();
    stats_until(&client, |s| s.blocking_waiting == 0).await;
    admin.rpush("held", ["a", "b"]).await?;
    for holder in holders {
        assert!(holder.await??.is_some());
    }
    // Both slots are free again: two calls run at once.
    let (a, b) = tokio::join!(
        client.blpop::<String, String>(["free"], 1),
        client.blpop::<String, String>(["free"], 1)
    );
    assert_eq!((a?, b?), (None, None));
    assert_eq!(client.stats().blocking_connections, 2);
    Ok(())
}

/// A blocking call dropped while it blocks closes its connection, so the server stops waiting
/// for it, and the count goes down.
#[tokio::test]
async fn a_blocking_call_dropped_closes_its_connection() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let admin = client(&server, 3).await;
    let client = client(&server, 3).await;
    let before = server_connections(&admin).await?;
    let dropped = tokio::time::timeout(
        Duration::from_millis(200),
        client.blpop::<String, String>(["nothing"], 0),
    )
    .await;
    assert!(dropped.is_err());
    assert_eq!(client.stats().blocking_connections, 0);
    let deadline = tokio::time::Instant::now() + WAIT;
    while server_connections(&admin).await? != before {
        assert!(tokio::time::Instant::now() < deadline, "still connected");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // An element pushed now is not taken by the abandoned call.
    admin.rpush("nothing", ["kept"]).await?;
    assert_eq!(admin.llen("nothing").await?, 1);
    Ok(())
}
