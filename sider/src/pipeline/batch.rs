//! [`Batch`]: a pipeline built in a loop, whose commands share one reply type.

use super::{send_discard, send_many, slot, Execute, Ignored, Queue};
use crate::cmd::Cmd;
use crate::conn::Handle;
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::info::CommandInfo;
use crate::reply::FromReply;
use crate::resp::Frame;
use crate::script::Script;
use bytes::BytesMut;
use std::marker::PhantomData;

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

    /// Sends the commands; returns the replies (EXEC's, for an atomic batch) and the names.
    async fn replies(self) -> Result<(Vec<Frame>, Vec<&'static str>), Error> {
        if self.atomic {
            return super::transaction::exec(self.handle, self.queue).await;
        }
        let count = self.queue.len();
        let frames = send_many(self.handle, self.queue.buf, count, &self.queue.scripts).await?;
        Ok((frames, self.queue.names))
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

impl<T: FromReply> Execute for Batch<'_, T> {
    type Output = Vec<T>;
    type Each = Vec<Result<T, Error>>;

    async fn execute(self) -> Result<Vec<T>, Error> {
        let (frames, names) = self.replies().await?;
        let (count, names) = (frames.len(), &names);
        frames
            .into_iter()
            .enumerate()
            .map(|(i, frame)| slot(Some(frame), i, count, names))
            .collect()
    }

    async fn execute_each(self) -> Result<Vec<Result<T, Error>>, Error> {
        let (frames, names) = self.replies().await?;
        let (count, names) = (frames.len(), &names);
        Ok(frames
            .into_iter()
            .enumerate()
            .map(|(i, frame)| slot(Some(frame), i, count, names))
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
