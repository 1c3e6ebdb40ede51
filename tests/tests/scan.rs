//! SCAN, HSCAN, SSCAN and ZSCAN as streams against a real server: every element of 100,000 is
//! seen, with MATCH, COUNT and TYPE filters, under RESP2 and RESP3.

use futures_util::StreamExt;
use sider::prelude::*;
use sider::{Client, ErrorKind};
use sider_tests::RedisServer;
use std::collections::{HashMap, HashSet};

const N: usize = 100_000;

async fn client(server: &RedisServer, protocol: u8) -> Client {
    Client::connect(&format!("{}?protocol={protocol}", server.url()))
        .await
        .expect("connect")
}

/// 100,000 string keys `str:<i>`, 1,000 hashes `hash:<i>` and 1,000 sets `set:<i>`.
async fn fill(client: &Client) -> anyhow::Result<()> {
    let mut batch = client.batch();
    for i in 0..N {
        batch.push(|c| c.set(format!("str:{i}"), i));
    }
    batch.execute_ignore_results().await?;
    let mut batch = client.batch();
    for i in 0..1000 {
        batch.push(|c| c.hset(format!("hash:{i}"), ("f", i)));
    }
    batch.execute_ignore_results().await?;
    let mut batch = client.batch();
    for i in 0..1000 {
        batch.push(|c| c.sadd(format!("set:{i}"), [i]));
    }
    batch.execute_ignore_results().await?;
    Ok(())
}

#[tokio::test]
async fn scan_sees_every_key_under_both_protocols() -> anyhow::Result<()> {
    let server = RedisServer::start();
    fill(&client(&server, 3).await).await?;
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;

        // Every key, duplicates allowed; a large COUNT keeps the round trips few.
        let mut seen = HashSet::new();
        let mut items = 0;
        let mut keys = client.scan_iter::<String>().count(1000);
        while let Some(key) = keys.next().await {
            seen.insert(key?);
            items += 1;
        }
        assert_eq!(seen.len(), N + 2000, "RESP{protocol}");
        assert!(items >= seen.len());

        // MATCH: only the hashes' keys, as bytes this time.
        let hashes: HashSet<Vec<u8>> = client
            .scan_iter()
            .pattern("hash:*")
            .count(1000)
            .try_collect()
            .await?;
        assert_eq!(hashes.len(), 1000);
        assert!(hashes.iter().all(|k| k.starts_with(b"hash:")));

        // TYPE: only sets, whatever their names.
        let sets: HashSet<String> = client
            .scan_iter()
            .of_type("set")
            .count(1000)
            .try_collect()
            .await?;
        assert_eq!(sets, (0..1000).map(|i| format!("set:{i}")).collect());

        // MATCH and TYPE together: strings named str:1234*.
        let some: HashSet<String> = client
            .scan_iter()
            .pattern("str:1234*")
            .of_type("string")
            .count(5000)
            .try_collect()
            .await?;
        let want: HashSet<String> = ["str:1234".to_owned()]
            .into_iter()
            .chain((0..10).map(|d| format!("str:1234{d}")))
            .collect();
        assert_eq!(some, want);
    }
    Ok(())
}

#[tokio::test]
async fn collections_stream_typed_pairs() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let filler = client(&server, 3).await;
    let fields: Vec<(String, i64)> = (0..N as i64).map(|i| (format!("f{i}"), i)).collect();
    let members: Vec<String> = (0..N).map(|i| format!("m{i}")).collect();
    let scored: Vec<(f64, String)> = (0..N).map(|i| (i as f64 / 2.0, format!("z{i}"))).collect();
    for chunk in fields.chunks(10_000) {
        filler.hset("big:hash", chunk).await?;
    }
    for chunk in members.chunks(10_000) {
        filler.sadd("big:set", chunk).await?;
    }
    for chunk in scored.chunks(10_000) {
        filler.zadd("big:zset", chunk).await?;
    }

    for protocol in [2, 3] {
        let client = client(&server, protocol).await;

        let hash: HashMap<String, i64> = client
            .hscan_iter::<String, i64>("big:hash")
            .count(1000)
            .try_collect()
            .await?;
        assert_eq!(hash.len(), N, "RESP{protocol}");
        assert!(hash.iter().all(|(f, v)| f == &format!("f{v}")));

        let set: HashSet<String> = client
            .sscan_iter("big:set")
            .count(1000)
            .try_collect()
            .await?;
        assert_eq!(set.len(), N);

        let zset: HashMap<String, f64> = client
            .zscan_iter::<String>("big:zset")
            .count(1000)
            .try_collect()
            .await?;
        assert_eq!(zset.len(), N);
        assert_eq!(zset["z7"], 3.5);

        // MATCH on a collection's elements.
        let matching: HashSet<String> = client
            .sscan_iter("big:set")
            .pattern("m9999*")
            .count(1000)
            .try_collect()
            .await?;
        assert_eq!(matching.len(), 11);

        // Small collections come back in one page, encoded compactly on the server.
        client.sadd("small:set", ["a", "b"]).await?;
        let small: HashSet<String> = client.sscan_iter("small:set").try_collect().await?;
        assert_eq!(small.len(), 2);
    }
    Ok(())
}

#[tokio::test]
async fn streams_work_on_connections_and_with_stream_ext() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 2).await;
    for i in 0..500 {
        client.set(format!("c:{i}"), i).await?;
    }
    let mut conn = client.dedicated().await?;
    let keys: HashSet<String> = conn
        .scan_iter()
        .pattern("c:*")
        .count(100)
        .try_collect()
        .await?;
    assert_eq!(keys.len(), 500);

    // A stream can move to another task.
    let task = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .scan_iter::<String>()
                .pattern("c:1*")
                .try_collect::<HashSet<String>>()
                .await
        }
    });
    assert_eq!(task.await??.len(), 111);

    // The `Stream` impl, through futures' StreamExt.
    let values: Vec<sider::Error> = client
        .scan_iter::<i64>()
        .pattern("c:*")
        .filter_map(|key| async move { key.err() })
        .collect()
        .await;
    // Keys named `c:<n>` do not decode as integers: every item is an error, and the stream
    // ends after the first.
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].kind(), ErrorKind::Reply);

    // A missing key scans as empty; a key of another type is WRONGTYPE, then the end.
    let nothing: Vec<String> = client.sscan_iter("missing").try_collect().await?;
    assert!(nothing.is_empty());
    let mut wrong = client.hscan_iter::<String, String>("c:1");
    let first = wrong.next().await;
    assert!(
        matches!(&first, Some(Err(e)) if e.server_error().is_some_and(|s| s.code() == "WRONGTYPE")),
        "{first:?}"
    );
    assert!(wrong.next().await.is_none());
    Ok(())
}
