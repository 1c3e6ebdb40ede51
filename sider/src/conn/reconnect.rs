//! The driver task's outer loop: it runs one connection until that fails, then reconnects,
//! lazily (when the next request arrives) or at once when subscriptions must be renewed, waiting
//! between failed attempts with an exponential [`Backoff`]. Within the backoff, requests fail at
//! once with the last attempt's error rather than hammer a server that is down.

#[cfg(feature = "tracing")]
use super::config::Addr;
use super::config::Config;
use super::connect::connect;
use super::driver::{Link, Opened};
use super::push::Router;
use super::request::{Payload, Request};
use super::shared::{Retire, Shared};
use super::trace::event;
use crate::error::{Error, ErrorKind};
use crate::stats::Counters;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The wait between failed connection attempts: from the configured minimum, doubled by each
/// failure up to the maximum, and back to the minimum after a success.
struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
    /// After a failed attempt: when the next may start, and why the last one failed.
    last_failure: Option<(Instant, Error)>,
}

impl Backoff {
    fn new((min, max): (Duration, Duration)) -> Backoff {
        Backoff {
            min,
            max,
            next: min,
            last_failure: None,
        }
    }

    /// When the next attempt may start.
    fn retry_at(&self) -> Instant {
        self.last_failure
            .as_ref()
            .map_or_else(Instant::now, |(at, _)| *at)
    }

    /// The last attempt's error, while the next may not start yet.
    fn refusing(&self) -> Option<&Error> {
        match &self.last_failure {
            Some((retry_at, err)) if Instant::now() < *retry_at => Some(err),
            _ => None,
        }
    }

    fn failed(&mut self, err: Error) {
        self.last_failure = Some((Instant::now() + self.next, err));
        self.next = (self.next * 2).min(self.max);
    }

    fn succeeded(&mut self) {
        self.next = self.min;
        self.last_failure = None;
    }
}

/// The driver task: `conn` is the connection its client opened (the first is made before the
/// task starts, so that connecting reports errors to the caller).
pub(super) async fn run(
    config: Config,
    mut conn: Option<Opened>,
    mut rx: mpsc::UnboundedReceiver<Request>,
    shared: Arc<Shared>,
    mut router: Router,
    _retire: Retire,
) {
    let fail = |request: Request, err: &Error| {
        shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        shared
            .queued
            .fetch_sub(request.payload.size(), Ordering::Relaxed);
        request.waiter.fail(err.clone());
    };
    let mut backoff = Backoff::new(config.reconnect_backoff);
    let mut first = None;
    let mut reconnected = false;
    // The server of the last connection, to tell a failover from a reconnect.
    #[cfg(feature = "tracing")]
    let mut last_addr: Option<Addr> = None;
    loop {
        let established = match conn.take() {
            Some(established) => established,
            None => {
                // Reconnect when someone needs the connection, or at once (after the backoff)
                // when subscriptions must be renewed.
                let request = if router.has_subscriptions() {
                    tokio::select! {
                        request = rx.recv() => Some(request),
                        () = tokio::time::sleep_until(backoff.retry_at()) => None,
                    }
                } else {
                    Some(rx.recv().await)
                };
                let request = match request {
                    Some(None) => return,
                    // A caller's write that the lost connection left unfinished: nothing is
                    // owed to it now, and no reason to reconnect.
                    Some(Some(Request {
                        payload: Payload::Resume,
                        ..
                    })) => {
                        shared.in_flight.fetch_sub(1, Ordering::Relaxed);
                        continue;
                    }
                    Some(request) => request,
                    None => None,
                };
                if let Some(request) = request {
                    if let Some(err) = backoff.refusing() {
                        fail(request, err);
                        continue;
                    }
                    first = Some(request);
                }
                match connect(&config).await {
                    Ok(established) => {
                        backoff.succeeded();
                        Opened::new(established, &shared, router.has_subscriptions())
                    }
                    Err(err) => {
                        shared.failures.fetch_add(1, Ordering::Relaxed);
                        event!(warn, addr = %config.addr, error = %err, "reconnect failed");
                        let err = err.context("reconnecting");
                        if let Some(request) = first.take() {
                            fail(request, &err);
                            while let Ok(request) = rx.try_recv() {
                                fail(request, &err);
                            }
                        }
                        backoff.failed(err);
                        continue;
                    }
                }
            }
        };
        if let Some(cache) = &router.cache {
            // Tracking is on for this connection (the handshake turned it on): invalidations
            // flow again. Whatever was kept before is dropped: those sent while disconnected
            // are lost.
            cache.connected();
        }
        #[cfg(feature = "tracing")]
        if let Some(previous) = last_addr.replace(established.addr.clone()) {
            // Through Sentinel, a reconnect that lands elsewhere followed a failover.
            if previous != established.addr {
                event!(warn, from = %previous, to = %established.addr, "primary changed (failover)");
            }
        }
        let mut connection = Link::new(&config, established, shared.clone(), router);
        if reconnected {
            event!(info, addr = %config.addr, "reconnected");
        } else {
            event!(info, addr = %config.addr, protocol = ?connection.protocol, "connected");
        }
        if reconnected {
            let renewals = connection.router.renew();
            for (cmd, confirmations) in renewals {
                connection.send_internal(cmd, confirmations);
            }
        }
        reconnected = true;
        if let Some(request) = first.take() {
            connection.enqueue(request, Instant::now());
        }
        Counters::add(&shared.counters.connects, 1);
        let outcome = std::future::poll_fn(|cx| connection.poll_run(cx, &mut rx)).await;
        router = connection.router;
        let err = match outcome {
            Ok(()) => return, // every handle is gone and every reply delivered
            Err(err) => err,
        };
        event!(warn, addr = %config.addr, kind = ?err.kind(), error = %err, "connection lost");
        let counters = &shared.counters;
        Counters::add(
            match err.kind() {
                ErrorKind::Protocol => &counters.protocol_errors,
                ErrorKind::Timeout => &counters.timeouts,
                ErrorKind::Closed => &counters.closed,
                _ => &counters.io_errors,
            },
            1,
        );
    }
}
