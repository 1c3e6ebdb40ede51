//! A real Redis Cluster for tests: six `redis-server` processes (three primaries, three
//! replicas) on free loopback ports, each in a temporary directory of its own, joined with
//! `redis-cli --cluster create`. Dropping the [`Cluster`] kills every node.
//!
//! Starting one takes a few seconds, so a test binary starts one and runs its scenarios on it.
//! `redis-cli` comes from `PATH`, or `REDIS_CLI_BIN` when set. Every wait is bounded.

use crate::{free_port, RedisServer};
use std::process::Command;
use std::time::{Duration, Instant};

/// Options for [`Cluster::builder`].
#[derive(Debug, Default, Clone)]
pub struct ClusterBuilder {
    binary: Option<String>,
    node_args: Vec<Vec<String>>,
    replicas: Option<usize>,
}

impl ClusterBuilder {
    /// Runs every node with this server binary (`redis-cli` still creates the cluster).
    pub fn binary(mut self, path: &str) -> Self {
        self.binary = Some(path.to_owned());
        self
    }

    /// Adds raw command-line words to the node started `index`-th (0 to 5; `redis-cli` makes the
    /// first three primaries and the last three their replicas).
    pub fn node_args(mut self, index: usize, words: &[&str]) -> Self {
        if self.node_args.len() <= index {
            self.node_args.resize(index + 1, Vec::new());
        }
        if let Some(args) = self.node_args.get_mut(index) {
            args.extend(words.iter().map(|w| (*w).to_owned()));
        }
        self
    }

    /// Gives each of the three primaries `n` replicas (default 1): `3 * (1 + n)` nodes.
    pub fn replicas(mut self, n: usize) -> Self {
        self.replicas = Some(n);
        self
    }

    /// Starts the cluster; see [`Cluster::start`].
    pub fn start(self) -> Cluster {
        Cluster::start_with(&self)
    }
}

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
        Cluster::builder().start()
    }

    /// A cluster with options: another server binary, arguments per node.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    fn start_with(options: &ClusterBuilder) -> Cluster {
        let replicas = options.replicas.unwrap_or(1);
        let nodes: Vec<RedisServer> = (0..3 * (1 + replicas))
            .map(|i| {
                // The bus port defaults to port + 10000, which may be taken or out of range.
                let bus = free_port().to_string();
                let mut builder = RedisServer::builder();
                if let Some(binary) = &options.binary {
                    builder = builder.binary(binary);
                }
                if let Some(extra) = options.node_args.get(i) {
                    let words: Vec<&str> = extra.iter().map(String::as_str).collect();
                    builder = builder.raw(&words);
                }
                builder
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
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .output()
            .unwrap_or_else(|e| panic!("running `{} --cluster create`: {e}", cli_binary()));
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.wait_healthy(&cluster.ports(), 3 * replicas);
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

    /// The ports of every replica of the primary on `primary`, as `CLUSTER NODES` on it lists
    /// them.
    pub fn replicas_of(primary: u16) -> Vec<u16> {
        let id = Cluster::node_id(primary);
        cli(primary, &["CLUSTER", "NODES"])
            .lines()
            .filter(|line| line.split(' ').nth(3) == Some(id.as_str()))
            .filter_map(|line| line.split(' ').nth(1))
            .filter_map(|addr| addr.split('@').next())
            .filter_map(|addr| addr.rsplit(':').next())
            .filter_map(|port| port.parse().ok())
            .collect()
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
