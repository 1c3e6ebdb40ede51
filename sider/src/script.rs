//! [`Script`]: a Lua script run by its SHA1 digest (`EVALSHA`), loaded on demand, on a client,
//! a connection, and inside pipelines and transactions; [`Invoke`] is where it runs.
//!
//! Imports from `cmd`, `args`, `reply`, `error`, `client`, `connection` and `pipeline`: a script
//! runs in each of the places commands run, so it sits beside them rather than below.

use crate::args::{ToArg, ToArgs};
use crate::client::{CallFuture, Client};
use crate::cmd::Cmd;
use crate::connection::Connection;
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::pipeline::{Detached, Pipeline, Transaction, Typed};
use crate::reply::FromReply;
use crate::target::Target;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A Lua script, identified by the SHA1 digest of its source.
///
/// Build it once (it is a cheap `Clone`), then run it with [`Invoke::invoke`] on a client, a
/// connection, a pipeline or a transaction. Keys and arguments are any [`ToArg`] values, and the
/// reply decodes into the type you pick, like any command's:
///
/// ```no_run
/// use sider::prelude::*;
/// use sider::Script;
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// let add = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
/// let n: i64 = client.invoke(add.key("counter").arg(5)).await?;
///
/// // In a pipeline the script is loaded ahead of the pipeline's commands.
/// let (a, b) = client
///     .pipeline()
///     .invoke::<i64>(add.key("counter").arg(1))
///     .invoke::<i64>(add.key("other").arg(2))
///     .execute()
///     .await?;
/// # Ok(()) }
/// ```
///
/// # Loading
///
/// How the script gets into the server's script cache depends on where it runs:
///
/// - On a [`Client`] or a [`Connection`], `EVALSHA` goes first. When the server answers
///   `NOSCRIPT` (its cache was flushed, it restarted, or it is another server), sider sends
///   `SCRIPT LOAD` and the same `EVALSHA` again, back to back in one round trip, and returns that
///   reply. The caller sees one call.
/// - In a [`Pipeline`], [`Transaction`] or [`Batch`](crate::Batch), no reply can be looked at
///   before the rest is sent, so nothing could be retried. Instead the pipeline sends one
///   `SCRIPT LOAD` for each distinct script it holds, ahead of its own commands on the same
///   connection, and then its commands, `EVALSHA` included. Redis runs a connection's commands
///   in order, so every `EVALSHA` finds its script (unless another client runs `SCRIPT FLUSH`
///   in between). A script that does not compile fails the whole `execute` with the
///   `SCRIPT LOAD` error.
///
/// `SCRIPT LOAD` rather than `EVAL` in both cases: scripts loaded that way stay in the cache until
/// `SCRIPT FLUSH`, while Redis 7.4 evicts scripts that came in through `EVAL`, and a pipeline
/// sends each source once however many calls it makes.
#[derive(Clone)]
pub struct Script(Arc<Inner>);

struct Inner {
    source: String,
    sha1: String,
}

impl Script {
    /// Wraps a script's source and computes its SHA1 digest. Nothing is sent until it runs.
    pub fn new(source: impl Into<String>) -> Script {
        let source = source.into();
        let sha1 = sha1_smol::Sha1::from(source.as_bytes())
            .digest()
            .to_string();
        Script(Arc::new(Inner { source, sha1 }))
    }

    /// The SHA1 digest of the source, in lower-case hex, as `EVALSHA` and `SCRIPT LOAD` name it.
    ///
    /// ```
    /// let script = sider::Script::new("return 1");
    /// assert_eq!(script.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    /// ```
    pub fn sha1(&self) -> &str {
        &self.0.sha1
    }

    /// The Lua source.
    pub fn source(&self) -> &str {
        &self.0.source
    }

    /// Starts a call with no keys and no arguments; `&script` converts to the same call.
    pub fn call(&self) -> ScriptCall {
        ScriptCall {
            script: self.clone(),
            keys: Cmd::fragment(),
            args: Cmd::fragment(),
            read_only: false,
        }
    }

    /// Starts a call with one key (the script's `KEYS[1]`).
    pub fn key(&self, key: impl ToArg) -> ScriptCall {
        self.call().key(key)
    }

    /// Starts a call with keys: a slice, array, `Vec` or tuple of them.
    pub fn keys(&self, keys: impl ToArgs) -> ScriptCall {
        self.call().keys(keys)
    }

    /// Starts a call with one argument (the script's `ARGV[1]`) and no keys.
    pub fn arg(&self, arg: impl ToArg) -> ScriptCall {
        self.call().arg(arg)
    }

    /// Starts a call with arguments and no keys.
    pub fn args(&self, args: impl ToArgs) -> ScriptCall {
        self.call().args(args)
    }

    /// `SCRIPT LOAD` with this script's source.
    pub(crate) fn load_cmd(&self) -> Cmd {
        let mut cmd = Cmd::from_info(crate::info::spec!("SCRIPT LOAD"));
        cmd.push_arg(self.source());
        cmd
    }
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script")
            .field("sha1", &self.sha1())
            .field("source_len", &self.source().len())
            .finish()
    }
}

/// One run of a [`Script`]: its keys and arguments, encoded as they are added. Hand it to
/// [`Invoke::invoke`].
///
/// Keys go in `KEYS`, arguments in `ARGV`, each in the order added, whatever order the calls
/// come in.
#[derive(Clone, Debug)]
#[must_use = "a script call does nothing until invoked"]
pub struct ScriptCall {
    script: Script,
    keys: Cmd,
    args: Cmd,
    read_only: bool,
}

impl ScriptCall {
    /// Adds a key.
    pub fn key(mut self, key: impl ToArg) -> ScriptCall {
        self.keys.push_key(&key);
        self
    }

    /// Adds keys: a slice, array, `Vec` or tuple of them.
    pub fn keys(mut self, keys: impl ToArgs) -> ScriptCall {
        self.keys.push_keys(&keys);
        self
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl ToArg) -> ScriptCall {
        self.args.push_arg(&arg);
        self
    }

    /// Adds arguments: a slice, array, `Vec` or tuple of them.
    pub fn args(mut self, args: impl ToArgs) -> ScriptCall {
        self.args.push_args(&args);
        self
    }

    /// Runs the script with `EVALSHA_RO` (Redis 7.0 and later): the server refuses any write
    /// the script attempts, and the call may go to a replica.
    pub fn read_only(mut self) -> ScriptCall {
        self.read_only = true;
        self
    }

    /// The script this call runs.
    pub fn script(&self) -> &Script {
        &self.script
    }

    /// Splits the call into its script and its `EVALSHA` command.
    fn into_parts(self) -> (Script, Cmd) {
        let info = if self.read_only {
            crate::info::spec!("EVALSHA_RO")
        } else {
            crate::info::spec!("EVALSHA")
        };
        let mut cmd = Cmd::from_info(info);
        cmd.push_arg(self.script.sha1());
        cmd.push_arg(&self.keys.arg_count());
        cmd.append(self.keys);
        cmd.append(self.args);
        (self.script, cmd)
    }
}

impl From<&Script> for ScriptCall {
    fn from(script: &Script) -> ScriptCall {
        script.call()
    }
}

/// A place a [`Script`] runs: the client, a connection held alone, a pipeline, a transaction, or
/// a batch's command builder. In scope with `use sider::prelude::*`.
///
/// `Out<T>` is what [`invoke`](Invoke::invoke) returns there: on a client or a connection, a
/// future of `Result<T, Error>`; in a pipeline, the pipeline with `T` added to its reply tuple.
/// See [`Script`] for how each place loads the script.
pub trait Invoke: Sized {
    /// What a script call whose reply decodes into `T` becomes here.
    type Out<T: FromReply>;

    /// Runs `call` (a [`ScriptCall`], or `&script` for no keys and arguments) with `EVALSHA`,
    /// loading the script when the server lacks it; its reply decodes into `T`.
    ///
    /// # Errors
    ///
    /// The script's own error (a Lua error, a `redis.error_reply`), `SCRIPT LOAD`'s error when the
    /// source does not compile, or a reply that does not decode into `T`.
    fn invoke<T: FromReply>(self, call: impl Into<ScriptCall>) -> Self::Out<T>;
}

impl<'a> Invoke for &'a Client {
    type Out<T: FromReply> = ScriptFuture<'a, T>;

    fn invoke<T: FromReply>(self, call: impl Into<ScriptCall>) -> ScriptFuture<'a, T> {
        ScriptFuture::new(Target::Client(self), call.into())
    }
}

impl<'a> Invoke for &'a mut Connection {
    type Out<T: FromReply> = ScriptFuture<'a, T>;

    fn invoke<T: FromReply>(self, call: impl Into<ScriptCall>) -> ScriptFuture<'a, T> {
        ScriptFuture::new(Target::Connection(self), call.into())
    }
}

impl<'c, L> Invoke for Pipeline<'c, L> {
    type Out<T: FromReply> = Pipeline<'c, (L, T)>;

    fn invoke<T: FromReply>(mut self, call: impl Into<ScriptCall>) -> Self::Out<T> {
        let (script, cmd) = call.into().into_parts();
        self.preload(&script);
        self.dispatch(cmd)
    }
}

impl<'c, L> Invoke for Transaction<'c, L> {
    type Out<T: FromReply> = Transaction<'c, (L, T)>;

    fn invoke<T: FromReply>(mut self, call: impl Into<ScriptCall>) -> Self::Out<T> {
        let (script, cmd) = call.into().into_parts();
        self.preload(&script);
        self.dispatch(cmd)
    }
}

/// In a [`Batch`](crate::Batch): `batch.push(|c| c.invoke(script.key(k)))`.
impl Invoke for Detached {
    type Out<T: FromReply> = Typed<T>;

    fn invoke<T: FromReply>(self, call: impl Into<ScriptCall>) -> Typed<T> {
        let (script, cmd) = call.into().into_parts();
        Typed::with_script(cmd, script)
    }
}

/// A command builder inside a pipeline finishes itself, then queues the script call.
impl<B> Invoke for B
where
    B: crate::__private::Builder,
    B::Done: Invoke,
{
    type Out<T: FromReply> = <B::Done as Invoke>::Out<T>;

    fn invoke<T: FromReply>(self, call: impl Into<ScriptCall>) -> Self::Out<T> {
        self.finish().invoke(call)
    }
}

/// The future of a script call on a client or a connection: `EVALSHA`, and on `NOSCRIPT`,
/// `SCRIPT LOAD` plus `EVALSHA` again in one round trip.
///
/// Nothing is sent until it is first polled. Dropping it midway is safe: replies still owed are
/// read and discarded by the connection.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct ScriptFuture<'a, T> {
    target: Target<'a>,
    state: State<T>,
}

#[derive(Debug)]
enum State<T> {
    /// Not sent yet.
    Start {
        script: Script,
        cmd: Cmd,
    },
    /// `EVALSHA` sent; `retry` is a copy to send again after loading the script.
    First {
        script: Script,
        retry: Cmd,
        reply: CallFuture<T>,
    },
    /// `SCRIPT LOAD` and `EVALSHA` sent together.
    Retry {
        load: Option<CallFuture<()>>,
        reply: CallFuture<T>,
    },
    Done,
}

impl<'a, T> ScriptFuture<'a, T> {
    fn new(target: Target<'a>, call: ScriptCall) -> Self {
        let (script, cmd) = call.into_parts();
        ScriptFuture {
            target,
            state: State::Start { script, cmd },
        }
    }
}

fn is_noscript(err: &Error) -> bool {
    err.server_error().is_some_and(|e| e.code() == "NOSCRIPT")
}

impl<T: FromReply> Future for ScriptFuture<'_, T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Start { script, cmd } => {
                    // The copy costs one small allocation; the arguments were encoded from
                    // borrowed values that are gone by now, so they cannot be written again.
                    let retry = cmd.clone();
                    let reply = this.target.send(cmd);
                    this.state = State::First {
                        script,
                        retry,
                        reply,
                    };
                }
                State::First {
                    script,
                    retry,
                    mut reply,
                } => match Pin::new(&mut reply).poll(cx) {
                    Poll::Pending => {
                        this.state = State::First {
                            script,
                            retry,
                            reply,
                        };
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(e)) if is_noscript(&e) => {
                        // Both go out before either reply is awaited: one round trip, and the
                        // connection runs them in order.
                        let load = this.target.send(script.load_cmd());
                        let reply = this.target.send(retry);
                        this.state = State::Retry {
                            load: Some(load),
                            reply,
                        };
                    }
                    Poll::Ready(result) => return Poll::Ready(result),
                },
                State::Retry {
                    mut load,
                    mut reply,
                } => {
                    if let Some(pending) = &mut load {
                        match Pin::new(pending).poll(cx) {
                            Poll::Pending => {
                                this.state = State::Retry { load, reply };
                                return Poll::Pending;
                            }
                            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                            Poll::Ready(Ok(())) => load = None,
                        }
                    }
                    return match Pin::new(&mut reply).poll(cx) {
                        Poll::Pending => {
                            this.state = State::Retry { load, reply };
                            Poll::Pending
                        }
                        Poll::Ready(result) => Poll::Ready(result),
                    };
                }
                State::Done => {
                    return Poll::Ready(Err(Error::closed(
                        "a script future was polled after it completed",
                    )))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evalsha_carries_the_digest_the_key_count_and_the_keys() {
        let script = Script::new("return 1");
        let (_, cmd) = script
            .arg("x")
            .keys(["a", "b"])
            .arg(7)
            .read_only()
            .into_parts();
        let mut want = Cmd::new("EVALSHA_RO")
            .arg(script.sha1())
            .arg(2)
            .arg("a")
            .arg("b")
            .arg("x")
            .arg(7);
        assert_eq!(cmd.to_bytes(), want.to_bytes());
        // The keys are recorded as keys, for routing by hash slot.
        assert_eq!(cmd.keys().collect::<Vec<_>>(), [b"a", b"b"]);
        want = Cmd::new("SCRIPT LOAD").arg("return 1");
        assert_eq!(script.load_cmd().to_bytes(), want.to_bytes());
    }
}
