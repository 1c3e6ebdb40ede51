//! The seed's hello/world: connect, SET, GET.
//!
//! Connects to `REDIS_URL`, or `redis://127.0.0.1:6379` when it is unset.

use sider::prelude::*;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = sider::Client::connect(&url).await?;
    client.set("hello", "world").await?;
    let value = client.get::<String>("hello").await?;
    println!("{}", value.as_deref().unwrap_or("(nil)"));
    Ok(())
}
