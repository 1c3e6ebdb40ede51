//! Pub/sub: a subscription read as a stream of typed messages while the same client publishes.

use sider::prelude::*;
use sider::Event;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = sider::Client::connect(&url).await?;

    let mut sub = client.subscribe(["news"]).await?;
    sub.psubscribe(["scores.*"]).await?;

    client.publish("news", "sider 0.1 is out").await?;
    client.publish("scores.game1", 42).await?;

    let mut seen = 0;
    while let Some(event) = sub.next().await {
        match event {
            Event::Message(msg) if msg.pattern.is_some() => {
                println!("{} scored {}", msg.channel_str(), msg.payload::<i64>()?);
            }
            Event::Message(msg) => println!("{}: {}", msg.channel_str(), msg.payload::<String>()?),
            Event::Reconnected => println!("reconnected; messages sent meanwhile are lost"),
            _ => {}
        }
        seen += 1;
        if seen == 2 {
            break;
        }
    }
    Ok(())
}
