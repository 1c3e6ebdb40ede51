//! [`WriteBuf`]: the bytes the driver has queued and not yet written, in wire order.
//!
//! Small commands are copied into one coalescing buffer; large payloads (a command of
//! [`COPY_THRESHOLD`] bytes or more, a pipeline's encoded commands) are kept as chunks of their
//! own and written in place. The order rule: bytes go out in the order they were queued. The
//! coalescing buffer holds what was queued after every chunk, so a chunk queued while it holds
//! bytes first closes it into a chunk of its own. A write takes the chunks in order, then the
//! buffer, as one vectored write of at most [`MAX_IOVECS`] slices.

use crate::cmd::Cmd;
use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::IoSlice;

/// Payloads at least this large are written from their own buffer instead of being copied.
pub(super) const COPY_THRESHOLD: usize = 32 * 1024;
/// At most this many buffers go into one vectored write.
pub(super) const MAX_IOVECS: usize = 64;

#[derive(Debug)]
pub(super) struct WriteBuf {
    /// Small commands, coalesced; written after every chunk.
    out: BytesMut,
    /// Large payloads and closed-off coalesced runs, in order.
    chunks: VecDeque<Bytes>,
    /// Bytes queued and not written.
    pending: usize,
}

impl WriteBuf {
    pub(super) fn new() -> WriteBuf {
        WriteBuf {
            out: BytesMut::with_capacity(16 * 1024),
            chunks: VecDeque::new(),
            pending: 0,
        }
    }

    /// Bytes queued and not yet written.
    pub(super) fn pending(&self) -> usize {
        self.pending
    }

    /// Queues one command: copied if small, in place if large.
    pub(super) fn push_cmd(&mut self, cmd: Cmd) {
        if cmd.encoded_len() >= COPY_THRESHOLD {
            let (header, body) = cmd.into_wire();
            self.push_chunk(header);
            self.push_chunk(body);
        } else {
            self.encode(|out| cmd.encode(out));
        }
    }

    /// Queues encoded bytes: copied if small, in place if large.
    pub(super) fn push_encoded(&mut self, bytes: Bytes) {
        if bytes.len() < COPY_THRESHOLD {
            self.encode(|out| out.extend_from_slice(&bytes));
        } else {
            self.push_chunk(bytes);
        }
    }

    /// Queues what `write` appends to the coalescing buffer.
    pub(super) fn encode(&mut self, write: impl FnOnce(&mut BytesMut)) {
        let before = self.out.len();
        write(&mut self.out);
        self.pending += self.out.len() - before;
    }

    /// Queues bytes written in place, after everything queued so far.
    pub(super) fn push_chunk(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        if !self.out.is_empty() {
            self.chunks.push_back(self.out.split().freeze());
        }
        self.pending += chunk.len();
        self.chunks.push_back(chunk);
    }

    /// Fills `slices` with what goes out next, in order; returns how many it filled.
    pub(super) fn slices<'a>(&'a self, slices: &mut [IoSlice<'a>; MAX_IOVECS]) -> usize {
        let mut n = 0;
        for chunk in self.chunks.iter().take(MAX_IOVECS - 1) {
            slices[n] = IoSlice::new(chunk);
            n += 1;
        }
        // `out` holds what was queued after every chunk: it goes only behind all of them.
        if !self.out.is_empty() && self.chunks.len() < MAX_IOVECS {
            slices[n] = IoSlice::new(&self.out);
            n += 1;
        }
        n
    }

    /// Drops the first `written` bytes, which a write took.
    pub(super) fn advance(&mut self, written: usize) {
        self.pending -= written;
        let mut left = written;
        while left > 0 {
            match self.chunks.front_mut() {
                Some(chunk) if chunk.len() <= left => {
                    left -= chunk.len();
                    self.chunks.pop_front();
                }
                Some(chunk) => {
                    chunk.advance(left);
                    left = 0;
                }
                None => {
                    self.out.advance(left);
                    left = 0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes everything out through `slices`/`advance`, taking at most `step` bytes a write.
    fn drain(buf: &mut WriteBuf, step: usize) -> Vec<u8> {
        let mut wire = Vec::new();
        while buf.pending() > 0 {
            let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
            let n = buf.slices(&mut slices);
            let mut taken = 0;
            for slice in &slices[..n] {
                let take = slice.len().min(step - taken);
                wire.extend_from_slice(&slice[..take]);
                taken += take;
                if taken == step {
                    break;
                }
            }
            buf.advance(taken);
        }
        wire
    }

    #[test]
    fn small_and_large_payloads_go_out_in_the_order_queued() {
        for step in [1, 7, 4096, usize::MAX] {
            let mut buf = WriteBuf::new();
            let mut expected = Vec::new();
            for i in 0..20u8 {
                let small = Bytes::from(vec![b'a' + i; 10]);
                let large = Bytes::from(vec![b'A' + i; COPY_THRESHOLD + usize::from(i)]);
                expected.extend_from_slice(&small);
                buf.push_encoded(small);
                if i % 3 == 0 {
                    expected.extend_from_slice(&large);
                    buf.push_encoded(large);
                }
            }
            assert_eq!(buf.pending(), expected.len());
            assert_eq!(drain(&mut buf, step), expected, "step {step}");
            assert_eq!(buf.pending(), 0);
        }
    }

    #[test]
    fn a_large_command_is_written_in_place_and_a_small_one_copied() {
        let mut buf = WriteBuf::new();
        let big = vec![b'x'; COPY_THRESHOLD];
        let mut expected = bytes::BytesMut::new();
        let small = Cmd::new("SET").arg("k").arg("v");
        small.encode(&mut expected);
        buf.push_cmd(small);
        let large = Cmd::new("SET").arg("big").arg(big.as_slice());
        large.encode(&mut expected);
        buf.push_cmd(large);
        // The small command's run is closed off before the large one's header and body.
        assert_eq!(buf.chunks.len(), 3);
        assert_eq!(drain(&mut buf, 1000), expected.to_vec());
    }

    #[test]
    fn more_chunks_than_one_write_takes() {
        let mut buf = WriteBuf::new();
        let mut expected = Vec::new();
        for i in 0..(MAX_IOVECS * 2) {
            let chunk = Bytes::from(vec![u8::try_from(i % 251).unwrap_or(0); COPY_THRESHOLD]);
            expected.extend_from_slice(&chunk);
            buf.push_chunk(chunk);
            let tail = Bytes::from_static(b"+tail");
            expected.extend_from_slice(&tail);
            buf.push_encoded(tail);
        }
        let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
        assert_eq!(buf.slices(&mut slices), MAX_IOVECS - 1);
        assert_eq!(drain(&mut buf, usize::MAX), expected);
    }
}
