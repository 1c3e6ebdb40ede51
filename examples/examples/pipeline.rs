//! The seed's fast pipelining: 10,000 SETs whose replies are read but not built, then 10,000
//! GETs read back as a typed `Vec<Option<String>>`, then a typed tuple pipeline.

use sider::prelude::*;
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = sider::Client::connect(&url).await?;

    let items: Vec<String> = (0..10_000).map(|n| n.to_string()).collect();

    let started = Instant::now();
    let mut batch = client.batch();
    for item in &items {
        batch.push(|c| c.set(item, item));
    }
    batch.execute_ignore_results().await?;

    let mut batch = client.batch();
    for item in &items {
        batch.push(|c| c.get(item));
    }
    let results: Vec<Option<String>> = batch.execute().await?;
    let elapsed = started.elapsed();
    assert!(results
        .iter()
        .zip(&items)
        .all(|(r, i)| r.as_deref() == Some(i.as_str())));
    println!(
        "20,000 commands in {:.1} ms ({:.2} µs a command)",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / 20_000.0
    );

    // A pipeline of different commands returns a tuple typed by the commands queued.
    let ((), hello, hits) = client
        .pipeline()
        .set("hello", "world")
        .get::<String>("hello")
        .incr("hits")
        .execute()
        .await?;
    println!("hello = {hello:?}, hits = {hits}");
    Ok(())
}
