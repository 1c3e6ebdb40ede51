//! The server's own ceiling: `redis-benchmark` with one connection against the same server.

use anyhow::{bail, Context, Result};
use std::process::Command;

/// µs per command for SET and for GET, from one `redis-benchmark` run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ceiling {
    /// µs per SET.
    pub set_us: f64,
    /// µs per GET.
    pub get_us: f64,
}

/// Runs `redis-benchmark -c 1 -P <pipeline> -n <requests> -d <value_len> -t set,get --csv`
/// and converts its requests per second into µs per command.
pub fn measure(
    host: &str,
    port: u16,
    pipeline: usize,
    requests: usize,
    value_len: usize,
) -> Result<Ceiling> {
    let bin = std::env::var("REDIS_BENCHMARK_BIN").unwrap_or_else(|_| "redis-benchmark".into());
    let out = Command::new(&bin)
        .args(["-h", host, "-p", &port.to_string(), "-c", "1"])
        .args(["-P", &pipeline.to_string(), "-n", &requests.to_string()])
        .args(["-d", &value_len.to_string(), "-t", "set,get", "--csv"])
        .output()
        .with_context(|| format!("running `{bin}` (it comes with the redis-tools package)"))?;
    if !out.status.success() {
        bail!(
            "{bin} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    parse_csv(&String::from_utf8_lossy(&out.stdout))
}

/// Reads the `"SET","<rps>",...` and `"GET","<rps>",...` lines of `redis-benchmark --csv`.
pub fn parse_csv(text: &str) -> Result<Ceiling> {
    let mut ceiling = Ceiling::default();
    for line in text.lines() {
        let mut fields = line.split(',').map(|f| f.trim().trim_matches('"'));
        let (Some(test), Some(rps)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Ok(rps) = rps.parse::<f64>() else {
            continue;
        };
        if rps <= 0.0 {
            continue;
        }
        match test {
            "SET" => ceiling.set_us = 1e6 / rps,
            "GET" => ceiling.get_us = 1e6 / rps,
            _ => {}
        }
    }
    if ceiling.set_us == 0.0 || ceiling.get_us == 0.0 {
        bail!("no SET and GET lines in redis-benchmark's output: {text:?}");
    }
    Ok(ceiling)
}

/// How many requests to give `redis-benchmark` at pipeline depth `n`: a whole number of
/// pipelines, at least `floor` requests.
pub fn requests_for(n: usize, floor: usize) -> usize {
    let pipelines = floor.div_ceil(n).max(2);
    pipelines * n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_csv_output() {
        let text = "\"test\",\"rps\",\"avg_latency_ms\"\n\"SET\",\"250000.00\",\"0.1\"\n\"GET\",\"500000.00\",\"0.1\"\n";
        let c = parse_csv(text).unwrap();
        assert_eq!((c.set_us, c.get_us), (4.0, 2.0));
        assert!(parse_csv("nothing").is_err());
    }

    #[test]
    fn requests_are_whole_pipelines() {
        assert_eq!(requests_for(40_000, 100_000), 120_000);
        assert_eq!(requests_for(100, 1_000), 1_000);
        assert_eq!(requests_for(1_000, 10), 2_000);
    }
}
