//! [`Batch`]: a pipeline built in a loop, whose commands share one reply type.

use super::{position, send_discard, send_to_sink, Execute, Ignored, Queue};
use crate::cmd::Cmd;
use crate::conn::{Handle, ReplySink};
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::info::CommandInfo;
use crate::pipeline::Names;
use crate::reply::FromReply;
use crate::resp::Frame;
use crate::script::Script;
use bytes::BytesMut;
use std::marker::PhantomData;
use tokio::sync::oneshot;

/// A pipeline of any length whose commands all reply with `T`; `execute()` returns `Vec<T>`.
///
/// Each command is built by a closure on a [`Detached`] command builder, so the compiler checks
/// that its reply type is `T`:
///
/// ```no_run
/// use sider::prelude::*;
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// let items: Vec<String> = (0..10_000).map(|n| n.to_string()).collect();
///
/// let mut batch = client.batch();
/// for item in &items {
///     batch.push(|c| c.set(item, item));
/// }
/// batch.execute_ignore_results().await?;
///
/// let mut batch = client.batch();
/// for item in &items {
///     batch.push(|c| c.get(item));
/// }
/// let values: Vec<Option<String>> = batch.execute().await?;
/// # Ok(()) }
/// ```
#[must_use = "a batch does nothing until executed"]
#[derive(Debug)]
pub struct Batch<'c, T> {
    handle: &'c Handle,
    queue: Queue,
    /// Sent inside MULTI/EXEC.
    atomic: bool,
    reply: PhantomData<fn() -> T>,
}

impl<'c, T: FromReply> Batch<'c, T> {
    pub(crate) fn new(handle: &'c Handle) -> Self {
        Batch {
            handle,
            queue: Queue::default(),
            atomic: false,
            reply: PhantomData,
        }
    }

    /// A batch sent as one MULTI/EXEC transaction; `execute()` returns EXEC's replies.
    pub(crate) fn atomic(handle: &'c Handle) -> Self {
        Batch {
            handle,
            queue: Queue::multi(),
            atomic: true,
            reply: PhantomData,
        }
    }

    /// Sends the commands and decodes the replies, returning what decoding gave and the names
    /// (for error positions). An atomic batch's replies come in EXEC's array and `exec` decodes
    /// them here; a pipelined batch's are decoded by the driver as they arrive, through the
    /// sink `sink` builds for `count` replies, while the server still works on the rest, and no
    /// frame is kept.
    async fn decode<R>(
        self,
        exec: impl FnOnce(Vec<Frame>) -> R,
        sink: impl FnOnce(usize, oneshot::Sender<Result<R, Error>>) -> Box<dyn ReplySink>,
    ) -> Result<(R, Names), Error> {
        if self.atomic {
            let (frames, names) = super::transaction::exec(self.handle, self.queue).await?;
            return Ok((exec(frames), names));
        }
        let Queue {
            buf,
            names,
            scripts,
            ..
        } = self.queue;
        let count = names.len();
        let decoded = send_to_sink(self.handle, buf, count, &scripts, |tx| sink(count, tx)).await?;
        Ok((decoded, names))
    }

    /// Queues the command the closure builds; its reply type must be `T`.
    pub fn push<C: IntoTyped<T>>(&mut self, build: impl FnOnce(Detached) -> C) -> &mut Self {
        let detached = Detached {
            scratch: std::mem::take(&mut self.queue.scratch),
        };
        let typed = build(detached).into_typed();
        if let Some(script) = &typed.script {
            self.queue.preload(script);
        }
        self.queue.push(typed.cmd);
        self
    }

    /// Queues a command built by hand; its reply is decoded as `T`.
    pub fn push_cmd(&mut self, cmd: Cmd) -> &mut Self {
        self.queue.push(cmd);
        self
    }

    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.len() == 0
    }
}

impl<T: FromReply + Send + 'static> Execute for Batch<'_, T> {
    type Output = Vec<T>;
    type Each = Vec<Result<T, Error>>;

    async fn execute(self) -> Result<Vec<T>, Error> {
        let (decoded, names) = self
            .decode(
                |frames| {
                    let replies = frames.into_iter().map(crate::client::decode::<T>);
                    replies
                        .enumerate()
                        .map(|(i, reply)| reply.map_err(|err| (i, err)))
                        .collect()
                },
                |count, tx| {
                    Box::new(Values::<T> {
                        values: Vec::with_capacity(count),
                        first_error: None,
                        seen: 0,
                        tx: Some(tx),
                    })
                },
            )
            .await?;
        decoded.map_err(|(index, err)| err.context(position(index, names.len(), &names)))
    }

    async fn execute_each(self) -> Result<Vec<Result<T, Error>>, Error> {
        let (results, names) = self
            .decode(
                |frames| frames.into_iter().map(crate::client::decode).collect(),
                |count, tx| {
                    Box::new(Each::<T> {
                        results: Vec::with_capacity(count),
                        tx: Some(tx),
                    })
                },
            )
            .await?;
        let count = names.len();
        Ok(results
            .into_iter()
            .enumerate()
            .map(|(index, result)| {
                result.map_err(|err| err.context(position(index, count, &names)))
            })
            .collect())
    }

    async fn execute_ignore_results(self) -> Result<Ignored, Error> {
        if self.atomic {
            let (replies, names) = super::transaction::exec(self.handle, self.queue).await?;
            return super::transaction::ignored(&replies, &names);
        }
        send_discard(
            self.handle,
            self.queue.buf,
            &self.queue.names,
            &self.queue.scripts,
        )
        .await
    }
}

/// A command builder not tied to a connection: its commands become [`Typed`] values, for
/// [`Batch::push`].
#[derive(Debug, Default)]
pub struct Detached {
    scratch: BytesMut,
}

impl Detached {
    /// A builder that writes its command into a recycled buffer (cleared first).
    #[cfg(feature = "cluster")]
    pub(crate) fn with_scratch(scratch: BytesMut) -> Detached {
        Detached { scratch }
    }
}

impl Dispatch for Detached {
    type Out<T: FromReply> = Typed<T>;

    fn dispatch<T: FromReply>(self, cmd: Cmd) -> Typed<T> {
        Typed {
            cmd,
            script: None,
            reply: PhantomData,
        }
    }

    fn new_cmd(&mut self, info: &'static CommandInfo) -> Cmd {
        Cmd::from_info_in(info, std::mem::take(&mut self.scratch))
    }
}

/// A command whose reply decodes into `T`.
#[derive(Debug)]
pub struct Typed<T> {
    cmd: Cmd,
    /// The script an `EVALSHA` command runs, for the batch to load first.
    script: Option<Script>,
    reply: PhantomData<fn() -> T>,
}

impl<T> Typed<T> {
    pub(crate) fn with_script(cmd: Cmd, script: Script) -> Self {
        Typed {
            cmd,
            script: Some(script),
            reply: PhantomData,
        }
    }

    /// The command. A script call's command is an `EVALSHA` that counts on the batch to load
    /// its script first; sent on its own it may meet `NOSCRIPT`.
    pub fn into_cmd(self) -> Cmd {
        self.cmd
    }

    /// The command and the script it runs, if any, for a cluster batch to load on every node
    /// it sends the command to.
    #[cfg(feature = "cluster")]
    pub(crate) fn into_parts(self) -> (Cmd, Option<Script>) {
        (self.cmd, self.script)
    }
}

/// A typed command, or a builder that finishes into one.
#[diagnostic::on_unimplemented(
    message = "this command's reply is not the batch's reply type `{T}`",
    label = "every command in a batch must have the same reply type"
)]
pub trait IntoTyped<T> {
    /// Finishes into the typed command.
    fn into_typed(self) -> Typed<T>;
}

impl<T> IntoTyped<T> for Typed<T> {
    fn into_typed(self) -> Typed<T> {
        self
    }
}

impl<B, T> IntoTyped<T> for B
where
    B: crate::__private::Builder,
    B::Done: IntoTyped<T>,
{
    fn into_typed(self) -> Typed<T> {
        self.finish().into_typed()
    }
}

/// What [`Values`] hands back: every decoded reply, or the first that failed with its index.
type Decoded<T> = Result<Vec<T>, (usize, Error)>;

/// Decodes a batch's replies into `T` as they arrive; after the first failure only counts.
struct Values<T> {
    values: Vec<T>,
    first_error: Option<(usize, Error)>,
    seen: usize,
    tx: Option<oneshot::Sender<Result<Decoded<T>, Error>>>,
}

/// Decodes one reply on the connection's task. A `FromReply` impl of the user's that panics
/// fails this reply instead of the connection, which every other caller shares.
fn decode_on_driver<T: FromReply>(frame: Frame) -> Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::client::decode(frame)
    }))
    .unwrap_or_else(|_| {
        Err(Error::reply(crate::ReplyError::invalid(
            std::any::type_name::<T>(),
            "a reply its FromReply impl panicked on",
        )))
    })
}

impl<T: FromReply + Send> ReplySink for Values<T> {
    fn push(&mut self, frame: Frame) {
        if self.first_error.is_none() {
            match decode_on_driver(frame) {
                Ok(value) => self.values.push(value),
                Err(err) => {
                    self.first_error = Some((self.seen, err));
                    self.values = Vec::new();
                }
            }
        }
        self.seen += 1;
    }

    fn finish(mut self: Box<Self>) {
        let decoded = match self.first_error.take() {
            None => Ok(std::mem::take(&mut self.values)),
            Some(failed) => Err(failed),
        };
        if let Some(tx) = self.tx.take() {
            drop(tx.send(Ok(decoded)));
        }
    }

    fn fail(mut self: Box<Self>, err: Error) {
        if let Some(tx) = self.tx.take() {
            drop(tx.send(Err(err)));
        }
    }
}

/// Every reply's own result, or the connection's error.
type EachResult<T> = Result<Vec<Result<T, Error>>, Error>;

/// Decodes a batch's replies into each one's own `Result` as they arrive.
struct Each<T> {
    results: Vec<Result<T, Error>>,
    tx: Option<oneshot::Sender<EachResult<T>>>,
}

impl<T: FromReply + Send> ReplySink for Each<T> {
    fn push(&mut self, frame: Frame) {
        self.results.push(decode_on_driver(frame));
    }

    fn finish(mut self: Box<Self>) {
        if let Some(tx) = self.tx.take() {
            drop(tx.send(Ok(std::mem::take(&mut self.results))));
        }
    }

    fn fail(mut self: Box<Self>, err: Error) {
        if let Some(tx) = self.tx.take() {
            drop(tx.send(Err(err)));
        }
    }
}
