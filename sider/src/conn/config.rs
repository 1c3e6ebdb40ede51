//! [`Config`]: where and how to connect, built from a URL or field by field.

use crate::error::Error;
use crate::resp::Limits;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Where the server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Addr {
    /// A TCP host and port.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A Unix domain socket.
    Unix(PathBuf),
    /// The current primary (or a replica) of a group that Redis Sentinel watches. Each
    /// connection, reconnects included, asks the sentinels where it is and checks its `ROLE`,
    /// so a connection lost in a failover comes back to the new primary. See
    /// [`sentinel`](crate::sentinel).
    Sentinel {
        /// The group's name, as in `sentinel monitor <name> ...`.
        master: String,
        /// The sentinels' hosts and ports, asked in this order.
        sentinels: Vec<(String, u16)>,
        /// Connect to a replica instead of the primary.
        replica: bool,
    },
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Addr::Tcp { host, port } => write!(f, "{host}:{port}"),
            Addr::Unix(path) => write!(f, "unix:{}", path.display()),
            Addr::Sentinel {
                master,
                sentinels,
                replica,
            } => {
                let role = if *replica { "a replica" } else { "the primary" };
                write!(f, "{role} of `{master}` (sentinels")?;
                for (i, (host, port)) in sentinels.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    let tcp = Addr::Tcp {
                        host: host.clone(),
                        port: *port,
                    };
                    write!(f, "{sep}{tcp}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Which RESP version to speak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// RESP3 through `HELLO 3`, falling back to RESP2 when the server rejects `HELLO`.
    #[default]
    Resp3,
    /// RESP2 only: `AUTH` and `SELECT`, never `HELLO`.
    Resp2,
}

/// How to reach and greet a Redis server.
///
/// Parse one from a URL with [`Config::from_url`] (or `str::parse`), or start from
/// [`Config::tcp`] / [`Config::unix`] and chain setters:
///
/// ```
/// use sider::{Config, Protocol};
/// use std::time::Duration;
///
/// let config: Config = "redis://app:secret@127.0.0.1:6380/2?protocol=2".parse()?;
/// assert_eq!(config.db(), 2);
/// assert_eq!(config.protocol(), Protocol::Resp2);
/// // The password never shows in Debug output.
/// assert!(!format!("{config:?}").contains("secret"));
///
/// let config = Config::tcp("127.0.0.1", 6379)
///     .password("secret")
///     .client_name("worker-1")
///     .response_timeout(Duration::from_secs(2));
/// # Ok::<(), sider::Error>(())
/// ```
#[derive(Clone)]
pub struct Config {
    pub(crate) addr: Addr,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<super::tls::TlsConfig>,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) db: i64,
    /// The most connections blocking commands hold at once; `None`: no bound.
    pub(crate) max_blocking_connections: Option<usize>,
    pub(crate) protocol: Protocol,
    pub(crate) client_name: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) response_timeout: Option<Duration>,
    pub(crate) reconnect_backoff: (Duration, Duration),
    pub(crate) max_queued_bytes: usize,
    pub(crate) tracking: Option<super::cache::Tracking>,
    pub(crate) cache: CacheOptions,
    pub(crate) limits: Limits,
}

/// Client-side caching's bounds beyond the entry count (see [`Config::cache_max_bytes`]...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CacheOptions {
    pub(crate) max_bytes: usize,
    pub(crate) ttl: Option<Duration>,
    pub(crate) health_check: Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Config");
        d.field("addr", &self.addr);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls);
        d.field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("db", &self.db)
            .field("max_blocking_connections", &self.max_blocking_connections)
            .field("protocol", &self.protocol)
            .field("client_name", &self.client_name)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("reconnect_backoff", &self.reconnect_backoff)
            .field("max_queued_bytes", &self.max_queued_bytes)
            .field("tracking", &self.tracking)
            .field("cache", &self.cache)
            .field("limits", &self.limits)
            .finish()
    }
}

impl Config {
    fn new(addr: Addr) -> Config {
        Config {
            addr,
            #[cfg(feature = "tls")]
            tls: None,
            username: None,
            password: None,
            db: 0,
            max_blocking_connections: None,
            protocol: Protocol::default(),
            client_name: None,
            connect_timeout: Duration::from_secs(10),
            response_timeout: None,
            reconnect_backoff: (Duration::from_millis(50), Duration::from_secs(2)),
            max_queued_bytes: 256 * 1024 * 1024,
            tracking: None,
            cache: CacheOptions {
                max_bytes: 64 * 1024 * 1024,
                ttl: None,
                health_check: Duration::from_secs(2),
            },
            limits: Limits::default(),
        }
    }

    /// A server at `host:port` over TCP.
    pub fn tcp(host: impl Into<String>, port: u16) -> Config {
        Config::new(Addr::Tcp {
            host: host.into(),
            port,
        })
    }

    /// A server on a Unix domain socket.
    pub fn unix(path: impl Into<PathBuf>) -> Config {
        Config::new(Addr::Unix(path.into()))
    }

    /// The primary of the group `master` that Redis Sentinel watches, found through
    /// `sentinels` (asked in order) on every connect, so that reconnects follow failovers.
    /// The other settings (password, database, TLS...) are the data nodes'; sentinels are asked
    /// without credentials.
    ///
    /// ```
    /// let config = sider::Config::sentinel("mymaster", [("10.0.0.1", 26379), ("10.0.0.2", 26379)]);
    /// assert_eq!(
    ///     config.addr().to_string(),
    ///     "the primary of `mymaster` (sentinels 10.0.0.1:26379, 10.0.0.2:26379)"
    /// );
    /// ```
    pub fn sentinel<H: Into<String>>(
        master: impl Into<String>,
        sentinels: impl IntoIterator<Item = (H, u16)>,
    ) -> Config {
        Config::new(Addr::Sentinel {
            master: master.into(),
            sentinels: sentinels
                .into_iter()
                .map(|(host, port)| (host.into(), port))
                .collect(),
            replica: false,
        })
    }

    /// Like [`Config::sentinel`], but connects to one of the group's healthy replicas (in
    /// sync with the primary), for reads. Successive connections rotate over them.
    pub fn sentinel_replica<H: Into<String>>(
        master: impl Into<String>,
        sentinels: impl IntoIterator<Item = (H, u16)>,
    ) -> Config {
        let mut config = Config::sentinel(master, sentinels);
        if let Addr::Sentinel { replica, .. } = &mut config.addr {
            *replica = true;
        }
        config
    }

    /// Connects over TLS, set up as `tls` says (`rediss://` sets the default: verified against
    /// Mozilla's root store). Needs the `tls` feature.
    ///
    /// ```
    /// let config = sider::Config::tcp("127.0.0.1", 6380)
    ///     .tls(sider::TlsConfig::new().ca_pem(b"-----BEGIN CERTIFICATE-----..."));
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: super::tls::TlsConfig) -> Config {
        self.tls = Some(tls);
        self
    }

    #[cfg(feature = "tls")]
    fn with_default_tls(self) -> Result<Config, Error> {
        Ok(self.tls(super::tls::TlsConfig::default()))
    }

    #[cfg(not(feature = "tls"))]
    fn with_default_tls(self) -> Result<Config, Error> {
        Err(Error::config(
            "rediss:// needs TLS, and sider was built without TLS support (enable its `tls` feature)",
        ))
    }

    /// Sets the ACL user name (Redis 6+). Without it, `AUTH` uses the `default` user.
    pub fn username(mut self, username: impl Into<String>) -> Config {
        self.username = Some(username.into());
        self
    }

    /// Sets the password sent with `HELLO ... AUTH` or `AUTH`.
    pub fn password(mut self, password: impl Into<String>) -> Config {
        self.password = Some(password.into());
        self
    }

    /// Selects database `db` on connect.
    pub fn database(mut self, db: i64) -> Config {
        self.db = db;
        self
    }

    /// Chooses the protocol. The default, RESP3, falls back to RESP2 on servers without `HELLO`.
    pub fn protocol_version(mut self, protocol: Protocol) -> Config {
        self.protocol = protocol;
        self
    }

    /// Names the connection (`CLIENT SETNAME`), as shown by `CLIENT LIST`.
    pub fn client_name(mut self, name: impl Into<String>) -> Config {
        self.client_name = Some(name.into());
        self
    }

    /// Bounds connecting plus the handshake. Default: 10 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Config {
        self.connect_timeout = timeout;
        self
    }

    /// Fails the connection when the server owes replies and sends nothing for this long; every
    /// command waiting on it then fails with [`ErrorKind::Timeout`](crate::ErrorKind::Timeout).
    /// Default: none.
    ///
    /// With a timeout set, the connection's task also wakes once per timeout while the
    /// connection is idle: a command its caller writes itself (see the guide, "The shared
    /// client") does not wake that task, whose timer must still cover it.
    pub fn response_timeout(mut self, timeout: Duration) -> Config {
        self.response_timeout = Some(timeout);
        self
    }

    /// Bounds the connections a [`Client`](crate::Client) opens for blocking commands (`BLPOP`,
    /// `BLMOVE`, `XREAD BLOCK`...): each blocking call holds one connection of its own while it
    /// waits, so that it never holds up other commands. Past `n` calls blocked at once, the next
    /// one waits, first come first served, until one of them finishes (or is dropped) and hands
    /// its connection on; its own timeout starts only once it is sent. Dropping a waiting call
    /// gives up its place and takes nothing. `0` counts as 1. Default: no bound, one connection
    /// per blocking call in flight.
    ///
    /// Idle ones (up to 8) are kept for the next blocking call.
    /// [`Client::stats`](crate::Client::stats) counts them all (`blocking_connections`,
    /// `blocking_idle`, `blocking_waiting`).
    ///
    /// ```
    /// let config = sider::Config::tcp("127.0.0.1", 6379).max_blocking_connections(4);
    /// ```
    pub fn max_blocking_connections(mut self, n: usize) -> Config {
        self.max_blocking_connections = Some(n.max(1));
        self
    }

    /// Bounds the wait between reconnection attempts: after a failed attempt, commands fail at
    /// once (with that attempt's error) until `min` has passed; each further failure doubles the
    /// wait, up to `max`. Default: 50 ms to 2 s.
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Config {
        self.reconnect_backoff = (min, max.max(min));
        self
    }

    /// Turns on client-side caching (RESP3 only; under RESP2 connecting fails with
    /// [`ErrorKind::Config`](crate::ErrorKind::Config)): the connection sends
    /// `CLIENT TRACKING ON`, replies to reads the spec marks cacheable are kept (up to the
    /// capacity, least recently used evicted first), and the server's invalidation pushes evict
    /// them. `MGET` is served key by key: hits from the cache, misses in one request.
    ///
    /// Invalidations are only as good as the connection that carries them, so the cache is
    /// emptied the moment that connection is known to be lost (an error, the server closing it,
    /// a failed [health check](Self::cache_health_check)), and no hit is served until a new
    /// connection has turned tracking on again. Each entry also expires with its key: its
    /// `PTTL` is read along with a missed read, and caps its life.
    pub fn client_tracking(mut self, tracking: super::cache::Tracking) -> Config {
        self.tracking = Some(tracking);
        self
    }

    /// Bounds the client-side cache in bytes (the commands, keys and replies kept, plus about
    /// 100 bytes of bookkeeping each), as well as in entries. Default: 64 MiB.
    pub fn cache_max_bytes(mut self, bytes: usize) -> Config {
        self.cache.max_bytes = bytes;
        self
    }

    /// The longest a cached reply is served (unless a read sets its own with
    /// [`Call::cache_ttl`](crate::Call::cache_ttl)); it never outlives its key's own time to
    /// live either. Default: none (until invalidated or evicted).
    pub fn cache_ttl(mut self, ttl: Duration) -> Config {
        self.cache.ttl = Some(ttl);
        self
    }

    /// How soon an idle caching connection notices it is dead when nothing tells it (a network
    /// that drops packets, a frozen server): after `interval` with nothing read, the driver
    /// sends `PING`, and a connection still silent one `interval` later is dropped, with the
    /// cache. A closed or reset connection is noticed at once, without it. Default: 2 s.
    pub fn cache_health_check(mut self, interval: Duration) -> Config {
        self.cache.health_check = interval.max(Duration::from_millis(1));
        self
    }

    /// Bounds the bytes of commands waiting to be written when the server is slower than the
    /// producers: past it, new commands fail at once with
    /// [`ErrorKind::Busy`](crate::ErrorKind::Busy) instead of growing memory. One command
    /// alone is always accepted. Default: 256 MiB.
    pub fn max_queued_bytes(mut self, bytes: usize) -> Config {
        self.max_queued_bytes = bytes;
        self
    }

    /// Sets the decoder's bounds on replies.
    pub fn limits(mut self, limits: Limits) -> Config {
        self.limits = limits;
        self
    }

    /// Where the server listens.
    pub fn addr(&self) -> &Addr {
        &self.addr
    }

    /// The database selected on connect.
    pub fn db(&self) -> i64 {
        self.db
    }

    /// The protocol asked for.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }
}

mod url;

#[cfg(test)]
mod tests;
