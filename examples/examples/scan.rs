//! Walking keys and collections with SCAN, HSCAN, SSCAN and ZSCAN as async streams: MATCH,
//! COUNT and TYPE options, typed items, and no cursor in sight.
//!
//! Connects to `REDIS_URL`, or `redis://127.0.0.1:6379` when it is unset.

use sider::prelude::*;
use std::collections::HashSet;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = sider::Client::connect(&url).await?;

    let mut batch = client.batch();
    for i in 0..10_000 {
        batch.push(|c| c.set(format!("example:scan:{i}"), i));
    }
    batch.execute_ignore_results().await?;
    client
        .hset("example:scan:profile", [("name", "Ada"), ("lang", "en")])
        .await?;
    client
        .zadd("example:scan:board", [(3.0, "ada"), (5.5, "bob")])
        .await?;

    // Every matching key; a key may come twice if the server resizes meanwhile, so dedupe.
    let mut keys = client
        .scan_iter::<String>()
        .pattern("example:scan:*")
        .count(1000);
    let mut seen = HashSet::new();
    while let Some(key) = keys.next().await {
        seen.insert(key?);
    }
    println!("{} keys match example:scan:*", seen.len());

    // Only hashes.
    let hashes: Vec<String> = client
        .scan_iter()
        .pattern("example:scan:*")
        .of_type("hash")
        .count(1000)
        .try_collect()
        .await?;
    println!("hashes: {hashes:?}");

    // Fields and values, members and scores, typed.
    let mut fields = client.hscan_iter::<String, String>("example:scan:profile");
    while let Some((field, value)) = fields.next().await.transpose()? {
        println!("profile {field} = {value}");
    }
    let board: Vec<(String, f64)> = client
        .zscan_iter("example:scan:board")
        .try_collect()
        .await?;
    println!("board: {board:?}");
    Ok(())
}
