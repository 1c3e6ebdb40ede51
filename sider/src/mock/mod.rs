//! A Redis server for your tests, in your test's own process (feature `mock`): it listens on a
//! loopback port, speaks RESP2 and RESP3, and answers each command from the expectations the
//! test wrote, so the whole client stack runs against it (a [`Client`], a [`Pool`], pipelines,
//! transactions, pub/sub) without a `redis-server`.
//!
//! Expectations are written with the typed API the code under test uses, and state their reply
//! as a value of the command's reply type, so an expectation real Redis could never meet does
//! not compile:
//!
//! ```
//! use sider::mock::Mock;
//! use sider::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = Mock::start().await?;
//! mock.expect(|c| c.get::<String>("user:1")).returns(Some("ada".to_owned()));
//! mock.expect(|c| c.incr("visits")).returns(1).times(2);
//! // mock.expect(|c| c.incr("visits")).returns("one"); // does not compile: INCR replies i64
//!
//! let client = sider::Client::connect_with(mock.config()).await?;
//! assert_eq!(client.get::<String>("user:1").await?.as_deref(), Some("ada"));
//! client.incr("visits").await?;
//! client.incr("visits").await?;
//! mock.verify()?; // every expectation met, nothing unexpected
//! # Ok(()) }
//! ```
//!
//! - **Replies**: [`returns`](Expectation::returns) a value, [`fails`](Expectation::fails)
//!   with a server error, [`drops_connection`](Expectation::drops_connection), each
//!   [`after`](Expectation::after) a delay; [`times`](Expectation::times) says how often the
//!   command may come. [`Mock::expect_cmd`] takes a raw [`Cmd`] and replies any [`Value`].
//! - **Order**: expectations are met in any order; [`MockBuilder::ordered`] makes the mock
//!   insist on the order they were written in.
//! - **The rest of a server** is the mock's own: the handshake (`HELLO`, `AUTH`, `INFO server`,
//!   `CLIENT SETINFO`, `SELECT`), `PING`, `RESET`, `MULTI`/`EXEC`/`DISCARD` (queued commands
//!   meet expectations; their replies come in `EXEC`'s), and subscriptions, with
//!   [`Mock::publish`] to send messages. An expectation for one of these still takes precedence.
//! - **Checking**: [`Mock::verify`] returns a [`Mismatch`] that lists each unexpected command
//!   beside the expectations it might have been meant for (and the argument that differs), and
//!   each expectation not met. A mock dropped without `verify` checks the same and panics.
//!   A command nobody expected gets an error reply, `ERR sider mock: unexpected command ...`.
//!
//! Imports from `cmd`, `conn` (the configuration), `dispatch`, `reply`, `resp` and `error`: it
//! sits beside the client, not under it.

mod expect;
mod reply;
mod report;
mod server;
mod state;

pub use expect::{Capture, Captured, Expectation, IntoExpectation, Times};
pub use reply::ToReply;
pub use report::Mismatch;

use crate::cmd::Cmd;
use crate::conn::Config;
use crate::error::Error;
use crate::resp::Frame as Value;
use expect::Rule;
use state::{Shared, SubscriptionSet};
use std::net::SocketAddr;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[cfg(doc)]
use crate::{Client, Pool};

/// A mock Redis server on a loopback port; see the [module documentation](self).
///
/// It runs on the tokio runtime it was started on, and stops when dropped: its connections
/// close, and clients see the server go away.
#[derive(Debug)]
pub struct Mock {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: JoinHandle<()>,
    verified: AtomicBool,
}

/// Options for a [`Mock`]: [`Mock::builder`].
#[derive(Clone, Debug)]
pub struct MockBuilder {
    ordered: bool,
    server: (String, String),
    resp2_only: bool,
}

impl MockBuilder {
    /// Expectations must be met in the order they were written. A command that meets a later
    /// one while an earlier one still needs more is unexpected; an expectation met as often as
    /// its [`times`](Expectation::times) requires may be passed over.
    pub fn ordered(mut self) -> MockBuilder {
        self.ordered = true;
        self
    }

    /// The server name and version the mock reports in `HELLO` and `INFO server` (`"redis"`,
    /// `"8.0.0"` by default), which [`Client::server`] then returns. Below Redis 6.2 the mock
    /// has no `RESET`, as those servers had none.
    pub fn server(mut self, name: &str, version: &str) -> MockBuilder {
        self.server = (name.to_ascii_lowercase(), version.to_owned());
        self
    }

    /// Refuses `HELLO`, as servers before Redis 6 do: clients stay on RESP2.
    pub fn resp2_only(mut self) -> MockBuilder {
        self.resp2_only = true;
        self
    }

    /// Starts the mock on `127.0.0.1`, on a port the system picks, in the current tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when no loopback port can be had.
    pub async fn start(self) -> Result<Mock, Error> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Error::io("binding the mock server to a loopback port", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the mock server's address", e))?;
        let shared = Arc::new(Shared::new(self.server, self.resp2_only, self.ordered));
        let accept = tokio::spawn(server::accept(listener, shared.clone()));
        Ok(Mock {
            shared,
            addr,
            accept,
            verified: AtomicBool::new(false),
        })
    }
}

impl Mock {
    /// Starts a mock with the default options: unordered, reporting Redis 8.0.0, RESP2 and
    /// RESP3. See [`MockBuilder::start`].
    ///
    /// # Errors
    ///
    /// As [`MockBuilder::start`].
    pub async fn start() -> Result<Mock, Error> {
        Mock::builder().start().await
    }

    /// Options for a mock.
    pub fn builder() -> MockBuilder {
        MockBuilder {
            ordered: false,
            server: ("redis".to_owned(), "8.0.0".to_owned()),
            resp2_only: false,
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `redis://127.0.0.1:<port>`, for code that takes a URL.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// A [`Config`] for the mock, to change further (`.protocol_version(Protocol::Resp2)`,
    /// `.database(2)`...) and connect with.
    pub fn config(&self) -> Config {
        Config::tcp(self.addr.ip().to_string(), self.addr.port())
    }

    /// Expects the command `command` builds with the typed API, once unless
    /// [`times`](Expectation::times) says otherwise. Set its reply on what this returns:
    ///
    /// ```
    /// # async fn run(mock: sider::mock::Mock) {
    /// use sider::prelude::*;
    /// use std::time::Duration;
    ///
    /// mock.expect(|c| c.set("k", "v").nx()).returns(true);
    /// mock.expect(|c| c.hgetall::<String, i64>("scores"))
    ///     .returns([("ada".to_owned(), 3)].into());
    /// mock.expect(|c| c.lpush("jobs", "a")).fails("READONLY You can't write against a read only replica.");
    /// mock.expect(|c| c.get::<String>("slow")).returns(None).after(Duration::from_millis(50));
    /// mock.expect(|c| c.ping()).drops_connection();
    /// # }
    /// ```
    #[track_caller]
    #[must_use = "set the expectation's reply with `returns`, `fails` or `drops_connection`"]
    pub fn expect<E: IntoExpectation>(
        &self,
        command: impl FnOnce(Capture) -> E,
    ) -> Expectation<'_, E::Reply> {
        let at = Location::caller();
        let cmd = command(Capture::new()).into_cmd();
        Expectation::new(self, Rule::new(&cmd, at))
    }

    /// Expects a command built by hand (a module's, or one the spec does not have), whose reply
    /// is any [`Value`].
    ///
    /// ```
    /// # async fn run(mock: sider::mock::Mock) {
    /// use sider::{Cmd, Value};
    ///
    /// mock.expect_cmd(Cmd::new("FT.SEARCH").arg("books").arg("rust"))
    ///     .returns(Value::Array(vec![Value::Integer(0)]));
    /// # }
    /// ```
    #[track_caller]
    #[must_use = "set the expectation's reply with `returns`, `fails` or `drops_connection`"]
    pub fn expect_cmd(&self, cmd: Cmd) -> Expectation<'_, Value> {
        Expectation::new(self, Rule::new(&cmd, Location::caller()))
    }

    fn add(&self, rule: Rule) {
        self.shared.add(rule);
    }

    /// Sends `message` on `channel` to every connection subscribed to it, or to a pattern that
    /// matches it, as `PUBLISH` would; returns how many messages went out.
    pub fn publish(&self, channel: impl AsRef<[u8]>, message: impl AsRef<[u8]>) -> usize {
        self.shared.publish(
            SubscriptionSet::Channels,
            channel.as_ref(),
            message.as_ref(),
        )
    }

    /// Sends `message` on the shard channel `channel`, as `SPUBLISH` would.
    pub fn spublish(&self, channel: impl AsRef<[u8]>, message: impl AsRef<[u8]>) -> usize {
        self.shared
            .publish(SubscriptionSet::Shards, channel.as_ref(), message.as_ref())
    }

    /// Closes every connection now, as a restarting server would; clients reconnect on their
    /// next command.
    pub fn drop_connections(&self) {
        self.shared.close_all();
    }

    /// How many connections the mock has accepted since it started.
    pub fn connections(&self) -> u64 {
        self.shared.accepted()
    }

    /// Every command that came, expected or not, as `redis-cli` would show it
    /// (`SET "k" "v"`), in order; the mock's own (handshake, `PING`, `MULTI`...) left out.
    pub fn received(&self) -> Vec<String> {
        self.shared.received()
    }

    /// Checks that every expectation was met as often as it must be and that no command came
    /// unexpected. The mock then no longer checks on drop.
    ///
    /// # Errors
    ///
    /// A [`Mismatch`] whose `Display` is the whole report.
    pub fn verify(&self) -> Result<(), Mismatch> {
        self.verified.store(true, Ordering::Relaxed);
        self.shared.verify()
    }
}

impl Drop for Mock {
    #[expect(
        clippy::panic,
        reason = "a test double's check on drop: the panic is the test failing, as mock libraries do"
    )]
    fn drop(&mut self) {
        self.accept.abort();
        self.shared.close_all();
        if self.verified.load(Ordering::Relaxed) || std::thread::panicking() {
            return;
        }
        if let Err(mismatch) = self.shared.verify() {
            panic!("{mismatch}");
        }
    }
}
