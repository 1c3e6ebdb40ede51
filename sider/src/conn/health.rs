//! The health check of a connection that carries cache invalidations.
//!
//! A closed or reset connection is noticed at once (its read side ends). One that goes silent
//! (a network that drops packets, a frozen server) is not, and a cache whose reads all hit
//! would serve stale replies for as long as it lasts. So after an interval with nothing read the
//! driver sends `PING`; after a second silent interval:
//! - with nothing owed to callers, the connection is dropped (and with it the cache, which the
//!   next command's connection starts afresh);
//! - with commands owed (a slow command may be running: that is the response timeout's call),
//!   the cache is suspended: emptied and serving no hit until the server is heard from again.
//!   Invalidations on a live connection are late, not lost, so hearing from it makes the cache
//!   safe to fill again.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// What the check asks of the driver.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Check {
    /// Nothing to do.
    Fine,
    /// Silent for an interval: send `PING`.
    Ping,
    /// Silent for two intervals with nothing owed: drop the connection.
    Dead,
    /// Silent for two intervals with commands owed: suspend the cache.
    Suspect,
}

#[derive(Debug)]
pub(super) struct Health {
    every: Duration,
    timer: Pin<Box<Sleep>>,
    /// Something was read since the timer last fired.
    heard: bool,
    /// A `PING` went out after a silent interval.
    pinged: bool,
    /// The cache is suspended until the server is heard from.
    suspended: bool,
}

impl Health {
    pub(super) fn new(every: Duration) -> Health {
        Health {
            every,
            timer: Box::pin(tokio::time::sleep_until(Instant::now() + every)),
            heard: false,
            pinged: false,
            suspended: false,
        }
    }

    /// Bytes arrived. Returns true when this ends a suspension (the cache may be filled again).
    pub(super) fn heard(&mut self) -> bool {
        self.heard = true;
        std::mem::take(&mut self.suspended)
    }

    /// Whether the timer has fired (registers the waker when it has not).
    pub(super) fn due(&mut self, cx: &mut Context<'_>) -> bool {
        self.timer.as_mut().poll(cx).is_ready()
    }

    /// Polls the timer; `idle` when nothing is owed to callers.
    #[cfg(test)]
    pub(super) fn poll(&mut self, cx: &mut Context<'_>, idle: bool) -> Check {
        if !self.due(cx) {
            return Check::Fine;
        }
        self.fired(cx, idle)
    }

    /// What to do now that the timer fired; `idle` when nothing is owed to callers.
    pub(super) fn fired(&mut self, cx: &mut Context<'_>, idle: bool) -> Check {
        let next = Instant::now() + self.every;
        self.timer.as_mut().reset(next);
        // Registers the waker for the new deadline (it cannot be due yet).
        let _ = self.timer.as_mut().poll(cx);
        if std::mem::take(&mut self.heard) {
            self.pinged = false;
            return Check::Fine;
        }
        if !self.pinged {
            self.pinged = true;
            return Check::Ping;
        }
        if idle {
            Check::Dead
        } else if self.suspended {
            Check::Fine
        } else {
            self.suspended = true;
            Check::Suspect
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn poll(health: &mut Health, idle: bool) -> Check {
        let mut cx = Context::from_waker(Waker::noop());
        health.poll(&mut cx, idle)
    }

    #[tokio::test(start_paused = true)]
    async fn pings_after_a_silent_interval_and_gives_up_after_two() {
        let every = Duration::from_secs(1);
        let mut health = Health::new(every);
        assert_eq!(poll(&mut health, true), Check::Fine);
        tokio::time::advance(every).await;
        assert_eq!(poll(&mut health, true), Check::Ping);
        tokio::time::advance(every).await;
        assert_eq!(poll(&mut health, true), Check::Dead);
    }

    #[tokio::test(start_paused = true)]
    async fn anything_heard_resets_it() {
        let every = Duration::from_secs(1);
        let mut health = Health::new(every);
        tokio::time::advance(every).await;
        assert_eq!(poll(&mut health, true), Check::Ping);
        assert!(!health.heard());
        tokio::time::advance(every).await;
        assert_eq!(poll(&mut health, true), Check::Fine);
        tokio::time::advance(every).await;
        assert_eq!(poll(&mut health, true), Check::Ping);
    }

    #[tokio::test(start_paused = true)]
    async fn with_commands_owed_the_cache_is_suspended_until_heard() {
        let every = Duration::from_secs(1);
        let mut health = Health::new(every);
        tokio::time::advance(every).await;
        assert_eq!(poll(&mut health, false), Check::Ping);
        tokio::time::advance(every).await;
        assert_eq!(poll(&mut health, false), Check::Suspect);
        tokio::time::advance(every).await;
        assert_eq!(poll(&mut health, false), Check::Fine, "suspended once");
        assert!(health.heard(), "hearing ends the suspension");
        assert!(!health.heard());
    }
}
