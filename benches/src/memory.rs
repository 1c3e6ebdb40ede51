//! Peak memory of one big pipeline, measured in a process of its own per client.

use crate::clients::{Client, Kind, Mode, Op};
use crate::report::MemoryRow;
use crate::workload::Data;
use anyhow::{bail, Context, Result};

/// A field of `/proc/self/status` such as `VmRSS` or `VmHWM`, in bytes.
pub fn status_bytes(field: &str) -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
        .with_context(|| format!("no {field} in /proc/self/status"))?;
    let kib: u64 = line[field.len() + 1..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib * 1024)
}

/// Resets the peak RSS (`VmHWM`) to the current RSS (Linux 4.0 and later).
pub fn reset_peak() -> Result<()> {
    std::fs::write("/proc/self/clear_refs", "5").context("resetting VmHWM via clear_refs")
}

/// The bytes of a RESP bulk string of `len` bytes.
fn bulk(len: usize) -> u64 {
    (1 + len.to_string().len() + 2 + len + 2) as u64
}

/// Encoded SETs of `data` plus their `+OK` replies; encoded GETs plus their bulk replies.
pub fn wire_bytes(data: &Data, n: usize) -> (u64, u64) {
    let mut set = 0;
    let mut get = 0;
    for (k, v) in data.keys[..n].iter().zip(&data.values[..n]) {
        set += 4 + bulk(3) + bulk(k.len()) + bulk(v.len()) + 5;
        get += 4 + bulk(3) + bulk(k.len()) + bulk(v.len());
    }
    (set, get)
}

/// Connects one client and measures the peak RSS growth of one SET pipeline and one GET
/// pipeline of `n` commands. Meant to run in a fresh process (`multi_bench --mem-probe`).
pub async fn probe(kind: Kind, host: &str, port: u16, n: usize) -> Result<MemoryRow> {
    let data = Data::new(n);
    let mut client = Client::connect(kind, host, port).await?;
    let warm = n.min(100);
    for op in [Op::Set, Op::Get] {
        client
            .batch(Mode::Pipeline, op, &data.keys[..warm], &data.values[..warm])
            .await?;
    }
    let mut growth = [0u64; 2];
    for (i, op) in [Op::Set, Op::Get].into_iter().enumerate() {
        reset_peak()?;
        let before = status_bytes("VmRSS")?;
        let ran = client
            .batch(Mode::Pipeline, op, &data.keys[..n], &data.values[..n])
            .await?;
        if ran != crate::clients::Ran::Yes {
            bail!("{kind} has no pipeline");
        }
        growth[i] = status_bytes("VmHWM")?.saturating_sub(before);
    }
    let (set_wire, get_wire) = wire_bytes(&data, n);
    Ok(MemoryRow {
        n,
        set_growth: growth[0],
        set_wire,
        get_growth: growth[1],
        get_wire,
    })
}

/// The line a probe process prints, and its parser.
pub fn format_row(row: &MemoryRow) -> String {
    format!(
        "MEM {} {} {} {} {}",
        row.n, row.set_growth, row.set_wire, row.get_growth, row.get_wire
    )
}

/// Parses what [`format_row`] wrote.
pub fn parse_row(text: &str) -> Result<MemoryRow> {
    let line = text
        .lines()
        .find(|l| l.starts_with("MEM "))
        .context("no MEM line from the probe")?;
    let f: Vec<u64> = line[4..]
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let [n, set_growth, set_wire, get_growth, get_wire] = f[..] else {
        bail!("bad MEM line {line:?}");
    };
    Ok(MemoryRow {
        n: n as usize,
        set_growth,
        set_wire,
        get_growth,
        get_wire,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_bytes_match_the_encoding() {
        let data = Data::new(1);
        let (set, get) = wire_bytes(&data, 1);
        let cmd = sider::Cmd::new("SET").arg("key:0").arg(&data.values[0]);
        assert_eq!(set, cmd.to_bytes().len() as u64 + 5);
        let get_cmd = sider::Cmd::new("GET").arg("key:0");
        assert_eq!(get, get_cmd.to_bytes().len() as u64 + 23);
    }

    #[test]
    fn rows_round_trip() {
        let row = MemoryRow {
            n: 4,
            set_growth: 1,
            set_wire: 2,
            get_growth: 3,
            get_wire: 4,
        };
        let back = parse_row(&format_row(&row)).unwrap();
        assert_eq!((back.n, back.get_wire), (4, 4));
        assert!(status_bytes("VmRSS").unwrap() > 0);
    }
}
