//! 64 tasks doing SET/GET pairs, through one shared `Client` and through a `Pool` of 8: the
//! throughput of each, side by side. Connects to REDIS_URL or redis://127.0.0.1:6379.
//! `ROUNDS` sets the pairs per task (default 200).

use sider::prelude::*;
use std::time::Instant;

const TASKS: usize = 64;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);

    let client = sider::Client::connect(&url).await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("bench:shared:{t}");
            for i in 0..rounds {
                client.set(&key, i).await?;
                let _: Option<i64> = client.get(&key).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let shared = (TASKS * rounds * 2) as f64 / started.elapsed().as_secs_f64();

    let pool = sider::Pool::new(url.parse()?, 8);
    pool.init().await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("bench:pool:{t}");
            for i in 0..rounds {
                let mut conn = pool.acquire().await?;
                conn.set(&key, i).await?;
                let _: Option<i64> = conn.get(&key).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let pooled = (TASKS * rounds * 2) as f64 / started.elapsed().as_secs_f64();
    println!("64 tasks, SET/GET pairs: shared Client {shared:.0} ops/s, Pool of 8 {pooled:.0} ops/s ({:.1}x)", shared / pooled);
    println!("{}", client.stats());
    Ok(())
}
