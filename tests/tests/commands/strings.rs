//! Groups string, bitmap and hyperloglog.

use crate::{error_code, Ctx};
use sider::commands::{BitcountRangeUnit, BitfieldOperationOverflow, BitposRangeEndIndexUnit};
use sider::prelude::*;
use sider::Value;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

pub async fn strings(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (s, n, f) = (t.key("s"), t.key("n"), t.key("f"));

    let (): () = c.set(&s, "hello").await?;
    assert_eq!(c.append(&s, " world").await?, 11);
    assert_eq!(c.get::<String>(&s).await?.as_deref(), Some("hello world"));
    assert_eq!(c.get::<String>(t.key("missing")).await?, None);
    assert_eq!(c.strlen(&s).await?, 11);
    assert_eq!(c.getrange::<String>(&s, 0, 4).await?, "hello");
    assert_eq!(c.substr::<String>(&s, -5, -1).await?, "world");
    assert_eq!(c.setrange(&s, 6, "there").await?, 11);
    let old: Option<String> = c.getset(&s, "v2").await?;
    assert_eq!(old.as_deref(), Some("hello there"));
    assert_eq!(c.getdel::<String>(&s).await?.as_deref(), Some("v2"));
    assert_eq!(c.getdel::<String>(&s).await?, None);

    assert_eq!(c.incr(&n).await?, 1);
    assert_eq!(c.incrby(&n, 10).await?, 11);
    assert_eq!(c.decr(&n).await?, 10);
    assert_eq!(c.decrby(&n, 3).await?, 7);
    assert_eq!(c.get::<i64>(&n).await?, Some(7));
    assert_eq!(c.incrbyfloat(&f, 1.5).await?, 1.5);
    assert_eq!(c.incrbyfloat(&f, 0.25).await?, 1.75);

    // SET's options, and the replies they change.
    let set: bool = c.set(&n, "x").nx().await?;
    assert!(!set, "NX on an existing key");
    assert!(c.set(t.key("fresh"), "x").nx().await?);
    assert!(c.set(&n, "8").xx().await?);
    assert!(!c.set(t.key("absent"), "x").xx().await?);
    let previous: Option<i64> = c.set(&n, "9").get_old().await?;
    assert_eq!(previous, Some(8));
    // With NX or XX, GET still replies the old value, in whichever order the options are
    // called: the reply type follows the server, not the last call.
    let old: Option<i64> = c.set(&n, "10").xx().get_old().await?;
    assert_eq!(old, Some(9));
    let old: Option<i64> = c.set(&n, "11").get_old().xx().await?;
    assert_eq!(old, Some(10));
    let old: Option<String> = c.set(&n, "12").get_old().nx().await?;
    assert_eq!(
        old.as_deref(),
        Some("11"),
        "NX on an existing key: not set, old value"
    );
    assert_eq!(c.get::<i64>(&n).await?, Some(11));
    let absent: Option<String> = c.set(t.key("gn"), "x").nx().get_old().await?;
    assert_eq!(absent, None, "NX on a missing key: set, no old value");
    assert_eq!(c.get::<String>(t.key("gn")).await?.as_deref(), Some("x"));
    // Numbers in the command's unit work where a Duration does.
    c.set(t.key("px"), "p").px(60_000).await?;
    assert!((50_000..=60_000).contains(&c.pttl(t.key("px")).await?));
    assert!(c.expire(t.key("px"), 100).await?);
    assert!((90..=100).contains(&c.ttl(t.key("px")).await?));
    c.set(&n, "9").await?;
    c.set(&s, "e").ex(Duration::from_secs(100)).await?;
    let ttl = c.ttl(&s).await?;
    assert!((90..=100).contains(&ttl), "{ttl}");
    c.set(&s, "e2").keepttl().await?;
    assert!(c.ttl(&s).await? > 0);
    c.set(&s, "e3")
        .pxat(SystemTime::now() + Duration::from_secs(50))
        .await?;
    assert!((40..=50).contains(&c.ttl(&s).await?));

    // GETEX sets or removes the time to live while reading.
    let v: Option<String> = c.getex(&s).persist_key().await?;
    assert_eq!(v.as_deref(), Some("e3"));
    assert_eq!(c.ttl(&s).await?, -1);
    let v: Option<String> = c.getex(&s).px(Duration::from_millis(30_000)).await?;
    assert_eq!(v.as_deref(), Some("e3"));
    assert!(c.pttl(&s).await? > 20_000);
    assert_eq!(c.getex::<String>(t.key("nokey")).await?, None);

    let (): () = c.setex(&s, Duration::from_secs(60), "sx").await?;
    assert!(c.ttl(&s).await? > 50);
    c.psetex(&s, Duration::from_millis(60_000), "psx").await?;
    assert!(c.pttl(&s).await? > 50_000);
    assert_eq!(c.get::<String>(&s).await?.as_deref(), Some("psx"));
    assert!(c.setnx(t.key("nx"), "1").await?);
    assert!(!c.setnx(t.key("nx"), "2").await?);

    // Several keys at once.
    let (a, b) = (t.key("a"), t.key("b"));
    c.mset([(&a, "1"), (&b, "2")]).await?;
    let values: Vec<Option<i64>> = c.mget([&a, &b, &t.key("none")]).await?;
    assert_eq!(values, [Some(1), Some(2), None]);
    assert!(!c.msetnx([(&a, "x"), (&t.key("c"), "y")]).await?);
    assert!(c.msetnx([(&t.key("c"), "y"), (&t.key("d"), "z")]).await?);

    // LCS and its reply-changing options.
    let (k1, k2) = (t.key("lcs1"), t.key("lcs2"));
    c.mset([(&k1, "ohmytext"), (&k2, "mynewtext")]).await?;
    assert_eq!(c.lcs(&k1, &k2).await?, "mytext");
    let len: i64 = c.lcs(&k1, &k2).len().await?;
    assert_eq!(len, 6);
    let idx: HashMap<String, Value> = c.lcs(&k1, &k2).idx().minmatchlen(4).withmatchlen().await?;
    assert_eq!(idx.get("len"), Some(&Value::Integer(6)));
    let Some(Value::Array(matches)) = idx.get("matches") else {
        panic!("LCS IDX matches: {idx:?}");
    };
    assert_eq!(matches.len(), 1, "{matches:?}");

    // A wrong type is the server's error, not a decoding one.
    c.sadd(t.key("set"), "m").await?;
    assert!(error_code(c.get::<String>(t.key("set")).await).starts_with("WRONGTYPE"));
    Ok(())
}

pub async fn bitmaps(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (b, other, dest) = (t.key("b"), t.key("o"), t.key("dest"));
    assert_eq!(c.setbit(&b, 7, 1).await?, 0);
    assert_eq!(c.setbit(&b, 7, 1).await?, 1);
    assert_eq!(c.getbit(&b, 7).await?, 1);
    assert_eq!(c.getbit(&b, 100).await?, 0);
    assert_eq!(c.bitcount(&b).await?, 1);
    c.setbit(&b, 9, 1).await?;
    assert_eq!(
        c.bitcount(&b)
            .range(0, 7, Some(BitcountRangeUnit::Bit))
            .await?,
        1
    );
    assert_eq!(c.bitcount(&b).range(1, 1, None).await?, 1);
    assert_eq!(c.bitpos(&b, 1).await?, 7);
    assert_eq!(c.bitpos(&b, 1).range(1, None, None).await?, 9);
    assert_eq!(
        c.bitpos(&b, 1)
            .range(8, Some(8), Some(BitposRangeEndIndexUnit::Bit))
            .await?,
        -1
    );
    c.set(&other, "\u{ff}").await?;
    assert_eq!(c.bitop("AND", &dest, [&b, &other]).await?, 2);
    assert_eq!(c.get::<Vec<u8>>(&dest).await?, Some(vec![1, 0]));

    let f = t.key("field");
    let replies: Vec<Option<i64>> = c
        .bitfield(&f)
        .set_bits("u8", 0, 200)
        .get_bits("u8", 0)
        .incr_bits("u8", 0, 100)
        .overflow(BitfieldOperationOverflow::Fail)
        .incr_bits("u8", 0, 250)
        .await?;
    // 200 + 100 wraps to 44; then 44 + 250 overflows and FAIL leaves it, replying null.
    assert_eq!(replies, [Some(0), Some(200), Some(44), None]);
    let read: Vec<i64> = c
        .bitfield_ro(&f)
        .get_bits("u8", 0)
        .get_bits("u4", 0)
        .await?;
    assert_eq!(read, [44, 2]);
    Ok(())
}

pub async fn hyperloglogs(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (h1, h2, merged) = (t.key("h1"), t.key("h2"), t.key("merged"));
    assert!(c.pfadd(&h1).element("a").element("b").element("c").await?);
    assert!(!c.pfadd(&h1).element("a").await?);
    assert!(c.pfadd(&h2).element("c").element("d").await?);
    assert_eq!(c.pfcount(&h1).await?, 3);
    assert_eq!(c.pfcount([&h1, &h2]).await?, 4);
    let (): () = c.pfmerge(&merged, [&h1, &h2]).await?;
    assert_eq!(c.pfcount(&merged).await?, 4);
    let registers = c.pfdebug("GETREG", &h1).await?;
    let Value::Array(registers) = registers else {
        panic!("PFDEBUG GETREG: {registers:?}");
    };
    assert_eq!(registers.len(), 16384);
    let (): () = c.pfselftest().await?;
    Ok(())
}
