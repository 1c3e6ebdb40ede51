//! The client's counters.

use sider::prelude::*;
use sider::{Client, Cmd};
use sider_tests::RedisServer;

#[tokio::test]
async fn counters_follow_the_traffic() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = Client::connect(&server.url()).await?;
    let before = client.stats();
    client.set("k", "v").await?;
    let _: Option<String> = client.get("k").await?;
    let _ = client.incr("k").await; // an error reply
    let (_, _, _) = client
        .pipeline()
        .incr("n")
        .incr("n")
        .get::<i64>("n")
        .execute()
        .await?;
    let after = client.stats();
    assert_eq!(after.commands - before.commands, 6);
    assert_eq!(after.replies - before.replies, 6);
    assert_eq!(after.error_replies - before.error_replies, 1);
    assert_eq!(after.in_flight, 0);
    assert!(after.bytes_written > before.bytes_written + 60);
    assert!(after.bytes_read > before.bytes_read + 20);
    // Four requests (three calls and one pipeline) landed in the histogram.
    let requests: u64 = after.latency.iter().sum::<u64>() - before.latency.iter().sum::<u64>();
    assert_eq!(requests, 4);
    // One after another, each found the connection idle and was written by its caller.
    assert_eq!(after.caller_writes - before.caller_writes, 4, "{after}");
    assert_eq!(after.reconnects, 0);

    // A dropped connection is counted, and so is the reconnect.
    let admin = Client::connect(&server.url()).await?;
    let _: i64 = admin
        .send(Cmd::new("CLIENT KILL").args(["SKIPME", "yes", "TYPE", "normal"]))
        .await?;
    let _ = client.get::<String>("k").await;
    let _: Option<String> = client.get("k").await?;
    let stats = client.stats();
    assert_eq!(stats.closed + stats.io_errors, 1, "{stats}");
    assert_eq!(stats.reconnects, 1, "{stats}");
    assert!(stats.to_string().contains("reconnects 1"), "{stats}");
    Ok(())
}
