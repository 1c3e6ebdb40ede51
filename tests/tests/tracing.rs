//! sider's `tracing` output as a user sees it with `tracing-subscriber`: a span per command and
//! per pipeline, and events when the connection is made, times out, is lost and comes back.

use sider::prelude::*;
use sider::{Client, ErrorKind};
use sider_tests::log::Log;
use sider_tests::proxy::Proxy;
use sider_tests::RedisServer;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_pipelines_timeouts_and_reconnects_are_traced() -> anyhow::Result<()> {
    let log = Log::capture();
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let config = proxy
        .config()
        .response_timeout(Duration::from_millis(200))
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(50));
    let client = Client::connect_with(config).await?;

    client.set("k", "v").await?;
    let (_, _, _): ((), Option<String>, i64) = client
        .pipeline()
        .set("k", "v")
        .get("k")
        .incr("n")
        .execute()
        .await?;

    proxy.stall();
    let err = client
        .get::<String>("k")
        .await
        .expect_err("the proxy holds the reply");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    proxy.release();
    // The timed-out connection was dropped; the next command reconnects.
    let value: Option<String> = client.get("k").await?;
    assert_eq!(value.as_deref(), Some("v"));

    let text = log.text();
    for expected in [
        "connected",
        r#"command="SET" commands=1"#,
        r#"command="pipeline" commands=3"#,
        r#"outcome="ok""#,
        "response timeout",
        "connection lost",
        "reconnected",
    ] {
        assert!(
            text.contains(expected),
            "no `{expected}` in the trace:\n{text}"
        );
    }
    // Command names only: never keys or values.
    assert!(!text.contains("\"k\"") && !text.contains("\"v\""), "{text}");
    Ok(())
}
