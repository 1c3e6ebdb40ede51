//! A broad sample of commands called through the typed API against real servers, each test under
//! RESP2 and RESP3, asserting the decoded values.
//!
//! The server is `redis-server` from `PATH`, or `REDIS_SERVER_BIN`: every test passes on Redis
//! 7.0, Redis 8.0 and Valkey 9.1. Where the server lacks a command (the vector sets before Redis
//! 8.0 and on Valkey, COMMANDLOG on Redis...), the test checks the error it gives instead.
//!
//! Coverage: these tests call every spec command the connected server has, in every group but
//! sentinel. On Redis 7.0.15, 339 of its 360; on Redis 8.0.6, 367 of 388; on Valkey 9.1.2, 370
//! of 391 (the rest are the 21 SENTINEL subcommands). Per group, Redis 7.0 / Redis 8.0 / Valkey
//! 9.1: bitmap 7, cluster 30/31/37, connection 22/24/26, generic 32/33/33, geo 10, hash 17/29/29,
//! hyperloglog 5, list 22, pubsub 8, scripting 20/20/21, server 64/64/68, set 17, sorted-set 35,
//! stream 23, string 22/22/24, transactions 5, vector-set -/12/-. The harness counts them at the
//! end of a full run from the servers' `INFO commandstats` (each is called through the typed API
//! in these files), counting only commands the server has (by the spec's Redis and Valkey
//! versions: a refused command is not in `commandstats`). It prints them per group and fails
//! below the server's floor ([`min_covered`]) or when a group other than sentinel that the server
//! has commands of has none called.
//!
//! Sentinel is skipped: its SENTINEL subcommands need a running Sentinel (`redis-server
//! --sentinel` with a config file of its own), which a plain server is not; only the refusal a
//! plain server gives is checked.
//!
//! One binary, one owner: `main` (`harness = false`) starts the servers and drops them at the end.
//! A plain server runs every group but the cluster one, which gets a single-node cluster-enabled
//! server (the plain server's refusal of CLUSTER commands is checked too). Tests share the plain
//! server, so each uses keys under a prefix of its own (`<test>:<protocol>:`) and they run
//! concurrently; tests that change the whole server (FLUSHALL, CONFIG SET, CLIENT PAUSE,
//! SWAPDB...) run after them, one at a time.
//!
//! `cargo test --test commands -- <filter>` runs the tests whose name contains `<filter>`.

// Every command is called, the deprecated ones (GEORADIUS, ZREVRANGE...) included.
#![allow(deprecated)]

#[path = "commands/cluster.rs"]
mod cluster;
#[path = "commands/collections.rs"]
mod collections;
#[path = "commands/keys.rs"]
mod keys;
#[path = "commands/newer_data.rs"]
mod newer_data;
#[path = "commands/newer_server.rs"]
mod newer_server;
#[path = "commands/scripting.rs"]
mod scripting;
#[path = "commands/server.rs"]
mod server;
#[path = "commands/sorted_sets.rs"]
mod sorted_sets;
#[path = "commands/streams.rs"]
mod streams;
#[path = "commands/strings.rs"]
mod strings;
#[path = "commands/vectors.rs"]
mod vectors;

use sider::prelude::*;
use sider::{Client, ServerInfo};
use sider_tests::RedisServer;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// What a test gets: a client speaking one protocol and a key prefix nobody else uses.
#[derive(Clone)]
pub struct Ctx {
    pub client: Client,
    /// 2 or 3.
    pub protocol: u8,
    /// The server's URL with `?protocol=` set, for tests that open more connections.
    pub url: String,
    pub prefix: String,
}

impl Ctx {
    /// `name` under this test's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Another client on the same server and protocol.
    pub async fn another_client(&self) -> anyhow::Result<Client> {
        Ok(Client::connect(&self.url).await?)
    }
}

/// The code of a server error, for asserting on expected refusals.
pub fn error_code<T: std::fmt::Debug>(result: Result<T, sider::Error>) -> String {
    match result {
        Ok(value) => panic!("expected a server error, got {value:?}"),
        Err(e) => e
            .server_error()
            .map(|s| format!("{} {}", s.code(), s.message()))
            .unwrap_or_else(|| panic!("expected a server error, got {e}")),
    }
}

type TestFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
type TestFn = fn(Ctx) -> TestFuture;

macro_rules! tests {
    ($($path:path),* $(,)?) => {
        vec![$((stringify!($path), (|t| Box::pin($path(t)) as TestFuture) as TestFn)),*]
    };
}

/// Tests that only touch keys under their prefix: they run concurrently.
fn concurrent() -> Vec<(&'static str, TestFn)> {
    tests![
        strings::strings,
        strings::bitmaps,
        strings::hyperloglogs,
        keys::expiry,
        keys::keyspace,
        keys::sort_dump_restore,
        keys::object,
        collections::hashes,
        collections::lists,
        collections::blocking_lists,
        collections::sets,
        sorted_sets::sorted_sets,
        sorted_sets::sorted_set_ranges,
        sorted_sets::blocking_sorted_sets,
        sorted_sets::geo,
        streams::streams,
        streams::consumer_groups,
        newer_data::hash_field_expiry,
        newer_data::hash_get_set_ex,
        newer_data::sorted_set_options,
        newer_data::string_conditions,
        scripting::eval,
        scripting::pubsub,
        server::connection,
        server::client_admin,
        server::transactions,
        server::introspection,
        server::acl,
        server::sentinel_is_not_available,
        cluster::cluster_disabled_on_a_plain_server,
        vectors::vectors,
        newer_server::newer_connection,
        newer_server::newer_client_filters,
    ]
}

/// Tests that change the whole server: they run one at a time, after the others.
fn serial() -> Vec<(&'static str, TestFn)> {
    tests![
        scripting::functions,
        server::databases,
        server::config_and_stats,
        server::admin_errors,
        server::client_pause,
        newer_server::newer_server_admin,
    ]
}

/// Tests for the single-node cluster server.
fn on_cluster() -> Vec<(&'static str, TestFn)> {
    tests![cluster::cluster, newer_server::newer_cluster]
}

async fn run_one(name: &str, test: TestFn, url: String, protocol: u8) -> Result<(), String> {
    let url = format!("{url}?protocol={protocol}");
    let client = Client::connect(&url)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let ctx = Ctx {
        client,
        protocol,
        url,
        prefix: format!("{}:{protocol}:", name.replace(' ', "")),
    };
    let task = tokio::spawn(tokio::time::timeout(Duration::from_secs(20), test(ctx)));
    match task.await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(e))) => Err(format!("{e:#}")),
        Ok(Err(_)) => Err("timed out after 20 s".to_owned()),
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let text = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panic".to_owned());
            Err(format!("panicked: {text}"))
        }
        Err(e) => Err(format!("{e}")),
    }
}

/// The spec commands a server has run (its `INFO commandstats`), as spec names ("CONFIG GET").
async fn executed(url: &str) -> anyhow::Result<BTreeSet<String>> {
    let client = Client::connect(url).await?;
    let stats = client.info().section("commandstats").await?;
    Ok(stats
        .lines()
        .filter_map(|line| line.strip_prefix("cmdstat_")?.split(':').next())
        .map(|name| name.replace('|', " ").to_uppercase())
        .collect())
}

/// Whether `server` has a spec command, by the first Redis or Valkey version the spec gives for
/// it (the vector sets: Redis 8.0, no Valkey; `COMMANDLOG`: Valkey 8.1, no Redis).
fn server_has(command: &sider::CommandInfo, server: &ServerInfo) -> bool {
    let since = if server.is_valkey() {
        command.valkey_since()
    } else {
        command.redis_since()
    };
    let version = |text: &str| -> Option<(u32, u32, u32)> {
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        Some((parts.next()??, parts.next()??, parts.next()??))
    };
    since
        .and_then(version)
        .is_some_and(|v| server.version() >= v)
}

/// Prints how many of the spec commands `server` has the servers ran, per group; an error when
/// the sample is below the server's floor or a group (other than sentinel) with commands on this
/// server has none called. Commands the server lacks are not counted: their tests check the
/// server's refusal, which `INFO commandstats` does not record.
fn coverage_report(seen: &BTreeSet<String>, server: &ServerInfo) -> Result<(), String> {
    // Per group: (called, on this server, in the spec).
    let mut per_group: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for info in sider::commands::COMMANDS {
        let entry = per_group.entry(info.group()).or_default();
        entry.2 += 1;
        if server_has(info, server) {
            entry.1 += 1;
            if seen.contains(info.name()) {
                entry.0 += 1;
            }
        }
    }
    let covered: usize = per_group.values().map(|(n, _, _)| n).sum();
    let available: usize = per_group.values().map(|(_, of, _)| of).sum();
    let groups: Vec<String> = per_group
        .iter()
        .filter(|(_, (_, of, _))| *of > 0)
        .map(|(group, (n, of, _))| format!("{group} {n}/{of}"))
        .collect();
    let absent: Vec<String> = per_group
        .iter()
        .filter(|(_, (_, of, _))| *of == 0)
        .map(|(group, (_, _, all))| format!("{group} ({all})"))
        .collect();
    let uncalled: Vec<&str> = sider::commands::COMMANDS
        .iter()
        .filter(|c| server_has(c, server))
        .map(|c| c.name())
        .filter(|name| !seen.contains(*name) && !name.starts_with("SENTINEL "))
        .collect();
    let floor = min_covered(server);
    println!(
        "\ncoverage on {server}: {covered} called of the {available} spec commands it has \
         ({} in the spec): {}\ngroups it has none of: {}\nnot called (sentinel aside): {}",
        sider::commands::COMMANDS.len(),
        groups.join(", "),
        if absent.is_empty() {
            "-".to_owned()
        } else {
            absent.join(", ")
        },
        uncalled.join(", ")
    );
    let missing: Vec<&&str> = per_group
        .iter()
        .filter(|(group, (n, of, _))| *n == 0 && *of > 0 && **group != "sentinel")
        .map(|(group, _)| group)
        .collect();
    if covered < floor || !missing.is_empty() {
        return Err(format!(
            "coverage on {server}: {covered} commands (at least {floor} wanted), groups without \
             any: {missing:?}"
        ));
    }
    Ok(())
}

/// The floor for the number of distinct spec commands these tests call on a server: the counts
/// of a full run, given in the module doc. Another server gets the floor of the release before
/// it (every later Redis and every Valkey has what Redis 7.0 has).
fn min_covered(server: &ServerInfo) -> usize {
    match (server.name(), server.version()) {
        ("valkey", v) if v >= (9, 1, 0) => MIN_COVERED_VALKEY_9_1,
        ("redis", v) if v >= (8, 0, 0) => MIN_COVERED_REDIS_8_0,
        _ => MIN_COVERED_REDIS_7_0,
    }
}

const MIN_COVERED_REDIS_7_0: usize = 339;
const MIN_COVERED_REDIS_8_0: usize = 367;
const MIN_COVERED_VALKEY_9_1: usize = 370;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let wanted =
        |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let groups = [
        ("plain", true, concurrent()),
        ("plain", false, serial()),
        ("cluster", false, on_cluster()),
    ];
    if args.iter().any(|a| a == "--list") {
        for (_, _, tests) in &groups {
            for (name, _) in tests {
                println!("{name}: test");
            }
        }
        return ExitCode::SUCCESS;
    }

    let started = Instant::now();
    let plain = RedisServer::builder()
        .arg("enable-debug-command", "yes")
        .arg("enable-module-command", "yes")
        .start();
    // A node timeout of 1 s (not 15) also cuts to 1 s the wait before a node that had no slots
    // turns its cluster state back to ok once it has them (the test of CLUSTERSCAN waits for it).
    let cluster = RedisServer::builder()
        .arg("cluster-enabled", "yes")
        .arg("cluster-config-file", "nodes.conf")
        .arg("cluster-node-timeout", "1000")
        .start();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let mut failures = Vec::new();
    let mut passed = 0;
    // What the servers ran, gathered around each serial test too (CONFIG RESETSTAT clears it).
    let mut seen = BTreeSet::new();
    let snapshot =
        |url: &str, seen: &mut BTreeSet<String>, failures: &mut Vec<String>| match runtime
            .block_on(executed(url))
        {
            Ok(names) => seen.extend(names),
            Err(e) => failures.push(format!("INFO commandstats: {e}")),
        };
    for (server, parallel, tests) in groups {
        let url = if server == "plain" {
            plain.url()
        } else {
            cluster.url()
        };
        let runs: Vec<(String, TestFn, u8)> = tests
            .into_iter()
            .filter(|(name, _)| wanted(name))
            .flat_map(|(name, test)| [2, 3].map(|p| (name.to_owned(), test, p)))
            .collect();
        let mut results: Vec<(String, u8, Result<(), String>)> = Vec::new();
        if parallel {
            results = runtime.block_on(async {
                let handles: Vec<_> = runs
                    .into_iter()
                    .map(|(name, test, p)| {
                        let url = url.clone();
                        tokio::spawn(async move {
                            let result = run_one(&name, test, url, p).await;
                            (name, p, result)
                        })
                    })
                    .collect();
                let mut out = Vec::new();
                for handle in handles {
                    out.push(handle.await.expect("test runner task"));
                }
                out
            });
        } else {
            for (name, test, p) in runs {
                snapshot(&url, &mut seen, &mut failures);
                let result = runtime.block_on(run_one(&name, test, url.clone(), p));
                results.push((name, p, result));
            }
        }
        snapshot(&url, &mut seen, &mut failures);
        for (name, protocol, result) in results {
            match result {
                Ok(()) => {
                    passed += 1;
                    println!("test {name} (RESP{protocol}) ... ok");
                }
                Err(e) => {
                    println!("test {name} (RESP{protocol}) ... FAILED");
                    failures.push(format!("{name} (RESP{protocol}): {e}"));
                }
            }
        }
    }
    if filters.is_empty() {
        match runtime.block_on(Client::connect(&plain.url())) {
            Ok(client) => {
                if let Err(e) = coverage_report(&seen, &client.server()) {
                    failures.push(e);
                }
            }
            Err(e) => failures.push(format!("connect for the coverage report: {e}")),
        }
    }
    drop(runtime);
    drop(cluster);
    drop(plain);
    let elapsed = started.elapsed().as_secs_f64();
    if failures.is_empty() {
        println!("\ntest result: ok. {passed} passed; 0 failed; finished in {elapsed:.2}s");
        ExitCode::SUCCESS
    } else {
        println!("\nfailures:");
        for failure in &failures {
            println!("\n---- {failure}");
        }
        println!(
            "\ntest result: FAILED. {passed} passed; {} failed; finished in {elapsed:.2}s",
            failures.len()
        );
        ExitCode::FAILURE
    }
}
