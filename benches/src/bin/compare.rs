//! A quick look at chosen workloads, for working on one figure without the whole suite.
//!
//! ```text
//! compare [--clients sider,rustis] [--sizes 1000,40000] [--samples 9]
//!         [--workloads pipeline-set,pipeline-get,transaction-set,transaction-get,
//!                      ignore-set,sequential,sequential-task,concurrent,big,ceiling]
//!         [--url redis://127.0.0.1:PORT]
//! ```
//!
//! Prints medians (with min–max) to stdout; writes nothing. Without `--url` it starts its own
//! `redis-server` on a free loopback port. `benches/run` remains the run that counts.

use anyhow::{bail, Context, Result};
use sider_benches::ceiling;
use sider_benches::clients::{Client, Kind, Mode, Op};
use sider_benches::report::us;
use sider_benches::server::given_or_started;
use sider_benches::stats::Summary;
use sider_benches::workload::{self, Data, Plan, VALUE_LEN};

fn list(value: &str) -> Vec<String> {
    value.split(',').map(str::to_owned).collect()
}

fn main() -> Result<()> {
    let mut plan = Plan::full();
    let mut kinds = Kind::ALL.to_vec();
    let mut workloads = list("pipeline-set,pipeline-get,sequential,concurrent");
    let mut url = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--clients" => {
                kinds = list(&value()?)
                    .iter()
                    .map(|name| Kind::parse(name).with_context(|| format!("no client {name}")))
                    .collect::<Result<_>>()?;
            }
            "--sizes" => {
                plan.sizes = list(&value()?)
                    .iter()
                    .map(|n| n.parse().context("--sizes"))
                    .collect::<Result<_>>()?;
            }
            "--samples" => {
                plan.samples = value()?.parse().context("--samples")?;
                plan.other_samples = plan.samples;
            }
            "--workloads" => workloads = list(&value()?),
            "--url" => url = Some(value()?),
            other => bail!("unknown argument {other} (see the comment at the top of compare.rs)"),
        }
    }
    let (server, host, port) = given_or_started(url.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut clients = Vec::new();
        for &kind in &kinds {
            clients.push(Client::connect(kind, &host, port).await?);
        }
        let mut raw = ceiling::Raw::connect(&host, port).await?;
        let data = Data::new(plan.sizes.iter().copied().max().unwrap_or(0));
        for name in &workloads {
            let batch = match name.as_str() {
                "pipeline-set" => Some((Mode::Pipeline, Op::Set)),
                "pipeline-get" => Some((Mode::Pipeline, Op::Get)),
                "transaction-set" => Some((Mode::Transaction, Op::Set)),
                "transaction-get" => Some((Mode::Transaction, Op::Get)),
                "ignore-set" => Some((Mode::IgnoreResults, Op::Set)),
                _ => None,
            };
            if let Some((mode, op)) = batch {
                for &n in &plan.sizes {
                    let (rows, raw) =
                        workload::batch(&plan, &mut clients, Some(&mut raw), &data, mode, op, n)
                            .await?;
                    let mut cells: Vec<String> = rows
                        .into_iter()
                        .filter(|(kind, _)| mode.applies_to(*kind))
                        .map(|(kind, s)| format!("{kind} {}", s.map_or("n/a".into(), show)))
                        .collect();
                    if let Some(raw) = raw {
                        cells.push(format!("raw socket {}", show(raw)));
                    }
                    println!("{name} N={n} µs/cmd: {}", cells.join(" · "));
                }
                continue;
            }
            let rows = match name.as_str() {
                "sequential" => workload::sequential(&plan, &mut clients).await?,
                "sequential-task" => workload::sequential_in_task(&plan, &mut clients).await?,
                "concurrent" => workload::concurrent(&plan, &mut clients).await?,
                "big" => workload::big_values(&plan, &mut clients).await?,
                "ceiling" => {
                    for &n in plan.sizes.iter().chain(&[1]) {
                        let requests = ceiling::requests_for(n, plan.ceiling_requests);
                        let c = ceiling::measure(&host, port, n, requests, VALUE_LEN)?;
                        println!(
                            "ceiling -P {n} µs/cmd: SET {} · GET {}",
                            us(c.set_us),
                            us(c.get_us)
                        );
                    }
                    continue;
                }
                other => bail!("unknown workload {other}"),
            };
            let cells: Vec<String> = rows
                .into_iter()
                .map(|(kind, s)| format!("{kind} {}", show(s)))
                .collect();
            println!("{name}: {}", cells.join(" · "));
        }
        anyhow::Ok(())
    })?;
    drop(server);
    Ok(())
}

fn show(s: Summary) -> String {
    if s.median > 1000.0 {
        format!("{:.0} ({:.0}–{:.0})", s.median, s.min, s.max)
    } else {
        format!("{} ({}–{})", us(s.median), us(s.min), us(s.max))
    }
}
