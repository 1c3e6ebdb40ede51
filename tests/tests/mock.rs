//! `sider::mock` tested on itself: typed and raw expectations answering a real `Client`,
//! `Pool`, pipelines, transactions and pub/sub under RESP3 and RESP2; ordered and unordered
//! expectations, repeats, server errors, delays and dropped connections; and the failures the
//! mock reports (unexpected commands beside what was expected, expectations not met, a reply
//! never set, the check on drop).

use sider::mock::{Mock, ToReply};
use sider::prelude::*;
use sider::{Client, Cmd, ErrorKind, Event, Pool, Protocol, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The configurations a test runs under: RESP3, RESP2 asked for, and RESP2 because the server
/// refuses `HELLO`.
async fn mocks() -> anyhow::Result<Vec<(Mock, sider::Config)>> {
    let resp3 = Mock::start().await?;
    let resp2 = Mock::start().await?;
    let old = Mock::builder().resp2_only().start().await?;
    let configs = [
        resp3.config(),
        resp2.config().protocol_version(Protocol::Resp2),
        old.config(),
    ];
    Ok([resp3, resp2, old].into_iter().zip(configs).collect())
}

#[tokio::test]
async fn typed_expectations_answer_the_client_under_both_protocols() -> anyhow::Result<()> {
    for (mock, config) in mocks().await? {
        mock.expect(|c| c.get::<String>("user:1"))
            .returns(Some("ada".to_owned()));
        mock.expect(|c| c.get::<String>("user:2")).returns(None);
        mock.expect(|c| c.set("k", "v").nx()).returns(true);
        mock.expect(|c| c.hgetall::<String, i64>("scores"))
            .returns(HashMap::from([("ada".to_owned(), 3)]));
        mock.expect(|c| c.zrange::<String>("board", 0, -1).withscores())
            .returns(vec![("ada".to_owned(), 1.5), ("bob".to_owned(), 2.0)]);
        mock.expect(|c| c.incr("visits")).returns(7).times(2);
        mock.expect(|c| c.exists("a")).returns(1);
        mock.expect_cmd(Cmd::new("MODULE.CMD").arg("x"))
            .returns(Value::Array(vec![Value::Integer(1), "two".to_reply()]));

        let client = Client::connect_with(config).await?;
        assert_eq!(
            client.get::<String>("user:1").await?.as_deref(),
            Some("ada")
        );
        assert_eq!(client.get::<String>("user:2").await?, None);
        assert!(client.set("k", "v").nx().await?);
        assert_eq!(client.hgetall::<String, i64>("scores").await?["ada"], 3);
        assert_eq!(
            client.zrange::<String>("board", 0, -1).withscores().await?,
            [("ada".to_owned(), 1.5), ("bob".to_owned(), 2.0)]
        );
        assert_eq!(client.incr("visits").await?, 7);
        assert_eq!(client.incr("visits").await?, 7);
        assert_eq!(client.exists("a").await?, 1);
        let raw: (i64, String) = client.send(Cmd::new("MODULE.CMD").arg("x")).await?;
        assert_eq!(raw, (1, "two".to_owned()));
        mock.verify()?;
        assert_eq!(
            mock.received().first().map(String::as_str),
            Some(r#"GET "user:1""#)
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_handshake_is_the_mocks_own() -> anyhow::Result<()> {
    let mock = Mock::builder().server("valkey", "9.0.1").start().await?;
    let config = mock
        .config()
        .password("secret")
        .username("app")
        .client_name("worker")
        .database(3);
    let client = Client::connect_with(config.clone()).await?;
    assert!(client.server().is_valkey());
    assert_eq!(client.server().version(), (9, 0, 1));
    let resp2 = Client::connect_with(config.protocol_version(Protocol::Resp2)).await?;
    assert_eq!(resp2.server().to_string(), "Valkey 9.0.1");
    // A command named like a handshake command, but expected, is the test's.
    mock.expect(|c| c.ping()).returns("PONG".to_owned());
    client.ping().await?;
    mock.verify()?;
    assert!(mock.received().iter().all(|c| !c.starts_with("HELLO")));
    Ok(())
}

#[tokio::test]
async fn pipelines_transactions_and_pools_meet_expectations() -> anyhow::Result<()> {
    for (mock, config) in mocks().await? {
        mock.expect(|c| c.set("a", 1)).returns(());
        mock.expect(|c| c.incr("a")).returns(2);
        mock.expect(|c| c.get::<i64>("a")).returns(Some(2));
        let client = Client::connect_with(config.clone()).await?;
        let ((), n, a) = client
            .pipeline()
            .set("a", 1)
            .incr("a")
            .get::<i64>("a")
            .execute()
            .await?;
        assert_eq!((n, a), (2, Some(2)));

        // Queued commands meet expectations; their replies come in EXEC's.
        mock.expect(|c| c.incr("t")).returns(1);
        mock.expect(|c| c.lpush("l", "x"))
            .fails("WRONGTYPE Operation against a key holding the wrong kind of value");
        let tx = client
            .transaction()
            .incr("t")
            .lpush("l", "x")
            .execute()
            .await;
        let err = tx.expect_err("the LPUSH failed inside EXEC");
        assert!(err.to_string().contains("WRONGTYPE"), "{err}");

        // An unexpected command queued in MULTI aborts the transaction, as a refused one does.
        let aborted = client.transaction().incr("nobody-expects").execute().await;
        let err = aborted.expect_err("EXECABORT");
        assert!(err.to_string().contains("EXECABORT"), "{err}");

        mock.expect(|c| c.get::<String>("pooled"))
            .returns(Some("yes".to_owned()))
            .times(2);
        let pool = Pool::new(config, 2);
        let (mut a, mut b) = (pool.acquire().await?, pool.acquire().await?);
        assert_eq!(a.get::<String>("pooled").await?.as_deref(), Some("yes"));
        assert_eq!(b.get::<String>("pooled").await?.as_deref(), Some("yes"));

        let mismatch = mock
            .verify()
            .expect_err("INCR nobody-expects came unexpected");
        assert_eq!(
            (mismatch.unexpected(), mismatch.unmet()),
            (1, 0),
            "{mismatch}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn subscriptions_receive_what_the_mock_publishes() -> anyhow::Result<()> {
    for (mock, config) in mocks().await? {
        let client = Client::connect_with(config).await?;
        let mut news = client.subscribe("news").await?;
        let mut patterns = client.psubscribe("alerts.*").await?;
        assert_eq!(mock.publish("news", "hello"), 1);
        assert_eq!(mock.publish("alerts.disk", "full"), 1);
        assert_eq!(mock.publish("elsewhere", "lost"), 0);
        let Some(Event::Message(message)) = news.next().await else {
            anyhow::bail!("no message");
        };
        assert_eq!(
            (&message.channel[..], message.payload),
            (&b"news"[..], "hello".to_reply())
        );
        let Some(Event::Message(alert)) = patterns.next().await else {
            anyhow::bail!("no alert");
        };
        assert_eq!(alert.pattern.as_deref(), Some(&b"alerts.*"[..]));
        news.unsubscribe("news").await?;
        mock.verify()?;
    }
    Ok(())
}

#[tokio::test]
async fn errors_delays_and_dropped_connections() -> anyhow::Result<()> {
    let mock = Mock::start().await?;
    let config = mock.config().response_timeout(Duration::from_millis(300));
    let client = Client::connect_with(config).await?;

    mock.expect(|c| c.incr("n"))
        .fails("WRONGTYPE Operation against a key holding the wrong kind of value");
    mock.expect(|c| c.incr("m")).fails("something went wrong");
    let err = client.incr("n").await.expect_err("a server error");
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.server_error().map(|e| e.code()), Some("WRONGTYPE"));
    let err = client.incr("m").await.expect_err("a server error");
    assert_eq!(err.server_error().map(|e| e.code()), Some("ERR"));

    mock.expect(|c| c.get::<String>("slow"))
        .returns(None)
        .after(Duration::from_millis(100));
    let started = Instant::now();
    assert_eq!(client.get::<String>("slow").await?, None);
    assert!(started.elapsed() >= Duration::from_millis(100));

    mock.expect(|c| c.get::<String>("slower"))
        .returns(None)
        .after(Duration::from_secs(2));
    let err = client.get::<String>("slower").await.expect_err("timed out");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");

    // A dropped connection fails the command; the client reconnects for the next one, and the
    // mock greets it again.
    mock.expect(|c| c.get::<String>("k")).drops_connection();
    mock.expect(|c| c.get::<String>("k"))
        .returns(Some("back".to_owned()));
    let err = client
        .get::<String>("k")
        .await
        .expect_err("connection dropped");
    assert!(err.is_connection_error(), "{err}");
    assert_eq!(client.get::<String>("k").await?.as_deref(), Some("back"));
    assert_eq!(
        mock.connections(),
        3,
        "the first, after the timeout, after the drop"
    );

    mock.drop_connections();
    mock.expect(|c| c.incr("after")).returns(1);
    let retried = async {
        loop {
            match client.incr("after").await {
                Err(e) if e.is_connection_error() => continue,
                other => return other,
            }
        }
    };
    assert_eq!(retried.await?, 1);
    mock.verify()?;
    Ok(())
}

#[tokio::test]
async fn unordered_and_ordered_expectations() -> anyhow::Result<()> {
    let unordered = Mock::start().await?;
    unordered.expect(|c| c.incr("first")).returns(1);
    unordered.expect(|c| c.incr("second")).returns(2);
    let client = Client::connect_with(unordered.config()).await?;
    assert_eq!(client.incr("second").await?, 2);
    assert_eq!(client.incr("first").await?, 1);
    unordered.verify()?;

    let ordered = Mock::builder().ordered().start().await?;
    ordered.expect(|c| c.incr("first")).returns(1);
    ordered.expect(|c| c.incr("any")).returns(0).times(..);
    ordered.expect(|c| c.incr("second")).returns(2).times(1..=2);
    ordered.expect(|c| c.incr("third")).returns(3);
    let client = Client::connect_with(ordered.config()).await?;
    assert_eq!(client.incr("first").await?, 1);
    assert_eq!(client.incr("second").await?, 2); // passing over `any`, which may come 0 times
    assert_eq!(client.incr("second").await?, 2);
    assert_eq!(client.incr("third").await?, 3);
    ordered.verify()?;

    let strict = Mock::builder().ordered().start().await?;
    strict.expect(|c| c.incr("first")).returns(1);
    strict.expect(|c| c.incr("second")).returns(2);
    let client = Client::connect_with(strict.config()).await?;
    let err = client.incr("second").await.expect_err("out of order");
    assert!(
        err.to_string()
            .contains("sider mock: unexpected command INCR"),
        "{err}"
    );
    let report = strict.verify().expect_err("out of order").to_string();
    for line in [
        "sider mock: 1 unexpected command, 2 expectations not met",
        "unexpected command on connection 1:",
        r#"  came:     INCR "second""#,
        "  expected (next in order):",
        r#"    INCR "first"  (tests/tests/mock.rs:"#,
        r#"      argument 2 differs: came "second", expected "first""#,
        "expected 1 time, came 0 times",
    ] {
        assert!(report.contains(line), "no `{line}` in:\n{report}");
    }
    Ok(())
}

#[tokio::test]
async fn the_report_shows_what_came_beside_what_was_expected() -> anyhow::Result<()> {
    let mock = Mock::start().await?;
    mock.expect(|c| c.get::<String>("user:1")).returns(None);
    mock.expect(|c| c.incr("hits")).returns(1).times(3);
    let _ = mock.expect(|c| c.del("gone")); // no reply set
    let client = Client::connect_with(mock.config()).await?;
    let err = client
        .get::<String>("user:2")
        .await
        .expect_err("unexpected");
    assert_eq!(err.kind(), ErrorKind::Server);
    client.incr("hits").await?;
    client
        .set("x", "\u{0}bin")
        .await
        .expect_err("nobody expects SET");
    let err = client.del("gone").await.expect_err("no reply set");
    assert!(err.to_string().contains("has no reply"), "{err}");

    let mismatch = mock.verify().expect_err("several problems");
    assert_eq!(
        (mismatch.unexpected(), mismatch.unmet()),
        (2, 3),
        "{mismatch}"
    );
    let report = mismatch.to_string();
    for line in [
        "sider mock: 2 unexpected commands, 3 expectations not met",
        r#"  came:     GET "user:2""#,
        "  expected one of:",
        r#"      argument 2 differs: came "user:2", expected "user:1""#,
        // Nothing named SET was expected: every open expectation is listed.
        r#"  came:     SET "x" "\x00bin""#,
        r#"    INCR "hits"  (tests/tests/mock.rs:"#,
        r#"    expected 3 times, came 1 time"#,
        r#"    has no reply: call `returns`, `fails` or `drops_connection` on it"#,
        r#"    expected 1 time, came 0 times"#,
    ] {
        assert!(report.contains(line), "no `{line}` in:\n{report}");
    }
    Ok(())
}

#[tokio::test]
async fn a_mock_dropped_unverified_checks_and_panics() -> anyhow::Result<()> {
    let mock = Mock::start().await?;
    mock.expect(|c| c.incr("never")).returns(1);
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(mock)));
    let panic = dropped.expect_err("an unmet expectation panics on drop");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains(r#"INCR "never""#), "{message}");

    let met = Mock::start().await?;
    met.expect(|c| c.incr("once")).returns(1);
    Client::connect_with(met.config())
        .await?
        .incr("once")
        .await?;
    drop(met); // met: no panic
    Ok(())
}
