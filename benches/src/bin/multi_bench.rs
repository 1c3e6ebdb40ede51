//! The end-to-end suite: sider, redis-rs, fred and rustis against one redis-server, next to
//! `redis-benchmark`'s ceiling on the same server; writes `RESULTS.md` and `chart.svg`.
//!
//! ```text
//! multi_bench [--quick] [--out benches/RESULTS.md] [--chart benches/chart.svg]
//!             [--url redis://127.0.0.1:PORT] [--clients redis-rs,fred,rustis,sider]
//!             [--current-thread] [--appendix codec.md] [--label "benches/run"]
//! ```
//!
//! Without `--url` it starts its own `redis-server` on a free loopback port (never 6379) and
//! stops it at the end. With `--url` it writes `key:*`, `task:*`, `seq:key` and `big:key` on
//! that server.

use anyhow::{bail, Context, Result};
use sider_benches::ceiling::{self, Ceiling};
use sider_benches::clients::{Client, Kind, Mode, Op};
use sider_benches::machine::Machine;
use sider_benches::memory;
use sider_benches::report::{us, BatchRow, CeilingPair, MemoryRow, Results};
use sider_benches::server::{given_or_started, host_port};
use sider_benches::stats::Summary;
use sider_benches::workload::{self, Data, Plan, VALUE_LEN};
use std::path::PathBuf;

struct Args {
    quick: bool,
    out: PathBuf,
    chart: Option<PathBuf>,
    url: Option<String>,
    kinds: Vec<Kind>,
    current_thread: bool,
    appendix: Option<PathBuf>,
    label: Option<String>,
    mem_probe: Option<Kind>,
    mem_n: usize,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        quick: false,
        out: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/RESULTS.md")),
        chart: None,
        url: None,
        kinds: Kind::ALL.to_vec(),
        current_thread: false,
        appendix: None,
        label: None,
        mem_probe: None,
        mem_n: 40_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--out" => args.out = value("--out")?.into(),
            "--chart" => args.chart = Some(value("--chart")?.into()),
            "--url" => args.url = Some(value("--url")?),
            "--appendix" => args.appendix = Some(value("--appendix")?.into()),
            "--label" => args.label = Some(value("--label")?),
            "--current-thread" => args.current_thread = true,
            "--mem-probe" => {
                let name = value("--mem-probe")?;
                args.mem_probe = Some(Kind::parse(&name).with_context(|| format!("no {name}"))?);
            }
            "--mem-n" => args.mem_n = value("--mem-n")?.parse().context("--mem-n")?,
            "--clients" => {
                args.kinds = value("--clients")?
                    .split(',')
                    .map(|name| Kind::parse(name).with_context(|| format!("no client {name}")))
                    .collect::<Result<_>>()?;
            }
            "--bench" => {} // passed by `cargo bench`
            "-h" | "--help" => {
                println!("{}", HELP);
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{HELP}"),
        }
    }
    Ok(args)
}

const HELP: &str = "usage: multi_bench [--quick] [--out RESULTS.md] [--chart chart.svg] \
[--url redis://host:port] [--clients redis-rs,fred,rustis,sider] [--current-thread] \
[--appendix FILE.md] [--label TEXT]";

fn main() -> Result<()> {
    let args = parse_args()?;
    if let Some(kind) = args.mem_probe {
        // A child of the main run: one client, one measurement, one line on stdout.
        let (host, port) = host_port(args.url.as_deref().context("--mem-probe needs --url")?)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let row = runtime.block_on(memory::probe(kind, &host, port, args.mem_n))?;
        println!("{}", memory::format_row(&row));
        return Ok(());
    }
    let plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    let (server, host, port) = given_or_started(args.url.as_deref())?;
    eprintln!("redis-server on {host}:{port}");

    let mut builder = if args.current_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = builder.enable_all().build()?;
    let runtime_name = if args.current_thread {
        "current-thread runtime".to_owned()
    } else {
        format!(
            "multi-thread runtime ({} workers)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        )
    };

    let mut results = Results {
        quick: args.quick,
        command: args.label.clone().unwrap_or_else(|| {
            let argv: Vec<String> = std::env::args().skip(1).collect();
            format!("multi_bench {}", argv.join(" ")).trim().to_owned()
        }),
        machine: Machine::describe(),
        plan: plan.clone(),
        runtime: runtime_name,
        external_server: args.url.is_some(),
        batches: Vec::new(),
        ceilings: Vec::new(),
        raw: Vec::new(),
        sider_stats: None,
        round_trip_ceiling: None,
        big_ceiling: None,
        sequential: Vec::new(),
        sequential_in_task: Vec::new(),
        concurrent: Vec::new(),
        big: Vec::new(),
        memory: Vec::new(),
        load_end: String::new(),
        others_cpu: None,
        appendix: match &args.appendix {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
            None => String::new(),
        },
    };

    let cpu_start = sider_benches::machine::CpuTimes::now();
    measure_ceilings(&plan, &host, port, &mut results)?;
    runtime.block_on(measure_clients(
        &plan,
        &args.kinds,
        &host,
        port,
        &mut results,
    ))?;
    drop(runtime);
    for &kind in &args.kinds {
        let row = probe_memory(kind, &host, port, plan.memory_n)
            .with_context(|| format!("memory probe of {kind}"))?;
        eprintln!(
            "memory, {kind}: SET pipeline peak +{} KiB ({:.2}× wire), GET +{} KiB ({:.2}× wire)",
            row.set_growth / 1024,
            row.set_growth as f64 / row.set_wire as f64,
            row.get_growth / 1024,
            row.get_growth as f64 / row.get_wire as f64
        );
        results.memory.push((kind, row));
    }
    drop(server);
    results.load_end = sider_benches::machine::load_average();
    results.others_cpu = cpu_start.others_share(&sider_benches::machine::CpuTimes::now());

    let md = results.markdown();
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(&args.out, &md).with_context(|| format!("writing {}", args.out.display()))?;
    let chart = args
        .chart
        .clone()
        .unwrap_or_else(|| args.out.with_file_name("chart.svg"));
    sider_benches::chart::draw(&results, &chart)?;
    eprintln!("wrote {} and {}", args.out.display(), chart.display());
    Ok(())
}

/// Runs this binary again as `--mem-probe <kind>`, so each client starts from a fresh heap.
fn probe_memory(kind: Kind, host: &str, port: u16, n: usize) -> Result<MemoryRow> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["--mem-probe", kind.name(), "--mem-n", &n.to_string()])
        .args(["--url", &format!("redis://{host}:{port}")])
        .output()?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    memory::parse_row(&String::from_utf8_lossy(&out.stdout))
}

fn ceiling_runs(
    plan: &Plan,
    host: &str,
    port: u16,
    pipeline: usize,
    requests: usize,
    value_len: usize,
) -> Result<CeilingPair> {
    let runs: Vec<Ceiling> = (0..plan.ceiling_runs.max(1))
        .map(|_| ceiling::measure(host, port, pipeline, requests, value_len))
        .collect::<Result<_>>()?;
    let set: Vec<f64> = runs.iter().map(|c| c.set_us).collect();
    let get: Vec<f64> = runs.iter().map(|c| c.get_us).collect();
    let pair = CeilingPair {
        set: Summary::of(&set).context("no ceiling runs")?,
        get: Summary::of(&get).context("no ceiling runs")?,
    };
    eprintln!(
        "ceiling -P {pipeline} -d {value_len}: SET {} µs, GET {} µs",
        us(pair.set.median),
        us(pair.get.median)
    );
    Ok(pair)
}

fn measure_ceilings(plan: &Plan, host: &str, port: u16, results: &mut Results) -> Result<()> {
    for &n in &plan.sizes {
        let requests = ceiling::requests_for(n, plan.ceiling_requests);
        let pair = ceiling_runs(plan, host, port, n, requests, VALUE_LEN)?;
        results.ceilings.push((n, pair));
    }
    results.round_trip_ceiling = Some(ceiling_runs(
        plan,
        host,
        port,
        1,
        plan.ceiling_round_trips,
        VALUE_LEN,
    )?);
    results.big_ceiling = Some(ceiling_runs(
        plan,
        host,
        port,
        1,
        plan.big_rounds * plan.other_samples.max(1),
        plan.big_len,
    )?);
    Ok(())
}

async fn measure_clients(
    plan: &Plan,
    kinds: &[Kind],
    host: &str,
    port: u16,
    results: &mut Results,
) -> Result<()> {
    let mut clients = Vec::new();
    for &kind in kinds {
        let client = Client::connect(kind, host, port)
            .await
            .with_context(|| format!("connecting {kind}"))?;
        clients.push(client);
    }
    let mut raw = sider_benches::ceiling::Raw::connect(host, port)
        .await
        .context("connecting the bare socket")?;
    let data = Data::new(plan.sizes.iter().copied().max().unwrap_or(0));

    for &n in &plan.sizes {
        for mode in [Mode::Pipeline, Mode::Transaction, Mode::IgnoreResults] {
            let ops: &[Op] = if mode == Mode::IgnoreResults {
                &[Op::Set]
            } else {
                &[Op::Set, Op::Get]
            };
            for &op in ops {
                let (rows, raw_us) =
                    workload::batch(plan, &mut clients, Some(&mut raw), &data, mode, op, n)
                        .await
                        .with_context(|| format!("{} {} N={n}", mode.name(), op.name()))?;
                if let Some(s) = raw_us {
                    results.raw.push(((mode, op, n), s));
                }
                let mut line = format!("{} {} N={n}:", mode.name(), op.name());
                for (kind, s) in rows {
                    if !mode.applies_to(kind) {
                        continue;
                    }
                    line += &format!(" {kind} {}", s.map_or("n/a".into(), |s| us(s.median)));
                    results.batches.push(BatchRow {
                        kind,
                        mode,
                        op,
                        n,
                        us: s,
                    });
                }
                if let Some(s) = raw_us {
                    line += &format!(" raw-socket {}", us(s.median));
                }
                eprintln!("{line} µs/command");
            }
        }
    }

    results.sequential = workload::sequential(plan, &mut clients)
        .await
        .context("sequential round trips")?;
    report_line("sequential, µs per GET", &results.sequential, us);
    results.sequential_in_task = workload::sequential_in_task(plan, &mut clients)
        .await
        .context("sequential round trips from a task")?;
    report_line(
        "sequential from a spawned task, µs per GET",
        &results.sequential_in_task,
        us,
    );
    results.concurrent = workload::concurrent(plan, &mut clients)
        .await
        .context("shared handle")?;
    report_line(
        &format!("{} tasks, ops/s", plan.tasks),
        &results.concurrent,
        |x| format!("{x:.0}"),
    );
    if kinds.contains(&Kind::Sider) {
        results.sider_stats = Some(
            workload::concurrent_stats(plan, host, port)
                .await
                .context("stats after a shared-handle run")?,
        );
    }
    results.big = workload::big_values(plan, &mut clients)
        .await
        .context("big values")?;
    report_line("big values, µs per SET+GET", &results.big, us);
    Ok(())
}

fn report_line(what: &str, rows: &[(Kind, Summary)], fmt: fn(f64) -> String) {
    let cells: Vec<String> = rows
        .iter()
        .map(|(k, s)| format!("{k} {}", fmt(s.median)))
        .collect();
    eprintln!("{what}: {}", cells.join(", "));
}
