//! The guide: how to use sider, section by section. Every example compiles; those that need a
//! server are marked `no_run`, and those of a feature that is off by default (`cluster`, `tls`,
//! `serde`, `json`) are checked in builds with that feature.
//!
//! [Common tasks](common_tasks) puts the pieces together: a job queue, a leaderboard, a session
//! store, a rate limiter and a chat room, each run against a server by the test suite.
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
//! | `rediss://...` | TLS (feature `tls`), see [TLS](#tls) |
//! | `redis+sentinel://host1:26379,host2:26379/mymaster[/db]` | the primary of a group Sentinel watches, see [Sentinel](#sentinel) |
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
//! # Required choices
//!
//! An argument that takes one of several forms is an enum of
//! [`commands`](mod@crate::commands); the method's docs name it under "Choices". The list ends
//! are a [`Side`](crate::commands::Side), stream trimming a [`Trim`](crate::commands::Trim),
//! which as an option is also a builder method per form. An ID that is either `*` or your own
//! takes the string as it is:
//!
//! ```no_run
//! use sider::commands::{Side, Trim};
//! use sider::prelude::*;
//! use sider::Ttl;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! let job: Option<String> = client.lmove("queue", "working", Side::Right, Side::Left).await?;
//! let id: String = client.xadd("events", "*", [("job", "42")]).maxlen_approx(10_000).await?;
//! let removed: i64 = client.xtrim("events", Trim::minid(&id)).await?;
//! if let Ttl::Expires(left) = client.pttl_typed("session").await? {
//!     println!("the session has {left:?} left");
//! }
//! # Ok(()) }
//! ```
//!
//! Passing something else names the type to use: ``expected `Side`, found `&str` ``. Commands
//! that reply codes (-2 for a missing key, -1 for no expiry) also have a `_typed` method whose
//! reply says it: [`pttl_typed`](crate::Commands::pttl_typed) gives a [`Ttl`](crate::Ttl).
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
//! commands are pipelined automatically. A command sent while nothing else is in flight (one
//! task awaiting each reply before the next command, the common case) is written to the socket
//! by the task that sends it, over TCP and Unix sockets, so it leaves without first waking the
//! driver's task on another thread; [`Stats::caller_writes`](crate::Stats::caller_writes) counts
//! them. Dropping a command's future at any point (a timeout,
//! `select!`, an aborted task) is safe: its reply is read and discarded, and no other caller's
//! reply moves. A per-call timeout is `tokio::time::timeout(limit, client.get::<String>(k))`;
//! the client-wide one is [`Config::response_timeout`](crate::Config::response_timeout), which
//! also catches a stalled server. Blocking commands (BLPOP, XREAD BLOCK...) run on connections of
//! their own, so they never hold up other tasks, and no response timeout cuts them short: one
//! connection per blocking call in flight, kept for the next one (up to 8 idle), bounded by
//! [`Config::max_blocking_connections`](crate::Config::max_blocking_connections) (past it,
//! calls wait their turn) and counted by [`Client::stats`](crate::Client::stats). A blocking
//! call dropped while it waits is ended on the server too, so it pops nothing for nobody.
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
//! # Scripts and functions
//!
//! A [`Script`](crate::Script) is Lua source together with its SHA1 digest. Build it once (cloning
//! is cheap) and run it with [`invoke`](crate::Invoke::invoke) (in the prelude) wherever commands
//! run: the client, a connection, a pipeline, a transaction or a batch. Keys and arguments are
//! any [`ToArg`](crate::ToArg) values and you pick the reply type, as for any command.
//!
//! It always runs as `EVALSHA`. On the client or a connection, a `NOSCRIPT` reply (the server
//! restarted, someone ran `SCRIPT FLUSH`, a failover moved you to another server) makes sider
//! send `SCRIPT LOAD` and the same `EVALSHA` again, back to back, and hand you the second reply:
//! one call as far as you can tell. A pipeline cannot look at one reply before sending the
//! rest, so instead it sends a `SCRIPT LOAD` for each distinct script ahead of its own commands,
//! on the same connection. `.read_only()` on a call uses `EVALSHA_RO`.
//!
//! ```no_run
//! use sider::prelude::*;
//! use sider::Script;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! // At most ARGV[2] calls per ARGV[1] seconds for the key; Lua's true arrives as 1.
//! let limiter = Script::new(
//!     r"local n = redis.call('INCR', KEYS[1])
//!       if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
//!       return n <= tonumber(ARGV[2])",
//! );
//! let allowed: bool = client.invoke(limiter.key("rate:alice").args((60, 100))).await?;
//!
//! let (alice, bob) = client
//!     .pipeline()
//!     .invoke::<bool>(limiter.key("rate:alice").args((60, 100)))
//!     .invoke::<bool>(limiter.key("rate:bob").args((60, 100)))
//!     .execute()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Redis 7 functions need nothing special: `FUNCTION LOAD`, `FCALL` and `FCALL_RO` are typed
//! commands like the others.
//!
//! ```no_run
//! use sider::prelude::*;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! let library = "#!lua name=counters
//! redis.register_function('bump', function(keys, args)
//!   return redis.call('INCRBY', keys[1], args[1])
//! end)";
//! let name: String = client.function_load(library).replace().await?; // "counters"
//! let n: i64 = client.fcall("bump", ["hits"]).arg(5).await?;
//! # Ok(()) }
//! ```
//!
//! # Scanning keys and collections
//!
//! `SCAN`, `HSCAN`, `SSCAN` and `ZSCAN` are methods of [`Scan`](crate::Scan) (in the prelude) on
//! the client and on a connection. Each returns a [`ScanStream`](crate::ScanStream): an async
//! `Stream` of typed items that asks for the next page only when the last one is used up and
//! keeps the cursor to itself. Options (`pattern` for `MATCH`, `count`, `of_type` for `TYPE`)
//! go on before the first item. It has its own `next()` and `try_collect()`, so you need no
//! stream extension trait, though `futures::StreamExt` works too.
//!
//! ```no_run
//! use sider::prelude::*;
//! use std::collections::HashMap;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! let mut keys = client.scan_iter::<String>().pattern("user:*").count(1000);
//! while let Some(key) = keys.next().await {
//!     println!("{}", key?);
//! }
//!
//! let hashes: Vec<String> = client.scan_iter().pattern("user:*").of_type("hash").try_collect().await?;
//! let profile: HashMap<String, String> = client.hscan_iter("user:1").try_collect().await?;
//! let board: Vec<(String, f64)> = client.zscan_iter("leaderboard").try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! Redis promises that an element present for the whole walk is returned at least once, not
//! exactly once: the stream passes duplicates on, so collect into a set if they matter. `COUNT`
//! sets how much work each call does; `MATCH` and `TYPE` filter after that work, so a page may
//! come back empty and the walk goes on. An error ends the stream.
//!
//! # Client-side caching
//!
//! With [`Config::client_tracking`](crate::Config::client_tracking) (RESP3), replies to reads the
//! spec marks cacheable (GET, HGETALL, LRANGE...) are served from local memory until the server
//! says the key changed. `MGET` is served key by key: the keys a `GET` (or an earlier `MGET`)
//! left in the cache come from it, and only the others go to the server, in one `MGET`.
//!
//! What you can count on:
//!
//! - **Never stale after a lost connection.** Invalidations are only as good as the connection
//!   that carries them. The cache is emptied the moment that connection is known to be gone (an
//!   error, the server closing it or restarting, a failed health check), and serves no hit until
//!   a new connection has turned tracking on again.
//! - **A silent connection is noticed.** An idle caching connection that has read nothing for
//!   [`cache_health_check`](crate::Config::cache_health_check) (2 s) sends `PING`; silent for
//!   another interval, it is dropped with the cache. With commands owed (a slow command), the
//!   cache serves no hit until the server is heard from again.
//! - **Bounded.** In entries ([`Tracking`](crate::Tracking)'s `capacity`) and in bytes
//!   ([`cache_max_bytes`](crate::Config::cache_max_bytes), 64 MiB), least recently used out
//!   first; invalidating or evicting a key costs the same in a cache of ten entries or a
//!   million.
//! - **Time-limited if you ask.** [`cache_ttl`](crate::Config::cache_ttl), or
//!   [`Call::cache_ttl`](crate::Call::cache_ttl) for one read; and never past the key's own
//!   expiry: a missed read is sent with `PTTL` of its key, which caps the entry's life.
//! - **Broadcast mode** ([`Tracking::Broadcast`](crate::Tracking::Broadcast)) caches only keys
//!   under its prefixes, since nothing would invalidate the others.
//! - **Counted**: [`Client::stats`](crate::Client::stats)`().cache` has hits, misses,
//!   invalidations, evictions, expiries and the times a lost connection emptied it.
//!
//! Under RESP2 invalidations would need a second connection (`CLIENT TRACKING ... REDIRECT`),
//! which sider does not do: connecting with tracking under RESP2 fails with
//! [`ErrorKind::Config`](crate::ErrorKind::Config), saying RESP3 is needed.
//!
//! ```no_run
//! use sider::prelude::*;
//! use sider::{Config, Tracking};
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), sider::Error> {
//! let config = Config::tcp("127.0.0.1", 6379)
//!     .client_tracking(Tracking::Default { capacity: 10_000 })
//!     .cache_max_bytes(16 << 20)
//!     .cache_ttl(Duration::from_secs(60));
//! let client = sider::Client::connect_with(config).await?;
//! let feature: Option<String> = client.get("flags:beta").await?; // from the server
//! let feature: Option<String> = client.get("flags:beta").await?; // from the cache
//! let hot: Option<String> = client.get("hot").cache_ttl(Duration::from_millis(500)).await?;
//! println!("{:?}", client.stats().cache);
//! # Ok(()) }
//! ```
//!
//! # serde
//!
//! Two features, both off by default, connect replies and arguments to serde:
//!
//! - `serde` adds [`Record<T>`]: a map-shaped reply (`HGETALL`, `CONFIG GET`, `XINFO STREAM`...)
//!   decoded into your own `Deserialize` type, from a RESP3 map or a RESP2 flat array alike.
//!   `hgetall` keeps returning a `HashMap`; its sibling `hgetall_as` takes any reply type.
//!   Field values parse as the field's type; `Option` fields may be missing; an error names the
//!   field (``field `age`: expected integer, got "abc"``).
//! - `json` (which implies `serde`) adds [`Json<T>`]: any `Serialize` value sent as a JSON string,
//!   written straight into the command buffer, and any `Deserialize` type read back from one.
//!
//! ```toml
//! sider-redis = { version = "0.1", features = ["json"] }
//! ```
//!
//! ```no_run
//! # #[cfg(feature = "serde")]
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! use serde::Deserialize;
//! use sider::prelude::*;
//! use sider::Record;
//!
//! #[derive(Deserialize)]
//! struct User {
//!     name: String,
//!     age: u32,
//!     email: Option<String>, // None when the hash has no such field
//! }
//!
//! client.hset("user:1", [("name", "Ada"), ("age", "36")]).await?;
//! let user: User = client.hgetall_as::<Record<User>>("user:1").await?.into_inner();
//! # Ok(()) }
//! ```
//!
//! ```no_run
//! # #[cfg(feature = "json")]
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! use serde::{Deserialize, Serialize};
//! use sider::prelude::*;
//! use sider::Json;
//!
//! #[derive(Serialize, Deserialize)]
//! struct Cart {
//!     items: Vec<(String, u32)>,
//!     coupon: Option<String>,
//! }
//!
//! let cart = Cart { items: vec![("apple".into(), 3)], coupon: None };
//! client.set("cart:1", Json(&cart)).await?;
//! let stored: Option<Json<Cart>> = client.get("cart:1").await?;
//! # Ok(()) }
//! ```
//!
//! # Redis Cluster
//!
//! The `cluster` feature adds the [`cluster`] module. A [`ClusterClient`] reads the slot map from
//! any seed node that answers and keeps one multiplexed connection per node. It has the same
//! typed methods as [`Client`](crate::Client), each command going to the primary that serves its
//! keys' hash slot; `MOVED`, `ASK`, `TRYAGAIN` and a node going away are followed for you, within
//! [`ClusterConfig`]'s limits.
//!
//! A key's slot is the CRC16 of the key, or only of its *hash tag* when it has one: the part
//! between the first `{` and the next `}`. Keys that share a tag share a slot, and that is how
//! multi-key commands and transactions stay legal: a command (or transaction) whose keys fall in
//! two slots fails with [`ErrorKind::CrossSlot`](crate::ErrorKind::CrossSlot) before anything is
//! sent, except the six commands that split (next section). Pipelines and batches may span slots and nodes: `execute()` splits the commands by
//! node, sends every share at once, and puts the replies back in the order you queued them.
//!
//! ```no_run
//! # #[cfg(feature = "cluster")]
//! # async fn run() -> Result<(), sider::Error> {
//! use sider::cluster::{key_slot, ClusterClient, ClusterConfig};
//! use sider::prelude::*;
//!
//! let cluster = ClusterClient::connect(&["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]).await?;
//! cluster.set("user:1", "Ada").await?;
//!
//! // One hash tag, one slot: a multi-key command and a transaction on these keys are fine.
//! assert_eq!(key_slot(b"{user:2}.name"), key_slot(b"{user:2}.lang"));
//! cluster.mset([("{user:2}.name", "Grace"), ("{user:2}.lang", "COBOL")]).await?;
//! let (visits, ()) = cluster
//!     .transaction()
//!     .incr("{user:2}.visits")
//!     .set("{user:2}.seen", "today")
//!     .execute()
//!     .await?;
//!
//! // Any keys at all: the pipeline is split by node and reassembled in this order.
//! let ((), hits, name) = cluster
//!     .pipeline()
//!     .set("page:home", "<html>")
//!     .incr("hits")
//!     .get::<String>("user:1")
//!     .execute()
//!     .await?;
//!
//! // Reads spread over replicas, which may lag their primary.
//! let config = ClusterConfig::from_urls(&["redis://10.0.0.1:7000"])?.read_from_replicas(true);
//! let readers = ClusterClient::connect_with(config).await?;
//! # Ok(()) }
//! ```
//!
//! Keyless commands go to the primaries in turn; `DBSIZE`, `KEYS`, `FLUSHALL`, `SCRIPT LOAD` and
//! the like go to every primary, and `scan_all` walks every primary with `SCAN`. A write whose
//! connection broke after it was sent is not retried, because it may have run.
//!
//! # Cluster: across slots, scans, zones and pub/sub
//!
//! **Multi-key commands.** `MGET`, `MSET`, `DEL`, `UNLINK`, `EXISTS` and `TOUCH` whose keys fall
//! in several slots are split into one command per slot, sent at once, and put back together:
//! `MGET`'s values in the order of your keys, the counts of the others added up, `MSET`'s `OK`
//! once every part succeeded. Only these six split, because only their reply is a plain function
//! of the parts'; `SUNION`, `RENAME`, `MSETNX` and the others read or write their keys together,
//! which no split can give, and keep failing with `CrossSlot`. A split `MSET` or `DEL` is **not
//! atomic**: another client may see some slots' new values before others', and if one part fails
//! the others stay applied (the error says how many). Inside a pipeline or a transaction nothing
//! splits.
//!
//! **Scripts in batches.** A script called in a `ClusterBatch`
//! or a `ClusterPipeline` runs as `EVALSHA`, after a
//! `SCRIPT LOAD` sent ahead of it on each node that takes a share, redirects included.
//!
//! **Scanning.** `ClusterClient::scan_iter` returns
//! every key present for the whole walk at least once, even while slots migrate or a primary
//! fails over: it tracks which slots each node walk covered and walks again any slot whose node
//! changed under it. Keys may come twice.
//!
//! **Reads by zone.** `ReadFrom` picks where read-only commands go:
//! the primary, any replica, or (`ReadFrom::AzAffinity`)
//! the replicas in your availability zone, then the others, then the primary. Nodes say their
//! zone in `HELLO` (Valkey 8.1 and later, its `availability-zone` option).
//!
//! **Pub/sub.** `ClusterClient::ssubscribe` (and
//! `subscribe`, `psubscribe`) returns one stream over every node it needs: each shard channel on
//! the primary of its slot, channels and patterns on any one primary. When a slot migrates or a
//! primary fails over, the subscription is made again where the map now says, within about
//! 250 ms of the map changing, and the stream yields [`Event::Reconnected`](crate::Event::Reconnected).
//! No message is delivered twice across a move; messages published in the gap are lost, as
//! Redis pub/sub keeps nothing, and every gap is reported that way.
//!
//! ```no_run
//! # #[cfg(feature = "cluster")]
//! # async fn run(cluster: sider::cluster::ClusterClient) -> Result<(), sider::Error> {
//! use sider::cluster::{ClusterClient, ClusterConfig, ReadFrom};
//! use sider::prelude::*;
//!
//! let keys = ["a", "b", "c"]; // three slots
//! cluster.mset([("a", 1), ("b", 2), ("c", 3)]).await?;
//! let values: Vec<Option<i64>> = cluster.mget(keys).await?; // [Some(1), Some(2), Some(3)]
//! assert_eq!(cluster.del(keys).await?, 3);
//!
//! let mut walk = cluster.scan_iter::<String>().pattern("user:*");
//! while let Some(key) = walk.next().await {
//!     println!("{}", key?);
//! }
//!
//! let config = ClusterConfig::from_urls(&["redis://10.0.0.1:7000"])?
//!     .read_from(ReadFrom::AzAffinity("us-east-1a".into()));
//! let local_reads = ClusterClient::connect_with(config).await?;
//!
//! let mut orders = cluster.ssubscribe("orders:{eu}").await?;
//! cluster.spublish("orders:{eu}", "order 1").await?;
//! # Ok(()) }
//! ```
//!
//! `examples/examples/cluster_features.rs` runs all of these against a cluster.
//!
//! # Sentinel
//!
//! A group that Redis Sentinel watches is a `redis+sentinel://` URL listing the sentinels (port
//! 26379 when none is given) and the group's name, or [`Config::sentinel`](crate::Config::sentinel)
//! in code. Every connection, reconnects included, asks the sentinels in turn for the current
//! primary, connects to it and checks with `ROLE` that it is one. So after a failover the
//! commands waiting on the old primary fail with its connection error and the next command goes
//! to the new one, for a [`Client`](crate::Client), a [`Connection`](crate::Connection) or a
//! [`Pool`](crate::Pool) alike. `?role=replica` (or
//! [`Config::sentinel_replica`](crate::Config::sentinel_replica)) connects to a replica in sync
//! instead, for reads. Credentials, database and TLS settings are the data nodes'; sentinels are
//! asked without credentials, and `rediss+sentinel://` speaks TLS to both.
//!
//! The sentinels' `+switch-master` announcements are followed as well: when one says the primary
//! moved, sider closes its connections to the old primary (`CLIENT KILL ID` there), so that the
//! next command reconnects to the new primary rather than write to a server being demoted (after
//! a `SENTINEL FAILOVER` the old primary stays up and keeps accepting writes for a moment).
//! Commands in flight at that moment fail with a connection error.
//! [`sentinel::switches`](crate::sentinel::switches)
//! yields the announcements to you; `examples/examples/sentinel_events.rs` prints them.
//!
//! ```no_run
//! use sider::prelude::*;
//! use sider::{Client, Config};
//!
//! # async fn run() -> Result<(), sider::Error> {
//! let client = Client::connect("redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster/0").await?;
//! let visits: i64 = client.incr("visits").await?;
//!
//! let sentinels = [("10.0.0.1", 26379), ("10.0.0.2", 26379)];
//! let replica = Client::connect_with(Config::sentinel_replica("mymaster", sentinels)).await?;
//!
//! // Ask without connecting.
//! let config = Config::sentinel("mymaster", sentinels);
//! println!("the primary is at {}", sider::sentinel::primary(&config).await?);
//! # Ok(()) }
//! ```
//!
//! # TLS
//!
//! The `tls` feature adds `rediss://` URLs and [`TlsConfig`], through rustls (with the `ring`
//! provider). Without the feature, a `rediss://` URL is an
//! [`ErrorKind::Config`](crate::ErrorKind::Config) error that says so. The server's certificate
//! is always verified: by default against Mozilla's root store, compiled in, and the host name
//! or address connected to. [`TlsConfig`] trusts your own CA instead, presents a client
//! certificate to a server with `tls-auth-clients yes`, or names the host the certificate was
//! issued to when you connect by address. It goes into a [`Config`](crate::Config) with
//! `Config::tls`. The one way to skip verification is the method
//! `TlsConfig::danger_accept_invalid_certs`, for test servers; no URL parameter turns it off. A
//! certificate sider does not trust, or a server that wants a client certificate it did not get,
//! fails the connection with [`ErrorKind::Tls`](crate::ErrorKind::Tls) and the reason.
//!
//! ```no_run
//! # #[cfg(feature = "tls")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use sider::{Client, Config, TlsConfig};
//!
//! // A certificate from a public CA: the URL is enough.
//! let public = Client::connect("rediss://redis.example.com:6380").await?;
//!
//! // A private CA and mutual TLS.
//! let tls = TlsConfig::new()
//!     .ca_pem(std::fs::read("ca.crt")?)
//!     .client_cert_pem(std::fs::read("client.crt")?, std::fs::read("client.key")?)
//!     .server_name("redis.internal"); // the name in its certificate, as we connect by address
//! let private = Client::connect_with(Config::from_url("rediss://10.0.0.5:6380")?.tls(tls)).await?;
//! # Ok(()) }
//! ```
//!
//! # Errors and what is safe to retry
//!
//! Every failure is a [`sider::Error`](crate::Error) with a [`kind`](crate::Error::kind). The
//! question that matters before retrying is whether the command may have run:
//!
//! | kind | meaning | retry? |
//! |---|---|---|
//! | `Server` | Redis refused the command (`WRONGTYPE`, `NOSCRIPT`...): [`server_error`](crate::Error::server_error) has the code | no, fix the command |
//! | `Reply` | the reply does not decode into the type asked for; the command ran | no, fix the type |
//! | `Io`, `Closed`, `Protocol` | the connection failed; the next command reconnects | a read, yes; a write only if it is idempotent: it may have run |
//! | `Timeout` | no reply in time; the connection was dropped if the server stalled | as for `Io` |
//! | `Tls` | the TLS handshake or session failed | a certificate problem will not fix itself; a broken session as for `Io` |
//! | `Busy` | too many commands wait to be written; this one was not sent | yes, after a pause, or shed load |
//! | `CrossSlot` | a cluster command's keys are in two slots; it was not sent | no, give the keys one `{hash tag}` |
//! | `Aborted` | a `WATCH`ed key changed before EXEC; nothing ran | yes: that is what `Connection::watching` does |
//! | `Auth`, `Config` | bad credentials or settings | no |
//!
//! [`Error::is_connection_error`](crate::Error::is_connection_error) groups the connection
//! kinds, and [`CommandInfo::is_readonly`](crate::CommandInfo::is_readonly) (through
//! [`COMMANDS`](crate::commands::COMMANDS)) tells which commands never write.
//! Apart from reloading a script after `NOSCRIPT`, a plain client never sends a command twice:
//! only you know whether your write is idempotent. (A cluster client follows redirects, and
//! resends a command whose node could not be reached, or a read whose connection broke; never a
//! write that may have run.)
//!
//! ```no_run
//! use sider::prelude::*;
//! use sider::ErrorKind;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! // A read: sending it again after a connection error is safe.
//! let mut attempts = 0;
//! let name = loop {
//!     match client.get::<String>("name").await {
//!         Err(e) if e.is_connection_error() && attempts < 3 => attempts += 1,
//!         other => break other?,
//!     }
//! };
//!
//! // A write: INCR that failed mid-flight may have counted; tell the cases apart.
//! match client.incr("visits").await {
//!     Ok(n) => println!("visit {n}"),
//!     Err(e) if e.kind() == ErrorKind::Server => {
//!         let code = e.server_error().map(|s| s.code()); // "WRONGTYPE", "ERR"...
//!         eprintln!("refused ({code:?}): {e}");
//!     }
//!     Err(e) if e.is_connection_error() => eprintln!("unknown whether it counted: {e}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! # Testing your code with a mock server
//!
//! [`sider::mock`] (feature `mock`, for your `[dev-dependencies]`) runs a Redis server inside
//! your test: it listens on a loopback port, greets clients as a server does, and answers each
//! command from expectations you write with the same typed methods your code calls. A reply is a
//! value of the command's reply type, so an expectation real Redis could never meet does not
//! compile. Here is a fixed-window rate limiter and its test:
//!
//! ```
//! use sider::prelude::*;
//! use std::time::Duration;
//!
//! /// Allows `limit` requests per minute for `user`.
//! async fn allow(client: &sider::Client, user: &str, limit: i64) -> Result<bool, sider::Error> {
//!     let key = format!("rate:{user}");
//!     let count = client.incr(&key).await?;
//!     if count == 1 {
//!         // The first request of a window starts its minute.
//!         client.expire(&key, Duration::from_secs(60)).await?;
//!     }
//!     Ok(count <= limit)
//! }
//!
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In a #[tokio::test]:
//! use sider::mock::Mock;
//!
//! let mock = Mock::start().await?;
//! mock.expect(|c| c.incr("rate:ada")).returns(1);
//! mock.expect(|c| c.expire("rate:ada", Duration::from_secs(60))).returns(true);
//! mock.expect(|c| c.incr("rate:ada")).returns(3); // the third request of the window
//! mock.expect(|c| c.incr("rate:bob")).fails("READONLY You can't write against a read only replica.");
//!
//! let client = sider::Client::connect_with(mock.config()).await?;
//! assert!(allow(&client, "ada", 2).await?);
//! assert!(!allow(&client, "ada", 2).await?); // refused, and no second EXPIRE
//! let err = allow(&client, "bob", 2).await.unwrap_err();
//! assert_eq!(err.server_error().map(|e| e.code()), Some("READONLY"));
//! mock.verify()?; // every expectation met, and nothing else sent
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```
//!
//! Had `allow` sent `EXPIRE` on every request, `verify` would say so:
//!
//! ```text
//! sider mock: 1 unexpected command, 0 expectations not met
//!
//! unexpected command on connection 1:
//!   came:     EXPIRE "rate:ada" "60"
//!   expected one of:
//!     INCR "rate:ada"  (src/limiter.rs:31:1)
//!       argument 1 differs: came "EXPIRE", expected "INCR"
//! ```
//!
//! A reply can also be a server error ([`Expectation::fails`]), come late
//! ([`Expectation::after`]), or never come because the connection drops
//! ([`Expectation::drops_connection`]): that is how retry code gets tested.
//! [`Expectation::times`] takes a count or a range (`1..`, `..`), and
//! [`MockBuilder::ordered`] insists on the order the expectations were written in. Pipelines
//! and transactions meet one expectation per command (the mock answers `MULTI` and `EXEC`
//! itself), subscriptions receive what [`Mock::publish`] sends, and a [`Pool`](crate::Pool)
//! works as against a server. Commands the spec does not know are expected with
//! [`Mock::expect_cmd`] and reply any [`Value`](crate::Value).
//!
//! # OpenTelemetry
//!
//! With the `tracing` feature each request is a span in the shape of OpenTelemetry's conventions
//! for database clients, which `tracing-opentelemetry` exports as a client span named after the
//! operation: `db.system.name = "redis"`, `db.operation.name` (`GET`, or `PIPELINE` and `MULTI`
//! with `db.operation.batch.size`), `server.address`, `server.port`, and on failure `error.type`
//! (the server's error code, such as `WRONGTYPE`, or the kind of connection error). Keys, values
//! and credentials never appear. Connects, reconnects, timeouts, failovers and cluster
//! redirects are events with the same field names. `examples/examples/otel.rs` exports them.
//!
//! # bb8 and deadpool
//!
//! Services that already pool their connections with `bb8` or `deadpool` can keep doing so:
//! [`sider::pools::Manager`] (features `bb8`, `deadpool`) opens sider
//! [`Connection`](crate::Connection)s, and before lending one again sends `RESET` (on Redis 6.2
//! and later, and Valkey), what the handshake set (credentials, name, database), and `PING`, in
//! one round trip. A connection lost since it opened, or left owing replies, is replaced.
//!
//! # Adding commands
//!
//! sider's own commands come from the TOML files in the repository's `commands/` folder (they
//! ship inside the crate); adding one is adding an entry and rebuilding. `commands/README.md`
//! documents the format: arguments and their kinds, tokens, optional and repeated arguments,
//! one-of choices, blocks, reply types and flags. The typed API is generated from it at compile
//! time by [`commands!`](macro@crate::commands), and nothing in it is written by hand.
//!
//! # Writing a spec for a module
//!
//! The same macro serves your own crate: a module's commands (or your own server's) get the typed
//! API from a spec file of yours. Here is a spec for four commands of RedisBloom, abridged from
//! the one this guide compiles (`src/guide/bloom.toml` in the sider-redis package):
//!
//! ```toml
//! group = "bloom"
//!
//! [[command]]
//! name = "BF.ADD"
//! doc = "Adds an item to a Bloom filter, creating the filter if needed; false if it may have been there."
//! since = "1.0.0"
//! flags = ["write"]
//! reply = "bool"
//!
//! [[command.arg]]
//! name = "key"
//! kind = "key"          # a key: recorded for cluster routing
//!
//! [[command.arg]]
//! name = "item"
//! kind = "string"
//!
//! # BF.RESERVE, BF.MADD and BF.EXISTS follow the same pattern.
//! ```
//!
//! `commands!` turns it into a trait, implemented for the client, connections, pipelines,
//! transactions and batches like [`Commands`](crate::Commands), with a method per command named
//! in snake case (`.` becomes `_`). Spec paths are relative to the `Cargo.toml` of the crate that
//! invokes the macro; a folder reads every `.toml` file in it. Cargo rebuilds when a spec file
//! changes. Your crate needs only the `sider-redis` dependency, which brings the macro along as
//! `sider::commands!`; keep its library name `sider` (no `package = "sider-redis"` under another
//! key), since the generated code names its items `::sider::...`.
//!
//! ```no_run
//! mod bloom {
//!     sider::commands! {
//!         pub trait Bloom;
//!         spec = "src/guide/bloom.toml";
//!     }
//! }
//! use bloom::Bloom;
//! use sider::prelude::*;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! client.bf_reserve("seen", 0.001, 1_000_000).await?;
//! let fresh: bool = client.bf_add("seen", "https://example.com/").await?;
//! let (a, b) = client
//!     .pipeline()
//!     .bf_exists("seen", "https://example.com/")
//!     .bf_exists("seen", "https://example.org/")
//!     .execute()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! A mistake in the spec is a compile error at the macro call naming `file:line:col`, the
//! command and the fix, every mistake in the same build:
//! ``src/guide/bloom.toml:52:8: BF.ADD: unknown kind `strng` (expected key, string, ...)``.
//! Commands no spec knows can still go out through [`Cmd`](crate::Cmd) with
//! `client.send::<T>(..)`.
//!
// Items behind features: linked within these docs when the feature is on, to docs.rs (built
// with every feature) when it is off, so that the guide reads the same and `cargo doc` stays
// clean either way.
#![cfg_attr(
    feature = "cluster",
    doc = "[`cluster`]: crate::cluster",
    doc = "[`ClusterClient`]: crate::cluster::ClusterClient",
    doc = "[`ClusterConfig`]: crate::cluster::ClusterConfig"
)]
#![cfg_attr(
    not(feature = "cluster"),
    doc = "[`cluster`]: https://docs.rs/sider-redis/latest/sider/cluster/index.html",
    doc = "[`ClusterClient`]: https://docs.rs/sider-redis/latest/sider/cluster/struct.ClusterClient.html",
    doc = "[`ClusterConfig`]: https://docs.rs/sider-redis/latest/sider/cluster/struct.ClusterConfig.html"
)]
#![cfg_attr(feature = "serde", doc = "[`Record<T>`]: crate::Record")]
#![cfg_attr(
    not(feature = "serde"),
    doc = "[`Record<T>`]: https://docs.rs/sider-redis/latest/sider/struct.Record.html"
)]
#![cfg_attr(feature = "json", doc = "[`Json<T>`]: crate::Json")]
#![cfg_attr(
    not(feature = "json"),
    doc = "[`Json<T>`]: https://docs.rs/sider-redis/latest/sider/struct.Json.html"
)]
#![cfg_attr(feature = "tls", doc = "[`TlsConfig`]: crate::TlsConfig")]
#![cfg_attr(
    not(feature = "tls"),
    doc = "[`TlsConfig`]: https://docs.rs/sider-redis/latest/sider/struct.TlsConfig.html"
)]
#![cfg_attr(
    feature = "mock",
    doc = "[`sider::mock`]: crate::mock",
    doc = "[`Mock::publish`]: crate::mock::Mock::publish",
    doc = "[`Mock::expect_cmd`]: crate::mock::Mock::expect_cmd",
    doc = "[`MockBuilder::ordered`]: crate::mock::MockBuilder::ordered",
    doc = "[`Expectation::fails`]: crate::mock::Expectation::fails",
    doc = "[`Expectation::after`]: crate::mock::Expectation::after",
    doc = "[`Expectation::drops_connection`]: crate::mock::Expectation::drops_connection",
    doc = "[`Expectation::times`]: crate::mock::Expectation::times"
)]
#![cfg_attr(
    not(feature = "mock"),
    doc = "[`sider::mock`]: https://docs.rs/sider-redis/latest/sider/mock/index.html",
    doc = "[`Mock::publish`]: https://docs.rs/sider-redis/latest/sider/mock/struct.Mock.html#method.publish",
    doc = "[`Mock::expect_cmd`]: https://docs.rs/sider-redis/latest/sider/mock/struct.Mock.html#method.expect_cmd",
    doc = "[`MockBuilder::ordered`]: https://docs.rs/sider-redis/latest/sider/mock/struct.MockBuilder.html#method.ordered",
    doc = "[`Expectation::fails`]: https://docs.rs/sider-redis/latest/sider/mock/struct.Expectation.html#method.fails",
    doc = "[`Expectation::after`]: https://docs.rs/sider-redis/latest/sider/mock/struct.Expectation.html#method.after",
    doc = "[`Expectation::drops_connection`]: https://docs.rs/sider-redis/latest/sider/mock/struct.Expectation.html#method.drops_connection",
    doc = "[`Expectation::times`]: https://docs.rs/sider-redis/latest/sider/mock/struct.Expectation.html#method.times"
)]
#![cfg_attr(
    any(feature = "bb8", feature = "deadpool"),
    doc = "[`sider::pools::Manager`]: crate::pools::Manager"
)]
#![cfg_attr(
    not(any(feature = "bb8", feature = "deadpool")),
    doc = "[`sider::pools::Manager`]: https://docs.rs/sider-redis/latest/sider/pools/struct.Manager.html"
)]

pub mod common_tasks;
