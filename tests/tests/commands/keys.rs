//! Group generic (keys).

use crate::{error_code, Ctx};
use sider::commands::{ExpireCondition, MigrateKeyOrEmpty};
use sider::prelude::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub async fn expiry(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let k = t.key("k");
    c.set(&k, "v").await?;
    assert_eq!(c.ttl(&k).await?, -1);
    assert_eq!(c.pttl(&k).await?, -1);
    assert_eq!(c.expiretime(&k).await?, -1);
    assert_eq!(c.ttl(t.key("missing")).await?, -2);
    assert_eq!(c.pexpiretime(t.key("missing")).await?, -2);

    assert!(c.expire(&k, Duration::from_secs(100)).await?);
    assert!(
        !c.expire(&k, Duration::from_secs(200))
            .condition(ExpireCondition::Nx)
            .await?
    );
    assert!(c.expire(&k, Duration::from_secs(200)).gt().await?);
    assert!(!c.expire(&k, Duration::from_secs(300)).lt().await?);
    assert!((190..=200).contains(&c.ttl(&k).await?));
    assert!(c.pexpire(&k, Duration::from_millis(150_000)).xx().await?);
    assert!((140_000..=150_000).contains(&c.pttl(&k).await?));

    let at = SystemTime::now() + Duration::from_secs(1000);
    let at_secs = at.duration_since(UNIX_EPOCH)?.as_secs() as i64;
    assert!(c.expireat(&k, at).await?);
    assert_eq!(c.expiretime(&k).await?, at_secs);
    assert!(!c.expireat(t.key("missing"), at).await?);
    assert!(c.pexpireat(&k, at).await?);
    let ms = c.pexpiretime(&k).await?;
    assert_eq!(ms / 1000, at_secs);
    assert!(!c.pexpireat(&k, at).nx().await?);

    assert!(c.persist(&k).await?);
    assert!(!c.persist(&k).await?);
    assert_eq!(c.ttl(&k).await?, -1);
    Ok(())
}

pub async fn keyspace(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (a, b, z) = (t.key("a"), t.key("b"), t.key("z"));
    c.mset([(&a, "1"), (&b, "2")]).await?;
    assert_eq!(c.exists([&a, &b, &z]).await?, 2);
    assert_eq!(c.touch([&a, &z]).await?, 1);
    assert_eq!(c.key_type(&a).await?, "string");
    assert_eq!(c.key_type(&z).await?, "none");
    c.rpush(t.key("list"), ["x"]).await?;
    assert_eq!(c.key_type(t.key("list")).await?, "list");

    let mut keys: Vec<String> = c.keys(format!("{}*", t.prefix)).await?;
    keys.sort();
    assert_eq!(keys, [a.clone(), b.clone(), t.key("list")]);

    // SCAN until the cursor comes back to 0.
    let mut found = Vec::<String>::new();
    let mut cursor = 0;
    loop {
        let (next, batch): (i64, Vec<String>) = c
            .scan(cursor)
            .pattern(format!("{}*", t.prefix))
            .count(100)
            .of_type("string")
            .await?;
        found.extend(batch);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    found.sort();
    assert_eq!(found, [a.clone(), b.clone()]);
    let random: Option<String> = c.randomkey().await?;
    assert!(random.is_some());

    let (): () = c.rename(&a, t.key("a2")).await?;
    assert!(!c.renamenx(t.key("a2"), &b).await?);
    assert!(c.renamenx(t.key("a2"), &a).await?);
    assert!(c.copy(&a, t.key("copy")).await?);
    assert!(!c.copy(&a, t.key("copy")).await?);
    assert!(c.copy(&b, t.key("copy")).replace().await?);
    assert_eq!(c.get::<i64>(t.key("copy")).await?, Some(2));
    assert_eq!(c.del([&a, &z]).await?, 1);
    assert_eq!(c.unlink([&b, &t.key("copy")]).await?, 2);
    assert!(error_code(c.rename(&z, &a).await).starts_with("ERR no such key"));

    // MIGRATE of a key that does not exist replies NOKEY before connecting anywhere.
    let reply: String = c
        .migrate(
            "127.0.0.1",
            1,
            MigrateKeyOrEmpty::Key(z.clone().into()),
            0,
            Duration::from_millis(100),
        )
        .await?;
    assert_eq!(reply, "NOKEY");
    // WAIT with no replica needed returns at once.
    assert_eq!(c.wait(0, Duration::from_millis(100)).await?, 0);
    Ok(())
}

pub async fn sort_dump_restore(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let list = t.key("list");
    c.rpush(&list, ["3", "1", "2"]).await?;
    let sorted: Vec<Option<i64>> = c.sort(&list).await?;
    assert_eq!(sorted, [Some(1), Some(2), Some(3)]);
    let sorted: Vec<Option<String>> = c.sort(&list).desc().limit(0, 2).await?;
    assert_eq!(sorted, [Some("3".to_owned()), Some("2".to_owned())]);
    c.mset(&[
        (t.key("w_1"), "c"),
        (t.key("w_2"), "a"),
        (t.key("w_3"), "b"),
    ])
    .await?;
    let by: Vec<Option<String>> = c
        .sort_ro(&list)
        .by(t.key("w_*"))
        .alpha()
        .get_pattern("#")
        .get_pattern(t.key("w_*"))
        .get_pattern(t.key("nothing_*"))
        .await?;
    assert_eq!(
        by,
        ["2", "a", "", "3", "b", "", "1", "c", ""].map(|s| (!s.is_empty()).then(|| s.to_owned()))
    );
    let stored: i64 = c.sort::<String>(&list).store(t.key("sorted")).await?;
    assert_eq!(stored, 3);
    assert_eq!(c.lrange::<i64>(t.key("sorted"), 0, -1).await?, [1, 2, 3]);

    let dump = c.dump(&list).await?.expect("a dump of an existing key");
    assert_eq!(c.dump(t.key("missing")).await?, None);
    let (): () = c.restore(t.key("restored"), 0, &dump[..]).await?;
    assert!(error_code(c.restore(t.key("restored"), 0, &dump[..]).await).starts_with("BUSYKEY"));
    c.restore(t.key("restored"), 100_000, &dump[..])
        .replace()
        .idletime(Duration::from_secs(10))
        .await?;
    assert!(c.pttl(t.key("restored")).await? > 90_000);
    assert_eq!(
        c.lrange::<String>(t.key("restored"), 0, -1).await?,
        ["3", "1", "2"]
    );
    Ok(())
}

pub async fn object(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (n, s) = (t.key("n"), t.key("s"));
    c.set(&n, "12345").await?;
    c.set(&s, "a longer string value").await?;
    assert_eq!(c.object_encoding(&n).await?.as_deref(), Some("int"));
    assert_eq!(c.object_encoding(&s).await?.as_deref(), Some("embstr"));
    assert_eq!(c.object_encoding(t.key("missing")).await?, None);
    assert!(c.object_refcount(&s).await?.is_some_and(|n| n >= 1));
    assert_eq!(c.object_refcount(t.key("missing")).await?, None);
    assert!(c.object_idletime(&s).await?.is_some_and(|n| n >= 0));
    assert_eq!(c.object_idletime(t.key("missing")).await?, None);
    // OBJECT FREQ needs an LFU maxmemory policy; a missing key is null either way.
    assert_eq!(c.object_freq(t.key("missing")).await?, None);
    assert!(error_code(c.object_freq(&s).await).contains("LFU"));
    let help: Vec<String> = c.object_help().await?;
    assert!(help.iter().any(|l| l.contains("ENCODING")), "{help:?}");

    // MOVE to another database, and back on a connection selecting it.
    assert!(c.move_db(&s, 7).await?);
    assert!(!c.move_db(&s, 7).await?);
    let mut conn = t.client.dedicated().await?;
    conn.select(7).await?;
    assert_eq!(
        conn.get::<String>(&s).await?.as_deref(),
        Some("a longer string value")
    );
    assert!(conn.move_db(&s, 0).await?);
    assert!(c.exists(&s).await? == 1);
    Ok(())
}
