//! The RESP2/RESP3 codec: bytes in, frames out, and commands encoded straight into a write buffer.
//!
//! Nothing here performs I/O, so every path can be tested and fuzzed on bytes alone. This module
//! depends only on `bytes`, `itoa` and `ryu`.
//!
//! Decoding is zero-copy: a complete frame is first *checked* in place (a resumable scan that
//! allocates nothing and enforces the [`Limits`]), then split off the read buffer as one frozen
//! [`bytes::Bytes`], and every bulk payload in it is handed out as a slice of that allocation.

mod decode;
mod encode;
mod frame;
mod limits;

pub use decode::{Decoder, ProtocolError};
pub use encode::{
    put_array_header, put_bulk, put_bulk_f64, put_bulk_i64, put_bulk_u64, ArrayHeader,
};
pub use frame::Frame;
pub use limits::Limits;
