//! Backpressure: a server slower than the producers never makes the client's memory grow
//! without bound; past the configured queue, commands fail at once with `ErrorKind::Busy`.

use sider::prelude::*;
use sider::{Client, Config, ErrorKind, Protocol};
use std::future::IntoFuture;
use std::time::Duration;

#[tokio::test]
async fn a_server_that_stops_reading_makes_commands_fail_busy() -> anyhow::Result<()> {
    // A peer that accepts and never reads: the slowest server there is. RESP2 without
    // credentials sends no handshake, so nothing needs answering.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let held = tokio::spawn(async move {
        let (socket, _) = listener.accept().await?;
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
