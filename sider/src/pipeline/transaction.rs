//! [`Transaction`]: commands sent between MULTI and EXEC, replies typed like a pipeline's.

use super::{position, send_many, Execute, Ignored, Queue, ReplyList};
use crate::cmd::Cmd;
use crate::conn::Handle;
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::info::CommandInfo;
use crate::pipeline::Names;
use crate::reply::FromReply;
use crate::resp::Frame;
use crate::script::Script;
use std::marker::PhantomData;

/// A MULTI/EXEC transaction: the same typed builder as a [`Pipeline`](super::Pipeline), run
/// atomically by the server.
///
/// `execute()` returns the typed tuple of EXEC's replies. A command the server rejects while
/// queueing discards the whole transaction: the error has code `EXECABORT` and names the
/// rejected command. A command that fails while EXEC runs fails its own slot. On a connection
/// with `WATCH`ed keys, an EXEC that the server aborts because a key changed is an error of kind
/// [`ErrorKind::Aborted`](crate::ErrorKind::Aborted).
///
/// ```no_run
/// use sider::prelude::*;
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// let (n, ()) = client.transaction().incr("counter").set("flag", "1").execute().await?;
/// let _: i64 = n;
/// # Ok(()) }
/// ```
#[must_use = "a transaction does nothing until executed"]
#[derive(Debug)]
pub struct Transaction<'c, L = ()> {
    handle: &'c Handle,
    queue: Queue,
    list: PhantomData<fn() -> L>,
}

impl<'c> Transaction<'c, ()> {
    pub(crate) fn new(handle: &'c Handle) -> Self {
        Transaction {
            handle,
            queue: Queue::multi(),
            list: PhantomData,
        }
    }
}

impl<'c, L> Transaction<'c, L> {
    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.len() == 0
    }

    /// Loads `script` before MULTI.
    pub(crate) fn preload(&mut self, script: &Script) {
        self.queue.preload(script);
    }
}

impl<'c, L> Dispatch for Transaction<'c, L> {
    type Out<T: FromReply> = Transaction<'c, (L, T)>;

    fn dispatch<T: FromReply>(mut self, cmd: Cmd) -> Transaction<'c, (L, T)> {
        self.queue.push(cmd);
        Transaction {
            handle: self.handle,
            queue: self.queue,
            list: PhantomData,
        }
    }

    fn new_cmd(&mut self, info: &'static CommandInfo) -> Cmd {
        self.queue.new_cmd(info)
    }
}

/// Sends a queue that starts with MULTI, then EXEC; returns EXEC's replies and the names.
pub(crate) async fn exec(handle: &Handle, mut queue: Queue) -> Result<(Vec<Frame>, Names), Error> {
    let count = queue.len();
    Cmd::new("EXEC").encode(&mut queue.buf);
    let mut frames = send_many(handle, queue.buf, count + 2, &queue.scripts).await?;
    let names = queue.names;
    let exec = frames.pop().unwrap_or(Frame::Null);
    if let Some(Frame::Error(line)) = frames.first() {
        return Err(Error::server(line).context("MULTI"));
    }
    let rejected = frames
        .iter()
        .skip(1)
        .position(|f| matches!(f, Frame::Error(_)));
    match exec {
        Frame::Array(replies) if replies.len() == count => Ok((replies, names)),
        Frame::Array(replies) => Err(Error::protocol_msg(format!(
            "EXEC returned {} replies for {count} commands",
            replies.len()
        ))),
        Frame::Null => Err(Error::aborted(
            "transaction aborted: a watched key changed before EXEC",
        )),
        Frame::Error(line) => match rejected.and_then(|i| Some((i, frames.get(i + 1)?))) {
            Some((i, Frame::Error(reason))) => Err(Error::server(&line).context(format_args!(
                "transaction discarded: {} was rejected ({})",
                position(i, count, &names),
                String::from_utf8_lossy(reason)
            ))),
            _ => Err(Error::server(&line).context("EXEC")),
        },
        other => Err(Error::protocol_msg(format!(
            "EXEC replied with {}",
            other.describe()
        ))),
    }
}

/// Counts the error replies among EXEC's replies.
pub(crate) fn ignored(replies: &[Frame], names: &Names) -> Result<Ignored, Error> {
    let count = replies.len();
    let mut errors = replies
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.as_error().map(|e| (i, e)));
    match errors.next() {
        None => Ok(Ignored { replies: count }),
        Some((i, line)) => Err(Error::server(line).context(format_args!(
            "{} of {count} commands failed; the first was {}",
            1 + errors.count(),
            position(i, count, names)
        ))),
    }
}

impl<L: ReplyList> Execute for Transaction<'_, L> {
    type Output = L::Tuple;
    type Each = L::Each;

    async fn execute(self) -> Result<L::Tuple, Error> {
        let (replies, names) = exec(self.handle, self.queue).await?;
        L::decode(replies, &names)
    }

    async fn execute_each(self) -> Result<L::Each, Error> {
        let (replies, names) = exec(self.handle, self.queue).await?;
        Ok(L::decode_each(replies, &names))
    }

    async fn execute_ignore_results(self) -> Result<Ignored, Error> {
        let (replies, names) = exec(self.handle, self.queue).await?;
        ignored(&replies, &names)
    }
}
