//! CPU only, no server: encoding N SET commands and decoding N replies, sider against redis-rs
//! on the same bytes. Criterion reports time per batch and commands per second; `codec_report`
//! turns its estimates into ns per command for RESULTS.md.
//!
//! `cargo bench -p sider-benches --bench codec` (add `-- --save-baseline NAME` /
//! `-- --baseline NAME` to compare before and after a change).

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use sider_benches::codec;
use std::time::Duration;

/// Batch sizes: one that stays in L1/L2 and the largest pipeline of the end-to-end suite.
const SIZES: [usize; 2] = [1_000, 40_000];

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode_set");
    for n in SIZES {
        let (keys, values) = codec::data(n);
        group.throughput(Throughput::Elements(n as u64));
        let mut out = BytesMut::with_capacity(n * 64);
        group.bench_with_input(BenchmarkId::new("sider_cmd", n), &n, |b, _| {
            b.iter(|| codec::sider_encode_cmd(&keys, &values, &mut out))
        });
        group.bench_with_input(BenchmarkId::new("sider_raw", n), &n, |b, _| {
            b.iter(|| codec::sider_encode_raw(&keys, &values, &mut out))
        });
        let mut out = Vec::with_capacity(n * 64);
        group.bench_with_input(BenchmarkId::new("redis-rs", n), &n, |b, _| {
            b.iter(|| codec::redis_encode(&keys, &values, &mut out))
        });
    }
    group.finish();
}

fn decode(c: &mut Criterion) {
    for (name, make) in [
        (
            "decode_ok",
            (|n| codec::ok_replies(n)) as fn(usize) -> BytesMut,
        ),
        ("decode_bulk", |n| codec::bulk_replies(&codec::data(n).1)),
    ] {
        let mut group = c.benchmark_group(name);
        for n in SIZES {
            let replies = make(n);
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new("sider", n), &n, |b, _| {
                b.iter_batched(
                    || replies.clone(),
                    |mut buf| codec::sider_decode(&mut buf),
                    BatchSize::LargeInput,
                )
            });
            group.bench_with_input(BenchmarkId::new("redis-rs", n), &n, |b, _| {
                b.iter_batched(
                    || replies.clone(),
                    |mut buf| codec::redis_decode(&mut buf),
                    BatchSize::LargeInput,
                )
            });
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = encode, decode
}
criterion_main!(benches);
