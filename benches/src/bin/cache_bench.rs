//! Client-side caching: a cached `GET` against an uncached one, on one client each.
//!
//! `cache_bench` (wall clock): rounds of 10,000 sequential GETs of one key, the cached and the
//! uncached client taking turns within each round, medians over the rounds.
//!
//! `cache_bench --instr cached|uncached --gets N`: N GETs by one client and nothing else, for
//! `benches/cache-cost`, which runs it under callgrind at two N and divides the difference.

use anyhow::{bail, Context, Result};
use sider::prelude::*;
use sider::{Client, Config, Tracking};
use sider_benches::server::Server;
use sider_benches::stats::Summary;
use std::time::Instant;

const KEY: &str = "cache:bench";

async fn client(port: u16, cached: bool) -> Result<Client> {
    let mut config = Config::tcp("127.0.0.1", port);
    if cached {
        config = config.client_tracking(Tracking::Default { capacity: 1024 });
    }
    Ok(Client::connect_with(config).await?)
}

async fn gets(client: &Client, n: usize) -> Result<()> {
    for _ in 0..n {
        let value: Option<bytes::Bytes> = client.get(KEY).await?;
        std::hint::black_box(value);
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let server = Server::start()?;
    let port = server.port();
    rt.block_on(async {
        client(port, false)
            .await?
            .set(KEY, vec![b'v'; 64].as_slice())
            .await?;
        if let Some(which) = flag("--instr") {
            let n: usize = flag("--gets").context("--gets N")?.parse()?;
            let cached = match which.as_str() {
                "cached" => true,
                "uncached" => false,
                other => bail!("--instr cached|uncached, not {other}"),
            };
            let c = client(port, cached).await?;
            gets(&c, n).await?;
            return Ok(());
        }
        let rounds: usize = flag("--rounds").map_or(Ok(7), |r| r.parse())?;
        let n = 10_000;
        let (cached, uncached) = (client(port, true).await?, client(port, false).await?);
        gets(&cached, 100).await?;
        gets(&uncached, 100).await?;
        let (mut hit, mut miss) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // Alternate which goes first, so neither always runs on a warmer machine.
            let order = if round % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for is_cached in order {
                let c = if is_cached { &cached } else { &uncached };
                let started = Instant::now();
                gets(c, n).await?;
                let us = started.elapsed().as_secs_f64() * 1e6 / n as f64;
                if is_cached {
                    hit.push(us)
                } else {
                    miss.push(us)
                }
            }
        }
        let (hit, miss) = (
            Summary::of(&hit).context("samples")?,
            Summary::of(&miss).context("samples")?,
        );
        println!("GET of a 64-byte value, {rounds} rounds of {n}, µs per GET (median, min-max):");
        println!(
            "  cached   {:.3} ({:.3}-{:.3})",
            hit.median, hit.min, hit.max
        );
        println!(
            "  uncached {:.3} ({:.3}-{:.3})",
            miss.median, miss.min, miss.max
        );
        println!("  uncached / cached: {:.0}x", miss.median / hit.median);
        println!(
            "  {}",
            cached.stats().to_string().lines().last().unwrap_or("")
        );
        Ok(())
    })
}
