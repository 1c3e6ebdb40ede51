//! What generated code calls. Not part of the public API: no semver guarantees.

use crate::cmd::Cmd;
use crate::dispatch::Dispatch;
use crate::reply::FromReply;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use bytes::Bytes;

/// A command with options, finished into its sink's output by `.await`, by the next chained
/// command, or by `execute()`.
pub trait Builder: Sized {
    /// What the command becomes once finished: `S::Out<R>`.
    type Done;
    /// Writes the options and hands the command to its sink.
    fn finish(self) -> Self::Done;
}

/// A builder in a pipeline takes the next command after finishing itself.
impl<B> Dispatch for B
where
    B: Builder,
    B::Done: Dispatch,
{
    type Out<T: FromReply> = <B::Done as Dispatch>::Out<T>;

    fn dispatch<T: FromReply>(self, cmd: Cmd) -> Self::Out<T> {
        self.finish().dispatch(cmd)
    }
}

/// Marks the places where connection-state commands (`WATCH`, `SELECT`, `MULTI`...) are safe:
/// connections held alone, never the shared client.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is shared by other tasks, so it cannot run commands that change its connection's state",
    label = "WATCH, SELECT, MULTI and similar commands need a connection held alone",
    note = "use a connection from `Pool::acquire` or `Client::dedicated`"
)]
pub trait Exclusive {}

/// Whole seconds of a duration.
pub fn secs(d: &Duration) -> u64 {
    d.as_secs()
}

/// Whole milliseconds of a duration.
pub fn millis(d: &Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Fractional seconds of a duration.
pub fn fsecs(d: &Duration) -> f64 {
    d.as_secs_f64()
}

/// Seconds since the Unix epoch (negative before it).
pub fn unix_secs(t: &SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Milliseconds since the Unix epoch (negative before it).
pub fn unix_millis(t: &SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Reads a flag parameter whether it is a `bool` or a `&bool`.
pub fn flag(b: &bool) -> bool {
    *b
}
