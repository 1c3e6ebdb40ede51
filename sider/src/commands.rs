//! The typed command API.
//!
//! Every method is written against [`Dispatch`], so the same method serves each place a command
//! can be sent.

use crate::args::ToArg;
use crate::cmd::Cmd;
use crate::dispatch::Dispatch;
use crate::reply::FromReply;

/// Typed Redis commands, available on everything that implements [`Dispatch`].
///
/// Bring it into scope with `use sider::prelude::*`.
pub trait Commands: Dispatch {
    /// Returns the string value stored at `key`, or `None` when the key does not exist.
    ///
    /// Since 1.0.0 · string · O(1) · <https://redis.io/commands/get/>
    fn get<V: FromReply>(self, key: impl ToArg) -> Self::Out<Option<V>> {
        let mut cmd = Cmd::new("GET");
        cmd.push_arg(&key);
        self.dispatch(cmd)
    }

    /// Stores `value` at `key`, replacing any value and type it held.
    ///
    /// Since 1.0.0 · string · O(1) · <https://redis.io/commands/set/>
    fn set(self, key: impl ToArg, value: impl ToArg) -> Self::Out<()> {
        let mut cmd = Cmd::new("SET");
        cmd.push_arg(&key);
        cmd.push_arg(&value);
        self.dispatch(cmd)
    }
}

impl<D: Dispatch> Commands for D {}
