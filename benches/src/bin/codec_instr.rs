//! A fixed codec workload for `callgrind` (see `benches/callgrind`): one call of one codec
//! function on N commands or replies, prepared beforehand.
//!
//! ```text
//! codec_instr <sider|sider-raw|redis> <encode|decode-ok|decode-bulk> <N>
//! ```
//!
//! The measured functions are `#[inline(never)]` in `sider_benches::codec`, so callgrind's
//! `--toggle-collect` counts them alone, without the preparation.

use anyhow::{bail, Context, Result};
use bytes::BytesMut;
use sider_benches::codec;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [side, work, n] = &args[..] else {
        bail!("usage: codec_instr <sider|sider-raw|redis> <encode|decode-ok|decode-bulk> <N>");
    };
    let n: usize = n.parse().context("N")?;
    let (keys, values) = codec::data(n);
    let done = match (side.as_str(), work.as_str()) {
        ("sider", "encode") => {
            let mut out = BytesMut::with_capacity(n * 64);
            codec::sider_encode_cmd(&keys, &values, &mut out)
        }
        ("sider-raw", "encode") => {
            let mut out = BytesMut::with_capacity(n * 64);
            codec::sider_encode_raw(&keys, &values, &mut out)
        }
        ("redis", "encode") => {
            let mut out = Vec::with_capacity(n * 64);
            codec::redis_encode(&keys, &values, &mut out)
        }
        (side, "decode-ok" | "decode-bulk") => {
            let mut buf = if work == "decode-ok" {
                codec::ok_replies(n)
            } else {
                codec::bulk_replies(&values)
            };
            let count = match side {
                "sider" | "sider-raw" => codec::sider_decode(&mut buf),
                "redis" => codec::redis_decode(&mut buf),
                _ => bail!("unknown side {side}"),
            };
            if count != n {
                bail!("decoded {count} of {n} replies");
            }
            count
        }
        _ => bail!("unknown workload {side} {work}"),
    };
    println!("{side} {work} {n}: {done}");
    Ok(())
}
