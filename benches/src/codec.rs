//! The CPU-only codec workloads, shared by the criterion bench (`benches/codec.rs`) and the
//! instruction counter (`src/bin/codec_instr.rs`), so both measure exactly the same code.
//!
//! Encoding: `n` commands `SET key:<i> <16-digit value>` into one buffer. Decoding: `n` replies
//! from one prepared buffer, as the server sends them to those SETs (`+OK`) or to GETs of them
//! (`$16` bulk strings). Each side uses the path its own client uses on a connection.

use bytes::BytesMut;
use std::hint::black_box;
use tokio_util::codec::Decoder as _;

/// Keys and values for `n` commands.
pub fn data(n: usize) -> (Vec<String>, Vec<String>) {
    let crate::workload::Data { keys, values } = crate::workload::Data::new(n);
    (keys, values)
}

/// What the server answers to `n` SETs: `+OK\r\n` each.
pub fn ok_replies(n: usize) -> BytesMut {
    let mut buf = BytesMut::with_capacity(5 * n);
    for _ in 0..n {
        buf.extend_from_slice(b"+OK\r\n");
    }
    buf
}

/// What the server answers to GETs of `values`: one bulk string each.
pub fn bulk_replies(values: &[String]) -> BytesMut {
    let mut buf = BytesMut::new();
    for v in values {
        buf.extend_from_slice(format!("${}\r\n{v}\r\n", v.len()).as_bytes());
    }
    buf
}

/// sider, the public way: a `Cmd` per command (its own buffer, as a command sent alone on a
/// shared client has), encoded into `out` with `Cmd::encode` as the connection's driver does.
/// Returns the bytes written.
#[inline(never)]
pub fn sider_encode_cmd(keys: &[String], values: &[String], out: &mut BytesMut) -> usize {
    out.clear();
    for (k, v) in keys.iter().zip(values) {
        sider::Cmd::new("SET")
            .arg(k.as_str())
            .arg(v.as_str())
            .encode(out);
    }
    black_box(out.len())
}

/// sider's codec alone: array header and bulk strings written straight into `out`.
#[inline(never)]
pub fn sider_encode_raw(keys: &[String], values: &[String], out: &mut BytesMut) -> usize {
    out.clear();
    for (k, v) in keys.iter().zip(values) {
        sider::resp::put_array_header(out, 3);
        sider::resp::put_bulk(out, b"SET");
        sider::resp::put_bulk(out, k.as_bytes());
        sider::resp::put_bulk(out, v.as_bytes());
    }
    black_box(out.len())
}

/// redis-rs: a `redis::Cmd` per command, packed with `write_packed_command` into one buffer (its
/// pipelines pack the same way).
#[inline(never)]
pub fn redis_encode(keys: &[String], values: &[String], out: &mut Vec<u8>) -> usize {
    out.clear();
    for (k, v) in keys.iter().zip(values) {
        redis::cmd("SET")
            .arg(k.as_str())
            .arg(v.as_str())
            .write_packed_command(out);
    }
    black_box(out.len())
}

/// sider: decodes every frame in `buf`; returns how many.
#[inline(never)]
pub fn sider_decode(buf: &mut BytesMut) -> usize {
    let mut decoder = sider::resp::Decoder::new(sider::resp::Limits::default());
    let mut count = 0;
    while let Some(frame) = decoder.decode(buf).expect("valid RESP") {
        black_box(&frame);
        count += 1;
    }
    count
}

/// redis-rs: decodes every value in `buf` with `ValueCodec`, the decoder its multiplexed
/// connection reads with (`parse_redis_value` takes a single value); returns how many.
#[inline(never)]
pub fn redis_decode(buf: &mut BytesMut) -> usize {
    let mut codec = redis::ValueCodec::default();
    let mut count = 0;
    while let Some(value) = codec.decode(buf).expect("valid RESP") {
        black_box(&value);
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_encode_the_same_bytes() {
        let (keys, values) = data(10);
        let mut a = BytesMut::new();
        let mut b = BytesMut::new();
        let mut c = Vec::new();
        sider_encode_cmd(&keys, &values, &mut a);
        sider_encode_raw(&keys, &values, &mut b);
        redis_encode(&keys, &values, &mut c);
        assert_eq!(&a[..], &b[..]);
        assert_eq!(&a[..], &c[..]);
    }

    #[test]
    fn both_sides_decode_every_reply() {
        let (_, values) = data(10);
        for buf in [ok_replies(10), bulk_replies(&values)] {
            assert_eq!(sider_decode(&mut buf.clone()), 10);
            assert_eq!(redis_decode(&mut buf.clone()), 10);
        }
    }
}
