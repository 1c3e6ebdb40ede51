//! Groups hash, list and set.

use crate::{error_code, Ctx};
use sider::commands::{LinsertPosition, Side};
use sider::prelude::*;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

pub async fn hashes(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let h = t.key("h");
    assert_eq!(c.hset(&h, [("a", "1"), ("b", "2")]).await?, 2);
    assert_eq!(c.hset(&h, [("b", "3"), ("c", "4")]).await?, 1);
    let (): () = c.hmset(&h, [("d", "x")]).await?;
    assert!(c.hsetnx(&h, "e", "5").await?);
    assert!(!c.hsetnx(&h, "e", "6").await?);
    assert_eq!(c.hget::<i64>(&h, "b").await?, Some(3));
    assert_eq!(c.hget::<i64>(&h, "zz").await?, None);
    assert!(c.hexists(&h, "a").await?);
    assert!(!c.hexists(&h, "zz").await?);
    assert_eq!(c.hlen(&h).await?, 5);
    assert_eq!(c.hstrlen(&h, "d").await?, 1);
    let all: HashMap<String, String> = c.hgetall(&h).await?;
    assert_eq!(all.len(), 5);
    assert_eq!(all["c"], "4");
    assert!(c.hgetall::<String, String>(t.key("none")).await?.is_empty());
    let mut fields: Vec<String> = c.hkeys(&h).await?;
    fields.sort();
    assert_eq!(fields, ["a", "b", "c", "d", "e"]);
    let mut values: Vec<String> = c.hvals(&h).await?;
    values.sort();
    assert_eq!(values, ["1", "3", "4", "5", "x"]);
    let got: Vec<Option<String>> = c.hmget(&h, ["a", "zz", "d"]).await?;
    assert_eq!(got, [Some("1".to_owned()), None, Some("x".to_owned())]);
    assert_eq!(c.hincrby(&h, "a", 10).await?, 11);
    assert_eq!(c.hincrbyfloat(&h, "a", 0.5).await?, 11.5);
    assert_eq!(c.hdel(&h, ["d", "zz"]).await?, 1);

    let one: Option<String> = c.hrandfield(&h).await?;
    assert!(one.is_some_and(|f| ["a", "b", "c", "e"].contains(&f.as_str())));
    assert_eq!(c.hrandfield::<String>(t.key("none")).await?, None);
    let some: Vec<String> = c.hrandfield(&h).count(2).await?;
    assert_eq!(some.len(), 2);
    let pairs: Vec<(String, String)> = c.hrandfield(&h).count_withvalues(10).await?;
    assert_eq!(pairs.len(), 4);
    assert!(pairs.contains(&("a".to_owned(), "11.5".to_owned())));

    let (cursor, scanned): (i64, Vec<(String, String)>) =
        c.hscan(&h, 0).pattern("[ab]").count(100).await?;
    assert_eq!(cursor, 0);
    let scanned: HashMap<String, String> = scanned.into_iter().collect();
    assert_eq!(scanned.len(), 2);
    assert_eq!(scanned["b"], "3");
    Ok(())
}

pub async fn lists(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (l, other) = (t.key("l"), t.key("other"));
    assert_eq!(c.rpush(&l, ["b", "c"]).await?, 2);
    assert_eq!(c.lpush(&l, ["a"]).await?, 3);
    assert_eq!(c.lpushx(t.key("none"), ["x"]).await?, 0);
    assert_eq!(c.rpushx(&l, ["d", "e"]).await?, 5);
    assert_eq!(c.llen(&l).await?, 5);
    assert_eq!(
        c.lrange::<String>(&l, 0, -1).await?,
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(c.lindex::<String>(&l, 1).await?.as_deref(), Some("b"));
    assert_eq!(c.lindex::<String>(&l, 99).await?, None);
    assert_eq!(c.linsert(&l, LinsertPosition::Before, "c", "bc").await?, 6);
    assert_eq!(c.linsert(&l, LinsertPosition::After, "zz", "x").await?, -1);
    let (): () = c.lset(&l, 0, "A").await?;
    assert_eq!(c.lpos(&l, "c").await?, Some(3));
    assert_eq!(c.lpos(&l, "zz").await?, None);
    c.rpush(&l, ["c"]).await?;
    let positions: Vec<i64> = c.lpos(&l, "c").count(0).await?;
    assert_eq!(positions, [3, 6]);
    assert_eq!(c.lpos(&l, "c").rank(-1).maxlen(0).await?, Some(6));
    assert_eq!(c.lrem(&l, 0, "c").await?, 2);
    let (): () = c.ltrim(&l, 0, 3).await?;
    assert_eq!(c.lrange::<String>(&l, 0, -1).await?, ["A", "b", "bc", "d"]);

    assert_eq!(c.lpop::<String>(&l).await?.as_deref(), Some("A"));
    assert_eq!(c.rpop::<String>(&l).await?.as_deref(), Some("d"));
    let popped: Vec<String> = c.lpop(&l).count(5).await?;
    assert_eq!(popped, ["b", "bc"]);
    assert_eq!(c.lpop::<String>(&l).await?, None);
    assert_eq!(c.rpop::<String>(&l).await?, None);

    c.rpush(&l, ["1", "2", "3"]).await?;
    let popped: Vec<i64> = c.rpop(&l).count(2).await?;
    assert_eq!(popped, [3, 2]);
    assert_eq!(c.rpoplpush::<i64>(&l, &other).await?, Some(1));
    assert_eq!(c.rpoplpush::<i64>(&l, &other).await?, None);
    let moved: Option<String> = c.lmove(&other, &l, Side::Left, Side::Right).await?;
    assert_eq!(moved.as_deref(), Some("1"));
    assert_eq!(
        c.lmove::<String>(t.key("none"), &l, Side::Left, Side::Left)
            .await?,
        None
    );
    c.rpush(&other, ["x", "y", "z"]).await?;
    let popped: Option<(String, Vec<String>)> = c
        .lmpop([&t.key("none"), &other], Side::Right)
        .count(2)
        .await?;
    assert_eq!(popped, Some((other.clone(), vec!["z".into(), "y".into()])));
    assert_eq!(
        c.lmpop::<String, String>(&[&t.key("none")], Side::Left)
            .await?,
        None
    );
    Ok(())
}

/// Blocking pops with data present (they answer at once) and one that times out.
pub async fn blocking_lists(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (l, m) = (t.key("l"), t.key("m"));
    let wait = Duration::from_secs(1);
    c.rpush(&l, ["a", "b", "c", "d", "e"]).await?;
    let got: Option<(String, String)> = c.blpop([&t.key("none"), &l], wait).await?;
    assert_eq!(got, Some((l.clone(), "a".to_owned())));
    let got: Option<(String, String)> = c.brpop(&l, wait).await?;
    assert_eq!(got, Some((l.clone(), "e".to_owned())));
    assert_eq!(
        c.brpoplpush::<String>(&l, &m, wait).await?.as_deref(),
        Some("d")
    );
    let moved: Option<String> = c.blmove(&m, &l, Side::Left, Side::Left, wait).await?;
    assert_eq!(moved.as_deref(), Some("d"));
    let popped: Option<(String, Vec<String>)> = c.blmpop(wait, &l, Side::Left).count(2).await?;
    assert_eq!(popped, Some((l.clone(), vec!["d".into(), "b".into()])));
    // Nothing to pop: the timeout passes and the reply is null.
    let none: Option<(String, String)> =
        c.blpop(t.key("empty"), Duration::from_millis(100)).await?;
    assert_eq!(none, None);
    let none: Option<(String, Vec<String>)> = c
        .blmpop(Duration::from_millis(100), t.key("empty"), Side::Right)
        .await?;
    assert_eq!(none, None);
    Ok(())
}

pub async fn sets(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (a, b, d) = (t.key("a"), t.key("b"), t.key("d"));
    assert_eq!(c.sadd(&a, ["1", "2", "3"]).await?, 3);
    assert_eq!(c.sadd(&a, ["3", "4"]).await?, 1);
    c.sadd(&b, ["3", "4", "5"]).await?;
    assert_eq!(c.scard(&a).await?, 4);
    assert!(c.sismember(&a, "1").await?);
    assert!(!c.sismember(&a, "9").await?);
    assert_eq!(
        c.smismember(&a, ["1", "9", "4"]).await?,
        [true, false, true]
    );
    let members: HashSet<i64> = c.smembers(&a).await?;
    assert_eq!(members, HashSet::from([1, 2, 3, 4]));
    let inter: HashSet<String> = c.sinter([&a, &b]).await?;
    assert_eq!(inter, HashSet::from(["3".into(), "4".into()]));
    let union: HashSet<i64> = c.sunion([&a, &b]).await?;
    assert_eq!(union.len(), 5);
    let diff: HashSet<i64> = c.sdiff([&a, &b]).await?;
    assert_eq!(diff, HashSet::from([1, 2]));
    assert_eq!(c.sintercard([&a, &b]).await?, 2);
    assert_eq!(c.sintercard([&a, &b]).limit(1).await?, 1);
    assert_eq!(c.sinterstore(&d, [&a, &b]).await?, 2);
    assert_eq!(c.sunionstore(&d, [&a, &b]).await?, 5);
    assert_eq!(c.sdiffstore(&d, [&a, &b]).await?, 2);
    assert!(c.smove(&a, &b, "1").await?);
    assert!(!c.smove(&a, &b, "1").await?);
    assert_eq!(c.srem(&b, ["1", "9"]).await?, 1);

    let random: Option<i64> = c.srandmember(&a).await?;
    assert!(random.is_some_and(|m| (2..=4).contains(&m)));
    let randoms: Vec<i64> = c.srandmember(&a).count(-5).await?;
    assert_eq!(randoms.len(), 5, "a negative count may repeat members");
    assert_eq!(c.srandmember::<i64>(t.key("none")).await?, None);
    let popped: Option<i64> = c.spop(&d).await?;
    assert!(popped.is_some_and(|m| m == 1 || m == 2));
    let rest: Vec<i64> = c.spop(&d).count(5).await?;
    assert_eq!(rest.len(), 1);
    assert_eq!(c.spop::<i64>(&d).await?, None);

    let (cursor, members): (i64, Vec<i64>) = c.sscan(&a, 0).count(100).await?;
    assert_eq!(cursor, 0);
    assert_eq!(members.len(), 3);
    let (_, matching): (i64, Vec<String>) = c.sscan(&a, 0).pattern("[23]").await?;
    assert_eq!(matching.len(), 2);
    assert!(error_code(c.sadd(t.key("none"), &[] as &[&str]).await).contains("wrong number"));
    Ok(())
}
