//! What sider shows through `tracing` (feature `tracing`): a span per command and per pipeline
//! with its command name, count, server address and outcome, and events for connects and
//! failures. Keys, values and credentials never appear.

use sider::prelude::*;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
        .with_target(true)
        .without_time()
        .with_ansi(false)
        .init();
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = sider::Client::connect(&url).await?;
    client.set("traced", "secret value").await?;
    let ((), n, value) = client
        .pipeline()
        .set("traced", "another secret")
        .incr("traced:count")
        .get::<String>("traced")
        .execute()
        .await?;
    println!(
        "pipeline replied: count {n}, value of {} bytes",
        value.map_or(0, |v| v.len())
    );
    println!("{}", client.stats());
    Ok(())
}
