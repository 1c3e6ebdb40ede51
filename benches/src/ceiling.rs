//! The server's own ceiling: `redis-benchmark` with one connection against the same server.

use crate::clients::{Mode, Op};
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::process::Command;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// The batch workloads' own ceiling: the very commands a client sends (same keys, same values),
/// encoded once beforehand and written on a bare socket, with the replies counted by their line
/// ends rather than parsed. What is left is the server's and the network's time: no client can do
/// the same work faster. `redis-benchmark` repeats one key, which is cheaper for the server than
/// the workloads' N distinct keys, so its figures are a ceiling for a different workload.
#[derive(Debug)]
pub struct Raw {
    stream: tokio::net::TcpStream,
    /// Encoded batches and the line ends their replies hold, by mode, op and size.
    encoded: HashMap<(Mode, Op, usize), (Vec<u8>, usize)>,
    read_buf: Vec<u8>,
}

impl Raw {
    /// Connects to `host:port` with `TCP_NODELAY`, as every client is.
    pub async fn connect(host: &str, port: u16) -> Result<Raw> {
        let stream = tokio::net::TcpStream::connect((host, port)).await?;
        stream.set_nodelay(true)?;
        Ok(Raw {
            stream,
            encoded: HashMap::new(),
            read_buf: vec![0; 256 * 1024],
        })
    }

    /// One pipeline or transaction of `keys.len()` SETs or GETs, as the clients send it.
    pub async fn batch(
        &mut self,
        mode: Mode,
        op: Op,
        keys: &[String],
        values: &[String],
    ) -> Result<()> {
        let n = keys.len();
        let (bytes, lines) = self
            .encoded
            .entry((mode, op, n))
            .or_insert_with(|| encode(mode, op, keys, values));
        let (mut rd, mut wr) = self.stream.split();
        let buf = &mut self.read_buf;
        let read = async {
            let mut seen = 0;
            while seen < *lines {
                let got = rd.read(buf).await?;
                if got == 0 {
                    bail!("the server closed the connection");
                }
                seen += buf[..got].iter().filter(|&&b| b == b'\n').count();
            }
            anyhow::Ok(())
        };
        let write = async {
            wr.write_all(bytes).await?;
            anyhow::Ok(())
        };
        tokio::try_join!(write, read)?;
        Ok(())
    }
}

/// The wire bytes of a batch, and how many line ends its replies hold (keys exist and values
/// hold no line end, so a bulk reply is two lines).
fn encode(mode: Mode, op: Op, keys: &[String], values: &[String]) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut put = |args: &[&str]| {
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
    };
    let atomic = mode == Mode::Transaction;
    if atomic {
        put(&["MULTI"]);
    }
    for (k, v) in keys.iter().zip(values) {
        match op {
            Op::Set => put(&["SET", k, v]),
            Op::Get => put(&["GET", k]),
        }
    }
    if atomic {
        put(&["EXEC"]);
    }
    let n = keys.len();
    let per_reply = match op {
        Op::Set => 1,
        Op::Get => 2,
    };
    // MULTI's +OK, a +QUEUED each, EXEC's array header.
    let lines = if atomic {
        n * per_reply + n + 2
    } else {
        n * per_reply
    };
    (out, lines)
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
