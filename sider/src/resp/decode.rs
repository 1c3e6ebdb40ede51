//! Incremental, zero-copy RESP2/RESP3 decoding.
//!
//! [`Decoder::decode`] works in two passes. The *check* pass walks the frame's headers in place,
//! skipping bulk payloads by their declared length, enforcing the [`Limits`] and recording how far
//! it got; when bytes are missing it returns `Ok(None)` and the next call resumes where it stopped,
//! so a frame arriving in many reads is scanned once, not once per read. The *parse* pass runs only
//! on a complete frame: it splits the frame off the read buffer as one frozen [`Bytes`] and builds
//! the [`Frame`] tree from slices of it.

use super::{Frame, Limits};
use bytes::{Buf, Bytes, BytesMut};
use std::fmt;

/// A reply the decoder refused: the byte stream does not follow RESP, or breaks a [`Limits`] bound.
///
/// After a protocol error the stream cannot be resynchronised; the connection must be dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A frame started with a byte that is not a RESP2 or RESP3 type marker.
    UnknownType(u8),
    /// A line did not end in CRLF where the protocol requires it.
    MissingCrlf,
    /// A length or count was not a valid decimal number, or was negative where that is not allowed.
    InvalidLength,
    /// An integer frame held something other than a signed 64-bit decimal.
    InvalidInteger,
    /// A double frame held something other than a decimal, `inf`, `-inf` or `nan`.
    InvalidDouble,
    /// A boolean frame held something other than `t` or `f`.
    InvalidBoolean,
    /// A big number held something other than decimal digits.
    InvalidBigNumber,
    /// A verbatim string lacked its `xxx:` format prefix.
    InvalidVerbatim,
    /// A bulk payload was declared longer than the configured limit.
    BulkTooLong {
        /// The declared length.
        len: u64,
        /// The configured limit.
        max: usize,
    },
    /// A simple string or error line ran longer than the bulk limit without ending.
    LineTooLong {
        /// The configured limit.
        max: usize,
    },
    /// An aggregate declared more elements than the configured limit.
    AggregateTooLong {
        /// The declared element count.
        len: u64,
        /// The configured limit.
        max: usize,
    },
    /// Aggregates nested deeper than the configured limit.
    TooDeep {
        /// The configured limit.
        max: usize,
    },
    /// A streamed (`?`-length) aggregate or string, which Redis never sends.
    Streamed,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::UnknownType(b) => write!(f, "unknown RESP type byte 0x{b:02x}"),
            ProtocolError::MissingCrlf => f.write_str("line does not end in CRLF"),
            ProtocolError::InvalidLength => f.write_str("invalid length or element count"),
            ProtocolError::InvalidInteger => f.write_str("invalid integer"),
            ProtocolError::InvalidDouble => f.write_str("invalid double"),
            ProtocolError::InvalidBoolean => f.write_str("invalid boolean"),
            ProtocolError::InvalidBigNumber => f.write_str("invalid big number"),
            ProtocolError::InvalidVerbatim => f.write_str("verbatim string without format prefix"),
            ProtocolError::BulkTooLong { len, max } => {
                write!(f, "bulk length {len} exceeds the limit of {max} bytes")
            }
            ProtocolError::LineTooLong { max } => {
                write!(f, "line longer than the limit of {max} bytes")
            }
            ProtocolError::AggregateTooLong { len, max } => {
                write!(f, "aggregate of {len} elements exceeds the limit of {max}")
            }
            ProtocolError::TooDeep { max } => {
                write!(f, "aggregates nested deeper than the limit of {max}")
            }
            ProtocolError::Streamed => f.write_str("streamed RESP3 aggregates are not supported"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// The longest header line a numeric field may take: a sign, 20 digits, CRLF.
const MAX_NUMBER_LINE: usize = 24;

/// A resumable RESP decoder for one byte stream.
///
/// Feed it the connection's read buffer after every read; it removes each complete frame from the
/// front of the buffer and leaves partial frames in place.
///
/// ```
/// use bytes::BytesMut;
/// use sider::resp::{Decoder, Frame, Limits};
///
/// let mut decoder = Decoder::new(Limits::default());
/// let mut buf = BytesMut::from(&b"$5\r\nhel"[..]);
/// assert_eq!(decoder.decode(&mut buf), Ok(None)); // waits for the rest
/// buf.extend_from_slice(b"lo\r\n:7\r\n");
/// assert_eq!(decoder.decode(&mut buf), Ok(Some(Frame::Bulk("hello".into()))));
/// assert_eq!(decoder.decode(&mut buf), Ok(Some(Frame::Integer(7))));
/// assert_eq!(decoder.decode(&mut buf), Ok(None));
/// ```
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    /// Where the check pass stopped in the frame at the front of the buffer.
    pos: usize,
    /// Children still expected by each open aggregate of that frame, innermost last.
    open: Vec<u64>,
    /// How much of the line of the element at `pos` is known to hold no CR or LF.
    scanned: usize,
    /// How long the buffer must be for the bulk payload being waited for to be complete.
    pending: usize,
}

impl Decoder {
    /// A decoder enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            pos: 0,
            open: Vec::new(),
            scanned: 0,
            pending: 0,
        }
    }

    /// How many bytes the buffer passed to [`decode`](Decoder::decode) must hold before the
    /// frame in progress can complete, as far as its headers tell (0 when nothing is known):
    /// a reader can reserve that much at once instead of growing its buffer read by read.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sider::resp::{Decoder, Limits};
    ///
    /// let mut decoder = Decoder::new(Limits::default());
    /// let mut buf = BytesMut::from(&b"$1000\r\nabc"[..]);
    /// assert_eq!(decoder.decode(&mut buf), Ok(None));
    /// assert_eq!(decoder.wants(), 1009);
    /// ```
    pub fn wants(&self) -> usize {
        self.pending
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Removes and returns the first complete frame in `buf`.
    ///
    /// Returns `Ok(None)` when `buf` holds only part of a frame (never an error); call again once
    /// more bytes have been appended to `buf`.
    ///
    /// # Errors
    ///
    /// A [`ProtocolError`] when the bytes break the protocol or the limits. The stream is then
    /// unusable and the decoder's progress is reset.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        // Not while the general path is part-way through a frame: it remembers how far it got.
        if self.pos == 0 && self.scanned == 0 {
            if let Some(frame) = self.scalar(buf) {
                // It may be the bulk payload the general path was waiting for.
                self.pending = 0;
                return Ok(Some(frame));
            }
        }
        match self.check(buf) {
            Ok(Some(len)) => {
                self.pos = 0;
                self.scanned = 0;
                self.pending = 0;
                let bytes = buf.split_to(len).freeze();
                let mut parser = Parser {
                    buf: &bytes,
                    pos: 0,
                };
                parser.frame().map(Some)
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.pos = 0;
                self.scanned = 0;
                self.pending = 0;
                self.open.clear();
                Err(e)
            }
        }
    }

    /// The fast path for the replies most commands get: a complete, well-formed `+line`, `:int`
    /// or `$len` bulk string at the front of `buf`, taken in one pass. Anything else (a partial
    /// frame, an aggregate, a malformed or over-limit header) returns `None` and goes through the
    /// general path, which then gives the same result or error it always does.
    #[inline]
    fn scalar(&self, buf: &mut BytesMut) -> Option<Frame> {
        let (&marker, rest) = buf.split_first()?;
        match marker {
            b'+' => {
                let eol = line_end(rest, self.limits.bulk_len())?;
                let frame = match &rest[..eol] {
                    // The most common reply of all costs no reference count.
                    b"OK" => Frame::Simple(Bytes::from_static(b"OK")),
                    b"QUEUED" => Frame::Simple(Bytes::from_static(b"QUEUED")),
                    _ => {
                        buf.advance(1);
                        let line = buf.split_to(eol).freeze();
                        buf.advance(2);
                        return Some(Frame::Simple(line));
                    }
                };
                buf.advance(eol + 3);
                Some(frame)
            }
            b':' => {
                let eol = line_end(rest, MAX_NUMBER_LINE)?;
                let n = parse_int(&rest[..eol]).ok()?;
                buf.advance(eol + 3);
                Some(Frame::Integer(n))
            }
            b'$' => {
                let eol = line_end(rest, MAX_NUMBER_LINE)?;
                let digits = &rest[..eol];
                if digits == b"-1" {
                    buf.advance(eol + 3);
                    return Some(Frame::Null);
                }
                let len = match parse_len(digits, false) {
                    Ok(Some(len)) if len <= self.limits.bulk_len() as u64 => len as usize,
                    _ => return None,
                };
                let data = eol + 3;
                let end = data.checked_add(len)?;
                if buf.get(end..end + 2)? != b"\r\n" {
                    return None;
                }
                buf.advance(data);
                let payload = buf.split_to(len).freeze();
                buf.advance(2);
                Some(Frame::Bulk(payload))
            }
            _ => None,
        }
    }

    /// Walks headers from where the last call stopped. Returns the frame's total length once the
    /// whole frame is in `buf`.
    fn check(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        loop {
            let Some(&marker) = buf.get(self.pos) else {
                return Ok(None);
            };
            let start = self.pos + 1;
            // Children this element opens, if it is a non-empty aggregate.
            let mut children = 0u64;
            let end = match marker {
                b'+' | b'-' => {
                    match find_crlf(buf, start, self.limits.bulk_len(), false, &mut self.scanned)? {
                        Some(eol) => eol + 2,
                        None => return Ok(None),
                    }
                }
                b':' | b',' | b'#' | b'_' | b'(' => {
                    let max = if marker == b'(' {
                        self.limits.bulk_len()
                    } else {
                        MAX_NUMBER_LINE
                    };
                    let Some(eol) = find_crlf(buf, start, max, marker != b'(', &mut self.scanned)?
                    else {
                        return Ok(None);
                    };
                    validate_scalar(marker, &buf[start..eol])?;
                    eol + 2
                }
                b'$' | b'!' | b'=' => {
                    let Some(eol) =
                        find_crlf(buf, start, MAX_NUMBER_LINE, true, &mut self.scanned)?
                    else {
                        return Ok(None);
                    };
                    match parse_len(&buf[start..eol], marker == b'$')? {
                        None => eol + 2,
                        Some(len) => {
                            if len > self.limits.bulk_len() as u64 {
                                return Err(ProtocolError::BulkTooLong {
                                    len,
                                    max: self.limits.bulk_len(),
                                });
                            }
                            let data = eol + 2;
                            let end = data + len as usize;
                            if buf.len() < end + 2 {
                                self.pending = end + 2;
                                return Ok(None);
                            }
                            if &buf[end..end + 2] != b"\r\n" {
                                return Err(ProtocolError::MissingCrlf);
                            }
                            if marker == b'=' && (len < 4 || buf[data + 3] != b':') {
                                return Err(ProtocolError::InvalidVerbatim);
                            }
                            end + 2
                        }
                    }
                }
                b'*' | b'~' | b'>' | b'%' | b'|' => {
                    let Some(eol) =
                        find_crlf(buf, start, MAX_NUMBER_LINE, true, &mut self.scanned)?
                    else {
                        return Ok(None);
                    };
                    if let Some(len) = parse_len(&buf[start..eol], marker == b'*')? {
                        if len > self.limits.aggregate_len() as u64 {
                            return Err(ProtocolError::AggregateTooLong {
                                len,
                                max: self.limits.aggregate_len(),
                            });
                        }
                        // Only a limit above 2^63 lets a count through that overflows here.
                        children = match marker {
                            b'%' => len.checked_mul(2),
                            b'|' => len.checked_mul(2).and_then(|n| n.checked_add(1)),
                            _ => Some(len),
                        }
                        .ok_or(ProtocolError::InvalidLength)?;
                        if children > 0 && self.open.len() >= self.limits.depth() {
                            return Err(ProtocolError::TooDeep {
                                max: self.limits.depth(),
                            });
                        }
                    }
                    eol + 2
                }
                other => return Err(ProtocolError::UnknownType(other)),
            };
            self.pos = end;
            self.scanned = 0;
            if children > 0 {
                self.open.push(children);
                continue;
            }
            // This element is complete: it fills one slot of each aggregate it closes.
            loop {
                match self.open.last_mut() {
                    None => return Ok(Some(self.pos)),
                    Some(left) => {
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                        self.open.pop();
                    }
                }
            }
        }
    }
}

/// Finds the CRLF ending the line that starts at `start`, allowing at most `max` bytes before it.
/// A longer line is an invalid number where `numeric`, else a line too long.
fn find_crlf(
    buf: &[u8],
    start: usize,
    max: usize,
    numeric: bool,
    scanned: &mut usize,
) -> Result<Option<usize>, ProtocolError> {
    let line = buf.get(start..).unwrap_or_default();
    let window = &line[..line.len().min(max.saturating_add(1))];
    // Bytes already known to hold no CR or LF are not scanned again: a long line arriving in
    // many reads costs time linear in its length.
    let from = (*scanned).min(window.len());
    match window[from..]
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .map(|i| from + i)
    {
        Some(i) => {
            if line[i] == b'\n' {
                return Err(ProtocolError::MissingCrlf);
            }
            match line.get(i + 1) {
                Some(b'\n') => Ok(Some(start + i)),
                Some(_) => Err(ProtocolError::MissingCrlf),
                None => {
                    *scanned = i;
                    Ok(None)
                }
            }
        }
        None if line.len() > max => {
            if numeric {
                Err(ProtocolError::InvalidLength)
            } else {
                Err(ProtocolError::LineTooLong { max })
            }
        }
        None => {
            *scanned = window.len();
            Ok(None)
        }
    }
}

/// Where the CRLF ending a line is, when it ends well within `max` bytes and holds no stray CR or
/// LF before it; `None` for anything the general path must look at.
#[inline]
fn line_end(line: &[u8], max: usize) -> Option<usize> {
    let window = &line[..line.len().min(max)];
    let i = window.iter().position(|&b| b == b'\r' || b == b'\n')?;
    (window[i] == b'\r' && line.get(i + 1) == Some(&b'\n')).then_some(i)
}

/// Parses a length header: `None` for the RESP2 null (`-1`) where `allow_null`, else a count.
fn parse_len(digits: &[u8], allow_null: bool) -> Result<Option<u64>, ProtocolError> {
    if allow_null && digits == b"-1" {
        return Ok(None);
    }
    if digits == b"?" {
        return Err(ProtocolError::Streamed);
    }
    if digits.is_empty() || digits.len() > 19 {
        return Err(ProtocolError::InvalidLength);
    }
    let mut n = 0u64;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(ProtocolError::InvalidLength);
        }
        n = n * 10 + u64::from(d - b'0');
    }
    Ok(Some(n))
}

fn validate_scalar(marker: u8, line: &[u8]) -> Result<(), ProtocolError> {
    match marker {
        b':' => parse_int(line).map(drop),
        b',' => parse_double(line).map(drop),
        b'#' => parse_bool(line).map(drop),
        b'_' if line.is_empty() => Ok(()),
        b'_' => Err(ProtocolError::MissingCrlf),
        _ => validate_big_number(line),
    }
}

fn parse_int(line: &[u8]) -> Result<i64, ProtocolError> {
    let (negative, digits) = match line.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, line),
    };
    if digits.is_empty() {
        return Err(ProtocolError::InvalidInteger);
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(ProtocolError::InvalidInteger);
        }
        let d = i64::from(d - b'0');
        // Accumulate negatively so that i64::MIN parses.
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_sub(d))
            .ok_or(ProtocolError::InvalidInteger)?;
    }
    if negative {
        Ok(n)
    } else {
        n.checked_neg().ok_or(ProtocolError::InvalidInteger)
    }
}

fn parse_double(line: &[u8]) -> Result<f64, ProtocolError> {
    match line {
        b"inf" | b"+inf" => return Ok(f64::INFINITY),
        b"-inf" => return Ok(f64::NEG_INFINITY),
        b"nan" | b"-nan" => return Ok(f64::NAN),
        _ => {}
    }
    // Rust's float parser also accepts words such as "infinity"; RESP allows only numerals here.
    let numeric = line
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    if !numeric {
        return Err(ProtocolError::InvalidDouble);
    }
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(ProtocolError::InvalidDouble)
}

fn parse_bool(line: &[u8]) -> Result<bool, ProtocolError> {
    match line {
        b"t" => Ok(true),
        b"f" => Ok(false),
        _ => Err(ProtocolError::InvalidBoolean),
    }
}

fn validate_big_number(line: &[u8]) -> Result<(), ProtocolError> {
    let digits = match line.split_first() {
        Some((b'-' | b'+', rest)) => rest,
        _ => line,
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(ProtocolError::InvalidBigNumber);
    }
    Ok(())
}

/// Builds a [`Frame`] from one complete, already checked frame.
///
/// The check pass has validated every header, so the errors below are unreachable in practice;
/// they are returned rather than panicked on so that no input can crash the client.
struct Parser<'a> {
    buf: &'a Bytes,
    pos: usize,
}

impl Parser<'_> {
    fn line(&mut self) -> Result<&[u8], ProtocolError> {
        let rest = self.buf.get(self.pos..).ok_or(ProtocolError::MissingCrlf)?;
        let len = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or(ProtocolError::MissingCrlf)?;
        let line = &rest[..len];
        self.pos += len + 2;
        Ok(line)
    }

    fn line_bytes(&mut self) -> Result<Bytes, ProtocolError> {
        let start = self.pos;
        let len = self.line()?.len();
        Ok(self.buf.slice(start..start + len))
    }

    fn count(&mut self) -> Result<Option<usize>, ProtocolError> {
        let line = self.line()?;
        Ok(parse_len(line, true)?.map(|n| n as usize))
    }

    fn bulk(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        let Some(len) = self.count()? else {
            return Ok(None);
        };
        let start = self.pos;
        let end = start.checked_add(len).ok_or(ProtocolError::InvalidLength)?;
        if self.buf.len() < end + 2 {
            return Err(ProtocolError::InvalidLength);
        }
        self.pos = end + 2;
        Ok(Some(self.buf.slice(start..end)))
    }

    fn frames(&mut self, n: usize) -> Result<Vec<Frame>, ProtocolError> {
        // The frame is complete, so `n` elements really follow: capacity is bounded by the input.
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.frame()?);
        }
        Ok(items)
    }

    fn pairs(&mut self, n: usize) -> Result<Vec<(Frame, Frame)>, ProtocolError> {
        let mut pairs = Vec::with_capacity(n);
        for _ in 0..n {
            pairs.push((self.frame()?, self.frame()?));
        }
        Ok(pairs)
    }

    fn frame(&mut self) -> Result<Frame, ProtocolError> {
        let marker = *self.buf.get(self.pos).ok_or(ProtocolError::InvalidLength)?;
        self.pos += 1;
        Ok(match marker {
            b'+' => Frame::Simple(self.line_bytes()?),
            b'-' => Frame::Error(self.line_bytes()?),
            b':' => Frame::Integer(parse_int(self.line()?)?),
            b',' => Frame::Double(parse_double(self.line()?)?),
            b'#' => Frame::Boolean(parse_bool(self.line()?)?),
            b'_' => {
                self.line()?;
                Frame::Null
            }
            b'(' => Frame::BigNumber(self.line_bytes()?),
            b'$' => self.bulk()?.map_or(Frame::Null, Frame::Bulk),
            b'!' => self.bulk()?.map_or(Frame::Null, Frame::Error),
            b'=' => {
                let data = self.bulk()?.ok_or(ProtocolError::InvalidVerbatim)?;
                let format = data
                    .get(..3)
                    .and_then(|f| <[u8; 3]>::try_from(f).ok())
                    .ok_or(ProtocolError::InvalidVerbatim)?;
                Frame::Verbatim {
                    format,
                    data: data.slice(4..),
                }
            }
            b'*' => match self.count()? {
                None => Frame::Null,
                Some(n) => Frame::Array(self.frames(n)?),
            },
            b'~' => {
                let n = self.count()?.ok_or(ProtocolError::InvalidLength)?;
                Frame::Set(self.frames(n)?)
            }
            b'>' => {
                let n = self.count()?.ok_or(ProtocolError::InvalidLength)?;
                Frame::Push(self.frames(n)?)
            }
            b'%' => {
                let n = self.count()?.ok_or(ProtocolError::InvalidLength)?;
                Frame::Map(self.pairs(n)?)
            }
            b'|' => {
                let n = self.count()?.ok_or(ProtocolError::InvalidLength)?;
                let attrs = self.pairs(n)?;
                let value = Box::new(self.frame()?);
                Frame::Attribute { attrs, value }
            }
            other => return Err(ProtocolError::UnknownType(other)),
        })
    }
}

#[cfg(test)]
mod tests;
