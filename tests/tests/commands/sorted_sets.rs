//! Groups sorted-set and geo.

use crate::Ctx;
use sider::commands::{BzmpopEnd, GeoradiusUnit, GeoradiusbymemberUnit, GeosearchBy};
use sider::commands::{GeoradiusRoUnit, GeoradiusbymemberRoUnit, ZmpopEnd};
use sider::commands::{GeosearchByByboxUnit, GeosearchByByradiusUnit, GeosearchFrom};
use sider::commands::{GeosearchstoreBy, GeosearchstoreByByradiusUnit, GeosearchstoreFrom};
use sider::prelude::*;
use sider::Value;
use std::time::Duration;

pub async fn sorted_sets(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (z, w) = (t.key("z"), t.key("w"));
    assert_eq!(c.zadd(&z, [(1.0, "a"), (2.0, "b"), (3.0, "c")]).await?, 3);
    assert_eq!(c.zadd(&z, [(5.0, "c"), (4.0, "d")]).ch().await?, 2);
    assert_eq!(c.zadd(&z, [(9.0, "a")]).nx().await?, 0);
    assert_eq!(c.zadd(&z, [(0.5, "a")]).gt().ch().await?, 0);
    let new: Option<f64> = c.zadd(&z, [(1.5, "a")]).increment().await?;
    assert_eq!(new, Some(2.5));
    let aborted: Option<f64> = c.zadd(&z, [(1.0, "b")]).xx().lt().increment().await?;
    assert_eq!(aborted, None, "LT with a positive increment is refused");
    assert_eq!(c.zcard(&z).await?, 4);
    assert_eq!(c.zscore(&z, "a").await?, Some(2.5));
    assert_eq!(c.zscore(&z, "zz").await?, None);
    assert_eq!(
        c.zmscore(&z, ["a", "zz", "d"]).await?,
        [Some(2.5), None, Some(4.0)]
    );
    assert_eq!(c.zincrby(&z, 0.25, "b").await?, 2.25);
    assert_eq!(c.zrank(&z, "a").await?, Some(1));
    assert_eq!(c.zrevrank(&z, "a").await?, Some(2));
    assert_eq!(c.zrank(&z, "zz").await?, None);
    assert_eq!(c.zcount(&z, "(2.25", "+inf").await?, 3);

    // Equal scores for the lexicographical commands.
    c.zadd(&w, [(0.0, "a"), (0.0, "b"), (0.0, "c"), (0.0, "d")])
        .await?;
    assert_eq!(c.zlexcount(&w, "[b", "+").await?, 3);
    let lex: Vec<String> = c.zrangebylex(&w, "(a", "[c").await?;
    assert_eq!(lex, ["b", "c"]);
    let lex: Vec<String> = c.zrangebylex(&w, "-", "+").limit(1, 2).await?;
    assert_eq!(lex, ["b", "c"]);
    let lex: Vec<String> = c.zrevrangebylex(&w, "+", "[b").limit(0, 2).await?;
    assert_eq!(lex, ["d", "c"]);
    assert_eq!(c.zremrangebylex(&w, "[a", "[b").await?, 2);
    assert_eq!(c.zrem(&w, ["c", "zz"]).await?, 1);

    let (cursor, members): (i64, Vec<(String, f64)>) = c.zscan(&z, 0).count(100).await?;
    assert_eq!(cursor, 0);
    assert_eq!(members.len(), 4);
    assert!(members.contains(&("b".to_owned(), 2.25)));
    let (_, matching): (i64, Vec<(String, f64)>) = c.zscan(&z, 0).pattern("[ab]").await?;
    assert_eq!(matching.len(), 2);

    let one: Option<String> = c.zrandmember(&z).await?;
    assert!(one.is_some());
    assert_eq!(c.zrandmember::<String>(t.key("none")).await?, None);
    let some: Vec<String> = c.zrandmember(&z).count(2).await?;
    assert_eq!(some.len(), 2);
    let scored: Vec<(String, f64)> = c.zrandmember(&z).count_withscores(10).await?;
    assert_eq!(scored.len(), 4);
    assert!(scored.contains(&("d".to_owned(), 4.0)));

    // Pops: z is b=2.25, a=2.5, d=4, c=5.
    let min: Vec<(String, f64)> = c.zpopmin(&z).await?;
    assert_eq!(min, [("b".to_owned(), 2.25)]);
    let max: Vec<(String, f64)> = c.zpopmax(&z).count(2).await?;
    assert_eq!(max, [("c".to_owned(), 5.0), ("d".to_owned(), 4.0)]);
    assert!(c.zpopmin::<String>(t.key("none")).await?.is_empty());
    let popped: Option<(String, Vec<(String, f64)>)> = c
        .zmpop([&t.key("none"), &z], ZmpopEnd::Min)
        .count(5)
        .await?;
    assert_eq!(popped, Some((z.clone(), vec![("a".to_owned(), 2.5)])));
    assert_eq!(c.zmpop::<String, String>(&z, ZmpopEnd::Max).await?, None);
    Ok(())
}

pub async fn sorted_set_ranges(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (z, y, out) = (t.key("z"), t.key("y"), t.key("out"));
    c.zadd(&z, [(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d")])
        .await?;
    c.zadd(&y, [(10.0, "c"), (20.0, "d"), (30.0, "e")]).await?;

    let all: Vec<String> = c.zrange(&z, "0", "-1").await?;
    assert_eq!(all, ["a", "b", "c", "d"]);
    let scored: Vec<(String, f64)> = c.zrange(&z, "(1", "3").byscore().withscores().await?;
    assert_eq!(scored, [("b".to_owned(), 2.0), ("c".to_owned(), 3.0)]);
    let rev: Vec<String> = c
        .zrange(&z, "+inf", "-inf")
        .byscore()
        .rev()
        .limit(0, 2)
        .await?;
    assert_eq!(rev, ["d", "c"]);
    let lex = t.key("lex");
    c.zadd(&lex, [(0.0, "a"), (0.0, "b"), (0.0, "c"), (0.0, "d")])
        .await?;
    let by_lex: Vec<String> = c.zrange(&lex, "[b", "(d").bylex().await?;
    assert_eq!(by_lex, ["b", "c"]);
    let by_score: Vec<String> = c.zrangebyscore(&z, "2", "+inf").limit(1, 5).await?;
    assert_eq!(by_score, ["c", "d"]);
    let by_score: Vec<(String, f64)> = c.zrangebyscore(&z, "-inf", "1").withscores().await?;
    assert_eq!(by_score, [("a".to_owned(), 1.0)]);
    let rev: Vec<String> = c.zrevrange(&z, 0, 1).await?;
    assert_eq!(rev, ["d", "c"]);
    let rev: Vec<(String, f64)> = c.zrevrange(&z, 0, 0).withscores().await?;
    assert_eq!(rev, [("d".to_owned(), 4.0)]);
    let rev: Vec<String> = c.zrevrangebyscore(&z, "3", "-inf").limit(0, 2).await?;
    assert_eq!(rev, ["c", "b"]);
    let rev: Vec<(String, f64)> = c.zrevrangebyscore(&z, "+inf", "(3").withscores().await?;
    assert_eq!(rev, [("d".to_owned(), 4.0)]);
    assert_eq!(c.zrangestore(&out, &z, "1", "2").await?, 2);
    assert_eq!(
        c.zrangestore(&out, &z, "(1", "+inf")
            .byscore()
            .limit(0, 1)
            .await?,
        1
    );

    // Set algebra.
    let inter: Vec<String> = c.zinter([&z, &y]).await?;
    assert_eq!(inter, ["c", "d"]);
    let inter: Vec<(String, f64)> = c
        .zinter([&z, &y])
        .weight(2.0)
        .weight(1.0)
        .aggregate(sider::commands::ZinterAggregate::Max)
        .withscores()
        .await?;
    assert_eq!(inter, [("c".to_owned(), 10.0), ("d".to_owned(), 20.0)]);
    assert_eq!(c.zintercard([&z, &y]).await?, 2);
    assert_eq!(c.zintercard([&z, &y]).limit(1).await?, 1);
    assert_eq!(c.zinterstore(&out, [&z, &y]).min().await?, 2);
    assert_eq!(
        c.zrange::<String>(&out, "0", "-1").withscores().await?,
        [("c".to_owned(), 3.0), ("d".to_owned(), 4.0)]
    );
    let union: Vec<(String, f64)> = c.zunion([&z, &y]).sum().withscores().await?;
    assert_eq!(union.len(), 5);
    assert_eq!(union.last(), Some(&("e".to_owned(), 30.0)));
    let union: Vec<String> = c.zunion([&z, &y]).await?;
    assert_eq!(union.len(), 5);
    assert_eq!(
        c.zunionstore(&out, [&z, &y])
            .weight(1.0)
            .weight(0.0)
            .await?,
        5
    );
    let diff: Vec<String> = c.zdiff([&z, &y]).await?;
    assert_eq!(diff, ["a", "b"]);
    let diff: Vec<(String, f64)> = c.zdiff([&z, &y]).withscores().await?;
    assert_eq!(diff, [("a".to_owned(), 1.0), ("b".to_owned(), 2.0)]);
    assert_eq!(c.zdiffstore(&out, [&z, &y]).await?, 2);

    assert_eq!(c.zremrangebyscore(&z, "-inf", "(2").await?, 1);
    assert_eq!(c.zremrangebyrank(&z, 0, 0).await?, 1);
    assert_eq!(c.zcard(&z).await?, 2);
    Ok(())
}

/// Blocking pops with data present, and one that times out.
pub async fn blocking_sorted_sets(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let z = t.key("z");
    let wait = Duration::from_secs(1);
    c.zadd(&z, [(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d")])
        .await?;
    let got: Option<(String, String, f64)> = c.bzpopmin([&t.key("none"), &z], wait).await?;
    assert_eq!(got, Some((z.clone(), "a".to_owned(), 1.0)));
    let got: Option<(String, String, f64)> = c.bzpopmax(&z, wait).await?;
    assert_eq!(got, Some((z.clone(), "d".to_owned(), 4.0)));
    let got: Option<(String, Vec<(String, f64)>)> =
        c.bzmpop(wait, &z, BzmpopEnd::Min).count(10).await?;
    assert_eq!(
        got,
        Some((
            z.clone(),
            vec![("b".to_owned(), 2.0), ("c".to_owned(), 3.0)]
        ))
    );
    let none: Option<(String, String, f64)> = c.bzpopmin(&z, Duration::from_millis(100)).await?;
    assert_eq!(none, None);
    Ok(())
}

pub async fn geo(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (g, out) = (t.key("g"), t.key("out"));
    let places = [
        (13.361389, 38.115556, "Palermo"),
        (15.087269, 37.502669, "Catania"),
    ];
    assert_eq!(c.geoadd(&g, places).await?, 2);
    assert_eq!(c.geoadd(&g, [(13.5, 38.0, "Palermo")]).xx().ch().await?, 1);
    assert_eq!(c.geoadd(&g, &places[..1]).nx().await?, 0);
    c.geoadd(&g, &places[..1]).await?;

    let km = c.geodist(&g, "Palermo", "Catania").km().await?;
    assert!(km.is_some_and(|d| (166.0..167.0).contains(&d)), "{km:?}");
    assert_eq!(c.geodist(&g, "Palermo", "Nowhere").await?, None);
    let hashes = c.geohash(&g, ["Palermo", "Nowhere"]).await?;
    assert_eq!(hashes, [Some("sqc8b49rny0".to_owned()), None]);
    let positions = c.geopos(&g, ["Catania", "Nowhere"]).await?;
    let (lon, lat) = positions[0].expect("Catania's position");
    assert!((lon - 15.087269).abs() < 1e-5 && (lat - 37.502669).abs() < 1e-5);
    assert_eq!(positions[1], None);

    let near: Vec<String> = c
        .georadius(&g, 15.0, 37.0, 200.0, GeoradiusUnit::Km)
        .asc()
        .await?;
    assert_eq!(near, ["Catania", "Palermo"]);
    let with: Vec<Value> = c
        .georadius::<String>(&g, 15.0, 37.0, 100.0, GeoradiusUnit::Km)
        .withdist()
        .await?;
    assert_eq!(with.len(), 1);
    let stored: i64 = c
        .georadius::<String>(&g, 15.0, 37.0, 200.0, GeoradiusUnit::Km)
        .store(&out)
        .await?;
    assert_eq!(stored, 2);
    let near: Vec<String> = c
        .georadius_ro(&g, 15.0, 37.0, 200.0, GeoradiusRoUnit::Km)
        .count(1, false)
        .desc()
        .await?;
    assert_eq!(near, ["Palermo"]);
    let near: Vec<String> = c
        .georadiusbymember(&g, "Palermo", 200.0, GeoradiusbymemberUnit::Km)
        .asc()
        .await?;
    assert_eq!(near, ["Palermo", "Catania"]);
    let coords: Vec<Value> = c
        .georadiusbymember_ro::<String>(&g, "Palermo", 10.0, GeoradiusbymemberRoUnit::Km)
        .withcoord()
        .withhash()
        .await?;
    assert_eq!(coords.len(), 1);

    let found: Vec<String> = c
        .geosearch(
            &g,
            GeosearchFrom::Fromlonlat(15.0, 37.0),
            GeosearchBy::Byradius(200.0, GeosearchByByradiusUnit::Km),
        )
        .asc()
        .await?;
    assert_eq!(found, ["Catania", "Palermo"]);
    let found: Vec<String> = c
        .geosearch(
            &g,
            GeosearchFrom::Frommember("Palermo".into()),
            GeosearchBy::Bybox(400.0, 400.0, GeosearchByByboxUnit::Km),
        )
        .desc()
        .count(1, true)
        .await?;
    assert_eq!(found.len(), 1);
    let stored = c
        .geosearchstore(
            &out,
            &g,
            GeosearchstoreFrom::Frommember("Catania".into()),
            GeosearchstoreBy::Byradius(1.0, GeosearchstoreByByradiusUnit::Km),
        )
        .storedist()
        .await?;
    assert_eq!(stored, 1);
    assert_eq!(c.zscore(&out, "Catania").await?, Some(0.0));
    Ok(())
}
