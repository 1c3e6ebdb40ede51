//! Client-side caching: a cached GET is served from local memory until another client changes
//! the key. Prints the latency of cached and uncached GETs.

use sider::prelude::*;
use sider::{Config, Tracking};
use std::time::{Duration, Instant};

async fn time_gets(client: &sider::Client, key: &str, n: u32) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for _ in 0..n {
        client.get::<String>(key).await?;
    }
    Ok(started.elapsed() / n)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let plain = sider::Client::connect(&url).await?;
    let config = Config::from_url(&url)?.client_tracking(Tracking::Default { capacity: 10_000 });
    let cached = sider::Client::connect_with(config).await?;

    plain.set("greeting", "hello").await?;
    let uncached = time_gets(&plain, "greeting", 2_000).await?;
    let local = time_gets(&cached, "greeting", 2_000).await?;
    println!(
        "GET uncached: {:.2} µs, cached: {:.2} µs",
        uncached.as_secs_f64() * 1e6,
        local.as_secs_f64() * 1e6
    );

    // Another client's write invalidates the cached reply.
    plain.set("greeting", "bonjour").await?;
    let mut value = cached.get::<String>("greeting").await?;
    for _ in 0..100 {
        if value.as_deref() == Some("bonjour") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        value = cached.get::<String>("greeting").await?;
    }
    println!("after another client's SET: {value:?}");
    Ok(())
}
