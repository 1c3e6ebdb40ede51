//! [`Cmd`]: one command, encoded as it is built.

use crate::args::{ToArg, ToArgs};
use crate::resp;
use bytes::BytesMut;

/// A command under construction: its name and arguments, already encoded as RESP bulk strings.
///
/// This is the untyped escape hatch for commands the spec does not know (a module's, a newer
/// server's): build it by name, then send it with [`Client::send`](crate::Client::send) and
/// decode the reply into any [`FromReply`](crate::FromReply) type.
///
/// ```
/// use sider::Cmd;
///
/// let cmd = Cmd::new("SET").arg("key").arg(42);
/// assert_eq!(cmd.name(), "SET");
/// assert_eq!(cmd.arg_count(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct Cmd {
    /// The name and arguments as consecutive bulk strings, without the array header.
    body: BytesMut,
    argc: usize,
    name: &'static str,
}

impl Cmd {
    /// Starts a command. `name` may hold several words (`"CONFIG GET"`); each becomes an argument.
    pub fn new(name: &'static str) -> Cmd {
        Cmd::with_buffer(name, BytesMut::with_capacity(64))
    }

    /// Starts a command in a buffer the caller recycles (cleared first).
    pub(crate) fn with_buffer(name: &'static str, mut body: BytesMut) -> Cmd {
        body.clear();
        let mut cmd = Cmd {
            body,
            argc: 0,
            name,
        };
        for word in name.split(' ').filter(|w| !w.is_empty()) {
            cmd.push_arg(word);
        }
        cmd
    }

    /// Appends one argument.
    #[must_use]
    pub fn arg(mut self, arg: impl ToArg) -> Cmd {
        self.push_arg(&arg);
        self
    }

    /// Appends any number of arguments: a value, a slice, a tuple...
    #[must_use]
    pub fn args(mut self, args: impl ToArgs) -> Cmd {
        args.write_args(&mut self);
        self
    }

    /// Appends one argument in place.
    #[inline]
    pub fn push_arg(&mut self, arg: &(impl ToArg + ?Sized)) {
        arg.write_arg(&mut self.body);
        self.argc += 1;
    }

    /// Appends any number of arguments in place.
    #[inline]
    pub fn push_args(&mut self, args: &(impl ToArgs + ?Sized)) {
        args.write_args(self);
    }

    /// The command's name as given to [`Cmd::new`].
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How many arguments the command has, its name's words included.
    pub fn arg_count(&self) -> usize {
        self.argc
    }

    /// Appends the command to `out` as a RESP array.
    #[inline]
    pub(crate) fn encode(&self, out: &mut BytesMut) {
        out.reserve(self.body.len() + 16);
        resp::put_array_header(out, self.argc);
        out.extend_from_slice(&self.body);
    }

    /// Gives the buffer back for reuse.
    pub(crate) fn into_buffer(self) -> BytesMut {
        self.body
    }

    /// The command as it goes on the wire.
    pub fn to_bytes(&self) -> BytesMut {
        let mut out = BytesMut::with_capacity(self.body.len() + 16);
        self.encode(&mut out);
        out
    }
}
