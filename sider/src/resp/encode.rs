//! Command encoding: RESP arrays of bulk strings written straight into one buffer.
//!
//! Numbers are formatted on the stack (`itoa`, `ryu`); nothing here allocates beyond growing the
//! caller's buffer.

use bytes::{BufMut, BytesMut};

/// Writes `*<len>\r\n`, the header of a command of `len` arguments (the name included).
#[inline]
pub fn put_array_header(out: &mut BytesMut, len: usize) {
    if len < 10 {
        // Most commands; a 4-byte literal costs less than an `ArrayHeader` (measured: 38
        // instructions a command more through `ArrayHeader`, callgrind).
        out.put_slice(&[b'*', b'0' + len as u8, b'\r', b'\n']);
        return;
    }
    out.put_slice(ArrayHeader::new(len).as_bytes());
}

/// `*<len>\r\n` on the stack, for a writer that sends the header and the arguments as two
/// slices of one vectored write instead of copying them together.
#[derive(Clone, Copy, Debug)]
pub struct ArrayHeader {
    buf: [u8; 24],
    len: u8,
}

impl ArrayHeader {
    /// The header of a command of `len` arguments (the name included).
    #[inline]
    pub fn new(len: usize) -> ArrayHeader {
        let mut buf = [0; 24];
        if len < 10 {
            // Most commands: no formatting.
            buf[..4].copy_from_slice(&[b'*', b'0' + len as u8, b'\r', b'\n']);
            return ArrayHeader { buf, len: 4 };
        }
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(len).as_bytes();
        // A usize has at most 20 digits: with `*` and CRLF, 23 bytes.
        buf[0] = b'*';
        buf[1..=digits.len()].copy_from_slice(digits);
        buf[digits.len() + 1..digits.len() + 3].copy_from_slice(b"\r\n");
        ArrayHeader {
            buf,
            len: (digits.len() + 3) as u8,
        }
    }

    /// The encoded header.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

/// Writes `$<len>\r\n<bytes>\r\n`.
#[inline]
pub fn put_bulk(out: &mut BytesMut, bytes: &[u8]) {
    let len = bytes.len();
    // Most arguments are shorter than 100 bytes: their header is built without formatting.
    let mut short = [b'$', 0, 0, b'\r', b'\n'];
    let mut digits = itoa::Buffer::new();
    let header: &[u8] = if len < 10 {
        short[1] = b'0' + len as u8;
        short[2] = b'\r';
        short[3] = b'\n';
        &short[..4]
    } else if len < 100 {
        short[1] = b'0' + (len / 10) as u8;
        short[2] = b'0' + (len % 10) as u8;
        &short
    } else {
        let digits = digits.format(len).as_bytes();
        out.reserve(len + digits.len() + 5);
        out.put_u8(b'$');
        out.put_slice(digits);
        out.put_slice(b"\r\n");
        out.put_slice(bytes);
        out.put_slice(b"\r\n");
        return;
    };
    out.reserve(header.len() + len + 2);
    out.put_slice(header);
    out.put_slice(bytes);
    out.put_slice(b"\r\n");
}

/// Writes a signed integer as a bulk string.
#[inline]
pub fn put_bulk_i64(out: &mut BytesMut, n: i64) {
    put_bulk(out, itoa::Buffer::new().format(n).as_bytes());
}

/// Writes an unsigned integer as a bulk string.
#[inline]
pub fn put_bulk_u64(out: &mut BytesMut, n: u64) {
    put_bulk(out, itoa::Buffer::new().format(n).as_bytes());
}

/// Writes a float as a bulk string in the form Redis parses: shortest round-trip digits, and
/// `inf` / `-inf` for infinities.
#[inline]
pub fn put_bulk_f64(out: &mut BytesMut, n: f64) {
    if n.is_infinite() {
        put_bulk(out, if n > 0.0 { b"inf" } else { b"-inf" });
    } else if n.is_nan() {
        put_bulk(out, b"nan");
    } else {
        put_bulk(out, ryu::Buffer::new().format_finite(n).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_headers_on_the_stack_and_in_a_buffer() {
        for len in [0, 1, 9, 10, 99, 100, 12_345, u32::MAX as usize, usize::MAX] {
            let want = format!("*{len}\r\n");
            let mut out = BytesMut::new();
            put_array_header(&mut out, len);
            assert_eq!(
                ArrayHeader::new(len).as_bytes(),
                want.as_bytes(),
                "len {len}"
            );
            assert_eq!(&out[..], want.as_bytes(), "len {len}");
        }
    }
}
