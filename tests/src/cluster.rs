//! A real Redis Cluster for tests: six `redis-server` processes (three primaries, three
//! replicas) on free loopback ports, each in a temporary directory of its own, joined with
//! `redis-cli --cluster create`. Dropping the [`Cluster`] kills every node.
//!
//! Starting one takes a few seconds, so a test binary starts one and runs its scenarios on it.
//! `redis-cli` comes from `PATH`, or `REDIS_CLI_BIN` when set. Every wait is bounded.

use crate::{free_port, RedisServer};
use std::process::Command;
use std::time::{Duration, Instant};

/// A running six-node cluster.
#[derive(Debug)]
pub struct Cluster {
    nodes: Vec<RedisServer>,
}

fn cli_binary() -> String {
    std::env::var("REDIS_CLI_BIN").unwrap_or_else(|_| "redis-cli".to_owned())
}

/// Runs `redis-cli -p <port> <args>` and returns its output (empty when it fails).
pub fn cli(port: u16, args: &[&str]) -> String {
    Command::new(cli_binary())
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default()
}

/// Polls `check` every 50 ms until it holds; panics with `what` after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Cluster {
    /// Starts six nodes, creates the cluster (one replica per primary) and waits until every
    /// node reports `cluster_state:ok` and every replica is in sync.
    pub fn start() -> Cluster {
        let nodes: Vec<RedisServer> = (0..6)
            .map(|_| {
                // The bus port defaults to port + 10000, which may be taken or out of range.
                let bus = free_port().to_string();
                RedisServer::builder()
                    .raw(&[
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "2000",
                        "--cluster-port",
                        &bus,
                    ])
                    .start()
            })
            .collect();
        let cluster = Cluster { nodes };
        let addrs: Vec<String> = cluster
            .ports()
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let out = Command::new(cli_binary())
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()
            .unwrap_or_else(|e| panic!("running `{} --cluster create`: {e}", cli_binary()));
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.wait_healthy(&cluster.ports(), 3);
        cluster
    }

    /// Waits until each of `ports` says `cluster_state:ok` and sees `replicas` replicas linked
    /// to their primaries.
    pub fn wait_healthy(&self, ports: &[u16], replicas: usize) {
        for &port in ports {
            wait_until(
                &format!("cluster_state:ok on {port}"),
                Duration::from_secs(30),
                || cli(port, &["CLUSTER", "INFO"]).contains("cluster_state:ok"),
            );
            wait_until(
                &format!("{replicas} replicas known to {port}"),
                Duration::from_secs(30),
                || {
                    let nodes = cli(port, &["CLUSTER", "NODES"]);
                    nodes
                        .lines()
                        .filter(|l| l.contains("slave") && !l.contains("fail"))
                        .count()
                        == replicas
                },
            );
            if cli(port, &["INFO", "replication"]).contains("role:slave") {
                wait_until(
                    &format!("replica {port} in sync"),
                    Duration::from_secs(30),
                    || cli(port, &["INFO", "replication"]).contains("master_link_status:up"),
                );
            }
        }
    }

    /// Waits until each of `ports` lists `count` nodes as `online` in `CLUSTER SHARDS`. A
    /// replica is `online` there only once the node asked has heard of its replication offset;
    /// until then clients do not read from it.
    pub fn wait_online(&self, ports: &[u16], count: usize) {
        for &port in ports {
            wait_until(
                &format!("{count} nodes online per {port}"),
                Duration::from_secs(30),
                || {
                    let shards = cli(port, &["CLUSTER", "SHARDS"]);
                    shards.lines().filter(|l| l.trim() == "online").count() == count
                },
            );
        }
    }

    /// Every node's port, in start order.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(RedisServer::port).collect()
    }

    /// `redis://127.0.0.1:<port>` for every node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// Kills the node on `port` now, as a crash would.
    pub fn kill(&mut self, port: u16) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.port() == port) {
            node.kill();
        }
    }

    /// The node id of the node on `port`.
    pub fn node_id(port: u16) -> String {
        cli(port, &["CLUSTER", "MYID"]).trim().to_owned()
    }

    /// The port of a replica of the primary on `primary`, as `CLUSTER NODES` on it lists them.
    pub fn replica_of(primary: u16) -> Option<u16> {
        let id = Cluster::node_id(primary);
        cli(primary, &["CLUSTER", "NODES"])
            .lines()
            .find(|line| line.split(' ').nth(3) == Some(id.as_str()))
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|addr| addr.split('@').next())
            .and_then(|addr| addr.rsplit(':').next())
            .and_then(|port| port.parse().ok())
    }
}
