//! The connection layer: opening a socket, greeting the server, and the driver task that owns the
//! socket and matches replies to requests.
//!
//! Imports from `resp`, `cmd`, `error`; knows nothing of typed commands.

mod cache;
mod config;
mod connect;
mod direct;
mod driver;
mod handle;
mod handshake;
mod health;
mod push;
mod reconnect;
mod request;
mod sentinel;
mod server;
mod shared;
mod stream;
#[cfg(feature = "tls")]
mod tls;
pub(crate) mod trace;
mod write_buf;

pub use cache::CacheStats;
pub use cache::Tracking;
pub(crate) use cache::{Cache, CacheLimits};
pub use config::{Addr, Config, Protocol};
pub(crate) use connect::connect;
pub(crate) use handle::{spawn, Handle, Reply};
pub(crate) use push::PubSubOp;
pub use push::{Event, Message, SubscriptionKind};
pub(crate) use request::ReplySink;
pub(crate) use sentinel::{listen as sentinel_switches, primary_addr, replica_addrs, Switch};
pub use server::ServerInfo;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;
#[cfg(feature = "cluster")]
pub(crate) use trace::event;
