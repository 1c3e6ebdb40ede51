//! Sentinel: find the primary of a group through its sentinels, write to it, read from a
//! replica. After a failover the same client reconnects to the new primary by itself.
//!
//! Reads `REDIS_SENTINEL_URL`, default `redis+sentinel://127.0.0.1:26379/mymaster`; list every
//! sentinel, comma-separated: `redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster/0`.
//! `scripts/run-examples` starts one sentinel watching its server; by hand:
//!
//! ```sh
//! redis-server --port 7000 &
//! printf 'port 27000\nsentinel monitor mymaster 127.0.0.1 7000 1\n' > /tmp/sentinel.conf
//! redis-sentinel /tmp/sentinel.conf &
//! REDIS_SENTINEL_URL=redis+sentinel://127.0.0.1:27000/mymaster \
//!     cargo run -p sider-examples --example sentinel
//! ```

use anyhow::Context;
use sider::prelude::*;
use sider::{Addr, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_SENTINEL_URL")
        .unwrap_or_else(|_| "redis+sentinel://127.0.0.1:26379/mymaster".to_owned());
    let config = Config::from_url(&url)?;
    println!("primary: {}", sider::sentinel::primary(&config).await?);
    for replica in sider::sentinel::replicas(&config).await? {
        println!("replica: {replica}");
    }

    // Every connection of this client, reconnects included, goes to the primary of the moment.
    let client = sider::Client::connect_with(config.clone())
        .await
        .with_context(|| format!("connecting through {url}"))?;
    let visits: i64 = client.incr("sentinel:visits").await?;
    println!("visits: {visits}");

    // A replica for reads, when the group has one in sync.
    if let Addr::Sentinel {
        master, sentinels, ..
    } = config.addr()
    {
        match sider::Client::connect_with(Config::sentinel_replica(master, sentinels.clone())).await
        {
            Ok(replica) => {
                let _: i64 = client.wait(1, std::time::Duration::from_secs(1)).await?;
                let seen: Option<i64> = replica.get("sentinel:visits").await?;
                println!("a replica reads visits: {seen:?}");
            }
            Err(e) => println!("no replica to read from: {e}"),
        }
    }
    Ok(())
}
