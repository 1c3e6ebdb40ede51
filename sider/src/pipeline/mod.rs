//! Typed pipelines, loops of commands and MULTI/EXEC transactions.
//!
//! A [`Pipeline`] carries the reply types of its commands in its type: each queued command turns
//! `Pipeline<L>` into `Pipeline<(L, T)>`, and [`Execute::execute`] returns them as one flat tuple.
//! Commands are encoded into one buffer as they are queued and sent as a single write; the
//! connection driver reads replies while it writes, so even a million commands never fill the
//! server's output buffer.

mod batch;
mod list;
mod names;
mod transaction;

pub use batch::{Batch, Detached, IntoTyped, Typed};
pub use list::ReplyList;
pub use names::Names;
pub use transaction::Transaction;

use crate::cmd::Cmd;
use crate::conn::{Handle, Reply, ReplySink};
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::info::CommandInfo;
use crate::reply::FromReply;
use crate::resp::Frame;
use crate::script::Script;
use bytes::BytesMut;
use std::future::Future;
use std::marker::PhantomData;
use tokio::sync::oneshot;

/// Sends what was queued and decodes the replies.
///
/// Implemented by [`Pipeline`], [`Transaction`] and [`Batch`], and by a command builder inside
/// them, so `client.pipeline().set("k", "v").ex(ttl).execute()` works.
pub trait Execute: Sized {
    /// What `execute` returns: the tuple (or `Vec`) of decoded replies.
    type Output;
    /// What `execute_each` returns: each command's own `Result`.
    type Each;

    /// Sends every command and decodes every reply.
    ///
    /// # Errors
    ///
    /// The first error reply or undecodable reply, naming its position and command
    /// (`command 3 of 5 (INCR): ...`); a connection error fails the whole call.
    fn execute(self) -> impl Future<Output = Result<Self::Output, Error>> + Send;

    /// Sends every command and returns each command's own result, so one failing command does
    /// not hide the others.
    ///
    /// # Errors
    ///
    /// Only when the connection fails.
    fn execute_each(self) -> impl Future<Output = Result<Self::Each, Error>> + Send;

    /// Sends every command and reads the replies without building them: the fastest way to
    /// write in bulk.
    ///
    /// # Errors
    ///
    /// When any command got an error reply: how many did, and the first with its position.
    fn execute_ignore_results(self) -> impl Future<Output = Result<Ignored, Error>> + Send;
}

/// What [`Execute::execute_ignore_results`] reports when every command succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ignored {
    /// How many replies were read.
    pub replies: usize,
}

/// A builder inside a pipeline executes the pipeline it finishes into.
impl<B> Execute for B
where
    B: crate::__private::Builder,
    B::Done: Execute,
{
    type Output = <B::Done as Execute>::Output;
    type Each = <B::Done as Execute>::Each;

    fn execute(self) -> impl Future<Output = Result<Self::Output, Error>> + Send {
        self.finish().execute()
    }

    fn execute_each(self) -> impl Future<Output = Result<Self::Each, Error>> + Send {
        self.finish().execute_each()
    }

    fn execute_ignore_results(self) -> impl Future<Output = Result<Ignored, Error>> + Send {
        self.finish().execute_ignore_results()
    }
}

/// Commands encoded back to back, with their names for error messages.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    pub(crate) buf: BytesMut,
    pub(crate) names: Names,
    /// The buffer of the last command, reused for the next one.
    scratch: BytesMut,
    /// The distinct scripts the commands run with `EVALSHA`, loaded ahead of them.
    pub(crate) scripts: Vec<Script>,
}

impl Queue {
    /// A queue that opens a transaction.
    pub(crate) fn multi() -> Queue {
        let mut queue = Queue::default();
        Cmd::new("MULTI").encode(&mut queue.buf);
        queue
    }

    pub(crate) fn new_cmd(&mut self, info: &'static CommandInfo) -> Cmd {
        Cmd::from_info_in(info, std::mem::take(&mut self.scratch))
    }

    pub(crate) fn push(&mut self, cmd: Cmd) {
        cmd.encode(&mut self.buf);
        self.names.push(cmd.name());
        self.scratch = cmd.into_buffer();
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// Notes that a command runs `script` by its digest, so that it is loaded first.
    pub(crate) fn preload(&mut self, script: &Script) {
        if !self.scripts.iter().any(|s| s.sha1() == script.sha1()) {
            self.scripts.push(script.clone());
        }
    }
}

/// Sends `SCRIPT LOAD` for each script ahead of a batch that runs them with `EVALSHA`. The batch
/// goes next on the same connection, which runs commands in order, so no `EVALSHA` of it can meet
/// `NOSCRIPT` (short of a `SCRIPT FLUSH` from another client in between).
fn send_preload(handle: &Handle, scripts: &[Script]) -> Option<Reply<Vec<Frame>>> {
    if scripts.is_empty() {
        return None;
    }
    let mut buf = BytesMut::new();
    for script in scripts {
        script.load_cmd().encode(&mut buf);
    }
    Some(handle.batch(buf.freeze(), scripts.len()))
}

/// Fails when a preloaded script did not load (it does not compile): that error, rather than
/// the `NOSCRIPT` its `EVALSHA` then got, is the one to report.
async fn check_preload(loading: Option<Reply<Vec<Frame>>>) -> Result<(), Error> {
    let Some(loading) = loading else {
        return Ok(());
    };
    let frames = loading.await?;
    match frames.iter().find_map(Frame::as_error) {
        Some(line) => Err(Error::server(line).context("SCRIPT LOAD ahead of the pipeline")),
        None => Ok(()),
    }
}

/// Sends a batch (`send` puts it on its way) behind `SCRIPT LOAD`s of the scripts it runs;
/// returns its result. Every way of sending a batch goes through here.
async fn send_batch<R>(
    handle: &Handle,
    scripts: &[Script],
    send: impl FnOnce(&Handle) -> Reply<R>,
) -> Result<R, Error> {
    let loading = send_preload(handle, scripts);
    let result = send(handle).await;
    check_preload(loading).await?;
    result
}

/// Sends encoded commands and collects `count` replies.
pub(crate) async fn send_many(
    handle: &Handle,
    buf: BytesMut,
    count: usize,
    scripts: &[Script],
) -> Result<Vec<Frame>, Error> {
    send_batch(handle, scripts, |h| h.batch(buf.freeze(), count)).await
}

/// Sends encoded commands whose `count` replies go to the sink `sink` builds as they are read;
/// returns what the sink sends back once they all have.
pub(crate) async fn send_to_sink<R>(
    handle: &Handle,
    buf: BytesMut,
    count: usize,
    scripts: &[Script],
    sink: impl FnOnce(oneshot::Sender<Result<R, Error>>) -> Box<dyn ReplySink>,
) -> Result<R, Error> {
    send_batch(handle, scripts, |h| h.batch_into(buf.freeze(), count, sink)).await
}

/// Sends encoded commands and counts `count` replies without keeping them.
pub(crate) async fn send_discard(
    handle: &Handle,
    buf: BytesMut,
    names: &Names,
    scripts: &[Script],
) -> Result<Ignored, Error> {
    let count = names.len();
    let summary = send_batch(handle, scripts, |h| h.batch_discard(buf.freeze(), count)).await?;
    let Some((index, frame)) = summary.first_error else {
        return Ok(Ignored { replies: count });
    };
    let failed = format!(
        "{} of {count} commands failed; the first was {}",
        summary.errors,
        position(index, count, names)
    );
    Err(match frame {
        Frame::Error(line) => Error::server(&line).context(failed),
        _ => Error::protocol_msg(failed),
    })
}

/// `command 3 of 5 (INCR)`
pub(crate) fn position(index: usize, count: usize, names: &Names) -> String {
    let name = names.get(index).unwrap_or("?");
    format!("command {} of {count} ({name})", index + 1)
}

/// A pipeline: commands queued now, sent together by [`Execute::execute`].
///
/// Every typed command is available on it, and each adds its reply type to the tuple
/// `execute()` returns:
///
/// ```no_run
/// use sider::prelude::*;
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// let (a, b, c) = client
///     .pipeline()
///     .set("k", "v")
///     .get::<String>("k")
///     .incr("n")
///     .execute()
///     .await?;
/// let _: ((), Option<String>, i64) = (a, b, c);
/// # Ok(()) }
/// ```
///
/// Tuples go up to 48 commands; for more, or for a loop of commands, use [`Batch`], which
/// returns a `Vec`.
#[must_use = "a pipeline does nothing until executed"]
#[derive(Debug)]
pub struct Pipeline<'c, L = ()> {
    handle: &'c Handle,
    queue: Queue,
    list: PhantomData<fn() -> L>,
}

impl<'c> Pipeline<'c, ()> {
    pub(crate) fn new(handle: &'c Handle) -> Self {
        Pipeline {
            handle,
            queue: Queue::default(),
            list: PhantomData,
        }
    }
}

impl<'c, L> Pipeline<'c, L> {
    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.len() == 0
    }

    /// Loads `script` ahead of the pipeline's commands.
    pub(crate) fn preload(&mut self, script: &Script) {
        self.queue.preload(script);
    }
}

impl<'c, L> Dispatch for Pipeline<'c, L> {
    type Out<T: FromReply> = Pipeline<'c, (L, T)>;

    fn dispatch<T: FromReply>(mut self, cmd: Cmd) -> Pipeline<'c, (L, T)> {
        self.queue.push(cmd);
        Pipeline {
            handle: self.handle,
            queue: self.queue,
            list: PhantomData,
        }
    }

    fn new_cmd(&mut self, info: &'static CommandInfo) -> Cmd {
        self.queue.new_cmd(info)
    }
}

impl<L: ReplyList> Execute for Pipeline<'_, L> {
    type Output = L::Tuple;
    type Each = L::Each;

    async fn execute(self) -> Result<L::Tuple, Error> {
        let count = self.queue.len();
        let frames = send_many(self.handle, self.queue.buf, count, &self.queue.scripts).await?;
        L::decode(frames, &self.queue.names)
    }

    async fn execute_each(self) -> Result<L::Each, Error> {
        let count = self.queue.len();
        let frames = send_many(self.handle, self.queue.buf, count, &self.queue.scripts).await?;
        Ok(L::decode_each(frames, &self.queue.names))
    }

    async fn execute_ignore_results(self) -> Result<Ignored, Error> {
        send_discard(
            self.handle,
            self.queue.buf,
            &self.queue.names,
            &self.queue.scripts,
        )
        .await
    }
}

/// Decodes slot `index` of a batch of replies.
pub(crate) fn slot<T: FromReply>(
    frame: Option<Frame>,
    index: usize,
    count: usize,
    names: &Names,
) -> Result<T, Error> {
    let frame = frame.ok_or_else(|| {
        Error::protocol_msg(format!(
            "missing reply for {}",
            position(index, count, names)
        ))
    })?;
    crate::client::decode(frame).map_err(|e| e.context(position(index, count, names)))
}
