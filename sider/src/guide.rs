//! The guide: how to use sider, section by section. Every example compiles; those that need a
//! server are marked `no_run`.
//!
//! # Connecting
//!
//! [`Client::connect`](crate::Client::connect) takes a URL:
//!
//! | URL | meaning |
//! |---|---|
//! | `redis://[user[:password]@]host[:port][/db]` | TCP; RESP3, falling back to RESP2 on servers without `HELLO` |
//! | `redis://host/?protocol=2` | RESP2 only |
//! | `unix:///path/to/redis.sock?db=N` | a Unix socket |
//! | `rediss://...` | TLS (feature `tls`) |
//!
//! [`Config`](crate::Config) builds the same settings in code, with timeouts, the client name,
//! reconnection backoff, client-side caching and the decoder's limits:
//!
//! ```no_run
//! use sider::{Client, Config};
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), sider::Error> {
//! let client = Client::connect("redis://127.0.0.1:6379/0").await?;
//! let config = Config::tcp("127.0.0.1", 6379)
//!     .password("secret")
//!     .client_name("worker-7")
//!     .connect_timeout(Duration::from_secs(2))
//!     .response_timeout(Duration::from_secs(5));
//! let client = Client::connect_with(config).await?;
//! # Ok(()) }
//! ```
//!
//! # Typed commands and reply types
//!
//! Every Redis command is a method of [`Commands`](crate::Commands) (bring it in with
//! `use sider::prelude::*`). Where Redis fixes the reply type the method fixes it; where the
//! reply is your data you choose the type:
//!
//! ```no_run
//! use sider::prelude::*;
//! use std::collections::HashMap;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! let n: i64 = client.incr("visits").await?;
//! client.set("name", "ada").await?; // ()
//! let name: Option<String> = client.get("name").await?;
//! let raw: Option<Vec<u8>> = client.get("name").await?;
//! let both: Vec<Option<String>> = client.mget::<String>(["name", "missing"]).await?;
//! let fields: HashMap<String, i64> = client.hgetall::<String, i64>("stats").await?;
//! # Ok(()) }
//! ```
//!
//! Replies decode through [`FromReply`](crate::FromReply): strings, bytes, numbers, `bool`,
//! `Option`, `Vec`, maps, sets, tuples and the dynamic [`Value`](crate::Value). RESP2 and RESP3
//! shapes of the same reply decode to the same value. A reply that does not fit is an
//! [`ErrorKind::Reply`](crate::ErrorKind::Reply) error naming what was expected and what came.
//!
//! # Options
//!
//! Optional arguments are builder methods; one-of choices are also enums. Options that change the
//! reply change the type:
//!
//! ```no_run
//! use sider::prelude::*;
//! use std::time::Duration;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! client.set("session", "abc").ex(Duration::from_secs(60)).await?;
//! let was_set: bool = client.set("lock", "me").nx().await?;
//! let old: Option<String> = client.set("k", "new").get_old().await?;
//! # Ok(()) }
//! ```
//!
//! Commands the spec does not know go through [`Cmd`](crate::Cmd):
//! `client.send::<T>(Cmd::new("MODULE.CMD").arg(..))`, or `.cmd::<T>(..)` inside a pipeline.
//!
//! # Pipelines
//!
//! A [`Pipeline`](crate::Pipeline)'s commands go out in one write; `execute()` returns a tuple
//! typed by the commands queued. Loops use [`Batch`](crate::Batch), which returns a `Vec`:
//!
//! ```no_run
//! use sider::prelude::*;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! let ((), name, visits) = client
//!     .pipeline()
//!     .set("name", "ada")
//!     .get::<String>("name")
//!     .incr("visits")
//!     .execute()
//!     .await?;
//!
//! let mut batch = client.batch();
//! for id in 0..10_000 {
//!     batch.push(|c| c.get(format!("user:{id}")));
//! }
//! let users: Vec<Option<String>> = batch.execute().await?;
//! # Ok(()) }
//! ```
//!
//! `execute()` fails with the first error, naming its position and command;
//! `execute_each()` gives each command its own `Result`; `execute_ignore_results()` reads the
//! replies without building them and reports how many failed.
//!
//! # Transactions and WATCH
//!
//! [`Transaction`](crate::Transaction) is the same typed builder inside MULTI/EXEC.
//! Optimistic check-and-set needs `WATCH`, which changes the state of the connection it runs on,
//! so it exists only on a connection held alone ([`Connection`](crate::Connection), from
//! [`Client::dedicated`](crate::Client::dedicated) or a [`Pool`](crate::Pool)); on the shared
//! client it does not compile.
//!
//! ```no_run
//! use sider::prelude::*;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! let (left, sold) = client.transaction().decrby("stock", 1).incr("sold").execute().await?;
//!
//! let mut conn = client.dedicated().await?;
//! conn.watching("stock", 10, async |conn| {
//!     let stock: i64 = conn.get("stock").await?.unwrap_or(0);
//!     conn.transaction().set("stock", stock - 1).execute().await?;
//!     Ok(())
//! })
//! .await?;
//! # Ok(()) }
//! ```
//!
//! # The shared client and cancellation
//!
//! [`Client`](crate::Client) is `Clone + Send + Sync`; all clones share one connection, whose
//! driver task writes whatever is queued in as few syscalls as it can, so concurrent tasks'
//! commands are pipelined automatically. Dropping a command's future at any point (a timeout,
//! `select!`, an aborted task) is safe: its reply is read and discarded, and no other caller's
//! reply moves. A per-call timeout is `tokio::time::timeout(limit, client.get::<String>(k))`;
//! the client-wide one is [`Config::response_timeout`](crate::Config::response_timeout), which
//! also catches a stalled server. Blocking commands (BLPOP, XREAD BLOCK...) run on connections of
//! their own, so they never hold up other tasks, and no response timeout cuts them short.
//!
//! # The pool
//!
//! [`Pool`](crate::Pool) lends whole connections, first come first served, for work that needs a
//! connection alone. It opens them lazily (or all at once with `init()`), counts idle and in-use
//! ones, and `drain()`s or `close()`s. A connection that broke, owes replies or had its state
//! changed is closed on return, never lent again.
//!
//! ```no_run
//! use sider::prelude::*;
//!
//! # async fn run() -> Result<(), sider::Error> {
//! let pool = sider::Pool::new("redis://127.0.0.1:6379".parse()?, 4);
//! let mut conn = pool.acquire().await?;
//! conn.set("k", "v").await?;
//! # Ok(()) }
//! ```
//!
//! # Pub/sub
//!
//! [`Subscription`](crate::Subscription) is a stream of [`Event`](crate::Event)s; channels,
//! patterns and shard channels come and go on a live subscription. After a reconnect the
//! subscriptions are renewed and the stream yields `Event::Reconnected`: messages published in
//! between are lost, as Redis keeps none.
//!
//! ```no_run
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! let mut sub = client.subscribe(["news"]).await?;
//! while let Some(sider::Event::Message(msg)) = sub.next().await {
//!     println!("{}", msg.payload::<String>()?);
//! }
//! # Ok(()) }
//! ```
//!
//! # Client-side caching
//!
//! With [`Config::client_tracking`](crate::Config::client_tracking) (RESP3), replies to reads the
//! spec marks cacheable (GET, HGETALL, LRANGE...) are served from local memory until the server
//! says the key changed; a reconnect empties the cache.
//!
//! ```no_run
//! use sider::{Config, Tracking};
//!
//! # async fn run() -> Result<(), sider::Error> {
//! let config = Config::tcp("127.0.0.1", 6379).client_tracking(Tracking::Default { capacity: 10_000 });
//! let client = sider::Client::connect_with(config).await?;
//! # Ok(()) }
//! ```
//!
//! # Errors and what is safe to retry
//!
//! Every failure is a [`sider::Error`](crate::Error) with a [`kind`](crate::Error::kind):
//!
//! | kind | meaning | retry? |
//! |---|---|---|
//! | `Server` | Redis refused the command (`WRONGTYPE`, `NOSCRIPT`...): [`server_error`](crate::Error::server_error) has the code | no, fix the command |
//! | `Reply` | the reply does not decode into the type asked for | no, fix the type |
//! | `Io`, `Closed`, `Protocol` | the connection failed; the next command reconnects | a read, yes; a write only if it is idempotent: it may have run |
//! | `Timeout` | no reply in time; the connection was dropped if the server stalled | as for `Io` |
//! | `Aborted` | a `WATCH`ed key changed before EXEC | yes: that is what `Connection::watching` does |
//! | `Auth`, `Config` | bad credentials or settings | no |
//!
//! [`CommandInfo::is_readonly`](crate::CommandInfo::is_readonly) tells which commands never
//! write.
//!
//! # Adding commands
//!
//! Commands come from TOML files in the repository's `commands/` folder; adding one is adding an
//! entry and rebuilding (see `commands/README.md` for the format). A crate of yours can do the
//! same for a module's commands: write a spec file and invoke [`commands!`](macro@crate::commands):
//!
//! ```text
//! sider::commands! {
//!     pub trait RediSearch;
//!     spec = "redisearch.toml";   // relative to your Cargo.toml
//! }
//! ```
//!
//! The trait is implemented for the client, pipelines, transactions and connections, like
//! [`Commands`](crate::Commands). A mistake in the spec is a compile error naming
//! `file:line:col`.
