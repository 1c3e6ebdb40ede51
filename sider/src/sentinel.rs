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
