//! Commands and arguments of the data-type groups (string, keys, hash, list, set, sorted set,
//! stream, geo, bitmap, hyperloglog) that Redis 7.0 lacks: those of Redis 7.2 to 8.0 (and 8.4)
//! and of Valkey up to 9.1. Each test runs on every server and, where a server lacks a command,
//! checks the error it gives instead: for a command, one naming the versions that have it; for an
//! argument, the server's own refusal.

use crate::{error_code, Ctx};
use sider::commands::XaddId;
use sider::prelude::*;
use sider::Client;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

type Version = Option<(u32, u32, u32)>;

/// Whether the connected server has what came in Redis `redis` or Valkey `valkey` (`None`: no
/// release of that server has it).
fn has(c: &Client, redis: Version, valkey: Version) -> bool {
    let server = c.server();
    let since = if server.is_valkey() { valkey } else { redis };
    since.is_some_and(|v| server.version() >= v)
}

/// Asserts the error of a command the server does not have: it names the versions that do.
fn lacks<T: std::fmt::Debug>(result: Result<T, sider::Error>, needs: &str) {
    let error = error_code(result);
    assert!(error.contains(&format!(": {needs};")), "{error}");
}

/// Asserts a server's refusal of an argument it does not know.
fn refuses<T: std::fmt::Debug>(result: Result<T, sider::Error>, says: &str) {
    let error = error_code(result);
    assert!(error.contains(says), "{error}");
}

fn unix_secs(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// HEXPIRE and the other eight hash-field expiration commands (Redis 7.4.0, Valkey 9.0.0).
pub async fn hash_field_expiry(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (h, none) = (t.key("h"), t.key("none"));
    c.hset(&h, [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")])
        .await?;
    let hour = Duration::from_secs(3600);
    if !has(c, Some((7, 4, 0)), Some((9, 0, 0))) {
        let needs = "needs Redis 7.4.0 or Valkey 9.0.0";
        lacks(c.hexpire(&h, hour, ["a"]).await, needs);
        lacks(c.hpexpire(&h, hour, ["a"]).await, needs);
        lacks(
            c.hexpireat(&h, SystemTime::now() + hour, ["a"]).await,
            needs,
        );
        lacks(
            c.hpexpireat(&h, SystemTime::now() + hour, ["a"]).await,
            needs,
        );
        lacks(c.httl(&h, ["a"]).await, needs);
        lacks(c.hpttl(&h, ["a"]).await, needs);
        lacks(c.hexpiretime(&h, ["a"]).await, needs);
        lacks(c.hpexpiretime(&h, ["a"]).await, needs);
        lacks(c.hpersist(&h, ["a"]).await, needs);
        return Ok(());
    }

    // One code per field: 1 set, -2 no such field.
    assert_eq!(c.hexpire(&h, hour, ["a", "zz"]).await?, [1, -2]);
    assert_eq!(c.hexpire(&none, hour, ["a"]).await?, [-2]);
    // NX: only fields without an expiry; GT: only a later one (no expiry counts as infinite).
    assert_eq!(c.hexpire(&h, hour, ["a", "b"]).nx().await?, [0, 1]);
    assert_eq!(c.hexpire(&h, hour * 2, ["a", "c"]).gt().await?, [1, 0]);
    assert_eq!(c.hexpire(&h, hour / 2, ["a"]).lt().await?, [1]);
    assert_eq!(c.hexpire(&h, hour, ["c"]).xx().await?, [0]);

    let ttls = c.httl(&h, ["a", "b", "c", "zz"]).await?;
    assert!((1..=1800).contains(&ttls[0]), "{ttls:?}");
    assert!((1..=3600).contains(&ttls[1]), "{ttls:?}");
    assert_eq!(ttls[2..], [-1, -2]);
    let pttls = c.hpttl(&h, ["b", "c"]).await?;
    assert!((1..=3_600_000).contains(&pttls[0]), "{pttls:?}");
    assert_eq!(pttls[1], -1);

    let at = SystemTime::now() + hour * 5;
    assert_eq!(c.hexpireat(&h, at, ["c"]).await?, [1]);
    assert_eq!(
        c.hexpiretime(&h, ["c", "d", "zz"]).await?,
        [unix_secs(at), -1, -2]
    );
    let at_ms = SystemTime::now() + hour * 6;
    assert_eq!(c.hpexpireat(&h, at_ms, ["d"]).nx().await?, [1]);
    let ms = at_ms.duration_since(UNIX_EPOCH)?.as_millis() as i64;
    assert_eq!(c.hpexpiretime(&h, ["d"]).await?, [ms]);
    // In seconds, Redis rounds up and Valkey to the nearest.
    let secs = c.hexpiretime(&h, ["d"]).await?;
    assert!(
        [ms / 1000, ms / 1000 + 1].contains(&secs[0]),
        "{secs:?} for {ms} ms"
    );
    assert_eq!(c.hpexpire(&h, hour, ["d"]).lt().await?, [1]);
    let pttl = c.hpttl(&h, ["d"]).await?;
    assert!((1..=3_600_000).contains(&pttl[0]), "{pttl:?}");

    assert_eq!(c.hpersist(&h, ["a", "zz"]).await?, [1, -2]);
    assert_eq!(c.hpersist(&h, ["a"]).await?, [-1]);
    assert_eq!(c.httl(&h, ["a"]).await?, [-1]);

    // A time already past deletes the field at once: code 2.
    assert_eq!(c.hexpire(&h, Duration::ZERO, ["a"]).await?, [2]);
    assert_eq!(c.hpexpireat(&h, UNIX_EPOCH + hour, ["b"]).await?, [2]);
    let mut left: Vec<String> = c.hkeys(&h).await?;
    left.sort();
    assert_eq!(left, ["c", "d"]);
    assert!(error_code(c.httl(&h, [] as [&str; 0]).await).contains("wrong number"));
    Ok(())
}

/// HGETDEL (Redis 8.0.0, Valkey 9.1.0), HGETEX and HSETEX (Redis 8.0.0, Valkey 9.0.0; HSETEX's
/// NX/XX only in Valkey) and HSCAN NOVALUES (Redis 7.4.0, Valkey 8.0.0).
pub async fn hash_get_set_ex(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (h, none) = (t.key("h"), t.key("none"));
    c.hset(&h, [("a", "1"), ("b", "2"), ("c", "3")]).await?;
    let hour = Duration::from_secs(3600);

    if has(c, Some((7, 4, 0)), Some((8, 0, 0))) {
        let (cursor, mut fields): (i64, Vec<String>) =
            c.hscan::<String, String>(&h, 0).novalues().await?;
        assert_eq!(cursor, 0);
        fields.sort();
        assert_eq!(fields, ["a", "b", "c"]);
        let (_, fields): (i64, Vec<String>) = c
            .hscan::<String, String>(&h, 0)
            .pattern("b")
            .novalues()
            .count(10)
            .await?;
        assert_eq!(fields, ["b"]);
    } else {
        refuses(
            c.hscan::<String, String>(&h, 0).novalues().await,
            "syntax error",
        );
    }

    if has(c, Some((8, 0, 0)), Some((9, 1, 0))) {
        let got: Vec<Option<String>> = c.hgetdel(&h, ["a", "zz"]).await?;
        assert_eq!(got, [Some("1".to_owned()), None]);
        assert!(!c.hexists(&h, "a").await?);
        assert_eq!(c.hgetdel::<i64>(&none, ["a"]).await?, [None]);
    } else {
        let needs = "needs Redis 8.0.0 or Valkey 9.1.0";
        lacks(c.hgetdel::<String>(&h, ["a"]).await, needs);
        c.hdel(&h, ["a"]).await?;
    }

    if !has(c, Some((8, 0, 0)), Some((9, 0, 0))) {
        let needs = "needs Redis 8.0.0 or Valkey 9.0.0";
        lacks(c.hgetex::<String>(&h, ["b"]).await, needs);
        lacks(c.hsetex(&h, [("x", "1")]).await, needs);
        return Ok(());
    }

    // HGETEX reads, and sets or clears the expiry of the fields it reads.
    let got: Vec<Option<i64>> = c.hgetex(&h, ["b", "zz"]).ex(hour).await?;
    assert_eq!(got, [Some(2), None]);
    let ttl = c.httl(&h, ["b", "c"]).await?;
    assert!((1..=3600).contains(&ttl[0]), "{ttl:?}");
    assert_eq!(ttl[1], -1);
    let got: Vec<Option<String>> = c.hgetex(&h, ["b"]).persist_fields().await?;
    assert_eq!(got, [Some("2".to_owned())]);
    assert_eq!(c.httl(&h, ["b"]).await?, [-1]);
    let at = SystemTime::now() + hour * 2;
    c.hgetex::<String>(&h, ["c"]).exat(at).await?;
    assert_eq!(c.hexpiretime(&h, ["c"]).await?, [unix_secs(at)]);
    assert_eq!(c.hgetex::<String>(&h, ["c"]).await?, [Some("3".to_owned())]);
    assert_eq!(c.hgetex::<String>(&none, ["c"]).await?, [None]);

    // HSETEX: FNX sets only when none of the fields exists, FXX only when all do.
    assert!(
        c.hsetex(&h, [("x", "1"), ("y", "2")])
            .fnx()
            .ex(hour)
            .await?
    );
    let ttl = c.httl(&h, ["x", "y"]).await?;
    assert!(ttl.iter().all(|s| (1..=3600).contains(s)), "{ttl:?}");
    assert!(!c.hsetex(&h, [("x", "9"), ("new", "9")]).fnx().await?);
    assert!(!c.hsetex(&h, [("x", "9"), ("new", "9")]).fxx().await?);
    assert!(c.hsetex(&h, [("x", "7")]).fxx().keepttl().await?);
    let ttl = c.httl(&h, ["x"]).await?;
    assert!((1..=3600).contains(&ttl[0]), "KEEPTTL kept it: {ttl:?}");
    // Without an expiration option the fields set lose theirs.
    assert!(c.hsetex(&h, [("x", "8")]).await?);
    assert_eq!(c.httl(&h, ["x"]).await?, [-1]);
    assert!(c.hsetex(&h, [("p", "1")]).px(hour).await?);
    let at = SystemTime::now() + hour * 3;
    assert!(c.hsetex(&h, [("q", "1")]).exat(at).await?);
    assert_eq!(c.hexpiretime(&h, ["q"]).await?, [unix_secs(at)]);
    let got: Vec<Option<String>> = c.hmget(&h, ["x", "y", "new"]).await?;
    assert_eq!(got, [Some("8".to_owned()), Some("2".to_owned()), None]);
    // FIELDS counts the pairs given (three), not their words (six).
    let before = c.hlen(&h).await?;
    assert!(
        c.hsetex(&h, (("c1", "1"), ("c2", "2"), ("c3", "3")))
            .await?
    );
    assert_eq!(c.hlen(&h).await?, before + 3);

    // NX/XX on the hash itself: Valkey only.
    let fresh = t.key("fresh");
    if c.server().is_valkey() {
        assert!(!c.hsetex(&h, [("z", "1")]).nx().await?);
        assert!(!c.hsetex(&fresh, [("z", "1")]).xx().await?);
        assert!(c.hsetex(&fresh, [("z", "1")]).nx().ex(hour).await?);
        assert!(c.hsetex(&fresh, [("z", "2")]).xx().fxx().await?);
        assert_eq!(c.hget::<i64>(&fresh, "z").await?, Some(2));
    } else {
        refuses(c.hsetex(&fresh, [("z", "1")]).nx().await, "NX");
        assert_eq!(c.exists([&fresh]).await?, 0);
    }
    Ok(())
}

/// ZRANK/ZREVRANK WITHSCORE (Redis 7.2.0) and ZSCAN NOSCORES (Valkey 8.0.0, no Redis).
pub async fn sorted_set_options(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let z = t.key("z");
    c.zadd(&z, [(1.5, "a"), (2.0, "b"), (3.25, "c")]).await?;

    if has(c, Some((7, 2, 0)), Some((7, 2, 0))) {
        assert_eq!(c.zrank(&z, "b").withscore().await?, Some((1, 2.0)));
        assert_eq!(c.zrevrank(&z, "c").withscore().await?, Some((0, 3.25)));
        assert_eq!(c.zrank(&z, "zz").withscore().await?, None);
        assert_eq!(c.zrevrank(t.key("none"), "a").withscore().await?, None);
    } else {
        refuses(
            c.zrank(&z, "b").withscore().await,
            "wrong number of arguments",
        );
        refuses(
            c.zrevrank(&z, "b").withscore().await,
            "wrong number of arguments",
        );
    }

    if has(c, None, Some((8, 0, 0))) {
        let (cursor, members): (i64, Vec<String>) = c.zscan(&z, 0).noscores().await?;
        assert_eq!(cursor, 0);
        assert_eq!(members, ["a", "b", "c"]);
        let (_, members): (i64, Vec<String>) = c.zscan(&z, 0).noscores().pattern("[bc]").await?;
        assert_eq!(members, ["b", "c"]);
    } else {
        refuses(c.zscan::<String>(&z, 0).noscores().await, "syntax error");
    }
    Ok(())
}

/// SET IFEQ (Valkey 8.1.0, Redis 8.4.0), DELIFEQ (Valkey 9.0.0, no Redis), MSETEX (Valkey 9.1.0,
/// Redis 8.4.0) and XREAD's `+` (Redis 7.4.0, Valkey 8.0.0).
pub async fn string_conditions(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (k, none) = (t.key("k"), t.key("none"));
    c.set(&k, "v").await?;

    if has(c, Some((8, 4, 0)), Some((8, 1, 0))) {
        assert!(c.set(&k, "w").ifeq("v").await?);
        assert!(!c.set(&k, "x").ifeq("v").await?);
        assert!(!c.set(&none, "x").ifeq("v").await?, "IFEQ creates no key");
        assert_eq!(c.exists([&none]).await?, 0);
        let old: Option<String> = c.set(&k, "y").ifeq("w").get_old().await?;
        assert_eq!(old.as_deref(), Some("w"));
        let old: Option<String> = c.set(&k, "z").get_old().ifeq("nope").await?;
        assert_eq!(
            old.as_deref(),
            Some("y"),
            "the old value, though nothing was set"
        );
        c.set(&k, "v")
            .ifeq("y")
            .ex(Duration::from_secs(100))
            .await?;
        assert!((1..=100).contains(&c.ttl(&k).await?));
    } else {
        refuses(c.set(&k, "w").ifeq("v").await, "syntax error");
    }
    assert_eq!(c.get::<String>(&k).await?.as_deref(), Some("v"));

    if has(c, None, Some((9, 0, 0))) {
        assert!(!c.delifeq(&k, "other").await?);
        assert!(c.delifeq(&k, "v").await?);
        assert!(!c.delifeq(&k, "v").await?);
    } else {
        lacks(
            c.delifeq(&k, "v").await,
            "needs Valkey 9.0.0 (no Redis release has it)",
        );
    }

    let (m1, m2, m3) = (t.key("{m}1"), t.key("{m}2"), t.key("{m}3"));
    let hour = Duration::from_secs(3600);
    if has(c, Some((8, 4, 0)), Some((9, 1, 0))) {
        assert!(c.msetex([(&m1, "a"), (&m2, "b")]).ex(hour).await?);
        assert!((1..=3600).contains(&c.ttl(&m2).await?));
        assert!(!c.msetex([(&m1, "x"), (&m3, "x")]).nx().await?);
        assert!(!c.msetex([(&m1, "x"), (&m3, "x")]).xx().await?);
        assert!(c.msetex([(&m1, "c")]).xx().keepttl().await?);
        assert!((1..=3600).contains(&c.ttl(&m1).await?));
        assert!(c.msetex([(&m3, "d")]).nx().px(hour).await?);
        assert!(c.msetex([(&m2, "e")]).await?);
        assert_eq!(
            c.ttl(&m2).await?,
            -1,
            "no expiration option: the expiry goes"
        );
        let got: Vec<Option<String>> = c.mget([&m1, &m2, &m3]).await?;
        assert_eq!(got, [Some("c".into()), Some("e".into()), Some("d".into())]);
    } else {
        let needs = "needs Redis 8.4.0 or Valkey 9.1.0";
        lacks(c.msetex([(&m1, "a")]).await, needs);
    }

    type Entry = (String, Vec<(String, String)>);
    let s = t.key("s");
    c.xadd(&s, XaddId::Id("1-1".into()), [("f", "a")]).await?;
    c.xadd(&s, XaddId::Id("2-1".into()), [("f", "b")]).await?;
    if has(c, Some((7, 4, 0)), Some((8, 0, 0))) {
        let read: Option<HashMap<String, Vec<Entry>>> = c.xread([&s], ["+"]).await?;
        let last = vec![("2-1".to_owned(), vec![("f".to_owned(), "b".to_owned())])];
        assert_eq!(read, Some(HashMap::from([(s.clone(), last)])));
    } else {
        let read = c.xread::<String, String, String>([&s], ["+"]).await;
        refuses(read, "Invalid stream ID");
    }
    Ok(())
}
