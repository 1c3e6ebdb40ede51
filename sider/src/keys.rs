//! Where a command's keys are: the runs of arguments [`Cmd`](crate::Cmd) wrote as keys, kept as
//! byte ranges of its encoded body so that a cluster client can hash the keys later.
//!
//! Recording is a few integer stores per key argument; nothing is allocated for up to two runs,
//! which covers every command in the spec but `GEORADIUS ... STORE ... STOREDIST`. Imports
//! nothing but `std`.

/// One run of arguments: every `step`-th argument from the `skip`-th on is a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeySpan {
    /// Byte offset in the body of the run's first argument.
    start: u32,
    /// Byte offset just past the run's last argument.
    end: u32,
    skip: u8,
    step: u8,
}

/// The key runs of one command, in the order written.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeySpans {
    inline: [KeySpan; 2],
    len: u8,
    spill: Vec<KeySpan>,
    /// A key run lies beyond 4 GiB of body, or a block is wider than 255 arguments: the keys
    /// cannot be told apart. Routing refuses such a command instead of guessing.
    unknown: bool,
    /// The command's arguments were found invalid while being written (see `Cmd::refuse`): it
    /// holds no keys. Kept here, in the padding beside `len`, so that a `Cmd` (moved by value
    /// at every builder step) stays 128 bytes.
    pub(crate) refused: bool,
}

impl KeySpans {
    /// Records that the arguments in `start..end` (byte offsets) hold keys: the `skip`-th
    /// argument of every block of `step`.
    pub(crate) fn record(&mut self, start: usize, end: usize, skip: usize, step: usize) {
        if start == end {
            return;
        }
        let (Ok(start), Ok(end), Ok(skip), Ok(step)) = (
            u32::try_from(start),
            u32::try_from(end),
            u8::try_from(skip),
            u8::try_from(step),
        ) else {
            self.unknown = true;
            return;
        };
        let span = KeySpan {
            start,
            end,
            skip,
            step: step.max(1),
        };
        // Keys written one after another (`RENAME a b`) extend one run.
        if let Some(last) = self.last_mut() {
            if last.end == span.start && last.step == 1 && span.step == 1 && span.skip == 0 {
                last.end = span.end;
                return;
            }
        }
        match self.inline.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = span;
                self.len += 1;
            }
            None => self.spill.push(span),
        }
    }

    fn last_mut(&mut self) -> Option<&mut KeySpan> {
        if let Some(last) = self.spill.last_mut() {
            return Some(last);
        }
        let len = usize::from(self.len);
        self.inline.get_mut(len.checked_sub(1)?)
    }

    /// Appends the runs of a fragment whose body starts at byte `offset` of this one.
    pub(crate) fn append(&mut self, other: &KeySpans, offset: usize) {
        self.unknown |= other.unknown;
        for span in other.iter() {
            self.record(
                offset + span.start as usize,
                offset + span.end as usize,
                usize::from(span.skip),
                usize::from(span.step),
            );
        }
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.spill.clear();
        self.unknown = false;
        self.refused = false;
    }

    fn iter(&self) -> impl Iterator<Item = KeySpan> + '_ {
        self.inline
            .iter()
            .take(usize::from(self.len))
            .chain(self.spill.iter())
            .copied()
    }

    fn get(&self, index: usize) -> Option<KeySpan> {
        let len = usize::from(self.len);
        if index < len {
            self.inline.get(index).copied()
        } else {
            self.spill.get(index - len).copied()
        }
    }

    /// The keys, read from the body these spans were recorded against.
    pub(crate) fn keys<'a>(&'a self, body: &'a [u8]) -> Keys<'a> {
        Keys {
            body,
            spans: self,
            span: 0,
            pos: None,
            arg: 0,
        }
    }
}

/// The keys of a command, in the order they were written; see [`Cmd::keys`](crate::Cmd::keys).
#[derive(Clone, Debug)]
pub struct Keys<'a> {
    body: &'a [u8],
    spans: &'a KeySpans,
    /// Index of the current span.
    span: usize,
    /// Byte offset of the next argument in the current span, once started.
    pos: Option<usize>,
    /// Index of that argument within the span.
    arg: usize,
}

impl Keys<'_> {
    /// Whether every key was recorded. Keys beyond 4 GiB of arguments, or in blocks wider than
    /// 255 arguments, are not: a cluster client refuses to route such a command.
    pub fn complete(&self) -> bool {
        !self.spans.unknown
    }
}

impl<'a> Iterator for Keys<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let span = self.spans.get(self.span)?;
            let pos = *self.pos.get_or_insert(span.start as usize);
            if pos >= span.end as usize {
                self.span += 1;
                self.pos = None;
                self.arg = 0;
                continue;
            }
            // The body holds only bulk strings (`$<len>\r\n<bytes>\r\n`), written by `ToArg`.
            let (data, next) = bulk_at(self.body, pos)?;
            let index = self.arg;
            self.pos = Some(next);
            self.arg += 1;
            if index % usize::from(span.step) == usize::from(span.skip) {
                return Some(data);
            }
        }
    }
}

/// The bulk string at `pos`, and the offset just past it.
fn bulk_at(body: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = body.get(pos..)?;
    if rest.first() != Some(&b'$') {
        return None;
    }
    let cr = rest.iter().position(|&b| b == b'\r')?;
    let len: usize = std::str::from_utf8(rest.get(1..cr)?).ok()?.parse().ok()?;
    let data_start = cr + 2;
    let data = rest.get(data_start..data_start + len)?;
    Some((data, pos + data_start + len + 2))
}

#[cfg(test)]
mod tests {
    use super::KeySpans;
    use crate::Cmd;

    fn keys(cmd: &Cmd) -> Vec<String> {
        cmd.keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect()
    }

    #[test]
    fn records_single_and_adjacent_keys() {
        let mut cmd = Cmd::new("RENAME");
        cmd.push_key("a");
        cmd.push_key("b");
        assert_eq!(keys(&cmd), ["a", "b"]);
        assert!(cmd.keys().complete());

        // Adjacent runs merge into one.
        let mut spans = KeySpans::default();
        spans.record(0, 7, 0, 1);
        spans.record(7, 14, 0, 1);
        spans.record(20, 30, 0, 2);
        assert_eq!((spans.len, spans.spill.len()), (2, 0));
        spans.record(40, 50, 0, 1);
        assert_eq!((spans.len, spans.spill.len()), (2, 1));
        spans.record(u32::MAX as usize + 1, u32::MAX as usize + 8, 0, 1);
        assert!(!spans.keys(b"").complete());

        let mut cmd = Cmd::new("SET");
        cmd.push_key("k");
        cmd.push_arg("value");
        assert_eq!(keys(&cmd), ["k"]);
    }

    #[test]
    fn records_runs_blocks_and_fragments() {
        let mut cmd = Cmd::new("ZUNIONSTORE");
        cmd.push_key("dest");
        cmd.push_arg(&2);
        cmd.push_keys(&["x", "y"]);
        cmd.push_arg("WEIGHTS");
        assert_eq!(keys(&cmd), ["dest", "x", "y"]);

        let mut cmd = Cmd::new("MSET");
        cmd.push_key_blocks(&[("a", 1), ("b", 2), ("c", 3)], 2, 0);
        assert_eq!(keys(&cmd), ["a", "b", "c"]);

        let mut fragment = Cmd::fragment();
        fragment.push_keys(&["k1", "k2"]);
        let mut cmd = Cmd::new("EVAL").arg("return 1").arg(2);
        cmd.append(fragment);
        cmd.push_arg("argv");
        assert_eq!(keys(&cmd), ["k1", "k2"]);

        let mut cmd = Cmd::new("X");
        for k in ["a", "b", "c", "d"] {
            cmd.push_key(k);
            cmd.push_arg("v");
        }
        assert_eq!(keys(&cmd), ["a", "b", "c", "d"]);
        cmd.clear();
        assert!(cmd.keys().next().is_none());
    }
}
