//! What generated code calls. Not part of the public API: no semver guarantees.

use crate::cmd::Cmd;
use crate::dispatch::Dispatch;
use crate::reply::FromReply;

pub use crate::pipeline::Names;
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

/// Whole seconds: of a duration, or a number given in seconds.
pub fn secs<T: crate::TimeSpan + ?Sized>(t: &T) -> i64 {
    t.__whole(crate::args::Unit::Seconds)
}

/// Whole milliseconds: of a duration, or a number given in milliseconds.
pub fn millis<T: crate::TimeSpan + ?Sized>(t: &T) -> i64 {
    t.__whole(crate::args::Unit::Millis)
}

/// Fractional seconds: of a duration, or a number given in seconds.
pub fn fsecs<T: crate::TimeSpan + ?Sized>(t: &T) -> f64 {
    t.__fractional_secs()
}

/// Seconds since the Unix epoch (negative before it).
pub fn unix_secs<T: crate::Timestamp + ?Sized>(t: &T) -> i64 {
    t.__since_epoch(crate::args::Unit::Seconds)
}

/// Milliseconds since the Unix epoch (negative before it).
pub fn unix_millis<T: crate::Timestamp + ?Sized>(t: &T) -> i64 {
    t.__since_epoch(crate::args::Unit::Millis)
}

/// The bytes of one argument, for the generated enums that hold a payload (`XaddId::Id`) and
/// take it as any [`ToArg`](crate::ToArg): written as a bulk string, then cut out of it.
pub fn arg_bytes<T: crate::ToArg + ?Sized>(arg: &T) -> Bytes {
    let mut out = bytes::BytesMut::new();
    arg.write_arg(&mut out);
    // `$<len>\r\n<bytes>\r\n`
    let start = out.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    let end = out.len().saturating_sub(2).max(start);
    out.freeze().slice(start..end)
}

/// Reads a flag parameter whether it is a `bool` or a `&bool`.
pub fn flag(b: &bool) -> bool {
    *b
}

/// An option's arguments, held apart until the command is finished (options may be set in any
/// order, and setting one again replaces it). Nothing is built until an option is set, so a
/// command whose options stay unset pays for none of them, and a builder stays small to move.
#[derive(Debug, Default)]
pub struct Frag(Option<Box<Cmd>>);

impl Frag {
    /// No arguments yet.
    #[inline]
    pub fn new() -> Frag {
        Frag(None)
    }

    #[inline]
    fn cmd(&mut self) -> &mut Cmd {
        self.0.get_or_insert_with(|| Box::new(Cmd::fragment()))
    }

    /// See [`Cmd::push_arg`].
    #[inline]
    pub fn push_arg(&mut self, arg: &(impl crate::ToArg + ?Sized)) {
        self.cmd().push_arg(arg);
    }

    /// See [`Cmd::push_args`].
    #[inline]
    pub fn push_args(&mut self, args: &(impl crate::ToArgs + ?Sized)) {
        self.cmd().push_args(args);
    }

    /// See [`Cmd::push_key`].
    #[inline]
    pub fn push_key(&mut self, key: &(impl crate::ToArg + ?Sized)) {
        self.cmd().push_key(key);
    }

    /// See [`Cmd::push_keys`].
    #[inline]
    pub fn push_keys(&mut self, keys: &(impl crate::ToArgs + ?Sized)) {
        self.cmd().push_keys(keys);
    }

    /// See [`Cmd::push_key_blocks`].
    #[inline]
    pub fn push_key_blocks(
        &mut self,
        blocks: &(impl crate::ToArgs + ?Sized),
        width: usize,
        key_at: usize,
    ) {
        self.cmd().push_key_blocks(blocks, width, key_at);
    }

    /// See [`Cmd::append`].
    #[inline]
    pub fn append(&mut self, fragment: Cmd) {
        self.cmd().append(fragment);
    }

    /// How many arguments are held.
    #[inline]
    pub fn arg_count(&self) -> usize {
        self.0.as_ref().map_or(0, |cmd| cmd.arg_count())
    }

    /// Drops every argument held (an option set again replaces its earlier value).
    #[inline]
    pub fn clear(&mut self) {
        if let Some(cmd) = &mut self.0 {
            cmd.clear();
        }
    }

    /// Appends the arguments held to `cmd`.
    #[inline]
    pub fn append_to(self, cmd: &mut Cmd) {
        if let Some(fragment) = self.0 {
            cmd.append(*fragment);
        }
    }
}
