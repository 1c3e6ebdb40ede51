//! [`Target`]: a client or a connection held alone, for helpers that send several commands in
//! turn (a script's NOSCRIPT fallback, a SCAN stream's pages).
//!
//! Imports from `client` and `connection`; pipelines are not targets, because they cannot wait
//! for one reply before choosing the next command.

use crate::client::{CallFuture, Client};
use crate::cmd::Cmd;
use crate::connection::Connection;
use crate::reply::FromReply;
use std::future::IntoFuture;

/// Where a multi-step helper sends its commands.
#[derive(Debug)]
pub(crate) enum Target<'a> {
    Client(&'a Client),
    Connection(&'a mut Connection),
}

impl Target<'_> {
    /// Sends `cmd` now and returns the future of its reply.
    pub(crate) fn send<T: FromReply>(&mut self, cmd: Cmd) -> CallFuture<T> {
        match self {
            Target::Client(client) => client.send(cmd).into_future(),
            Target::Connection(conn) => conn.send(cmd).into_future(),
        }
    }
}
