//! [`Cmd`]: one command, encoded as it is built.

use crate::args::{ToArg, ToArgs};
use crate::info::CommandInfo;
use crate::keys::{KeySpans, Keys};
use crate::resp;
use bytes::{Bytes, BytesMut};

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
    info: Option<&'static CommandInfo>,
    /// Argument index of the first key written with [`Cmd::push_key`], or 0.
    first_key: usize,
    /// Where every key written as a key is (for cluster routing).
    keys: KeySpans,
}

impl Cmd {
    /// Starts a command. `name` may hold several words (`"CONFIG GET"`); each becomes an argument.
    pub fn new(name: &'static str) -> Cmd {
        let mut cmd = Cmd {
            body: BytesMut::with_capacity(64),
            argc: 0,
            name,
            info: None,
            first_key: 0,
            keys: KeySpans::default(),
        };
        cmd.push_name(name);
        cmd
    }

    /// Writes the name's words (`"CONFIG GET"` is two arguments).
    #[inline]
    fn push_name(&mut self, name: &str) {
        if !name.contains(' ') {
            if !name.is_empty() {
                self.push_arg(name);
            }
            return;
        }
        for word in name.split(' ').filter(|w| !w.is_empty()) {
            self.push_arg(word);
        }
    }

    /// Starts a command the spec describes.
    pub fn from_info(info: &'static CommandInfo) -> Cmd {
        Cmd::from_info_in(info, BytesMut::with_capacity(64))
    }

    /// Starts a command the spec describes in a recycled buffer (cleared first).
    pub(crate) fn from_info_in(info: &'static CommandInfo, mut body: BytesMut) -> Cmd {
        body.clear();
        let mut cmd = Cmd {
            body,
            argc: 0,
            name: info.name(),
            info: Some(info),
            first_key: 0,
            keys: KeySpans::default(),
        };
        let (name, words) = info.encoded_name();
        cmd.body.extend_from_slice(name);
        cmd.argc = words;
        cmd
    }

    /// Gives the buffer back for reuse.
    pub(crate) fn into_buffer(self) -> BytesMut {
        self.body
    }

    /// An empty run of arguments, to be [`append`](Cmd::append)ed to a command later.
    /// Allocates nothing until written to.
    pub fn fragment() -> Cmd {
        Cmd {
            body: BytesMut::new(),
            argc: 0,
            name: "",
            info: None,
            first_key: 0,
            keys: KeySpans::default(),
        }
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

    /// Appends a key, remembering where the first key is (for cluster routing).
    #[inline]
    pub fn push_key(&mut self, key: &(impl ToArg + ?Sized)) {
        if self.keys.refused {
            return self.push_arg(key);
        }
        if self.first_key == 0 {
            self.first_key = self.argc;
        }
        let start = self.body.len();
        self.push_arg(key);
        self.keys.record(start, self.body.len(), 0, 1);
    }

    /// Appends keys.
    #[inline]
    pub fn push_keys(&mut self, keys: &(impl ToArgs + ?Sized)) {
        if self.first_key == 0 {
            self.first_key = self.argc;
        }
        let start = self.body.len();
        keys.write_args(self);
        if self.keys.refused {
            // Refused before or while these were written: a refused command has no keys.
            self.first_key = 0;
            return;
        }
        self.keys.record(start, self.body.len(), 0, 1);
    }

    /// Appends blocks of `width` arguments whose `key_at`-th argument is a key, such as `MSET`'s
    /// key/value pairs.
    ///
    /// ```
    /// let mut cmd = sider::Cmd::new("MSET");
    /// cmd.push_key_blocks(&[("a", 1), ("b", 2)], 2, 0);
    /// assert_eq!(cmd.keys().collect::<Vec<_>>(), [b"a", b"b"]);
    /// ```
    #[inline]
    pub fn push_key_blocks(
        &mut self,
        blocks: &(impl ToArgs + ?Sized),
        width: usize,
        key_at: usize,
    ) {
        let (start, argc) = (self.body.len(), self.argc);
        blocks.write_args(self);
        if self.keys.refused {
            return;
        }
        if self.argc > argc && self.first_key == 0 {
            self.first_key = argc + key_at;
        }
        self.keys.record(start, self.body.len(), key_at, width);
    }

    /// Replaces the command with one the server refuses, with `reason` in its error reply, for
    /// arguments found invalid while being written (a [`ToArgs`] impl cannot fail: a `Record`
    /// whose field is a list, say). The command then goes out as a single word, the reason,
    /// which no server knows, so the caller gets `ERR unknown command 'sider: <reason>'` in its
    /// reply's place, and a transaction holding it runs nothing (`EXECABORT`), just as a command
    /// without a name goes out as an empty one (see [`encode`](Cmd::encode)) rather than as no
    /// command at all. Arguments written later are sent after it and change nothing. Servers
    /// quote at most 128 bytes of the name back: keep `reason` short.
    #[cfg_attr(
        not(feature = "serde"),
        expect(
            dead_code,
            reason = "only a Record's arguments refuse, under feature serde"
        )
    )]
    pub(crate) fn refuse(&mut self, reason: impl std::fmt::Display) {
        self.body.clear();
        self.argc = 0;
        self.first_key = 0;
        self.keys.clear();
        self.keys.refused = true;
        self.push_arg(format!("sider: {reason}").as_str());
    }

    /// Appends a key, for commands built by hand that a cluster client should route by it.
    ///
    /// ```
    /// let cmd = sider::Cmd::new("GET").key("user:1");
    /// assert_eq!(cmd.keys().next(), Some(&b"user:1"[..]));
    /// ```
    #[must_use]
    pub fn key(mut self, key: impl ToArg) -> Cmd {
        self.push_key(&key);
        self
    }

    /// The arguments written as keys ([`push_key`](Cmd::push_key), [`key`](Cmd::key)...), in
    /// order; a cluster client routes by their hash slots.
    pub fn keys(&self) -> Keys<'_> {
        self.keys.keys(&self.body)
    }

    /// Appends the arguments of a [`fragment`](Cmd::fragment).
    #[inline]
    pub fn append(&mut self, fragment: Cmd) {
        if fragment.keys.refused {
            // The fragment's refusal replaces the whole command (see `refuse`).
            *self = Cmd {
                name: self.name,
                info: self.info,
                ..fragment
            };
            return;
        }
        if fragment.argc == 0 {
            return;
        }
        if self.keys.refused {
            self.body.extend_from_slice(&fragment.body);
            self.argc += fragment.argc;
            return;
        }
        if self.first_key == 0 && fragment.first_key != 0 {
            self.first_key = self.argc + fragment.first_key;
        }
        self.keys.append(&fragment.keys, self.body.len());
        if self.body.is_empty() {
            self.body = fragment.body;
        } else {
            self.body.extend_from_slice(&fragment.body);
        }
        self.argc += fragment.argc;
    }

    /// Removes every argument (for fragments that an option rewrites).
    pub fn clear(&mut self) {
        self.body.clear();
        self.argc = 0;
        self.first_key = 0;
        self.keys.clear();
    }

    /// The command's name as given to [`Cmd::new`].
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// What the spec says of this command, if it came from the spec.
    pub fn info(&self) -> Option<&'static CommandInfo> {
        self.info
    }

    /// How many arguments the command has, its name's words included.
    pub fn arg_count(&self) -> usize {
        self.argc
    }

    /// Argument index of the first key, when one was written as a key.
    pub fn first_key_index(&self) -> Option<usize> {
        (self.first_key != 0).then_some(self.first_key)
    }

    /// The encoded arguments (name included), as a cache key.
    pub(crate) fn body(&self) -> Bytes {
        Bytes::copy_from_slice(&self.body)
    }

    /// The encoded arguments (name included), in place.
    pub(crate) fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// The arguments as written (name words first), each without its `$<len>` header.
    pub(crate) fn written_args(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut rest = &self.body[..];
        std::iter::from_fn(move || {
            let header_end = rest.iter().position(|&b| b == b'\n')?;
            let len: usize = std::str::from_utf8(rest.get(1..header_end.checked_sub(1)?)?)
                .ok()?
                .parse()
                .ok()?;
            let data = rest.get(header_end + 1..header_end + 1 + len)?;
            rest = rest.get(header_end + 1 + len + 2..)?;
            Some(data)
        })
    }

    /// The bytes of the first key, when one was written as a key.
    pub(crate) fn first_key(&self) -> Option<Bytes> {
        let index = self.first_key_index()?;
        self.written_args().nth(index).map(Bytes::copy_from_slice)
    }

    /// Appends the command to `out` as it goes on the wire (a RESP array of bulk strings), for
    /// code that writes commands into a buffer of its own.
    ///
    /// ```
    /// let mut out = bytes::BytesMut::new();
    /// sider::Cmd::new("GET").arg("k").encode(&mut out);
    /// assert_eq!(&out[..], b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    /// ```
    ///
    /// A command without even a name (`Cmd::new("")`) goes out as one empty argument, a
    /// command named `""`, which a server answers with an error in its place: `*0` gets no
    /// reply at all, and would leave whoever waits for one waiting forever.
    #[inline]
    pub fn encode(&self, out: &mut BytesMut) {
        if self.argc == 0 {
            out.extend_from_slice(b"*1\r\n$0\r\n\r\n");
            return;
        }
        out.reserve(self.body.len() + 16);
        resp::put_array_header(out, self.argc);
        out.extend_from_slice(&self.body);
    }

    /// The command as it goes on the wire, in two parts: the array header, and the arguments
    /// (its own buffer, not copied).
    pub(crate) fn into_wire(self) -> (Bytes, Bytes) {
        let mut header = BytesMut::with_capacity(16);
        resp::put_array_header(&mut header, self.argc);
        (header.freeze(), self.body.freeze())
    }

    /// The array header that goes before [`body_bytes`](Cmd::body_bytes) on the wire.
    pub(crate) fn header(&self) -> resp::ArrayHeader {
        resp::ArrayHeader::new(self.argc)
    }

    /// About how many bytes the command takes on the wire.
    pub(crate) fn encoded_len(&self) -> usize {
        self.body.len() + 16
    }

    /// The command as it goes on the wire.
    pub fn to_bytes(&self) -> BytesMut {
        let mut out = BytesMut::with_capacity(self.body.len() + 16);
        self.encode(&mut out);
        out
    }
}
