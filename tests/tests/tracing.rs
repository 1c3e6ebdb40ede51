//! sider's `tracing` output as an OpenTelemetry exporter sees it: a client span per command,
//! pipeline and transaction with the database-client fields of the semantic conventions, and
//! events when the connection is made, times out, is lost and comes back, named the same way.

use sider::prelude::*;
use sider::{Client, ErrorKind};
use sider_tests::log::{Log, SpanRecord};
use sider_tests::proxy::Proxy;
use sider_tests::RedisServer;
use std::time::Duration;

/// The spans closed since `from`, whose operation is `name`.
fn spans_named(log: &Log, from: usize, name: &str) -> Vec<SpanRecord> {
    log.spans()
        .into_iter()
        .skip(from)
        .filter(|span| span.get("db.operation.name") == Some(name))
        .collect()
}

/// The one span of `name` since `from`.
fn one(log: &Log, from: usize, name: &str) -> SpanRecord {
    let mut spans = spans_named(log, from, name);
    assert_eq!(spans.len(), 1, "one {name} span: {spans:#?}");
    spans.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_and_events_follow_the_opentelemetry_conventions() -> anyhow::Result<()> {
    let log = Log::capture();
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let config = proxy
        .config()
        .password("hunter2-not-a-real-one")
        .response_timeout(Duration::from_millis(200))
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(50));
    // The server has no password: AUTH with one fails, so connect without it, but make sure
    // the configuration's credentials appear nowhere either way.
    let _ = Client::connect_with(config.clone()).await;
    let config = proxy
        .config()
        .response_timeout(Duration::from_millis(200))
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(50));
    let client = Client::connect_with(config).await?;
    let port = proxy.port().to_string();

    // A command.
    let from = log.spans().len();
    client.set("otel:k", "secret value").await?;
    let set = one(&log, from, "SET");
    let expected = [
        ("otel.name", "SET"),
        ("otel.kind", "client"),
        ("db.system.name", "redis"),
        ("db.operation.name", "SET"),
        ("server.address", "127.0.0.1"),
        ("server.port", &port),
        ("network.transport", "tcp"),
    ];
    for (field, value) in expected {
        assert_eq!(set.get(field), Some(value), "{field} in {set:#?}");
    }
    assert_eq!(set.name, "redis");
    for absent in ["error.type", "db.operation.batch.size", "otel.status_code"] {
        assert_eq!(set.get(absent), None, "{absent} in {set:#?}");
    }

    // A pipeline.
    let from = log.spans().len();
    let ((), _, _): ((), Option<String>, i64) = client
        .pipeline()
        .set("otel:k", "another secret")
        .get("otel:k")
        .incr("otel:n")
        .execute()
        .await?;
    let pipeline = one(&log, from, "PIPELINE");
    assert_eq!(pipeline.get("otel.name"), Some("PIPELINE"));
    assert_eq!(pipeline.get("db.operation.batch.size"), Some("3"));
    assert_eq!(pipeline.get("otel.kind"), Some("client"));

    // A transaction: MULTI, with the commands inside it counted (not MULTI and EXEC).
    let from = log.spans().len();
    let ((), _): ((), i64) = client
        .transaction()
        .set("otel:t", "x")
        .incr("otel:n")
        .execute()
        .await?;
    let multi = one(&log, from, "MULTI");
    assert_eq!(multi.get("otel.name"), Some("MULTI"));
    assert_eq!(multi.get("db.operation.batch.size"), Some("2"));

    // A failed command: the server's error code is its error type.
    let from = log.spans().len();
    let err = client
        .incr("otel:k")
        .await
        .expect_err("INCR of a string fails");
    assert_eq!(err.kind(), ErrorKind::Server);
    let failed = one(&log, from, "INCR");
    assert_eq!(failed.get("error.type"), Some("ERR"), "{failed:#?}");
    assert_eq!(failed.get("db.response.status_code"), Some("ERR"));
    assert_eq!(failed.get("otel.status_code"), Some("ERROR"));
    let from = log.spans().len();
    client.lpush("otel:list", "x").await?;
    let _ = client.incr("otel:list").await.expect_err("WRONGTYPE");
    assert_eq!(one(&log, from, "INCR").get("error.type"), Some("WRONGTYPE"));

    // A connection error: its kind is the error type, and the events name their fields alike.
    proxy.stall();
    let from = log.spans().len();
    let err = client
        .get::<String>("otel:k")
        .await
        .expect_err("the proxy holds the reply");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    proxy.release();
    let value: Option<String> = client.get("otel:t").await?;
    assert_eq!(value.as_deref(), Some("x"));
    let timed_out = spans_named(&log, from, "GET");
    assert_eq!(
        timed_out[0].get("error.type"),
        Some("timeout"),
        "{timed_out:#?}"
    );

    let text = log.text();
    for expected in [
        "connected",
        &format!("server.address=127.0.0.1 server.port={port}"),
        "network.protocol.name=\"resp\" network.protocol.version=\"3\"",
        "response timeout",
        "sider.requests.waiting=1",
        "connection lost",
        "error.type=\"timeout\"",
        "reconnected",
    ] {
        assert!(
            text.contains(expected),
            "no `{expected}` in the trace:\n{text}"
        );
    }
    // Command names only: never keys, values or credentials.
    for secret in ["otel:k", "secret value", "another secret", "hunter2"] {
        assert!(!text.contains(secret), "`{secret}` in the trace:\n{text}");
        for span in log.spans() {
            assert!(
                span.fields.values().all(|v| !v.contains(secret)),
                "`{secret}` in {span:#?}"
            );
        }
    }
    Ok(())
}
