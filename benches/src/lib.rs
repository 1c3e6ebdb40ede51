//! The benchmark suite for issue 7: sider against redis-rs, fred and rustis, and against the
//! server's own ceiling as `redis-benchmark` measures it.
//!
//! - `src/bin/multi_bench.rs`: the end-to-end workloads against a redis-server it starts itself,
//!   writing `RESULTS.md` and `chart.svg`.
//! - `benches/codec.rs`: criterion, CPU only: encoding commands and decoding replies.
//! - `src/bin/codec_instr.rs`: a fixed codec workload for `callgrind` to count instructions of.
//! - `run` and `callgrind`: the scripts that run it all.

pub mod ceiling;
pub mod chart;
pub mod clients;
pub mod codec;
pub mod machine;
pub mod memory;
pub mod report;
pub mod server;
pub mod stats;
pub mod workload;
