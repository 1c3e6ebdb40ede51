//! [`Client`]: a cheap, cloneable handle on one multiplexed connection.
//!
//! Imports from `conn`, `cmd`, `reply`, `error`; never touches a socket itself.

use crate::cmd::Cmd;
use crate::conn::{self, Cache, CacheLimits, Config, Handle, Protocol, Reply};
use crate::connection::Connection;
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::pipeline::{Batch, Pipeline, Transaction};
use crate::pubsub::{Channels, Subscription};
use crate::reply::FromReply;
use crate::resp::Frame;
use bytes::Bytes;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use tokio::sync::Semaphore;

/// A connection to one Redis server, shared by every clone of the handle.
///
/// Commands from all clones and tasks go through one connection: a driver task writes whatever
/// is queued in as few syscalls as it can and routes each reply back to its caller. If the
/// connection breaks, the commands waiting on it fail with the cause, and the next command
/// reconnects.
///
/// # Blocking commands
///
/// A blocking command (`BLPOP`, `BLMOVE`, `BZPOPMIN`, `XREAD BLOCK`, `XREADGROUP BLOCK`...)
/// would hold the shared connection for as long as it waits, so each one runs on a connection
/// of its own instead, opened with this client's configuration (without its response timeout:
/// the command's own timeout rules). One connection per blocking call in flight: ten consumers
/// blocked at once hold ten connections. When a call is done its connection is kept for the
/// next one, up to 8 idle; more are closed. A call dropped while it blocks (a `select!`, a
/// `tokio::time::timeout`) is ended on the server too, with `CLIENT UNBLOCK` sent on the shared
/// connection, and its connection closed: nothing arriving later is popped for a caller that
/// left.
///
/// [`Config::max_blocking_connections`] bounds them: past the bound, a blocking call waits for
/// one of the others to finish and takes its connection, first come first served. [`stats`]
/// counts them (`blocking_connections`, `blocking_idle`, `blocking_waiting`). A
/// [`Connection`] or a pooled one runs blocking commands on itself and opens nothing.
///
/// [`stats`]: Client::stats
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
    blocking: Arc<BlockingConnections>,
    cache: Option<Arc<Cache>>,
}

/// Connections kept for blocking commands (BLPOP, XREAD BLOCK...), so that their waits never
/// hold up the shared connection: one per blocking call in flight, at most
/// [`Config::max_blocking_connections`] (calls past it wait for a slot), idle ones kept up to
/// [`MAX_IDLE_BLOCKING`].
#[derive(Debug)]
struct BlockingConnections {
    config: Config,
    idle: Mutex<Vec<Counted>>,
    /// One permit per call that may hold a connection; `None` without a bound.
    slots: Option<Arc<Semaphore>>,
    /// Connections open now, idle ones included.
    open: Arc<AtomicUsize>,
    /// Calls waiting for a slot now.
    waiting: AtomicUsize,
}

/// Idle blocking connections kept for reuse; more are closed when they finish.
const MAX_IDLE_BLOCKING: usize = 8;

/// A blocking connection, counted in [`BlockingConnections::open`] until it is dropped (closed
/// when idle ones overflow, broken, or dropped with a call its caller abandoned).
#[derive(Debug)]
struct Counted {
    conn: Connection,
    open: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts a call among the waiting while it lives, so that a call dropped as it waits leaves
/// the count as it found it.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Ends the wait on the server of a blocking command whose caller left.
///
/// A connection whose handles are all dropped still reads the replies it owes before it closes
/// (so that no reply lands on the wrong caller), and a blocking command may owe one for as long
/// as its timeout, forever for `0`, popping an element nobody will see when one arrives. So the
/// command goes out behind `CLIENT ID`, and if the call is dropped before its reply, the
/// client's own connection sends `CLIENT UNBLOCK <id>`: the command returns at once as if timed
/// out, and the connection closes. Without `CLIENT ID` (an ACL that refuses it), the command
/// is sent alone and waits out its timeout as before.
struct Unblock<'a> {
    shared: &'a Handle,
    /// The blocked connection's id, while its command's reply is owed.
    id: Option<i64>,
}

impl Unblock<'_> {
    async fn send(shared: &Handle, blocking: &Handle, cmd: Cmd) -> Result<Frame, Error> {
        let id = blocking.call(Cmd::new("CLIENT ID"));
        let reply = blocking.call(cmd);
        let mut unblock = Unblock { shared, id: None };
        if let Ok(Frame::Integer(id)) = id.await {
            unblock.id = Some(id);
        }
        let result = reply.await;
        unblock.id = None;
        result
    }
}

impl Drop for Unblock<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            // Nobody waits for this reply: the driver reads it and lets it go.
            self.shared
                .call_and_forget(Cmd::new("CLIENT UNBLOCK").arg(id));
        }
    }
}

impl BlockingConnections {
    fn new(config: Config) -> BlockingConnections {
        let slots = config
            .max_blocking_connections
            .map(|n| Arc::new(Semaphore::new(n.clamp(1, Semaphore::MAX_PERMITS))));
        BlockingConnections {
            config,
            idle: Mutex::new(Vec::new()),
            slots,
            open: Arc::new(AtomicUsize::new(0)),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Runs `cmd` on a blocking connection; `shared` is the client's own connection, which
    /// unblocks the command on the server if this future is dropped while it waits.
    async fn call(self: Arc<Self>, shared: Handle, cmd: Cmd) -> Result<Frame, Error> {
        // Dropping this future anywhere releases what it holds: the place in the queue (the
        // semaphore's), the slot (the permit) and the connection (closed, uncounted; see
        // `Unblock` for the command it was running).
        let slot = match &self.slots {
            Some(slots) => {
                let _waiting = Waiting::enter(&self.waiting);
                let permit = slots.clone().acquire_owned().await;
                Some(permit.map_err(|_| Error::closed("blocking connections closed"))?)
            }
            None => None,
        };
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = Connection::open(self.config.clone()).await?;
                self.open.fetch_add(1, Ordering::Relaxed);
                Counted {
                    conn,
                    open: self.open.clone(),
                }
            }
        };
        let result = Unblock::send(&shared, conn.conn.handle(), cmd).await;
        // A connection whose command failed at the transport level is not reused.
        let reusable = !matches!(&result, Err(e) if e.is_connection_error());
        if reusable {
            if let Ok(mut idle) = self.idle.lock() {
                if idle.len() < MAX_IDLE_BLOCKING {
                    idle.push(conn);
                }
            }
        }
        // The slot goes back only now that the connection is idle, so that the next call takes
        // it instead of opening one more than the bound.
        drop(slot);
        result
    }

    /// Fills in the blocking connections' counts.
    fn count(&self, stats: &mut crate::Stats) {
        stats.blocking_connections = self.open.load(Ordering::Relaxed);
        stats.blocking_idle = self.idle.lock().map_or(0, |idle| idle.len());
        stats.blocking_waiting = self.waiting.load(Ordering::Relaxed);
    }
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
        let cache = config.tracking.as_ref().map(|t| {
            Arc::new(Cache::new(CacheLimits {
                entries: t.capacity(),
                bytes: config.cache.max_bytes,
                ttl: config.cache.ttl,
                prefixes: t.prefixes(),
            }))
        });
        let handle = conn::spawn(config.clone(), established, cache.clone());
        // Blocking commands wait as long as their own timeout says: no response timeout there.
        let mut blocking_config = config.clone();
        blocking_config.response_timeout = None;
        blocking_config.tracking = None;
        Ok(Client {
            handle,
            protocol,
            config: Arc::new(config),
            blocking: Arc::new(BlockingConnections::new(blocking_config)),
            cache,
        })
    }

    /// The driver handle, for clients built on this one (the cluster client's pipelines).
    #[cfg(feature = "cluster")]
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The protocol the server agreed to on connect.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The server this client talks to: its name (`"redis"`, `"valkey"`) and version, as it
    /// reported them on connect; after a reconnect, those of the new connection (a failover
    /// may land on another server).
    ///
    /// A command the server is too old for fails with an error that says so, from the spec's
    /// versions: `HEXPIRE: needs Redis 7.4.0 or Valkey 9.0.0; connected to Redis 7.0.15`.
    pub fn server(&self) -> crate::ServerInfo {
        self.handle.server()
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
        let mut call = Call::new(&self.handle, cmd);
        if let Some(info) = call.cmd.info() {
            if info.is_blocking() {
                call.blocking = Some(&self.blocking);
            } else if let Some(cache) = &self.cache {
                // MGET is served key by key, from what GETs left in the cache. Without a cache
                // no command pays for the name comparison.
                if info.is_cacheable() || info.name() == "MGET" {
                    call.cache = Some(cache);
                }
            }
        }
        call
    }

    /// Subscribes to one channel or many (`"news"`, `["news", "sport"]`, see [`Channels`]); see
    /// [`Subscription`], to which patterns and shard channels can be added.
    ///
    /// # Errors
    ///
    /// When the server refuses or the connection fails.
    pub async fn subscribe(&self, channels: impl Channels) -> Result<Subscription, Error> {
        let mut subscription = self.subscription().await?;
        subscription.subscribe(channels).await?;
        Ok(subscription)
    }

    /// Subscribes to one pattern or many (`PSUBSCRIBE`): a [`Subscription`] to them.
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn psubscribe(&self, patterns: impl Channels) -> Result<Subscription, Error> {
        let mut subscription = self.subscription().await?;
        subscription.psubscribe(patterns).await?;
        Ok(subscription)
    }

    /// Subscribes to one shard channel or many (`SSUBSCRIBE`, Redis 7): a [`Subscription`] to
    /// them.
    ///
    /// # Errors
    ///
    /// As for [`subscribe`](Self::subscribe).
    pub async fn ssubscribe(&self, channels: impl Channels) -> Result<Subscription, Error> {
        let mut subscription = self.subscription().await?;
        subscription.ssubscribe(channels).await?;
        Ok(subscription)
    }

    /// An empty [`Subscription`], to add channels, patterns or shard channels to.
    ///
    /// # Errors
    ///
    /// Under RESP2, when its connection of its own cannot be opened.
    pub async fn subscription(&self) -> Result<Subscription, Error> {
        match self.protocol {
            Protocol::Resp3 => Ok(Subscription::new(self.handle.clone(), None)),
            _ => {
                let mut config = (*self.config).clone();
                config.tracking = None;
                let own = Connection::open(config).await?;
                Ok(Subscription::new(own.handle().clone(), Some(own)))
            }
        }
    }

    /// RESP3 push messages other than pub/sub messages and cache invalidations (for example
    /// those of a module), from now on. Replaces any earlier receiver.
    pub fn push_messages(&self) -> tokio::sync::mpsc::UnboundedReceiver<Frame> {
        self.handle.push_messages()
    }

    /// A snapshot of this client's counters: commands, replies, errors by kind, reconnects,
    /// bytes, in-flight requests and a latency histogram. Blocking commands, which run on
    /// connections of their own, are not in those counters; their connections are counted
    /// apart (`blocking_connections`, `blocking_idle`, `blocking_waiting`).
    pub fn stats(&self) -> crate::Stats {
        let mut stats = self.handle.stats();
        self.blocking.count(&mut stats);
        stats.cache = self.cache_stats();
        stats
    }

    /// How many replies the client-side cache holds (0 without client tracking).
    pub fn cached_replies(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.len())
    }

    /// What the client-side cache has done (hits, misses, invalidations, evictions...), or
    /// `None` without client tracking. Also in [`stats()`](Self::stats).
    pub fn cache_stats(&self) -> Option<crate::CacheStats> {
        self.cache.as_ref().map(|c| c.stats())
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

    /// Starts a [`Batch`] sent as one MULTI/EXEC transaction: the loop form of
    /// [`transaction`](Client::transaction), returning EXEC's replies as a `Vec<T>`.
    pub fn transaction_batch<T: FromReply>(&self) -> Batch<'_, T> {
        Batch::atomic(&self.handle)
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
    /// Set for blocking commands on the shared client: they run on a connection of their own.
    blocking: Option<&'a Arc<BlockingConnections>>,
    /// Set for cacheable reads when client-side caching is on.
    cache: Option<&'a Arc<Cache>>,
    /// How long a reply kept in the cache may be served, if not the configuration's.
    cache_ttl: Option<std::time::Duration>,
    reply: PhantomData<fn() -> T>,
}

impl<'a, T> Call<'a, T> {
    pub(crate) fn new(handle: &'a Handle, cmd: Cmd) -> Self {
        Call {
            handle,
            cmd,
            blocking: None,
            cache: None,
            cache_ttl: None,
            reply: PhantomData,
        }
    }

    /// The command as built so far.
    pub fn cmd(&self) -> &Cmd {
        &self.cmd
    }

    /// With client-side caching, serves this read's reply from the cache for at most `ttl`
    /// (and never past its key's own time to live), in place of
    /// [`Config::cache_ttl`](crate::Config::cache_ttl). No effect on reads that are not cached.
    ///
    /// ```no_run
    /// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
    /// use sider::prelude::*;
    /// use std::time::Duration;
    /// let flags: Option<String> = client.get("flags").cache_ttl(Duration::from_secs(5)).await?;
    /// # Ok(()) }
    /// ```
    pub fn cache_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }
}

impl<T: FromReply> IntoFuture for Call<'_, T> {
    type Output = Result<T, Error>;
    type IntoFuture = CallFuture<T>;

    fn into_future(self) -> CallFuture<T> {
        let name = self.cmd.name();
        let state = match (self.blocking, self.cache) {
            (Some(blocking), _) => State::Blocking(Box::pin(
                blocking.clone().call(self.handle.clone(), self.cmd),
            )),
            // A hit is looked up by the encoded command in place; only a miss copies it, as
            // the key its reply will be stored under.
            (None, Some(cache)) => {
                let ttl = self.cache_ttl.or(cache.default_ttl());
                cached(self.handle, cache, self.cmd, ttl)
            }
            (None, None) => State::Shared(self.handle.call(self.cmd)),
        };
        CallFuture {
            state,
            name,
            reply: PhantomData,
        }
    }
}

/// A cacheable read: from the cache, or sent along with its keys' `PTTL` (which caps how long
/// the reply is kept). `MGET` is looked up key by key (as `GET`s), and only the keys that miss
/// go to the server, in one `MGET`.
fn cached(handle: &Handle, cache: &Cache, cmd: Cmd, ttl: Option<std::time::Duration>) -> State {
    let mget = cmd.name() == "MGET";
    let (keys, mget) = if mget {
        let gets: Vec<(Bytes, Bytes)> = cmd
            .written_args()
            .skip(1)
            .map(|key| {
                let get = Cmd::new("GET").arg(key);
                (Bytes::copy_from_slice(key), get.body())
            })
            .collect();
        let found = cache.get_many(gets.iter().map(|(_, get)| &get[..]));
        let missed: Vec<(Bytes, Bytes)> = gets
            .into_iter()
            .zip(&found)
            .filter(|(_, hit)| hit.is_none())
            .map(|(pair, _)| pair)
            .collect();
        cache.count(found.len() - missed.len(), missed.len());
        if missed.is_empty() {
            let all = found
                .into_iter()
                .map(|v| v.unwrap_or(Frame::Null))
                .collect();
            return State::Ready(Some(Frame::Array(all)));
        }
        (missed, Some(found))
    } else {
        if let Some(frame) = cache.get(cmd.body_bytes()) {
            return State::Ready(Some(frame));
        }
        match cmd.first_key() {
            Some(key) => (vec![(key, cmd.body())], None),
            None => (Vec::new(), None),
        }
    };
    if keys.is_empty() {
        return State::Shared(handle.call(cmd));
    }
    // PTTL of each key read, then the read (for MGET, of the keys that missed): one write.
    let mut out = bytes::BytesMut::new();
    for (key, _) in &keys {
        Cmd::new("PTTL").arg(&key[..]).encode(&mut out);
    }
    if mget.is_some() {
        let mut rest = Cmd::new("MGET");
        for (key, _) in &keys {
            rest.push_key(&key[..]);
        }
        rest.encode(&mut out);
    } else {
        cmd.encode(&mut out);
    }
    State::Shared(handle.cached_read(out.freeze(), keys, ttl, mget))
}

/// The future of an awaited [`Call`].
///
/// Dropping it before the reply arrives is safe: the reply is read and discarded, and no other
/// caller's reply is affected.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct CallFuture<T> {
    state: State,
    name: &'static str,
    reply: PhantomData<fn() -> T>,
}

type BoxedReply = Pin<Box<dyn Future<Output = Result<Frame, Error>> + Send>>;

enum State {
    /// Waiting on the shared connection's driver.
    Shared(Reply<Frame>),
    /// A blocking command on a connection of its own: boxed, as only blocking commands take
    /// this path and their wait dwarfs an allocation.
    Blocking(BoxedReply),
    /// Served from the client-side cache.
    Ready(Option<Frame>),
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Shared(_) => "Shared",
            State::Blocking(_) => "Blocking",
            State::Ready(_) => "Ready",
        })
    }
}

impl<T: FromReply> Future for CallFuture<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let name = self.name;
        let result = match &mut self.state {
            State::Shared(reply) => ready!(Pin::new(reply).poll(cx)),
            State::Blocking(fut) => ready!(fut.as_mut().poll(cx)),
            State::Ready(frame) => frame
                .take()
                .ok_or_else(|| Error::closed("reply already taken")),
        };
        Poll::Ready(match result {
            Ok(frame) => decode(frame).map_err(|e| e.context(name)),
            Err(err) => Err(err.context(name)),
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
