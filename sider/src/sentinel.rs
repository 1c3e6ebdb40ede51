//! Redis Sentinel: connecting to the current primary (or a replica) of a group that sentinels
//! watch, and following it through failovers.
//!
//! A Sentinel [`Config`] holds the group's name and the sentinels' addresses instead of a server's:
//!
//! ```
//! use sider::Config;
//!
//! // redis+sentinel://[user[:password]@]host1[:port1],host2[:port2].../master[/db][?role=replica]
//! let config: Config = "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster/0".parse()?;
//! // The same, in code.
//! let same = Config::sentinel("mymaster", [("10.0.0.1", 26379), ("10.0.0.2", 26379)]);
//! assert_eq!(config.addr(), same.addr());
//! # Ok::<(), sider::Error>(())
//! ```
//!
//! Every connection made with it, reconnects included, asks the sentinels in order for the
//! group's primary (`SENTINEL GET-MASTER-ADDR-BY-NAME`), connects there and checks that `ROLE`
//! says `master`; a sentinel that is down or names a server that is not (yet) the primary is
//! skipped for the next. So [`Client`](crate::Client), [`Connection`](crate::Connection) and
//! [`Pool`](crate::Pool) all follow a failover the same way: the connection to the old primary
//! breaks (it died, or Sentinel demoted it and closed its clients), the commands waiting on it
//! fail with that error, and the next command reconnects to the new primary. A write that failed
//! with a connection error may or may not have been applied; retrying it is the caller's call.
//!
//! Connections to a primary also follow the sentinels' `+switch-master` announcements. A manual
//! failover (`SENTINEL FAILOVER`), or a primary cut off from the sentinels but not from the
//! client, leaves the old primary up and the client's connection open: until Sentinel demotes
//! it, writes there succeed and are then discarded. So each primary connection's `CLIENT ID` is
//! remembered, and one listener per group (subscribed on every sentinel, for the life of the
//! process) closes those connections with `CLIENT KILL ID` on the old primary as soon as a switch
//! is announced. The next command then reconnects to the new primary; commands in flight at that
//! moment fail with a connection error, and none that was acknowledged is lost. When the old
//! primary cannot be reached, its connections are broken already or end with their response
//! timeout. [`switches`] yields the same announcements to you.
//!
//! [`Config::sentinel_replica`] (or `?role=replica`) connects to one of the group's replicas
//! instead, chosen among those `SENTINEL REPLICAS` reports up and in sync, rotating over them.
//!
//! The password, database and TLS settings are those of the data nodes. Sentinels are asked
//! without credentials, over TLS when the configuration has TLS (`rediss+sentinel://`).
//!
//! Part of the connection layer: the lookups below are the ones a connect makes.

use crate::conn::{self, Addr, Config};
use crate::error::Error;

/// Asks the sentinels, in order, for the address of the current primary of the group
/// `config` names (a [`Config::sentinel`] configuration), without connecting to it.
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when `config` is not a Sentinel
/// configuration; otherwise the last sentinel's failure when none answered.
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> Result<(), sider::Error> {
/// let config = sider::Config::sentinel("mymaster", [("127.0.0.1", 26379)]);
/// println!("the primary is at {}", sider::sentinel::primary(&config).await?);
/// # Ok(()) }
/// ```
pub async fn primary(config: &Config) -> Result<Addr, Error> {
    conn::primary_addr(config).await
}

/// Asks the sentinels, in order, for the group's replicas that are up and in sync with the
/// primary (`SENTINEL REPLICAS`, less those flagged down or with a broken link). The list may be
/// empty.
///
/// # Errors
///
/// As for [`primary`].
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> Result<(), sider::Error> {
/// let config = sider::Config::sentinel("mymaster", [("127.0.0.1", 26379)]);
/// for replica in sider::sentinel::replicas(&config).await? {
///     println!("replica at {replica}");
/// }
/// # Ok(()) }
/// ```
pub async fn replicas(config: &Config) -> Result<Vec<Addr>, Error> {
    conn::replica_addrs(config).await
}

/// One failover, as the sentinels announce it (`+switch-master`): the group's primary moved
/// from `from` to `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Switch {
    /// The group's name.
    pub master: String,
    /// The primary before the failover.
    pub from: Addr,
    /// The primary now.
    pub to: Addr,
}

/// The failovers of a Sentinel group, as they happen: a stream of [`Switch`]es.
///
/// Every sentinel of the configuration is listened to at once (`SUBSCRIBE +switch-master`), so
/// that one sentinel down loses nothing, and each switch is yielded once. A sentinel that drops
/// the connection is asked again after a pause. Sentinel's pub/sub keeps nothing: a switch
/// announced while no sentinel could be reached is not yielded (ask [`primary`] after a gap).
/// Dropping the stream stops listening.
#[derive(Debug)]
pub struct Switches {
    rx: tokio::sync::mpsc::UnboundedReceiver<conn::Switch>,
}

impl Switches {
    /// The next switch; `None` never comes while the stream lives.
    pub async fn next(&mut self) -> Option<Switch> {
        std::future::poll_fn(|cx| self.poll_next_switch(cx)).await
    }

    fn poll_next_switch(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Switch>> {
        self.rx.poll_recv(cx).map(|s| {
            s.map(|s| Switch {
                master: s.master,
                from: s.from,
                to: s.to,
            })
        })
    }
}

impl futures_core::Stream for Switches {
    type Item = Switch;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Switch>> {
        self.get_mut().poll_next_switch(cx)
    }
}

/// Starts listening to the sentinels for failovers of the group `config` names; see
/// [`Switches`]. Must be called within a Tokio runtime: the listening runs in tasks of its own.
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when `config` is not a Sentinel
/// configuration. Sentinels that cannot be reached are no error: they are asked again.
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> Result<(), sider::Error> {
/// let config = sider::Config::sentinel("mymaster", [("127.0.0.1", 26379)]);
/// let mut switches = sider::sentinel::switches(&config)?;
/// while let Some(switch) = switches.next().await {
///     println!("{} moved from {} to {}", switch.master, switch.from, switch.to);
/// }
/// # Ok(()) }
/// ```
pub fn switches(config: &Config) -> Result<Switches, Error> {
    Ok(Switches {
        rx: conn::sentinel_switches(config)?,
    })
}
