//! The workloads and how often they run.
//!
//! Samples of different clients are interleaved (sample 1 of every client, then sample 2 of
//! every client, ...), so noise from anything else on the machine spreads over all of them
//! instead of landing on whichever client ran while it happened.

use crate::ceiling::Raw;
use crate::clients::{BigValue, Client, Kind, Mode, Op, Ran};
use crate::stats::Summary;
use anyhow::{ensure, Result};
use std::time::Instant;

/// How much of everything to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Batch sizes: how many commands one pipeline or transaction holds.
    pub sizes: Vec<usize>,
    /// Untimed runs of each workload before the samples.
    pub warmup: usize,
    /// Timed samples of each batch workload; the tables show their median, min and max.
    pub samples: usize,
    /// A batch sample repeats the batch until it has sent at least this many commands.
    pub min_commands_per_sample: usize,
    /// GETs one after another in one sequential sample.
    pub sequential_gets: usize,
    /// Samples of the sequential, concurrent and big-value workloads.
    pub other_samples: usize,
    /// Tasks sharing one client handle.
    pub tasks: usize,
    /// SET/GET pairs each task does in one sample.
    pub pairs_per_task: usize,
    /// Size of the big values.
    pub big_len: usize,
    /// SET-then-GET rounds of the big value in one sample.
    pub big_rounds: usize,
    /// Commands in the pipeline whose peak memory is measured.
    pub memory_n: usize,
    /// Runs of `redis-benchmark` per setting (median taken).
    pub ceiling_runs: usize,
    /// Requests `redis-benchmark` sends at least, per pipelined run.
    pub ceiling_requests: usize,
    /// Requests `redis-benchmark` sends for the round-trip ceiling (`-P 1`).
    pub ceiling_round_trips: usize,
}

impl Plan {
    /// The full suite, as issue 7 describes it.
    pub fn full() -> Plan {
        Plan {
            sizes: vec![100, 1_000, 10_000, 40_000],
            warmup: 2,
            samples: 9,
            min_commands_per_sample: 10_000,
            sequential_gets: 10_000,
            other_samples: 5,
            tasks: 64,
            pairs_per_task: 1_000,
            big_len: 1 << 20,
            big_rounds: 100,
            memory_n: 40_000,
            ceiling_runs: 3,
            ceiling_requests: 1_000_000,
            ceiling_round_trips: 20_000,
        }
    }

    /// A smoke run for CI: small sizes, one sample, a few seconds in all.
    pub fn quick() -> Plan {
        Plan {
            sizes: vec![100, 1_000],
            warmup: 1,
            samples: 1,
            min_commands_per_sample: 0,
            sequential_gets: 500,
            other_samples: 1,
            tasks: 64,
            pairs_per_task: 20,
            big_len: 1 << 20,
            big_rounds: 5,
            memory_n: 1_000,
            ceiling_runs: 1,
            ceiling_requests: 20_000,
            ceiling_round_trips: 2_000,
        }
    }

    /// How many times one batch sample repeats a batch of `n` commands.
    pub fn repeats(&self, n: usize) -> usize {
        self.min_commands_per_sample.div_ceil(n).max(1)
    }
}

/// The keys and values of the batch workloads: `key:<i>` and a 16-digit value, same for every
/// client.
#[derive(Clone, Debug)]
pub struct Data {
    /// `key:0`, `key:1`, ...
    pub keys: Vec<String>,
    /// `0000000000000000`, `0000000000000001`, ...
    pub values: Vec<String>,
}

/// The length of every small value.
pub const VALUE_LEN: usize = 16;

impl Data {
    /// Keys and values for batches of up to `n` commands.
    pub fn new(n: usize) -> Data {
        Data {
            keys: (0..n).map(|i| format!("key:{i}")).collect(),
            values: (0..n).map(|i| format!("{i:016}")).collect(),
        }
    }
}

/// Samples of one batch workload for each client, in µs per command; `None` where the client
/// has no API for it. With `raw`, the bare-socket ceiling is sampled in the same rounds
/// (returned last; `None` for the ignore_results mode, whose commands are the pipeline's).
pub async fn batch(
    plan: &Plan,
    clients: &mut [Client],
    mut raw: Option<&mut Raw>,
    data: &Data,
    mode: Mode,
    op: Op,
    n: usize,
) -> Result<(Vec<(Kind, Option<Summary>)>, Option<Summary>)> {
    let keys = &data.keys[..n];
    let values = &data.values[..n];
    let repeats = plan.repeats(n);
    if mode == Mode::IgnoreResults {
        raw = None;
    }
    let mut raw_samples = Vec::new();
    if let Some(raw) = raw.as_deref_mut() {
        for _ in 0..plan.warmup.max(1) {
            raw.batch(mode, op, keys, values).await?;
        }
    }
    let mut available = vec![true; clients.len()];
    for (client, ok) in clients.iter_mut().zip(&mut available) {
        for _ in 0..plan.warmup.max(1) {
            if client.batch(mode, op, keys, values).await? == Ran::NotAvailable {
                *ok = false;
                break;
            }
        }
    }
    let mut samples = vec![Vec::new(); clients.len()];
    for _ in 0..plan.samples {
        for (i, client) in clients.iter_mut().enumerate() {
            if !available[i] {
                continue;
            }
            let start = Instant::now();
            for _ in 0..repeats {
                client.batch(mode, op, keys, values).await?;
            }
            let us = start.elapsed().as_secs_f64() * 1e6;
            samples[i].push(us / (repeats * n) as f64);
        }
        if let Some(raw) = raw.as_deref_mut() {
            let start = Instant::now();
            for _ in 0..repeats {
                raw.batch(mode, op, keys, values).await?;
            }
            let us = start.elapsed().as_secs_f64() * 1e6;
            raw_samples.push(us / (repeats * n) as f64);
        }
    }
    let rows = clients
        .iter()
        .zip(samples)
        .map(|(c, s)| (c.kind(), Summary::of(&s)))
        .collect();
    Ok((rows, Summary::of(&raw_samples)))
}

/// Sequential round trips: GETs of one key, each awaited before the next; µs per GET. Run from
/// `block_on` (the body of `#[tokio::main]`).
pub async fn sequential(plan: &Plan, clients: &mut [Client]) -> Result<Vec<(Kind, Summary)>> {
    sequential_from(plan, clients, false).await
}

/// The same round trips from a task spawned on the runtime (a worker thread, where a server's
/// request handlers run).
pub async fn sequential_in_task(
    plan: &Plan,
    clients: &mut [Client],
) -> Result<Vec<(Kind, Summary)>> {
    sequential_from(plan, clients, true).await
}

const SEQ_KEY: &str = "seq:key";
const SEQ_VALUE: &str = "0123456789abcdef";

async fn sequential_from(
    plan: &Plan,
    clients: &mut [Client],
    in_task: bool,
) -> Result<Vec<(Kind, Summary)>> {
    clients[0].set(SEQ_KEY, SEQ_VALUE).await?;
    for client in clients.iter() {
        timed_gets(client, plan.sequential_gets.min(1_000), in_task).await?;
    }
    let mut samples = vec![Vec::new(); clients.len()];
    for _ in 0..plan.other_samples {
        for (i, client) in clients.iter().enumerate() {
            samples[i].push(timed_gets(client, plan.sequential_gets, in_task).await?);
        }
    }
    summarise(clients, samples)
}

/// `rounds` GETs one after another on a handle of `client`'s (cloned outside the timing), here
/// or in a task of their own; µs per GET.
async fn timed_gets(client: &Client, rounds: usize, in_task: bool) -> Result<f64> {
    async fn gets(mut client: Client, rounds: usize) -> Result<f64> {
        let start = Instant::now();
        for _ in 0..rounds {
            let got = client.get(SEQ_KEY).await?;
            ensure!(
                got.as_deref() == Some(SEQ_VALUE),
                "GET {SEQ_KEY} returned {got:?}"
            );
        }
        Ok(start.elapsed().as_secs_f64() * 1e6 / rounds as f64)
    }
    if in_task {
        tokio::spawn(gets(client.clone(), rounds)).await?
    } else {
        gets(client.clone(), rounds).await
    }
}

/// `plan.tasks` tasks sharing one client handle, each doing SET/GET pairs on its own key;
/// operations (a SET or a GET each) per second.
pub async fn concurrent(plan: &Plan, clients: &mut [Client]) -> Result<Vec<(Kind, Summary)>> {
    for client in clients.iter() {
        run_tasks(plan, client, plan.pairs_per_task.min(50)).await?;
    }
    let mut samples = vec![Vec::new(); clients.len()];
    for _ in 0..plan.other_samples {
        for (i, client) in clients.iter().enumerate() {
            let start = Instant::now();
            run_tasks(plan, client, plan.pairs_per_task).await?;
            let secs = start.elapsed().as_secs_f64();
            samples[i].push((2 * plan.tasks * plan.pairs_per_task) as f64 / secs);
        }
    }
    summarise(clients, samples)
}

/// One more shared-handle run, on a sider client of its own, and that client's
/// [`stats()`](sider::Client::stats) afterwards: what a user reads after such a run.
pub async fn concurrent_stats(plan: &Plan, host: &str, port: u16) -> Result<String> {
    let client = Client::connect(Kind::Sider, host, port).await?;
    run_tasks(plan, &client, plan.pairs_per_task).await?;
    match &client {
        Client::Sider(c) => Ok(c.stats().to_string()),
        _ => unreachable!("connected as sider"),
    }
}

async fn run_tasks(plan: &Plan, client: &Client, pairs: usize) -> Result<()> {
    let mut handles = Vec::with_capacity(plan.tasks);
    for t in 0..plan.tasks {
        let mut client = client.clone();
        handles.push(tokio::spawn(async move {
            let key = format!("task:{t}");
            let value = format!("{t:016}");
            for _ in 0..pairs {
                client.set(&key, &value).await?;
                let got = client.get(&key).await?;
                ensure!(got.as_deref() == Some(value.as_str()), "GET {key}: {got:?}");
            }
            anyhow::Ok(())
        }));
    }
    for handle in handles {
        handle.await??;
    }
    Ok(())
}

/// Big values: SET then GET of one `plan.big_len`-byte value, `plan.big_rounds` times; µs per
/// SET+GET pair.
pub async fn big_values(plan: &Plan, clients: &mut [Client]) -> Result<Vec<(Kind, Summary)>> {
    let value = BigValue::new(plan.big_len);
    let key = "big:key";
    for client in clients.iter_mut() {
        client.set_big(key, &value).await?;
        client.get_big(key).await?;
    }
    let mut samples = vec![Vec::new(); clients.len()];
    for _ in 0..plan.other_samples {
        for (i, client) in clients.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..plan.big_rounds {
                client.set_big(key, &value).await?;
                let len = client.get_big(key).await?;
                ensure!(len == value.len(), "GET {key}: {len} bytes");
            }
            let us = start.elapsed().as_secs_f64() * 1e6;
            samples[i].push(us / plan.big_rounds as f64);
        }
    }
    summarise(clients, samples)
}

fn summarise(clients: &[Client], samples: Vec<Vec<f64>>) -> Result<Vec<(Kind, Summary)>> {
    clients
        .iter()
        .zip(samples)
        .map(|(c, s)| {
            let summary = Summary::of(&s).ok_or_else(|| anyhow::anyhow!("no samples"))?;
            Ok((c.kind(), summary))
        })
        .collect()
}
