use bytes::Bytes;
use std::fmt;

/// One RESP2 or RESP3 value as the server sent it.
///
/// Payloads are [`Bytes`] slices of the buffer they were read into: decoding copies nothing.
/// RESP2's null bulk string (`$-1`) and null array (`*-1`) decode to [`Frame::Null`], as RESP3's
/// `_` does, so the same reply reads the same under both protocols. A simple error (`-`) and a
/// bulk error (`!`) are both [`Frame::Error`].
///
/// `Frame` is also sider's dynamic value (re-exported as [`Value`](crate::Value)) for replies
/// whose shape is not known in advance.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `+OK`: a simple string, never containing CR or LF.
    Simple(Bytes),
    /// `-ERR ...` or `!<len>`: an error reply, code and message together.
    Error(Bytes),
    /// `:42`: a signed 64-bit integer.
    Integer(i64),
    /// `$<len>`: a binary-safe bulk string.
    Bulk(Bytes),
    /// `_`, `$-1` or `*-1`: no value.
    Null,
    /// `*<len>`: an array.
    Array(Vec<Frame>),
    /// `#t` / `#f` (RESP3).
    Boolean(bool),
    /// `,3.14`, `,inf`, `,-inf`, `,nan` (RESP3).
    Double(f64),
    /// `(<digits>`: an integer too large for 64 bits, as its decimal digits (RESP3).
    BigNumber(Bytes),
    /// `=<len>`: a verbatim string with its three-byte format such as `txt` or `mkd` (RESP3).
    Verbatim {
        /// The format, e.g. `b"txt"`.
        format: [u8; 3],
        /// The text after the `xxx:` prefix.
        data: Bytes,
    },
    /// `%<len>`: key/value pairs in the order sent (RESP3).
    Map(Vec<(Frame, Frame)>),
    /// `~<len>`: an unordered collection (RESP3).
    Set(Vec<Frame>),
    /// `|<len>`: out-of-band attributes, with the reply they annotate (RESP3).
    Attribute {
        /// The attribute pairs.
        attrs: Vec<(Frame, Frame)>,
        /// The reply that followed the attributes.
        value: Box<Frame>,
    },
    /// `><len>`: a push message that is not the reply to any command (RESP3).
    Push(Vec<Frame>),
}

impl Frame {
    /// A short description of the frame's type and size, used in error messages:
    /// `"bulk string (5 bytes)"`, `"array (3 elements)"`, `"integer"`.
    pub fn describe(&self) -> Describe<'_> {
        Describe(self)
    }

    /// The error reply's text when this frame is an error.
    pub fn as_error(&self) -> Option<&[u8]> {
        match self {
            Frame::Error(e) => Some(e),
            _ => None,
        }
    }

    /// Strips RESP3 attributes, returning the reply they annotate.
    pub fn into_value(self) -> Frame {
        match self {
            Frame::Attribute { value, .. } => value.into_value(),
            other => other,
        }
    }
}

/// The display form of [`Frame::describe`].
#[derive(Debug)]
pub struct Describe<'a>(&'a Frame);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Frame::Simple(s) => write!(f, "simple string ({} bytes)", s.len()),
            Frame::Error(e) => write!(f, "error reply \"{}\"", String::from_utf8_lossy(e)),
            Frame::Integer(_) => f.write_str("integer"),
            Frame::Bulk(b) => write!(f, "bulk string ({} bytes)", b.len()),
            Frame::Null => f.write_str("null"),
            Frame::Array(a) => write!(f, "array ({} elements)", a.len()),
            Frame::Boolean(_) => f.write_str("boolean"),
            Frame::Double(_) => f.write_str("double"),
            Frame::BigNumber(_) => f.write_str("big number"),
            Frame::Verbatim { data, .. } => write!(f, "verbatim string ({} bytes)", data.len()),
            Frame::Map(m) => write!(f, "map ({} pairs)", m.len()),
            Frame::Set(s) => write!(f, "set ({} elements)", s.len()),
            Frame::Attribute { value, .. } => write!(f, "attributed {}", value.describe()),
            Frame::Push(p) => write!(f, "push ({} elements)", p.len()),
        }
    }
}
