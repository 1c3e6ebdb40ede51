//! [`Dispatch`]: the one seam between generated command methods and the places that send them.

use crate::cmd::Cmd;
use crate::info::CommandInfo;
use crate::reply::FromReply;

/// A place commands can be sent: a client, a pipeline, a transaction.
///
/// Every typed command method is written once, against this trait; `Out<T>` is what the method
/// returns there. On a [`Client`](crate::Client) it is a [`Call`](crate::Call) that `.await`s to
/// `Result<T, Error>`; on a pipeline it is the pipeline with `T` added to its reply tuple.
pub trait Dispatch: Sized {
    /// What a command whose reply decodes into `T` becomes here.
    type Out<T: FromReply>;

    /// Queues or sends `cmd`, whose reply decodes into `T`.
    fn dispatch<T: FromReply>(self, cmd: Cmd) -> Self::Out<T>;

    /// Sends or queues a command built by hand, whose reply decodes into `T`: the escape hatch
    /// for commands the spec does not know, usable anywhere in a pipeline chain.
    fn cmd<T: FromReply>(self, cmd: Cmd) -> Self::Out<T> {
        self.dispatch(cmd)
    }

    /// Starts a command from the spec; a pipeline reuses its buffers here.
    #[doc(hidden)]
    fn new_cmd(&mut self, info: &'static CommandInfo) -> Cmd {
        Cmd::from_info(info)
    }
}
