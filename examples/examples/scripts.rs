//! Lua scripts run by digest with `Script` (loaded on demand, even after SCRIPT FLUSH), in a
//! pipeline too, and a Redis 7 function library called with FCALL.
//!
//! Connects to `REDIS_URL`, or `redis://127.0.0.1:6379` when it is unset.

use sider::prelude::*;
use sider::Script;

/// A fixed-window rate limiter: at most ARGV[2] calls per ARGV[1] seconds for the key.
const LIMITER: &str = r#"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n <= tonumber(ARGV[2])
"#;

const LIBRARY: &str = r#"#!lua name=counters
redis.register_function('bump', function(keys, args)
  return redis.call('INCRBY', keys[1], args[1])
end)
redis.register_function{
  function_name = 'peek',
  callback = function(keys) return tonumber(redis.call('GET', keys[1]) or '0') end,
  flags = { 'no-writes' },
}
"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = sider::Client::connect(&url).await?;
    client
        .del(["example:rate:alice", "example:rate:bob", "example:bumps"])
        .await?;

    let limiter = Script::new(LIMITER);
    println!("limiter script {}", limiter.sha1());
    for attempt in 1..=4 {
        // Lua's true arrives as 1 and false as nil: both decode into bool.
        let allowed: bool = client
            .invoke(limiter.key("example:rate:alice").args((60, 3)))
            .await?;
        println!(
            "alice, attempt {attempt}: {}",
            if allowed { "allowed" } else { "limited" }
        );
    }

    // The server forgets every script; the next call loads it again without the caller noticing.
    client.script_flush().await?;
    // In a pipeline the script is loaded ahead of the pipeline's commands.
    let (first, second, left) = client
        .pipeline()
        .invoke::<bool>(limiter.key("example:rate:bob").args((60, 1)))
        .invoke::<bool>(limiter.key("example:rate:bob").args((60, 1)))
        .ttl("example:rate:bob")
        .execute()
        .await?;
    println!("bob: {first}, then {second}; the window closes in {left} s");

    // Functions: load the library once (REPLACE makes reruns fine), then call by name.
    let library: String = client.function_load(LIBRARY).replace().await?;
    let n: i64 = client.fcall("bump", ["example:bumps"]).arg(5).await?;
    let peeked: i64 = client.fcall_ro("peek", ["example:bumps"]).await?;
    println!("library {library}: bump -> {n}, peek -> {peeked}");
    client.function_delete("counters").await?;
    Ok(())
}
