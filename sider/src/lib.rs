//! sider: a fast async Redis client for tokio whose replies are typed at compile time.
//!
//! The package on crates.io is `sider-redis` (`cargo add sider-redis`); the library it provides
//! is `sider`, so code imports it as `use sider::...`.
//!
//! ```no_run
//! use sider::prelude::*;
//!
//! # async fn run() -> Result<(), sider::Error> {
//! let client = sider::Client::connect("redis://127.0.0.1:6379").await?;
//! client.set("hello", "world").await?;
//! let value = client.get::<String>("hello").await?; // Option<String>
//! # Ok(()) }
//! ```
//!
//! Layers, each depending only on those before it: [`resp`] (bytes ↔ frames, no I/O), the
//! connection driver, [`Client`] and the typed [`Commands`]. The [`guide`] walks through
//! everything, section by section.
//!
//! # Feature flags
//!
//! None is on by default; the default build is the client, pipelines, transactions, the pool,
//! pub/sub, caching, scripts, SCAN and Sentinel.
//!
//! | feature | adds |
//! |---|---|
//! | `cluster` | the `cluster` module: `ClusterClient` for Redis Cluster, with routing by hash slot, `MOVED`/`ASK` handling and pipelines split by node |
//! | `tls` | `rediss://` URLs and `TlsConfig`, through rustls; certificates are verified by default |
//! | `serde` | `Record<T>`: map-shaped replies (`HGETALL`, `XINFO`...) decoded into your own `Deserialize` types |
//! | `json` | `Json<T>`: any serde type stored and read as JSON (implies `serde`) |
//! | `tracing` | a client span per command, pipeline and transaction in OpenTelemetry's shape (`db.system.name`, `db.operation.name`, `server.address`, `error.type`...), events for connects, reconnects, timeouts and failovers; compiled out when off |
//! | `mock` | `mock::Mock`: a Redis server in your test's process, answering from expectations written with the typed API |
//! | `bb8`, `deadpool` | `pools::Manager`: sider's `Connection` in those pools, checked with `PING` and reset before reuse |
//!
//! ```toml
//! sider-redis = { version = "0.1", features = ["cluster", "tls"] }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

extern crate self as sider;

mod args;
mod client;
#[cfg(feature = "cluster")]
pub mod cluster;
mod cmd;
pub mod commands;
mod conn;
mod connection;
mod dispatch;
mod error;
pub mod guide;
mod info;
#[cfg(feature = "json")]
mod json;
mod keys;
#[cfg(feature = "mock")]
pub mod mock;
mod pipeline;
mod pool;
#[cfg(any(feature = "bb8", feature = "deadpool"))]
pub mod pools;
mod pubsub;
#[cfg(feature = "serde")]
mod record;
mod reply;
pub mod resp;
pub mod scan;
mod script;
pub mod sentinel;
mod stats;
mod target;

#[doc(hidden)]
pub mod __private;

pub use args::{Each, TimeSpan, Timestamp, ToArg, ToArgs};
pub use client::{Call, CallFuture, Client};
pub use cmd::Cmd;
pub use commands::Commands;
#[cfg(feature = "tls")]
pub use conn::TlsConfig;
pub use conn::{
    Addr, CacheStats, Config, Event, Message, Protocol, ServerInfo, SubscriptionKind, Tracking,
};
pub use connection::Connection;
pub use dispatch::Dispatch;
pub use error::{Error, ErrorKind, ReplyError, ServerError};
pub use info::CommandInfo;
#[cfg(feature = "json")]
pub use json::Json;
pub use keys::Keys;
pub use pipeline::{
    Batch, Detached, Execute, Ignored, IntoTyped, Pipeline, ReplyList, Transaction, Typed,
};
pub use pool::{Pool, PooledConnection};
pub use pubsub::{Channels, Subscription};
#[cfg(feature = "serde")]
pub use record::Record;
pub use reply::{FieldExpire, FieldPersist, FromReply, Ttl};
pub use resp::Frame as Value;
pub use scan::{Scan, ScanStream};
pub use script::{Invoke, Script, ScriptCall, ScriptFuture};
/// Generates a trait of typed methods from spec files, for a module's commands or your own; see
/// `commands/README.md` for the format and `examples/` for a RediSearch spec.
pub use sider_macros::commands;
pub use stats::{Stats, LATENCY_BUCKETS_US};

/// The traits that put typed commands in scope: `use sider::prelude::*;`.
pub mod prelude {
    pub use crate::{Commands, Dispatch, Execute, FromReply, Invoke, Scan, ToArg, ToArgs};
}
