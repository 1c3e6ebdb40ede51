//! The required choices and typed readings as a user first writes them (issue 18, items 3 and 6),
//! against a real server, under RESP2 and RESP3: one `Side` for every list end, stream trimming
//! as builder methods and a `Trim`, IDs given as strings, options split where a block had
//! `Option` payloads, and `_typed` readings of TTL and hash-field expiry codes beside the raw ones.
//!
//! The hash-field commands need Redis 7.4 or Valkey 9.0; on an older server their test checks
//! the refusal instead (`REDIS_SERVER_BIN` picks the server, as for the other tests).

use sider::commands::{Side, Trim, XaddId, XgroupCreateId};
use sider::prelude::*;
use sider::{Client, FieldExpire, FieldPersist, Ttl, Value};
use sider_tests::RedisServer;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

async fn client(server: &RedisServer, protocol: u8) -> Client {
    Client::connect(&format!("{}?protocol={protocol}", server.url()))
        .await
        .expect("connect")
}

/// Runs `test` under RESP2 and RESP3 against one server, with a key prefix per protocol.
async fn each_protocol<F, Fut>(test: F) -> anyhow::Result<()>
where
    F: Fn(Client, String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let server = RedisServer::start();
    for protocol in [2, 3] {
        test(client(&server, protocol).await, format!("resp{protocol}:")).await?;
    }
    Ok(())
}

#[tokio::test]
async fn one_side_serves_every_list_command() -> anyhow::Result<()> {
    each_protocol(|c, p| async move {
        let (queue, working) = (format!("{p}queue"), format!("{p}working"));
        c.rpush(&queue, ["a", "b", "c", "d"]).await?;
        // `Side` is `Copy`: one value for both ends.
        let end = Side::Right;
        let moved: Option<String> = c.lmove(&queue, &working, end, end).await?;
        assert_eq!(moved.as_deref(), Some("d"));
        let moved: Option<String> = c
            .blmove(
                &queue,
                &working,
                Side::Left,
                Side::Left,
                Duration::from_secs(1),
            )
            .await?;
        assert_eq!(moved.as_deref(), Some("a"));
        let popped: Option<(String, Vec<String>)> = c.lmpop([&queue], Side::Left).await?;
        assert_eq!(popped, Some((queue.clone(), vec!["b".to_owned()])));
        let popped: Option<(String, Vec<String>)> = c
            .blmpop(Duration::from_secs(1), [&working], Side::Right)
            .count(5)
            .await?;
        assert_eq!(
            popped,
            Some((working.clone(), vec!["d".to_owned(), "a".to_owned()]))
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn stream_ids_and_trimming_read_as_written() -> anyhow::Result<()> {
    each_protocol(|c, p| async move {
        let s = format!("{p}events");
        // An ID is the string the server takes: `*`, or an explicit one, owned or borrowed.
        let first: String = c.xadd(&s, "1-1", [("n", "1")]).await?;
        assert_eq!(first, "1-1");
        let explicit = String::from("2-1");
        assert_eq!(c.xadd(&s, &explicit, [("n", "2")]).await?, "2-1");
        assert_eq!(c.xadd(&s, XaddId::id("3-1"), [("n", "3")]).await?, "3-1");
        let auto: String = c.xadd(&s, "*", [("n", "4")]).await?;
        assert!(auto.contains('-') && auto != "3-1", "{auto}");
        let auto: String = c.xadd(&s, XaddId::Auto, [("n", "5")]).await?;
        assert_eq!(c.xlen(&s).await?, 5);

        // Trimming while adding: a method per form.
        c.xadd(&s, "*", [("n", "6")]).maxlen(4).await?;
        assert_eq!(c.xlen(&s).await?, 4);
        c.xadd(&s, "*", [("n", "7")])
            .maxlen_approx(1)
            .limit(100)
            .await?;
        // `~` trims whole nodes only: a small stream keeps all it has.
        assert_eq!(c.xlen(&s).await?, 5);
        c.xadd(&s, "*", [("n", "8")]).minid(&auto).await?;
        let left: Vec<(String, Vec<(String, String)>)> = c.xrange(&s, "-", "+").await?;
        assert_eq!(left.first().map(|e| e.0.as_str()), Some(auto.as_str()));
        let none: Option<String> = c
            .xadd(format!("{p}none"), "*", [("n", "1")])
            .nomkstream()
            .minid_approx("0-1")
            .await?;
        assert_eq!(none, None);

        // XTRIM takes the choice itself; its constructors take any argument value.
        assert_eq!(c.xtrim(&s, Trim::maxlen_approx(100)).await?, 0);
        assert_eq!(c.xtrim(&s, Trim::minid(auto.clone())).await?, 0);
        assert_eq!(c.xtrim(&s, Trim::minid_approx(&auto)).limit(10).await?, 0);
        assert_eq!(c.xtrim(&s, Trim::Maxlen(1)).await?, 3);
        assert_eq!(c.xlen(&s).await?, 1);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn consumer_groups_take_ids_as_strings() -> anyhow::Result<()> {
    each_protocol(|c, p| async move {
        let s = format!("{p}jobs");
        let (): () = c.xgroup_create(&s, "all", "0").mkstream().await?;
        c.xgroup_create(&s, "new", "$").await?;
        c.xgroup_create(&s, "owned", XgroupCreateId::id(String::from("0")))
            .await?;
        let id: String = c.xadd(&s, "*", [("job", "1")]).await?;
        c.xadd(&s, "*", [("job", "2")]).await?;
        type Read = Option<HashMap<String, Vec<(String, Option<Vec<(String, String)>>)>>>;
        let _: Read = c.xreadgroup("all", "alice", &s, ">").await?;
        let _: Read = c.xreadgroup("new", "bob", &s, ">").count(1).await?;

        // XPENDING's range with its filters as methods of their own.
        let pending = c.xpending(&s, "all").filters("-", "+", 10).await?;
        assert!(
            matches!(&pending, Value::Array(items) if items.len() == 2),
            "{pending:?}"
        );
        let pending = c
            .xpending(&s, "all")
            .idle(Duration::ZERO)
            .filters("-", "+", 10)
            .consumer("alice")
            .await?;
        assert!(
            matches!(&pending, Value::Array(items) if items.len() == 2),
            "{pending:?}"
        );
        let pending = c
            .xpending(&s, "all")
            .filters("-", "+", 10)
            .consumer("nobody")
            .await?;
        assert!(
            matches!(&pending, Value::Array(items) if items.is_empty()),
            "{pending:?}"
        );

        let (): () = c.xgroup_setid(&s, "all", &id).await?;
        let (): () = c.xgroup_setid(&s, "new", "$").entries_read(2).await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn hello_options_are_methods() -> anyhow::Result<()> {
    each_protocol(|c, p| async move {
        let mut conn = c.dedicated().await?;
        let name = format!("{p}worker").replace(':', "-");
        let protocol = if p.starts_with("resp2") { 2 } else { 3 };
        // The default user has no password: any password logs in.
        let hello: HashMap<String, Value> = conn
            .hello()
            .protocol(protocol)
            .login("default", "anything")
            .setname(&name)
            .await?;
        assert_eq!(hello.get("proto"), Some(&Value::Integer(protocol)));
        assert_eq!(conn.client_getname().await?.as_deref(), Some(name.as_str()));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn ttl_has_a_typed_reading() -> anyhow::Result<()> {
    each_protocol(|c, p| async move {
        let (kept, expiring) = (format!("{p}kept"), format!("{p}expiring"));
        c.set(&kept, "v").await?;
        c.set(&expiring, "v").ex(Duration::from_secs(100)).await?;
        // The raw replies stay.
        assert_eq!(c.ttl(format!("{p}missing")).await?, -2);
        assert_eq!(c.ttl(&kept).await?, -1);
        let secs: i64 = c.ttl(&expiring).await?;
        assert!((99..=100).contains(&secs), "{secs}");
        assert_eq!(c.pttl(&kept).await?, -1);

        assert_eq!(c.pttl_typed(format!("{p}missing")).await?, Ttl::Missing);
        assert_eq!(c.pttl_typed(&kept).await?, Ttl::Persistent);
        let ttl = c.pttl_typed(&expiring).await?;
        let left = ttl.remaining().expect("an expiry");
        assert!(
            left > Duration::from_secs(98) && left <= Duration::from_secs(100),
            "{ttl:?}"
        );
        // In a pipeline, the typed reading takes its place in the tuple.
        let (raw, typed) = c
            .pipeline()
            .pttl(&kept)
            .pttl_typed(format!("{p}missing"))
            .execute()
            .await?;
        assert_eq!((raw, typed), (-1, Ttl::Missing));
        Ok(())
    })
    .await
}

/// Redis 7.4 and Valkey 9.0 added hash-field expiry.
fn has_field_expiry(c: &Client) -> bool {
    let server = c.server();
    let since = if server.is_valkey() {
        (9, 0, 0)
    } else {
        (7, 4, 0)
    };
    server.version() >= since
}

#[tokio::test]
async fn hash_field_expiry_has_typed_readings() -> anyhow::Result<()> {
    each_protocol(|c, p| async move {
        let (h, none) = (format!("{p}h"), format!("{p}none"));
        let hour = Duration::from_secs(3600);
        if !has_field_expiry(&c) {
            let error = c.hexpire_typed(&h, hour, ["a"]).await.unwrap_err();
            let said = error.to_string();
            assert!(
                said.contains("HEXPIRE: needs Redis 7.4.0 or Valkey 9.0.0"),
                "{said}"
            );
            // The raw methods are there all the same.
            assert!(c.hexpire(&h, hour, ["a"]).await.is_err());
            return Ok(());
        }
        c.hset(&h, [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")])
            .await?;
        // The raw codes, as before.
        let raw: Vec<i64> = c.hexpire(&h, hour, ["a", "zz"]).await?;
        assert_eq!(raw, [1, -2]);
        assert_eq!(c.httl(&h, ["b"]).await?, [-1]);
        assert_eq!(c.hpersist(&h, ["b"]).await?, [-1]);

        use FieldExpire::{ConditionNotMet, Deleted, Missing, Set};
        assert_eq!(
            c.hexpire_typed(&h, hour, ["a", "zz"]).await?,
            [Set, Missing]
        );
        assert_eq!(c.hexpire_typed(&none, hour, ["a"]).await?, [Missing]);
        assert_eq!(
            c.hexpire_typed(&h, hour, ["a", "b"]).nx().await?,
            [ConditionNotMet, Set]
        );
        assert_eq!(
            c.hpexpire_typed(&h, Duration::from_millis(7_200_000), ["c"])
                .await?,
            [Set]
        );
        let at = SystemTime::now() + hour;
        assert_eq!(c.hexpireat_typed(&h, at, ["c"]).lt().await?, [Set]);
        // A time already past deletes the field.
        let past = SystemTime::now() - hour;
        assert_eq!(c.hpexpireat_typed(&h, past, ["d"]).await?, [Deleted]);
        assert!(!c.hexists(&h, "d").await?);

        let ttls = c.hpttl_typed(&h, ["a", "zz"]).await?;
        assert_eq!(ttls[1], Ttl::Missing);
        let left = ttls[0].remaining().expect("a's expiry");
        assert!(
            left > hour - Duration::from_secs(5) && left <= hour,
            "{ttls:?}"
        );

        assert_eq!(
            c.hpersist_typed(&h, ["a", "zz"]).await?,
            [FieldPersist::Removed, FieldPersist::Missing]
        );
        assert_eq!(
            c.hpersist_typed(&h, ["a"]).await?,
            [FieldPersist::Persistent]
        );
        assert_eq!(c.hpttl_typed(&h, ["a"]).await?, [Ttl::Persistent]);
        Ok(())
    })
    .await
}
