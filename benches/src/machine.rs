//! What the numbers were measured on: CPU, memory, kernel, server and compiler versions.

use std::process::Command;

/// A description of the machine and the software under test.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    /// `model name` from `/proc/cpuinfo`.
    pub cpu: String,
    /// How many logical processors `/proc/cpuinfo` lists.
    pub cpus: usize,
    /// `MemTotal` from `/proc/meminfo`, in GiB.
    pub mem_gib: f64,
    /// `uname -srmo`.
    pub uname: String,
    /// `redis-server --version`.
    pub redis_server: String,
    /// `rustc --version`.
    pub rustc: String,
    /// `/proc/loadavg` when the run started: anything else running skews the figures.
    pub load_start: String,
    /// The workspace's git commit, with ` (modified)` when its sider sources differ from it.
    pub commit: String,
}

/// The 1-, 5- and 15-minute load averages from `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

impl Machine {
    /// Reads everything it can; what cannot be read is left as `"unknown"`.
    pub fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let cpus = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        let mem_gib = std::fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0 / 1024.0)
            .unwrap_or(0.0);
        let server_bin =
            std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
        Machine {
            cpu,
            cpus,
            mem_gib,
            uname: output("uname", &["-srmo"]),
            redis_server: output(&server_bin, &["--version"]),
            rustc: output("rustc", &["--version"]),
            load_start: load_average(),
            commit: commit(),
        }
    }
}

fn commit() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let head = output("git", &["-C", root, "rev-parse", "--short", "HEAD"]);
    if head == "unknown" {
        return head;
    }
    let dirty = output(
        "git",
        &[
            "-C",
            root,
            "status",
            "--porcelain",
            "--",
            "sider",
            "sider-macros",
            "commands",
        ],
    );
    if dirty.is_empty() {
        head
    } else {
        format!("{head} (modified)")
    }
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// The version `Cargo.lock` pins for the crate `name`, read from the lock file compiled in.
pub fn locked_version(name: &str) -> String {
    const LOCK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"));
    let needle = format!("name = \"{name}\"\n");
    LOCK.split("[[package]]")
        .find(|p| p.contains(&needle))
        .and_then(|p| p.lines().find(|l| l.starts_with("version = ")))
        .map(|l| {
            l.trim_start_matches("version = ")
                .trim_matches('"')
                .to_owned()
        })
        .unwrap_or_else(|| "unknown".into())
}

/// CPU time of the whole machine and of this process (its waited-for children included), in
/// clock ticks, to tell how much of a run's CPU went to other work.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuTimes {
    busy: u64,
    total: u64,
    own: u64,
}

impl CpuTimes {
    /// Reads `/proc/stat` and `/proc/self/stat`; zeros where they cannot be read.
    pub fn now() -> CpuTimes {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let cpu: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        let field = |i: usize| cpu.get(i).copied().unwrap_or(0);
        // user nice system idle iowait irq softirq steal
        let busy = field(0) + field(1) + field(2) + field(5) + field(6) + field(7);
        let total = busy + field(3) + field(4);
        let own_stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let own = own_stat
            .rsplit_once(')')
            .map(|(_, rest)| {
                // After the command name: state is field 3, utime..cstime are fields 14-17.
                rest.split_whitespace()
                    .skip(11)
                    .take(4)
                    .filter_map(|f| f.parse::<u64>().ok())
                    .sum()
            })
            .unwrap_or(0);
        CpuTimes { busy, total, own }
    }

    /// The share of all CPUs' time between `self` and `later` that other processes used: the
    /// machine's busy time less this process's and its waited-for children's (the server, the
    /// `redis-benchmark` runs, the memory probes).
    pub fn others_share(&self, later: &CpuTimes) -> Option<f64> {
        let total = later.total.checked_sub(self.total)?;
        if total == 0 {
            return None;
        }
        let busy = later.busy.saturating_sub(self.busy);
        let own = later.own.saturating_sub(self.own);
        Some(busy.saturating_sub(own) as f64 / total as f64)
    }
}
