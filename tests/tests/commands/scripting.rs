//! Groups scripting (EVAL, SCRIPT, FUNCTION, FCALL) and pubsub.

use crate::{error_code, Ctx};
use sider::prelude::*;
use sider::Value;
use std::collections::HashMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub async fn eval(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let k = t.key("k");
    assert_eq!(c.eval::<i64>("return 1 + 1", ()).await?, 2);
    c.set(&k, "stored").await?;
    let got: Option<String> = c.eval("return redis.call('GET', KEYS[1])", &k).await?;
    assert_eq!(got.as_deref(), Some("stored"));
    let got: Vec<String> = c
        .eval("return {KEYS[1], ARGV[1], ARGV[2]}", &k)
        .arg("x")
        .arg("y")
        .await?;
    assert_eq!(got, [k.as_str(), "x", "y"]);
    let nil: Option<String> = c.eval("return nil", ()).await?;
    assert_eq!(nil, None);
    let read: Option<String> = c.eval_ro("return redis.call('GET', KEYS[1])", [&k]).await?;
    assert_eq!(read.as_deref(), Some("stored"));
    assert!(error_code(
        c.eval_ro::<Value>("return redis.call('SET', KEYS[1], 'x')", &k)
            .await
    )
    .contains("Write commands are not allowed"));

    let sha = c.script_load("return ARGV[1]").await?;
    assert_eq!(sha.len(), 40);
    let echoed: String = c.evalsha(&sha, ()).arg("hi").await?;
    assert_eq!(echoed, "hi");
    let echoed: i64 = c.evalsha_ro(&sha, ()).arg(7).await?;
    assert_eq!(echoed, 7);
    let missing = "0000000000000000000000000000000000000000";
    assert_eq!(
        c.script_exists([sha.as_str(), missing]).await?,
        [true, false]
    );
    assert!(error_code(c.evalsha::<Value>(missing, ()).await).starts_with("NOSCRIPT"));
    assert!(error_code(c.script_kill().await).starts_with("NOTBUSY"));
    let help: Vec<String> = c.script_help().await?;
    assert!(help.iter().any(|l| l.contains("EXISTS")));
    Ok(())
}

/// Functions are server-wide, and this test flushes them all: it runs alone.
pub async fn functions(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let k = t.key("k");
    let lib = t.key("lib").replace(':', "_");
    let code = format!(
        "#!lua name={lib}\n\
         redis.register_function('{lib}_get', function(keys, args) return redis.call('GET', keys[1]) end)\n\
         redis.register_function{{function_name='{lib}_echo', callback=function(keys, args) return args[1] end, flags={{'no-writes'}}}}\n"
    );
    assert_eq!(c.function_load(&code).await?, lib);
    assert!(error_code(c.function_load(&code).await).contains("already exists"));
    assert_eq!(c.function_load(&code).replace().await?, lib);
    c.set(&k, "v").await?;
    let got: Option<String> = c.fcall(format!("{lib}_get"), &k).await?;
    assert_eq!(got.as_deref(), Some("v"));
    let echoed: String = c.fcall_ro(format!("{lib}_echo"), ()).arg("x").await?;
    assert_eq!(echoed, "x");

    let list: Vec<HashMap<String, Value>> = c.function_list().library_name(&lib).withcode().await?;
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].get("library_name"),
        Some(&Value::Bulk(lib.clone().into()))
    );
    assert!(list[0].contains_key("library_code"));
    let stats: HashMap<String, Value> = c.function_stats().await?;
    assert!(stats.contains_key("engines"), "{stats:?}");
    let help: Vec<String> = c.function_help().await?;
    assert!(help.iter().any(|l| l.contains("RESTORE")));
    assert!(error_code(c.function_kill().await).starts_with("NOTBUSY"));

    let dump = c.function_dump().await?;
    let (): () = c.function_flush().asynchronous().await?;
    assert!(c.function_list().await?.is_empty());
    let (): () = c.function_restore(&dump[..]).await?;
    c.function_restore(&dump[..]).replace().await?;
    assert_eq!(c.function_list().await?.len(), 1);
    let (): () = c.function_delete(&lib).await?;
    assert!(error_code(c.function_delete(&lib).await).contains("not found"));
    c.function_restore(&dump[..]).flush().await?;
    c.function_flush().await?;

    let sha = c.script_load("return 1").await?;
    let (): () = c.script_flush().synchronous().await?;
    assert_eq!(c.script_exists(&sha).await?, [false]);
    c.script_flush().await?;
    Ok(())
}

/// A subscriber on a raw socket: sider's own pub/sub API is another issue's.
async fn subscriber(url: &str, commands: &[&[&str]]) -> anyhow::Result<tokio::net::TcpStream> {
    let addr = url
        .trim_start_matches("redis://")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut request = Vec::new();
    for words in commands {
        request.extend_from_slice(format!("*{}\r\n", words.len()).as_bytes());
        for w in *words {
            request.extend_from_slice(format!("${}\r\n{w}\r\n", w.len()).as_bytes());
        }
    }
    stream.write_all(&request).await?;
    // One confirmation per channel; wait for the last one.
    let last = commands
        .last()
        .map(|w| w[0].to_lowercase())
        .unwrap_or_default();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains(&last) {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await??;
        anyhow::ensure!(n > 0, "the subscriber connection closed");
        seen.extend_from_slice(&buf[..n]);
    }
    Ok(stream)
}

pub async fn pubsub(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (channel, pattern, shard) = (t.key("ch"), t.key("pat*"), t.key("shard"));
    assert_eq!(c.publish(&channel, "nobody").await?, 0);
    let _subscriber = subscriber(
        &t.url,
        &[
            &["SUBSCRIBE", &channel],
            &["PSUBSCRIBE", &pattern],
            &["SSUBSCRIBE", &shard],
        ],
    )
    .await?;
    assert_eq!(c.publish(&channel, "hello").await?, 1);
    assert_eq!(c.publish(t.key("pattern-match"), "hello").await?, 1);
    assert_eq!(c.spublish(&shard, "hello").await?, 1);
    let channels: Vec<String> = c
        .pubsub_channels()
        .pattern(format!("{}*", t.prefix))
        .await?;
    assert_eq!(channels, vec![channel.clone()]);
    let counts: HashMap<String, i64> = c
        .pubsub_numsub()
        .channel(&channel)
        .channel(t.key("none"))
        .await?;
    assert_eq!(
        counts,
        HashMap::from([(channel.clone(), 1), (t.key("none"), 0)])
    );
    assert!(c.pubsub_numpat().await? >= 1);
    let shards: Vec<String> = c
        .pubsub_shardchannels()
        .pattern(format!("{}*", t.prefix))
        .await?;
    assert_eq!(shards, vec![shard.clone()]);
    let counts: HashMap<String, i64> = c.pubsub_shardnumsub().shardchannel(&shard).await?;
    assert_eq!(counts, HashMap::from([(shard.clone(), 1)]));
    let help: Vec<String> = c.pubsub_help().await?;
    assert!(help.iter().any(|l| l.contains("NUMSUB")));
    Ok(())
}
