//! Turns criterion's estimates for `benches/codec.rs` (and the table `benches/callgrind`
//! printed, if given) into the codec section of RESULTS.md.
//!
//! ```text
//! codec_report <criterion dir, e.g. $CARGO_TARGET_DIR/criterion> [callgrind.md] > codec.md
//! ```

use anyhow::{Context, Result};
use sider_benches::report::us;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const SIZES: [usize; 2] = [1_000, 40_000];

/// ns per command: criterion's median time per iteration divided by the commands in it.
fn ns_per_command(dir: &Path, group: &str, function: &str, n: usize) -> Option<f64> {
    let path = dir
        .join(group)
        .join(function)
        .join(n.to_string())
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let ns = json["median"]["point_estimate"].as_f64()?;
    Some(ns / n as f64)
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .context("usage: codec_report <criterion dir> [callgrind.md]")?,
    );
    let callgrind = args.next();
    let mut md = String::new();
    let _ = writeln!(md, "## Codec, CPU only: ns per command\n");
    let _ = writeln!(
        md,
        "Criterion (`benches/benches/codec.rs`), no server: encoding N `SET key:<i> \
         <16-byte value>` into one buffer, and decoding N replies from one prepared buffer \
         (`+OK` as SETs get, or 16-byte bulk strings as GETs get). sider encodes through its \
         public `Cmd::new(..).arg(..)` + `encode(&mut out)` (`sider Cmd`) and through the raw \
         `resp::put_array_header`/`put_bulk` (`sider raw`); redis-rs through `redis::cmd(..)\
         .arg(..).write_packed_command(&mut Vec)`. Decoding: sider's `resp::Decoder`, \
         redis-rs's `ValueCodec` (the decoder its multiplexed connection reads with). Medians; \
         ratios below 1 mean sider needs less time.\n"
    );
    let _ = writeln!(
        md,
        "| workload | N | sider Cmd | sider raw | redis-rs | sider ÷ redis-rs |\n|---|---|---|---|---|---|"
    );
    let cell = |x: Option<f64>| x.map_or("n/a".to_owned(), us);
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}", a / b),
        _ => "n/a".to_owned(),
    };
    let mut found = false;
    for n in SIZES {
        let cmd = ns_per_command(&dir, "encode_set", "sider_cmd", n);
        let raw = ns_per_command(&dir, "encode_set", "sider_raw", n);
        let redis = ns_per_command(&dir, "encode_set", "redis-rs", n);
        found |= cmd.is_some();
        let _ = writeln!(
            md,
            "| encode SET | {n} | {} | {} | {} | {} (Cmd), {} (raw) |",
            cell(cmd),
            cell(raw),
            cell(redis),
            ratio(cmd, redis),
            ratio(raw, redis)
        );
    }
    for (group, what) in [("decode_ok", "decode +OK"), ("decode_bulk", "decode bulk")] {
        for n in SIZES {
            let sider = ns_per_command(&dir, group, "sider", n);
            let redis = ns_per_command(&dir, group, "redis-rs", n);
            found |= sider.is_some();
            let _ = writeln!(
                md,
                "| {what} | {n} | {} | | {} | {} |",
                cell(sider),
                cell(redis),
                ratio(sider, redis)
            );
        }
    }
    if !found {
        let _ = writeln!(md, "\n(no criterion estimates under {})", dir.display());
    }
    md.push('\n');
    if let Some(path) = callgrind {
        let table = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        md.push_str(&table);
        if !md.ends_with('\n') {
            md.push('\n');
        }
    }
    print!("{md}");
    Ok(())
}
