//! [`Manager`]: sider's [`Connection`] in the `bb8` and `deadpool` pools (features `bb8` and
//! `deadpool`), for services that already hold their connections in one of them.
//!
//! A connection comes back to the pool in whatever state its last user left: a `WATCH`, a
//! database `SELECT`ed, a `CLIENT REPLY OFF`, a half-built `MULTI`. Before it is lent again the
//! manager checks it and puts it back as [`Config`] describes it, in one round trip:
//!
//! - a connection that broke since it was opened is refused, and so is one that still owes
//!   replies to a user who left mid-command (a blocking read would hold up the check);
//! - on servers that have `RESET` (Redis 6.2 and later, every Valkey) it sends `RESET`, then
//!   what the handshake sent (`HELLO` with credentials and name, `CLIENT TRACKING`, `SELECT`),
//!   then `PING`;
//! - on older servers it sends `PING` only, and refuses a connection on which a
//!   state-changing command ran, so that the pool opens a fresh one.
//!
//! Imports from `connection`, `conn` (the configuration), `pipeline` (sending raw commands
//! without marking the connection) and `error`.

#[cfg(feature = "bb8")]
mod bb8;
#[cfg(feature = "deadpool")]
mod deadpool;

use crate::cmd::Cmd;
use crate::conn::{Config, Protocol};
use crate::connection::Connection;
use crate::error::Error;
use crate::resp::Frame;
use bytes::BytesMut;

/// Opens and recycles sider [`Connection`]s for `bb8::Pool` (feature `bb8`) and
/// `deadpool::managed::Pool` (feature `deadpool`).
///
/// ```no_run
/// # #[cfg(feature = "bb8")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use sider::prelude::*;
/// use sider::pools::Manager;
///
/// let manager = Manager::new("redis://127.0.0.1:6379/0".parse()?);
/// let pool = bb8::Pool::builder().max_size(8).build(manager).await?;
/// let mut conn = pool.get().await?;
/// conn.set("k", "v").await?;
/// # Ok(()) }
/// ```
///
/// With `deadpool`:
///
/// ```no_run
/// # #[cfg(feature = "deadpool")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use sider::prelude::*;
/// use sider::pools::Manager;
///
/// let manager = Manager::new("redis://127.0.0.1:6379/0".parse()?);
/// let pool = deadpool::managed::Pool::<Manager>::builder(manager).max_size(8).build()?;
/// let mut conn = pool.get().await.map_err(|e| e.to_string())?;
/// conn.set("k", "v").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Manager {
    config: Config,
}

impl Manager {
    /// A manager that opens connections with `config`, and restores what it sets (database,
    /// credentials, name, protocol, tracking) on each connection it recycles.
    pub fn new(config: Config) -> Manager {
        Manager { config }
    }

    /// The configuration connections are opened with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Opens a connection.
    async fn open(&self) -> Result<Connection, Error> {
        Connection::open(self.config.clone()).await
    }

    /// Why `conn` cannot be lent again, if that is known without a round trip: its connection
    /// was lost since it opened (its driver reconnects, but what its user set on the server is
    /// gone, and a pool should know), or a reply is still owed to a user who left (a blocking
    /// read would hold up the check).
    fn broken(conn: &Connection) -> Option<&'static str> {
        if conn.failures() > 0 {
            Some("the pooled connection was lost since it was opened")
        } else if conn.handle().in_flight() > 0 {
            Some("the pooled connection still owes replies to a caller that left")
        } else {
            None
        }
    }

    /// Checks `conn` with `PING` and puts it back as the configuration describes it (see the
    /// module's documentation).
    async fn recycle(&self, conn: &mut Connection) -> Result<(), Error> {
        if let Some(why) = Manager::broken(conn) {
            return Err(Error::closed(why));
        }
        let server = conn.server();
        // Valkey began as a fork of Redis 7.2.4, which has RESET.
        let has_reset = server.has(Some("6.2.0"), Some("7.2.4")) == Some(true);
        let mut cmds = Vec::new();
        if has_reset {
            cmds.push(Cmd::new("RESET"));
            cmds.extend(self.restore(conn.protocol()));
        } else if !conn.is_clean(0) {
            return Err(Error::closed(format!(
                "a command changed the pooled connection's state, and {server} has no RESET to undo it"
            )));
        }
        cmds.push(Cmd::new("PING"));
        let mut buf = BytesMut::new();
        for cmd in &cmds {
            cmd.encode(&mut buf);
        }
        let replies = crate::pipeline::send_many(conn.handle(), buf, cmds.len(), &[]).await?;
        for (cmd, reply) in cmds.iter().zip(&replies) {
            if let Frame::Error(line) = reply {
                return Err(Error::server(line).context(format_args!(
                    "{} while recycling a pooled connection",
                    cmd.name()
                )));
            }
        }
        if conn.failures() > 0 {
            return Err(Error::closed(
                "the pooled connection was lost while it was checked",
            ));
        }
        Ok(())
    }

    /// What the handshake set that `RESET` undoes: the protocol, the user, the name, tracking
    /// and the database.
    fn restore(&self, protocol: Protocol) -> Vec<Cmd> {
        let config = &self.config;
        let mut cmds = Vec::new();
        if protocol == Protocol::Resp3 {
            let mut hello = Cmd::new("HELLO").arg(3);
            if let Some(password) = &config.password {
                let user = config.username.as_deref().unwrap_or("default");
                hello = hello.arg("AUTH").arg(user).arg(password.as_str());
            }
            if let Some(name) = &config.client_name {
                hello = hello.arg("SETNAME").arg(name.as_str());
            }
            cmds.push(hello);
        } else {
            if let Some(password) = &config.password {
                let mut auth = Cmd::new("AUTH");
                if let Some(user) = &config.username {
                    auth = auth.arg(user.as_str());
                }
                cmds.push(auth.arg(password.as_str()));
            }
            if let Some(name) = &config.client_name {
                cmds.push(Cmd::new("CLIENT SETNAME").arg(name.as_str()));
            }
        }
        if let Some(tracking) = &config.tracking {
            cmds.push(tracking.command());
        }
        if config.db != 0 {
            cmds.push(Cmd::new("SELECT").arg(config.db));
        }
        cmds
    }
}
