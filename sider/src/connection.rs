//! [`Connection`]: one connection held alone, where connection-state commands are safe.

use crate::client::Call;
use crate::cmd::Cmd;
use crate::conn::{self, Config, Handle, Protocol};
use crate::dispatch::Dispatch;
use crate::error::{Error, ErrorKind};
use crate::pipeline::{Batch, Pipeline, Transaction};
use crate::reply::FromReply;
use crate::ToArgs;

/// A connection that one owner uses at a time (commands take `&mut self`), so commands that
/// change the connection's state are available on it: `WATCH`, `SELECT`, `CLIENT TRACKING`...
/// Blocking commands here never delay another task's commands.
///
/// Get one from [`Client::dedicated`](crate::Client::dedicated), [`Connection::open`], or a
/// [`Pool`](crate::Pool).
///
/// ```no_run
/// use sider::prelude::*;
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// let mut conn = client.dedicated().await?;
/// // Check-and-set: retried until no other client changed `balance` in between.
/// let new_balance: i64 = conn
///     .watching("balance", 10, async |conn| {
///         let balance: i64 = conn.get("balance").await?.unwrap_or(0);
///         let ((),) = conn.transaction().set("balance", balance + 5).execute().await?;
///         Ok(balance + 5)
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Connection {
    handle: Handle,
    protocol: Protocol,
    /// A connection-state command ran here (WATCH, SELECT...): not to be handed to anyone else.
    tainted: bool,
}

impl Connection {
    /// Connects with `config`.
    ///
    /// # Errors
    ///
    /// As for [`Client::connect`](crate::Client::connect).
    pub async fn open(config: Config) -> Result<Connection, Error> {
        let established = conn::connect(&config).await?;
        let protocol = established.protocol;
        Ok(Connection {
            handle: conn::spawn(config, established, None),
            protocol,
            tainted: false,
        })
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// A snapshot of this connection's counters; see [`Stats`](crate::Stats).
    pub fn stats(&self) -> crate::Stats {
        self.handle.stats()
    }

    /// The protocol the server agreed to.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The server this connection talks to: its name and version, as it reported them on
    /// connect (see [`ServerInfo`](crate::ServerInfo)).
    pub fn server(&self) -> crate::ServerInfo {
        self.handle.server()
    }

    /// Sends a command built by hand and decodes its reply into `T`.
    pub fn send<T: FromReply>(&mut self, cmd: Cmd) -> Call<'_, T> {
        self.note(&cmd);
        Call::new(&self.handle, cmd)
    }

    /// Remembers when a command changes the connection's state. Raw commands are looked up in
    /// the spec by name.
    fn note(&mut self, cmd: &Cmd) {
        let info = cmd.info().or_else(|| {
            crate::commands::COMMANDS
                .iter()
                .copied()
                .find(|c| c.name().eq_ignore_ascii_case(cmd.name()))
        });
        if info.is_none_or(|info| info.is_exclusive()) {
            self.tainted = true;
        }
    }

    /// Whether the connection is clean to hand to another user: no reply still owed to a
    /// caller that left, and never broken since `failures` was read.
    pub(crate) fn is_clean(&self, failures: u64) -> bool {
        !self.tainted && self.handle.in_flight() == 0 && self.handle.failures() == failures
    }

    pub(crate) fn failures(&self) -> u64 {
        self.handle.failures()
    }

    /// Starts a typed pipeline on this connection.
    pub fn pipeline(&mut self) -> Pipeline<'_> {
        Pipeline::new(&self.handle)
    }

    /// Starts a batch on this connection.
    pub fn batch<T: FromReply>(&mut self) -> Batch<'_, T> {
        Batch::new(&self.handle)
    }

    /// Starts a batch sent as one MULTI/EXEC transaction on this connection.
    pub fn transaction_batch<T: FromReply>(&mut self) -> Batch<'_, T> {
        Batch::atomic(&self.handle)
    }

    /// Starts a MULTI/EXEC transaction on this connection; with keys `WATCH`ed first, EXEC fails
    /// with [`ErrorKind::Aborted`] if any of them changed.
    pub fn transaction(&mut self) -> Transaction<'_> {
        Transaction::new(&self.handle)
    }

    /// Runs an optimistic transaction: `WATCH`es `keys`, runs `body` (which reads, then executes a
    /// [`transaction`](Connection::transaction)), and runs it again from the start when the
    /// transaction is aborted because a watched key changed, up to `attempts` times.
    ///
    /// # Errors
    ///
    /// Whatever `body` returns other than an abort; after `attempts` aborts, an error of kind
    /// [`ErrorKind::Aborted`].
    pub async fn watching<T>(
        &mut self,
        keys: impl ToArgs,
        attempts: usize,
        mut body: impl AsyncFnMut(&mut Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        for _ in 0..attempts {
            let mut watch = Cmd::new("WATCH");
            watch.push_args(&keys);
            self.send::<()>(watch).await?;
            match body(self).await {
                Err(e) if e.kind() == ErrorKind::Aborted => continue,
                Err(e) => {
                    // The body may have failed before EXEC; leave the connection clean.
                    if !e.is_connection_error() {
                        self.send::<()>(Cmd::new("UNWATCH")).await?;
                    }
                    return Err(e);
                }
                ok => return ok,
            }
        }
        Err(Error::aborted(format!(
            "transaction aborted {attempts} times by concurrent changes to watched keys"
        )))
    }
}

impl<'a> Dispatch for &'a mut Connection {
    type Out<T: FromReply> = Call<'a, T>;

    fn dispatch<T: FromReply>(self, cmd: Cmd) -> Call<'a, T> {
        self.note(&cmd);
        Call::new(&self.handle, cmd)
    }
}

impl crate::__private::Exclusive for &mut Connection {}
