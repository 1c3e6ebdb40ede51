//! Backpressure: a server slower than the producers never makes the client's memory grow
//! without bound; past the configured queue, commands fail at once with `ErrorKind::Busy`.

use sider::prelude::*;
use sider::{Client, Config, ErrorKind, Protocol};
use std::future::IntoFuture;
use std::time::Duration;

#[tokio::test]
async fn a_server_that_stops_reading_makes_commands_fail_busy() -> anyhow::Result<()> {
    // A peer that answers the handshake and then never reads: the slowest server there is.
    // Under RESP2 the handshake is one write of `INFO server` and two `CLIENT SETINFO`s; it
    // answers them as a Redis 7.0 would (the version, and two refusals), then only holds on.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let held = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await?;
        let mut seen = Vec::new();
        while seen.windows(7).filter(|w| w == b"SETINFO").count() < 2 {
            let mut buf = [0u8; 1024];
            let n = socket.read(&mut buf).await?;
            anyhow::ensure!(n > 0, "the client left during the handshake");
            seen.extend_from_slice(&buf[..n]);
        }
        let info = "redis_version:7.0.0\r\n";
        let refusal = "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n";
        let replies = format!("${}\r\n{info}\r\n{refusal}{refusal}", info.len());
        socket.write_all(replies.as_bytes()).await?;
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
        anyhow::Ok(())
    });
    let config = Config::tcp("127.0.0.1", port)
        .protocol_version(Protocol::Resp2)
        .max_queued_bytes(1 << 20);
    let client = Client::connect_with(config).await?;
    let value = vec![b'x'; 1024];
    // 20 MiB offered at once: at most 1 MiB may wait in the queue.
    let calls: Vec<_> = (0..20_000)
        .map(|i| client.set(i, value.as_slice()).into_future())
        .collect();
    let mut busy = 0;
    let mut pending = 0;
    for call in calls {
        match tokio::time::timeout(Duration::ZERO, call).await {
            Ok(Err(e)) if e.kind() == ErrorKind::Busy => busy += 1,
            Ok(other) => panic!("unexpected outcome {other:?}"),
            Err(_) => pending += 1,
        }
    }
    assert!(busy >= 18_000, "busy {busy}, pending {pending}");
    assert!(
        pending <= 1100,
        "at most the queue's worth waits: {pending}"
    );
    held.abort();
    Ok(())
}
