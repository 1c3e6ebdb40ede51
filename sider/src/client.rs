//! [`Client`]: a cheap, cloneable handle on one multiplexed connection.
//!
//! Imports from `conn`, `cmd`, `reply`, `error`; never touches a socket itself.

use crate::cmd::Cmd;
use crate::conn::{self, Config, Handle, Protocol, Request, Waiter};
use crate::connection::Connection;
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::pipeline::{Batch, Pipeline, Transaction};
use crate::reply::FromReply;
use crate::resp::Frame;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use tokio::sync::oneshot;

/// A connection to one Redis server, shared by every clone of the handle.
///
/// Commands from all clones and tasks go through one connection: a driver task writes whatever
/// is queued in as few syscalls as it can and routes each reply back to its caller. If the
/// connection breaks, the commands waiting on it fail with the cause, and the next command
/// reconnects.
///
/// ```no_run
/// use sider::prelude::*;
///
/// # async fn run() -> Result<(), sider::Error> {
/// let client = sider::Client::connect("redis://127.0.0.1:6379").await?;
/// client.set("hello", "world").await?;
/// let value: Option<String> = client.get("hello").await?;
/// assert_eq!(value.as_deref(), Some("world"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    handle: Handle,
    protocol: Protocol,
    config: Arc<Config>,
}

impl Client {
    /// Connects to the server a URL names; see [`Config::from_url`] for the forms accepted.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a bad URL,
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when the server cannot be reached,
    /// [`ErrorKind::Auth`](crate::ErrorKind::Auth) when it refuses the credentials.
    pub async fn connect(url: &str) -> Result<Client, Error> {
        Client::connect_with(Config::from_url(url)?).await
    }

    /// Connects with an explicit [`Config`].
    ///
    /// # Errors
    ///
    /// As for [`Client::connect`].
    pub async fn connect_with(config: Config) -> Result<Client, Error> {
        let established = conn::connect(&config).await?;
        let protocol = established.protocol;
        let handle = conn::spawn(config.clone(), established);
        Ok(Client {
            handle,
            protocol,
            config: Arc::new(config),
        })
    }

    /// The protocol the server agreed to on connect.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Sends a command built by hand and decodes its reply into `T`.
    ///
    /// This is the escape hatch for commands sider's spec does not know:
    ///
    /// ```no_run
    /// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
    /// use sider::{Cmd, Value};
    ///
    /// client.send::<()>(Cmd::new("SET").arg("k").arg(1)).await?;
    /// let n: i64 = client.send(Cmd::new("INCRBY").arg("k").arg(41)).await?;
    /// let raw: Value = client.send(Cmd::new("OBJECT ENCODING").arg("k")).await?;
    /// # Ok(()) }
    /// ```
    pub fn send<T: FromReply>(&self, cmd: Cmd) -> Call<'_, T> {
        Call::new(&self.handle, cmd)
    }

    /// Opens a connection of its own, with this client's configuration, for commands that
    /// change a connection's state: `WATCH`, `SELECT`, blocking reads. See [`Connection`].
    ///
    /// # Errors
    ///
    /// As for [`Client::connect`].
    pub async fn dedicated(&self) -> Result<Connection, Error> {
        Connection::open((*self.config).clone()).await
    }

    /// The configuration this client connected with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Starts a typed pipeline; see [`Pipeline`].
    pub fn pipeline(&self) -> Pipeline<'_> {
        Pipeline::new(&self.handle)
    }

    /// Starts a pipeline of any length whose commands share one reply type; see [`Batch`].
    pub fn batch<T: FromReply>(&self) -> Batch<'_, T> {
        Batch::new(&self.handle)
    }

    /// Starts a MULTI/EXEC transaction; see [`Transaction`].
    ///
    /// Its commands go out in one write, so other tasks' commands never land inside it.
    pub fn transaction(&self) -> Transaction<'_> {
        Transaction::new(&self.handle)
    }
}

impl<'a> Dispatch for &'a Client {
    type Out<T: FromReply> = Call<'a, T>;

    fn dispatch<T: FromReply>(self, cmd: Cmd) -> Call<'a, T> {
        self.send(cmd)
    }
}

/// A command ready to go to a [`Client`]; `.await` sends it and decodes the reply into `T`.
///
/// Nothing is sent until the call is awaited.
#[must_use = "a command is sent only when awaited"]
#[derive(Debug)]
pub struct Call<'a, T> {
    handle: &'a Handle,
    cmd: Cmd,
    reply: PhantomData<fn() -> T>,
}

impl<'a, T> Call<'a, T> {
    pub(crate) fn new(handle: &'a Handle, cmd: Cmd) -> Self {
        Call {
            handle,
            cmd,
            reply: PhantomData,
        }
    }

    /// The command as built so far.
    pub fn cmd(&self) -> &Cmd {
        &self.cmd
    }
}

impl<T: FromReply> IntoFuture for Call<'_, T> {
    type Output = Result<T, Error>;
    type IntoFuture = CallFuture<T>;

    fn into_future(self) -> CallFuture<T> {
        let (tx, rx) = oneshot::channel();
        let name = self.cmd.name();
        self.handle.send(Request {
            payload: conn::Payload::Cmd(self.cmd),
            waiter: Waiter::One(tx),
        });
        CallFuture {
            rx,
            name,
            reply: PhantomData,
        }
    }
}

/// The future of an awaited [`Call`].
///
/// Dropping it before the reply arrives is safe: the reply is read and discarded, and no other
/// caller's reply is affected.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct CallFuture<T> {
    rx: oneshot::Receiver<Result<Frame, Error>>,
    name: &'static str,
    reply: PhantomData<fn() -> T>,
}

impl<T: FromReply> Future for CallFuture<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let name = self.name;
        let result = ready!(Pin::new(&mut self.rx).poll(cx));
        Poll::Ready(match result {
            Ok(Ok(frame)) => decode(frame).map_err(|e| e.context(name)),
            Ok(Err(err)) => Err(err.context(name)),
            Err(_) => Err(Error::closed(name)),
        })
    }
}

/// Decodes a top-level reply: server errors become [`ErrorKind::Server`](crate::ErrorKind::Server).
pub(crate) fn decode<T: FromReply>(frame: Frame) -> Result<T, Error> {
    match frame {
        Frame::Error(line) => Err(Error::server(&line)),
        frame => T::from_reply(frame).map_err(Error::reply),
    }
}
