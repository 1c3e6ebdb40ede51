//! The seed's pool: 8 consumers share a pool of 2 connections, each holding one alone while it
//! works, then the pool is drained.

use sider::prelude::*;
use std::time::Duration;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let pool = sider::Pool::new(url.parse()?, 2);

    let mut consumers = Vec::new();
    for n in 1..=8u64 {
        let pool = pool.clone();
        consumers.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await?;
            conn.set(format!("key-{n}"), format!("val-{n}")).await?;
            let value = conn.get::<String>(format!("key-{n}")).await?;
            assert_eq!(value, Some(format!("val-{n}")));
            // Hold the connection a while, as the seed's consumers do.
            tokio::time::sleep(Duration::from_millis(n * 7 % 50)).await;
            println!("pool consumer {n} complete");
            anyhow::Ok(())
        }));
    }
    for consumer in consumers {
        consumer.await??;
    }
    println!("idle {}, in use {}", pool.idle(), pool.in_use());
    pool.drain().await;
    println!("drained: idle {}", pool.idle());
    Ok(())
}
