//! What [`Mock::verify`](super::Mock::verify) reports: commands nobody expected, each beside
//! what was expected instead, and expectations not met.
//!
//! Imports nothing from the rest of sider.

use bytes::Bytes;
use std::fmt;

/// Arguments as `redis-cli` shows them: the name bare, the rest quoted, with escapes for what
/// is not printable (`SET "k" "\x00\xff"`).
pub(super) struct Args<'a>(pub(super) &'a [Bytes]);

impl fmt::Display for Args<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            let bare = i == 0 && !arg.is_empty() && arg.iter().all(|b| b.is_ascii_graphic());
            if bare {
                f.write_str(&String::from_utf8_lossy(arg))?;
            } else {
                f.write_str(&quote(arg))?;
            }
        }
        Ok(())
    }
}

/// One argument in double quotes, escaped.
pub(super) fn quote(arg: &[u8]) -> String {
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    for &b in arg {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b if b.is_ascii_graphic() || b == b' ' => out.push(char::from(b)),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// A command the mock did not expect, as `verify` reports it.
#[derive(Debug, Clone)]
pub(super) struct Unexpected {
    /// Which connection it came on (1 for the first accepted).
    pub(super) conn: u64,
    pub(super) came: String,
    /// What was expected instead, each with how it differs.
    pub(super) expected: Vec<String>,
    /// In an ordered mock: the expectation that was next.
    pub(super) ordered: bool,
}

impl fmt::Display for Unexpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "unexpected command on connection {}:", self.conn)?;
        writeln!(f, "  came:     {}", self.came)?;
        if self.expected.is_empty() {
            return writeln!(f, "  expected: nothing more");
        }
        let label = if self.ordered {
            "expected (next in order):"
        } else {
            "expected one of:"
        };
        writeln!(f, "  {label}")?;
        for expected in &self.expected {
            writeln!(f, "    {expected}")?;
        }
        Ok(())
    }
}

/// Why [`Mock::verify`](super::Mock::verify) failed: every command that came unexpected, and
/// every expectation not met (or written without a reply). Its `Display` is the report.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub(super) unexpected: Vec<Unexpected>,
    pub(super) unmet: Vec<String>,
}

impl Mismatch {
    /// How many commands came that no expectation allowed.
    pub fn unexpected(&self) -> usize {
        self.unexpected.len()
    }

    /// How many expectations were not met.
    pub fn unmet(&self) -> usize {
        self.unmet.len()
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |n: usize, what: &str| match n {
            1 => format!("1 {what}"),
            n => format!("{n} {what}s"),
        };
        writeln!(
            f,
            "sider mock: {}, {} not met",
            count(self.unexpected.len(), "unexpected command"),
            count(self.unmet.len(), "expectation"),
        )?;
        for unexpected in &self.unexpected {
            write!(f, "\n{unexpected}")?;
        }
        if !self.unmet.is_empty() {
            writeln!(f, "\nexpectations not met:")?;
            for unmet in &self.unmet {
                writeln!(f, "  {unmet}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Mismatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_and_escaped() {
        let args = [
            Bytes::from_static(b"SET"),
            Bytes::from_static(b"k 1"),
            Bytes::from_static(b"\x00\"\n"),
        ];
        assert_eq!(Args(&args).to_string(), r#"SET "k 1" "\x00\"\n""#);
    }
}
