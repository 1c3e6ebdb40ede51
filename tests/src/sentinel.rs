//! A Sentinel-managed group for the Sentinel tests: a primary, a replica of it, and three
//! `redis-sentinel` processes watching them as `mymaster` (quorum 2), all on free loopback
//! ports, each in a temporary directory of its own (sentinels rewrite their config file), and
//! all killed on drop.
//!
//! The binary is `redis-sentinel` from `PATH`, or `REDIS_SENTINEL_BIN` when set (Debian's
//! `redis-sentinel` package).

use crate::{free_port, RedisServer};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The group name every sentinel monitors.
pub const MASTER: &str = "mymaster";

/// A primary, a replica and three sentinels.
#[derive(Debug)]
pub struct SentinelGroup {
    /// The server that is the primary when the group starts.
    pub primary: RedisServer,
    /// Its replica (`--replicaof`), the one a failover promotes.
    pub replica: RedisServer,
    /// The three sentinels.
    pub sentinels: Vec<Sentinel>,
}

/// One `redis-sentinel` process, killed on drop.
#[derive(Debug)]
pub struct Sentinel {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SentinelGroup {
    /// Starts the servers and the sentinels, and returns once every sentinel knows the replica
    /// and the two other sentinels, so that a failover can be voted and has a replica to promote.
    ///
    /// # Panics
    ///
    /// When a process does not start, or the group is not ready within 15 s.
    pub fn start() -> SentinelGroup {
        let primary = RedisServer::start();
        let replica = RedisServer::builder()
            .arg("replicaof", &format!("127.0.0.1 {}", primary.port()))
            // Sentinel prefers replicas with a lower priority; 0 would forbid promoting this one.
            .arg("replica-priority", "10")
            .start();
        let deadline = Instant::now() + Duration::from_secs(15);
        wait_for(deadline, "the replica to sync with the primary", || {
            command(replica.port(), &["INFO", "replication"])
                .is_some_and(|info| info.contains("master_link_status:up"))
        });
        let sentinels: Vec<Sentinel> = (0..3).map(|_| Sentinel::start(primary.port())).collect();
        for sentinel in &sentinels {
            wait_for(
                deadline,
                "the sentinels to see the replica and each other",
                || {
                    let replicas = command(sentinel.port, &["SENTINEL", "REPLICAS", MASTER]);
                    let peers = command(sentinel.port, &["SENTINEL", "SENTINELS", MASTER]);
                    let replica_port = format!("\r\n{}\r\n", replica.port());
                    replicas.is_some_and(|r| r.contains(&replica_port) && r.contains("\r\nok\r\n"))
                        && peers.is_some_and(|p| p.matches("\r\nip\r\n").count() == 2)
                },
            );
        }
        SentinelGroup {
            primary,
            replica,
            sentinels,
        }
    }

    /// The sentinels' `(host, port)` pairs, for `Config::sentinel`.
    pub fn sentinel_addrs(&self) -> Vec<(String, u16)> {
        self.sentinels
            .iter()
            .map(|s| ("127.0.0.1".to_owned(), s.port))
            .collect()
    }

    /// `redis+sentinel://127.0.0.1:<p1>,127.0.0.1:<p2>,127.0.0.1:<p3>/mymaster`.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect();
        format!("redis+sentinel://{}/{MASTER}", hosts.join(","))
    }
}

impl Sentinel {
    fn start(primary_port: u16) -> Sentinel {
        let mut last_error = String::new();
        for _ in 0..5 {
            match Sentinel::try_start(primary_port) {
                Ok(sentinel) => return sentinel,
                Err(e) => last_error = e,
            }
        }
        panic!("could not start redis-sentinel: {last_error}");
    }

    fn try_start(primary_port: u16) -> Result<Sentinel, String> {
        let dir = tempfile::Builder::new()
            .prefix("sider-sentinel-")
            .tempdir()
            .map_err(|e| format!("creating a temp dir: {e}"))?;
        let port = free_port();
        let conf = dir.path().join("sentinel.conf");
        std::fs::write(&conf, config_file(port, primary_port, dir.path()))
            .map_err(|e| format!("writing {}: {e}", conf.display()))?;
        let mut cmd = Command::new(binary());
        cmd.arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| {
            format!(
                "running `{}`: {e}. Install it with `sudo apt-get install -y redis-sentinel` \
                 or point REDIS_SENTINEL_BIN at a redis-sentinel binary",
                binary()
            )
        })?;
        let mut sentinel = Sentinel { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = sentinel.child.try_wait() {
                let log = std::fs::read_to_string(sentinel.dir.path().join("sentinel.log"))
                    .unwrap_or_default();
                return Err(format!("redis-sentinel exited with {status}: {log}"));
            }
            if command(port, &["PING"]).is_some_and(|r| r == "+PONG\r\n") {
                return Ok(sentinel);
            }
            if Instant::now() > deadline {
                return Err("redis-sentinel did not answer PING within 10 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The sentinel's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sends a command and returns the raw RESP reply, or `None` when the sentinel is not
    /// reachable.
    pub fn command(&self, args: &[&str]) -> Option<String> {
        command(self.port, args)
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> String {
    std::env::var("REDIS_SENTINEL_BIN").unwrap_or_else(|_| "redis-sentinel".to_owned())
}

/// Quick failure detection (500 ms) so the tests stay short; the failover timeout also bounds
/// how long a failed election waits before the next try.
fn config_file(port: u16, primary_port: u16, dir: &Path) -> String {
    format!(
        "port {port}\n\
         bind 127.0.0.1\n\
         daemonize no\n\
         dir {dir}\n\
         logfile {dir}/sentinel.log\n\
         sentinel monitor {MASTER} 127.0.0.1 {primary_port} 2\n\
         sentinel down-after-milliseconds {MASTER} 500\n\
         sentinel failover-timeout {MASTER} 2000\n\
         sentinel parallel-syncs {MASTER} 1\n",
        dir = dir.display()
    )
}

/// Polls `ready` every 50 ms until it holds, panicking at `deadline`.
pub fn wait_for(deadline: Instant, what: &str, mut ready: impl FnMut() -> bool) {
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends one command to `127.0.0.1:port` and returns the whole raw RESP reply (read until the
/// server pauses for 20 ms), or `None` when the server is not reachable.
pub fn command(port: u16, args: &[&str]) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).ok()?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                reply.extend_from_slice(&buf[..n]);
                // The reply is complete once the server stops sending for a moment.
                stream
                    .set_read_timeout(Some(Duration::from_millis(20)))
                    .ok()?;
            }
            Err(_) if !reply.is_empty() => break,
            Err(_) => return None,
        }
    }
    String::from_utf8(reply).ok()
}
