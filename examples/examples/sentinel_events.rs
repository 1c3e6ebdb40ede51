//! Sentinel failover events: prints each `+switch-master` the sentinels announce, and shows a
//! client moving to the new primary before its next command.
//!
//! `REDIS_SENTINEL_URL` names the group (`redis+sentinel://127.0.0.1:26379/mymaster`); trigger a
//! failover with `redis-cli -p 26379 SENTINEL FAILOVER mymaster`. It listens for
//! `SWITCH_WAIT_SECS` (default 60) after the last event, then exits.

use sider::prelude::*;
use sider::{Client, Config};
use std::collections::HashMap;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_SENTINEL_URL")
        .unwrap_or_else(|_| "redis+sentinel://127.0.0.1:26379/mymaster".to_owned());
    let config = Config::from_url(&url)?;
    let mut switches = sider::sentinel::switches(&config)?;
    let client = Client::connect_with(config).await?;
    println!(
        "primary: {}",
        sider::sentinel::primary(client.config()).await?
    );
    let wait = std::time::Duration::from_secs(
        std::env::var("SWITCH_WAIT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    while let Ok(Some(switch)) = tokio::time::timeout(wait, switches.next()).await {
        println!(
            "{} moved from {} to {}",
            switch.master, switch.from, switch.to
        );
        // The client's connection to the old primary is closed already: this goes to the new one.
        let port: HashMap<String, String> = client.config_get("port").await?;
        println!("next command answered by port {:?}", port.get("port"));
    }
    println!("no (more) failover within {wait:?}");
    Ok(())
}
