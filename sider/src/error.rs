//! sider's one error type, and the reply-decoding error it wraps.
//!
//! [`Error`] is a single boxed pointer so that `Result<T, Error>` stays small on the hot path. Its
//! [`kind`](Error::kind) says what went wrong; [`server_error`](Error::server_error) gives the
//! server's code and message when Redis refused a command. `Display` describes this level only;
//! the underlying cause (an `io::Error`, a protocol violation) is in [`source`](std::error::Error::source).

use crate::resp::{Frame, ProtocolError};
use std::fmt;
use std::sync::Arc;

/// What kind of failure an [`Error`] is.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Reading from or writing to the socket failed, or connecting did.
    Io,
    /// The connection closed (or was closed by the client) before the reply arrived.
    Closed,
    /// The server sent bytes that break the RESP protocol; the connection was dropped.
    Protocol,
    /// The server answered with an error reply (`-ERR ...`, `-WRONGTYPE ...`).
    Server,
    /// The reply arrived but does not decode into the requested Rust type.
    Reply,
    /// No reply arrived within the configured timeout.
    Timeout,
    /// The URL or configuration is invalid, or names a feature this build lacks.
    Config,
    /// The server refused the credentials or the protocol handshake.
    Auth,
    /// A transaction did not run because a `WATCH`ed key changed; retrying may succeed.
    Aborted,
    /// A cluster command, transaction or pipeline slot whose keys hash to different slots; it
    /// was not sent. Give the keys a common `{hash tag}`, or split the command per slot.
    CrossSlot,
    /// Too many commands wait to be written (the server is slower than the producers); the
    /// command was not sent. Retry after a pause, or shed load.
    Busy,
    /// TLS failed: the server's certificate is not trusted (or names another host), the server
    /// refused the client's certificate (or its absence), or the TLS session broke.
    Tls,
}

/// An error reply from the server: its code (the first word, such as `WRONGTYPE`, `NOSCRIPT`,
/// `MOVED`) and the rest of its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerError {
    code: String,
    message: String,
}

impl ServerError {
    pub(crate) fn parse(line: &[u8]) -> ServerError {
        let line = String::from_utf8_lossy(line);
        match line.split_once(' ') {
            Some((code, message)) => ServerError {
                code: code.to_owned(),
                message: message.to_owned(),
            },
            None => ServerError {
                code: line.into_owned(),
                message: String::new(),
            },
        }
    }

    /// The error code, e.g. `"ERR"`, `"WRONGTYPE"`, `"NOSCRIPT"`, `"MOVED"`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message after the code.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.code)
        } else {
            write!(f, "{} {}", self.code, self.message)
        }
    }
}

impl std::error::Error for ServerError {}

/// A reply that does not decode into the requested type: what was expected and what arrived.
///
/// ```
/// use sider::{FromReply, Value};
///
/// let err = i64::from_reply(Value::Array(vec![Value::Null])).unwrap_err();
/// assert_eq!(err.to_string(), "expected integer, got array (1 elements)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyError {
    /// Where in the reply, e.g. "field `age`"; empty for the reply as a whole.
    place: String,
    detail: Detail,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Detail {
    Mismatch {
        expected: &'static str,
        got: String,
    },
    /// A decoder's own sentence (serde's "missing field `age`").
    Message(String),
}

impl ReplyError {
    /// A mismatch between the `expected` shape and the frame that arrived.
    pub fn unexpected(expected: &'static str, got: &Frame) -> ReplyError {
        ReplyError::invalid(expected, got.describe())
    }

    /// A mismatch described in words, for values whose content (not shape) is wrong.
    pub fn invalid(expected: &'static str, got: impl fmt::Display) -> ReplyError {
        ReplyError {
            place: String::new(),
            detail: Detail::Mismatch {
                expected,
                got: got.to_string(),
            },
        }
    }

    /// A failure described in a sentence of its own, for decoders built on another library
    /// (such as serde) whose errors are not shape mismatches.
    ///
    /// ```
    /// let err = sider::ReplyError::message("missing field `age`");
    /// assert_eq!(err.to_string(), "missing field `age`");
    /// ```
    pub fn message(text: impl fmt::Display) -> ReplyError {
        ReplyError {
            place: String::new(),
            detail: Detail::Message(text.to_string()),
        }
    }

    /// Says where in the reply the failure is, such as a field of a record; a later call names
    /// an outer place and goes first.
    ///
    /// ```
    /// let err = sider::ReplyError::invalid("integer", "\"abc\"").at("field `age`");
    /// assert_eq!(err.to_string(), "field `age`: expected integer, got \"abc\"");
    /// ```
    #[must_use]
    pub fn at(mut self, place: impl fmt::Display) -> ReplyError {
        self.place = if self.place.is_empty() {
            place.to_string()
        } else {
            format!("{place}: {}", self.place)
        };
        self
    }

    /// What the decoder expected, e.g. `"integer"`; empty for a [`message`](Self::message).
    pub fn expected(&self) -> &str {
        match &self.detail {
            Detail::Mismatch { expected, .. } => expected,
            Detail::Message(_) => "",
        }
    }

    /// Where in the reply the failure is (see [`at`](Self::at)); empty for the whole reply.
    pub fn place(&self) -> &str {
        &self.place
    }
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.place.is_empty() {
            write!(f, "{}: ", self.place)?;
        }
        match &self.detail {
            Detail::Mismatch { expected, got } => write!(f, "expected {expected}, got {got}"),
            Detail::Message(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for ReplyError {}

type Source = Arc<dyn std::error::Error + Send + Sync>;

/// The error every sider operation returns.
///
/// Cloning is cheap enough for fanning one connection failure out to every waiting caller.
#[derive(Clone)]
pub struct Error(Box<Inner>);

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    context: String,
    server: Option<ServerError>,
    source: Option<Source>,
    /// The command was certainly not written: its connection could not be opened.
    unsent: bool,
}

impl Error {
    fn new(kind: ErrorKind, context: impl Into<String>, source: Option<Source>) -> Error {
        Error(Box::new(Inner {
            kind,
            context: context.into(),
            server: None,
            source,
            unsent: false,
        }))
    }

    /// Marks an error met before any command was written (opening the connection), so that a
    /// caller may resend even a command that is not idempotent.
    pub(crate) fn unsent(mut self) -> Error {
        self.0.unsent = true;
        self
    }

    /// Whether the command certainly never reached the server (see [`Error::unsent`]).
    #[cfg(feature = "cluster")]
    pub(crate) fn is_unsent(&self) -> bool {
        self.0.unsent
    }

    pub(crate) fn io(context: impl Into<String>, err: std::io::Error) -> Error {
        Error::new(ErrorKind::Io, context, Some(Arc::new(err)))
    }

    pub(crate) fn closed(context: impl Into<String>) -> Error {
        Error::new(ErrorKind::Closed, context, None)
    }

    pub(crate) fn protocol(context: impl Into<String>, err: ProtocolError) -> Error {
        Error::new(ErrorKind::Protocol, context, Some(Arc::new(err)))
    }

    pub(crate) fn protocol_msg(context: impl Into<String>) -> Error {
        Error::new(ErrorKind::Protocol, context, None)
    }

    pub(crate) fn config(context: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, context, None)
    }

    pub(crate) fn timeout(context: impl Into<String>) -> Error {
        Error::new(ErrorKind::Timeout, context, None)
    }

    #[cfg(feature = "tls")]
    pub(crate) fn tls(context: impl Into<String>, err: std::io::Error) -> Error {
        Error::new(ErrorKind::Tls, context, Some(Arc::new(err)))
    }

    pub(crate) fn busy(context: impl Into<String>) -> Error {
        Error::new(ErrorKind::Busy, context, None)
    }

    pub(crate) fn aborted(context: impl Into<String>) -> Error {
        Error::new(ErrorKind::Aborted, context, None)
    }

    #[cfg(feature = "cluster")]
    pub(crate) fn cross_slot(context: impl Into<String>) -> Error {
        Error::new(ErrorKind::CrossSlot, context, None)
    }

    pub(crate) fn auth(context: impl Into<String>, server: ServerError) -> Error {
        let mut e = Error::new(ErrorKind::Auth, context, None);
        e.0.server = Some(server);
        e
    }

    /// An error for a server error reply line (`ERR ...` without the leading `-`).
    pub(crate) fn server(line: &[u8]) -> Error {
        let mut e = Error::new(ErrorKind::Server, String::new(), None);
        e.0.server = Some(ServerError::parse(line));
        e
    }

    pub(crate) fn reply(err: ReplyError) -> Error {
        Error::new(ErrorKind::Reply, String::new(), Some(Arc::new(err)))
    }

    /// Prefixes this error's context, e.g. with the command or pipeline slot it belongs to.
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Error {
        self.0.context = if self.0.context.is_empty() {
            context.to_string()
        } else {
            format!("{context}: {}", self.0.context)
        };
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The server's error reply, for [`ErrorKind::Server`] (and [`ErrorKind::Auth`]) errors.
    pub fn server_error(&self) -> Option<&ServerError> {
        self.0.server.as_ref()
    }

    /// The reply-decoding failure, for [`ErrorKind::Reply`] errors.
    pub fn reply_error(&self) -> Option<&ReplyError> {
        self.0.source.as_ref()?.downcast_ref()
    }

    /// True when the connection failed (I/O, closed, protocol or timeout), as opposed to the
    /// server or the decoder refusing one reply on a healthy connection.
    pub fn is_connection_error(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Io
                | ErrorKind::Closed
                | ErrorKind::Protocol
                | ErrorKind::Timeout
                | ErrorKind::Tls
        )
    }
}

impl From<ReplyError> for Error {
    /// An [`ErrorKind::Reply`] error, for replies decoded by hand with `?`. Say where first with
    /// [`ReplyError::at`] (the command, the key), as the typed methods name their command.
    ///
    /// ```
    /// use sider::{ErrorKind, FromReply, Value};
    ///
    /// fn count(reply: Value) -> Result<i64, sider::Error> {
    ///     Ok(i64::from_reply(reply).map_err(|e| e.at("INCR visits"))?)
    /// }
    /// let err = count(Value::Null).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Reply);
    /// assert_eq!(err.to_string(), "unexpected reply: INCR visits: expected integer, got null");
    /// assert!(err.reply_error().is_some());
    /// ```
    fn from(err: ReplyError) -> Error {
        Error::reply(err)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.0.kind);
        if !self.0.context.is_empty() {
            d.field("context", &self.0.context);
        }
        if let Some(server) = &self.0.server {
            d.field("server", server);
        }
        if let Some(source) = &self.0.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.0.kind {
            ErrorKind::Io => "I/O error",
            ErrorKind::Closed => "connection closed",
            ErrorKind::Protocol => "protocol error",
            ErrorKind::Server => "server error",
            ErrorKind::Reply => "unexpected reply",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Config => "invalid configuration",
            ErrorKind::Auth => "authentication failed",
            ErrorKind::Aborted => "aborted",
            ErrorKind::CrossSlot => "keys in different hash slots",
            ErrorKind::Busy => "client busy",
            ErrorKind::Tls => "TLS failed",
        };
        if self.0.context.is_empty() {
            f.write_str(what)?;
        } else {
            write!(f, "{}: {what}", self.0.context)?;
        }
        if let Some(server) = &self.0.server {
            write!(f, ": {server}")?;
        }
        // Reply, protocol and TLS errors are short and are the point of the message; I/O errors
        // stay in `source()` so that chains print them once.
        if matches!(
            self.0.kind,
            ErrorKind::Reply | ErrorKind::Protocol | ErrorKind::Tls
        ) {
            if let Some(source) = &self.0.source {
                write!(f, ": {source}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.0.kind {
            ErrorKind::Reply | ErrorKind::Protocol | ErrorKind::Tls => None,
            _ => self
                .0
                .source
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
        }
    }
}
