//! Everything one run measured, and its rendering as `RESULTS.md`.

use crate::clients::{Kind, Mode, Op};
use crate::machine::{locked_version, Machine};
use crate::stats::Summary;
use crate::workload::{Plan, VALUE_LEN};
use std::fmt::Write as _;

/// One batch workload of one client at one size: µs per command, `None` for "n/a".
#[derive(Clone, Debug)]
pub struct BatchRow {
    /// The client.
    pub kind: Kind,
    /// Pipeline, transaction or ignore_results.
    pub mode: Mode,
    /// SET or GET.
    pub op: Op,
    /// Commands per batch.
    pub n: usize,
    /// µs per command.
    pub us: Option<Summary>,
}

/// `redis-benchmark`'s µs per SET and per GET for one setting.
#[derive(Clone, Copy, Debug)]
pub struct CeilingPair {
    /// µs per SET.
    pub set: Summary,
    /// µs per GET.
    pub get: Summary,
}

impl CeilingPair {
    /// The figure for `op`.
    pub fn for_op(&self, op: Op) -> Summary {
        match op {
            Op::Set => self.set,
            Op::Get => self.get,
        }
    }
}

/// Peak RSS growth of one client while it runs one pipeline of `n` SETs, then one of `n` GETs,
/// in a process of its own, next to the bytes of those commands and their replies on the wire.
#[derive(Clone, Copy, Debug)]
pub struct MemoryRow {
    /// Commands per pipeline.
    pub n: usize,
    /// Peak RSS growth during the SET pipeline, bytes.
    pub set_growth: u64,
    /// Encoded SETs plus their `+OK` replies, bytes.
    pub set_wire: u64,
    /// Peak RSS growth during the GET pipeline, bytes.
    pub get_growth: u64,
    /// Encoded GETs plus their bulk replies, bytes.
    pub get_wire: u64,
}

/// Everything one run measured.
#[derive(Clone, Debug)]
pub struct Results {
    /// The run was `--quick`.
    pub quick: bool,
    /// The command line, as it should be quoted in the report.
    pub command: String,
    /// The machine.
    pub machine: Machine,
    /// The plan that ran.
    pub plan: Plan,
    /// The tokio runtime the clients ran on.
    pub runtime: String,
    /// The server was given with `--url` rather than started by the run.
    pub external_server: bool,
    /// Pipelines and transactions.
    pub batches: Vec<BatchRow>,
    /// `redis-benchmark -c 1 -P N` for each N, in the order of `plan.sizes`.
    pub ceilings: Vec<(usize, CeilingPair)>,
    /// The bare-socket ceiling of each batch workload ([`crate::ceiling::Raw`]).
    pub raw: Vec<((Mode, Op, usize), Summary)>,
    /// `redis-benchmark -c 1 -P 1`.
    pub round_trip_ceiling: Option<CeilingPair>,
    /// `redis-benchmark -c 1 -P 1 -d <big_len>`.
    pub big_ceiling: Option<CeilingPair>,
    /// µs per sequential GET, from `block_on`.
    pub sequential: Vec<(Kind, Summary)>,
    /// µs per sequential GET, from a spawned task.
    pub sequential_in_task: Vec<(Kind, Summary)>,
    /// Operations per second, `plan.tasks` tasks on one handle.
    pub concurrent: Vec<(Kind, Summary)>,
    /// `sider::Client::stats()` after one shared-handle run on a client of its own.
    pub sider_stats: Option<String>,
    /// µs per SET+GET pair of big values.
    pub big: Vec<(Kind, Summary)>,
    /// Peak memory of one big pipeline per client.
    pub memory: Vec<(Kind, MemoryRow)>,
    /// `/proc/loadavg` when the measurements ended.
    pub load_end: String,
    /// The share of the machine's CPU time that other processes used during the run.
    pub others_cpu: Option<f64>,
    /// Markdown appended at the end (the codec section `benches/run` prepares).
    pub appendix: String,
}

/// µs with three significant digits or so.
pub fn us(x: f64) -> String {
    if x < 1.0 {
        format!("{x:.3}")
    } else if x < 10.0 {
        format!("{x:.2}")
    } else if x < 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

/// An integer with thousands separators.
pub fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count as `1 MiB`, `64 KiB` or `16 bytes`.
pub fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

fn cell(s: Option<Summary>, fmt: fn(f64) -> String) -> String {
    match s {
        Some(s) if s.samples > 1 => format!("{} ({}–{})", fmt(s.median), fmt(s.min), fmt(s.max)),
        Some(s) => fmt(s.median),
        None => "n/a".into(),
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "n/a".into(),
    }
}

fn lookup(rows: &[(Kind, Summary)], kind: Kind) -> Option<Summary> {
    rows.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s)
}

impl Results {
    /// The batch figure for one client, mode, op and size.
    pub fn batch(&self, kind: Kind, mode: Mode, op: Op, n: usize) -> Option<Summary> {
        self.batches
            .iter()
            .find(|r| r.kind == kind && r.mode == mode && r.op == op && r.n == n)
            .and_then(|r| r.us)
    }

    /// The ceiling at pipeline depth `n`.
    pub fn ceiling(&self, n: usize, op: Op) -> Option<Summary> {
        self.ceilings
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, c)| c.for_op(op))
    }

    /// The bare-socket ceiling of one batch workload.
    pub fn raw_ceiling(&self, mode: Mode, op: Op, n: usize) -> Option<Summary> {
        self.raw
            .iter()
            .find(|(key, _)| *key == (mode, op, n))
            .map(|(_, s)| *s)
    }

    /// `RESULTS.md`.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        self.header(&mut md);
        self.batch_tables(&mut md);
        self.other_tables(&mut md);
        if !self.appendix.is_empty() {
            md.push_str(&self.appendix);
            if !md.ends_with('\n') {
                md.push('\n');
            }
        }
        md
    }

    fn header(&self, md: &mut String) {
        let m = &self.machine;
        let p = &self.plan;
        let _ = writeln!(
            md,
            "# Benchmarks: sider against redis-rs, fred, rustis and the server's ceiling\n"
        );
        let _ = writeln!(
            md,
            "Written by `{}`{}. Numbers are medians of several samples taken after warm-up, \
             with (min–max) beside them; samples of different clients are interleaved so that \
             noise from the rest of the machine spreads over all of them. Lower µs is better; \
             for ops/s higher is better.\n",
            self.command,
            if self.quick {
                " in **--quick** mode (small N, one sample: a smoke run, not a measurement)"
            } else {
                ""
            }
        );
        if let Some(share) = self.others_cpu.filter(|s| *s >= 0.05) {
            let _ = writeln!(
                md,
                "**The machine was busy with other work during this run**: other processes used \
                 {:.0}% of its CPU time (load average {} at the start, {} at the end, on {} \
                 CPUs). Every figure, the ceiling's included, is inflated and noisy: compare \
                 ratios measured in the same run rather than absolute numbers, and rerun \
                 `benches/run` on an idle machine for figures that count.\n",
                share * 100.0,
                m.load_start,
                self.load_end,
                m.cpus
            );
        }
        let _ = writeln!(md, "## Machine and software\n");
        let _ = writeln!(md, "| | |\n|---|---|");
        let _ = writeln!(md, "| CPU | {} ({} logical CPUs) |", m.cpu, m.cpus);
        let _ = writeln!(md, "| memory | {:.1} GiB |", m.mem_gib);
        let _ = writeln!(md, "| kernel | {} |", m.uname);
        let _ = writeln!(md, "| server | {} |", m.redis_server);
        let profile = if cfg!(debug_assertions) {
            "**debug build: not a measurement**"
        } else {
            "release profile"
        };
        let _ = writeln!(md, "| compiler | {} ({profile}) |", m.rustc);
        let _ = writeln!(md, "| runtime | tokio, {} |", self.runtime);
        let _ = writeln!(
            md,
            "| load average (1, 5, 15 min) | {} at the start, {} at the end |",
            m.load_start, self.load_end
        );
        if let Some(share) = self.others_cpu {
            let _ = writeln!(
                md,
                "| CPU used by other processes during the run | {:.0}% of the machine's |",
                share * 100.0
            );
        }
        let clients: Vec<String> = Kind::ALL
            .iter()
            .map(|k| format!("{} {}", k.package(), locked_version(k.package())))
            .collect();
        let _ = writeln!(md, "| clients | {} |", clients.join(", "));
        let _ = writeln!(md, "| sider's commit | {} |", m.commit);
        let _ = writeln!(
            md,
            "| server placement | {} |\n",
            if self.external_server {
                "given with --url"
            } else {
                "started by the run on a free loopback port; client and server share the CPUs"
            }
        );
        let _ = writeln!(md, "## Workloads\n");
        let _ = writeln!(
            md,
            "- **Batches** (the ancestor's `multi_bench`): one pipeline, or one MULTI/EXEC \
             transaction, of N `SET key:<i> <{VALUE_LEN}-byte value>` (replies discarded through \
             the client's unit type), then the same with N `GET key:<i>` (replies decoded into \
             `String`, count and last value checked). A sample repeats the batch until it has \
             sent at least {} commands; {} warm-up runs, {} samples.",
            thousands(p.min_commands_per_sample as f64),
            p.warmup,
            p.samples
        );
        let _ = writeln!(
            md,
            "- **Ceilings**: the bare socket (the batch's own commands, pre-encoded, replies \
             counted, not parsed; MULTI/EXEC included for transactions), and \
             `redis-benchmark -c 1 -P N -n <whole pipelines, at least {}> -d {VALUE_LEN} -t \
             set,get` against the same server ({} run(s), median), converted to µs per command; \
             `redis-benchmark` has no MULTI mode, so its transaction figure is the pipeline's.",
            thousands(p.ceiling_requests as f64),
            p.ceiling_runs
        );
        let _ = writeln!(
            md,
            "- **Sequential round trips**: {} GETs of one key, each awaited before the next, \
             from `block_on` and again from a spawned task; ceiling \
             `redis-benchmark -c 1 -P 1 -n {}`.",
            thousands(p.sequential_gets as f64),
            thousands(p.ceiling_round_trips as f64)
        );
        let _ = writeln!(
            md,
            "- **Shared handle**: {} tokio tasks, each with a clone of one client handle, each \
             doing {} SET/GET pairs on a key of its own; a SET or a GET is one op.",
            p.tasks,
            thousands(p.pairs_per_task as f64)
        );
        let _ = writeln!(
            md,
            "- **Big values**: SET then GET of one {} value, {} times per sample (GET \
             decodes into the client's bytes type); ceiling `redis-benchmark -c 1 -P 1 -d {}`.",
            size(p.big_len),
            p.big_rounds,
            p.big_len
        );
        let _ = writeln!(
            md,
            "- Every client is connected with TCP_NODELAY on (redis-rs and fred are told to; \
             sider and rustis do it by default) and without a client-side response timeout; \
             otherwise each uses its defaults. {} samples of the sequential, shared-handle and \
             big-value workloads.\n",
            p.other_samples
        );
    }

    fn batch_tables(&self, md: &mut String) {
        let sizes = &self.plan.sizes;
        let header = |md: &mut String, first: &str| {
            let _ = write!(md, "| {first} |");
            for n in sizes {
                let _ = write!(md, " N = {} |", thousands(*n as f64));
            }
            let _ = write!(md, "\n|---|");
            for _ in sizes {
                md.push_str("---|");
            }
            md.push('\n');
        };
        let _ = writeln!(md, "## Pipelines and transactions: µs per command\n");
        let _ = writeln!(md, "![µs per command against N, every client](chart.svg)\n");
        let sider_missing = self
            .batches
            .iter()
            .any(|r| r.kind == Kind::Sider && r.us.is_none());
        if sider_missing {
            let _ = writeln!(
                md,
                "n/a: sider has no API for that batch yet, so nothing is reported (nothing is \
                 estimated); `sider_batch` in `benches/src/clients.rs` is the one function to \
                 fill in.\n"
            );
        }
        let _ = writeln!(
            md,
            "sider's pipelines are its loop form, `client.batch()` with `push(|c| c.set(k, v))` \
             or `push(|c| c.get(k))` and `execute()` (`execute_ignore_results()` for the \
             ignore_results row); its transactions are the same through \
             `client.transaction_batch()`.\n\n\
             **The bare-socket ceiling** is the same commands (same keys and values) encoded once \
             before the run and written on a plain socket, with the replies counted by their line \
             ends instead of parsed: the server's and the network's time, which no client can \
             beat. It is sampled in the same rounds as the clients. `redis-benchmark -c 1 -P N` \
             is shown as well, but it sends one key over and over, which costs the server much \
             less than N distinct keys do, so it is the ceiling of a lighter workload.\n"
        );
        for mode in [Mode::Pipeline, Mode::Transaction] {
            for op in [Op::Set, Op::Get] {
                let _ = writeln!(md, "### {}, {}\n", mode.name(), op.name());
                header(md, "client");
                for kind in Kind::ALL {
                    let _ = write!(md, "| {kind} |");
                    for &n in sizes {
                        let _ = write!(md, " {} |", cell(self.batch(kind, mode, op, n), us));
                    }
                    md.push('\n');
                    if kind == Kind::Sider && op == Op::Set && mode == Mode::Pipeline {
                        let _ = write!(md, "| sider, ignore_results |");
                        for &n in sizes {
                            let s = self.batch(kind, Mode::IgnoreResults, op, n);
                            let _ = write!(md, " {} |", cell(s, us));
                        }
                        md.push('\n');
                    }
                }
                let _ = write!(md, "| **ceiling**, bare socket, same commands |");
                for &n in sizes {
                    let _ = write!(md, " {} |", cell(self.raw_ceiling(mode, op, n), us));
                }
                let _ = write!(md, "\n| ceiling, `redis-benchmark -c 1 -P N` (one key) |");
                for &n in sizes {
                    let _ = write!(md, " {} |", cell(self.ceiling(n, op), us));
                }
                md.push_str("\n\n");
            }
        }

        let _ = writeln!(
            md,
            "### Ratios at each N, medians (time ÷ time: below 1 means the first is faster)\n"
        );
        header(md, "ratio");
        for mode in [Mode::Pipeline, Mode::Transaction] {
            for op in [Op::Set, Op::Get] {
                for kind in Kind::ALL {
                    let _ = write!(
                        md,
                        "| {kind} ÷ bare-socket ceiling, {} {} |",
                        mode.name(),
                        op.name()
                    );
                    for &n in sizes {
                        let a = self.batch(kind, mode, op, n).map(|s| s.median);
                        let b = self.raw_ceiling(mode, op, n).map(|s| s.median);
                        let _ = write!(md, " {} |", ratio(a, b));
                    }
                    md.push('\n');
                }
                let _ = write!(
                    md,
                    "| sider ÷ `redis-benchmark`, {} {} |",
                    mode.name(),
                    op.name()
                );
                for &n in sizes {
                    let a = self.batch(Kind::Sider, mode, op, n).map(|s| s.median);
                    let b = self.ceiling(n, op).map(|s| s.median);
                    let _ = write!(md, " {} |", ratio(a, b));
                }
                md.push('\n');
                for peer in &Kind::ALL[..3] {
                    let _ = write!(md, "| sider ÷ {peer}, {} {} |", mode.name(), op.name());
                    for &n in sizes {
                        let a = self.batch(Kind::Sider, mode, op, n).map(|s| s.median);
                        let b = self.batch(*peer, mode, op, n).map(|s| s.median);
                        let _ = write!(md, " {} |", ratio(a, b));
                    }
                    md.push('\n');
                }
            }
        }
        md.push('\n');
    }

    /// One table of sequential round trips, with the ceiling and sider's overhead against
    /// the best peer's.
    fn sequential_table(&self, md: &mut String, rows: &[(Kind, Summary)]) {
        let sider = |rows: &[(Kind, Summary)]| lookup(rows, Kind::Sider).map(|s| s.median);
        let rt = self.round_trip_ceiling.map(|c| c.get.median);
        let _ = writeln!(
            md,
            "| client | µs per GET | overhead over the ceiling, µs | sider ÷ client |\n|---|---|---|---|"
        );
        for (kind, s) in rows {
            let overhead = rt.map_or("n/a".into(), |c| us(s.median - c));
            let _ = writeln!(
                md,
                "| {kind} | {} | {overhead} | {} |",
                cell(Some(*s), us),
                ratio(sider(rows), Some(s.median))
            );
        }
        if let Some(c) = self.round_trip_ceiling {
            let _ = writeln!(
                md,
                "| **ceiling** `redis-benchmark -c 1 -P 1` | GET {}, SET {} | 0 | |",
                cell(Some(c.get), us),
                cell(Some(c.set), us)
            );
        }
        if let (Some(c), Some(s)) = (rt, sider(rows)) {
            let best_peer = rows
                .iter()
                .filter(|(k, _)| *k != Kind::Sider)
                .map(|(_, s)| s.median - c)
                .fold(f64::INFINITY, f64::min);
            let _ = writeln!(
                md,
                "\nsider's overhead over the server's round trip: {} µs; the best peer's: {} µs \
                 (ratio {}).",
                us(s - c),
                us(best_peer),
                ratio(Some(s - c), Some(best_peer))
            );
        }
        md.push('\n');
    }

    fn other_tables(&self, md: &mut String) {
        let sider = |rows: &[(Kind, Summary)]| lookup(rows, Kind::Sider).map(|s| s.median);

        let _ = writeln!(md, "## Sequential round trips: µs per GET\n");
        let _ = writeln!(
            md,
            "From `block_on` on the main thread (the body of `#[tokio::main]`), where every \
             client's connection task runs on another thread than the caller:\n"
        );
        self.sequential_table(md, &self.sequential);
        if !self.sequential_in_task.is_empty() {
            let _ = writeln!(
                md,
                "From a task spawned on the runtime (a worker thread, where a server's request \
                 handlers run):\n"
            );
            self.sequential_table(md, &self.sequential_in_task);
        }

        let _ = writeln!(
            md,
            "## {} tasks sharing one client handle: ops/s (SET/GET pairs)\n",
            self.plan.tasks
        );
        let _ = writeln!(
            md,
            "| client | ops/s | sider ÷ client (ops/s: above 1 means sider is faster) |\n|---|---|---|"
        );
        for (kind, s) in &self.concurrent {
            let _ = writeln!(
                md,
                "| {kind} | {} | {} |",
                cell(Some(*s), thousands),
                ratio(sider(&self.concurrent), Some(s.median))
            );
        }
        md.push('\n');
        if let Some(stats) = &self.sider_stats {
            let _ = writeln!(
                md,
                "`client.stats()` of a sider client of its own after one more such run \
                 ({} tasks × {} SET/GET pairs), as printed by its `Display`:\n\n```text\n{}\n```\n",
                self.plan.tasks,
                thousands(self.plan.pairs_per_task as f64),
                stats.trim_end()
            );
        }

        let mib = self.plan.big_len as f64 / (1 << 20) as f64;
        let _ = writeln!(
            md,
            "## Big values: {}, SET then GET, µs per pair\n",
            size(self.plan.big_len)
        );
        let _ = writeln!(
            md,
            "| client | µs per SET+GET | MiB/s moved | sider ÷ client |\n|---|---|---|---|"
        );
        for (kind, s) in &self.big {
            let _ = writeln!(
                md,
                "| {kind} | {} | {:.0} | {} |",
                cell(Some(*s), us),
                2.0 * mib / (s.median / 1e6),
                ratio(sider(&self.big), Some(s.median))
            );
        }
        if let Some(c) = self.big_ceiling {
            let pair = c.set.median + c.get.median;
            let _ = writeln!(
                md,
                "| **ceiling** `redis-benchmark -c 1 -P 1 -d {}` | {} (SET {}, GET {}) | {:.0} | |",
                self.plan.big_len,
                us(pair),
                us(c.set.median),
                us(c.get.median),
                2.0 * mib / (pair / 1e6)
            );
        }
        md.push('\n');

        if let Some((_, first)) = self.memory.first() {
            let _ = writeln!(
                md,
                "## Memory: one pipeline of {} commands, peak RSS growth\n",
                thousands(first.n as f64)
            );
            let _ = writeln!(
                md,
                "Each client runs in a fresh process of its own (`multi_bench --mem-probe`): \
                 after connecting and a warm-up pipeline of 100 commands, the peak RSS \
                 (`VmHWM`) is reset through `/proc/self/clear_refs` and the growth of the peak \
                 over the RSS before the pipeline is read after it. \"wire\" is the bytes of \
                 the encoded commands plus their replies; the target is a peak of at most 2× \
                 that. RSS moves in pages and the allocator keeps what it frees, so small \
                 figures are coarse.\n"
            );
            let _ = writeln!(
                md,
                "| client | SET: peak growth | SET: wire | × wire | GET: peak growth | GET: wire | × wire |\n|---|---|---|---|---|---|---|"
            );
            for (kind, m) in &self.memory {
                let kib = |b: u64| format!("{} KiB", thousands(b as f64 / 1024.0));
                let _ = writeln!(
                    md,
                    "| {kind} | {} | {} | {:.2} | {} | {} | {:.2} |",
                    kib(m.set_growth),
                    kib(m.set_wire),
                    m.set_growth as f64 / m.set_wire as f64,
                    kib(m.get_growth),
                    kib(m.get_wire),
                    m.get_growth as f64 / m.get_wire as f64
                );
            }
            md.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(us(0.2934), "0.293");
        assert_eq!(us(55.55), "55.5");
        assert_eq!(ratio(Some(1.0), None), "n/a");
    }
}
