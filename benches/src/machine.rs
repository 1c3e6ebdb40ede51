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
        }
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
