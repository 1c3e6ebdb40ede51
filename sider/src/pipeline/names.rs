//! [`Names`]: the command names of a batch, for error messages, at a few bytes per run of the
//! same command rather than 16 bytes per command.

/// The names of a batch's commands in order, stored as runs: 40,000 SETs are one entry.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Each run's name and the index just past its last command.
    runs: Vec<(&'static str, usize)>,
    len: usize,
}

impl Names {
    /// Adds the next command's name.
    pub fn push(&mut self, name: &'static str) {
        self.len += 1;
        match self.runs.last_mut() {
            Some((last, end)) if *last == name => *end = self.len,
            _ => self.runs.push((name, self.len)),
        }
    }

    /// How many commands.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name of command `index` (from 0).
    pub fn get(&self, index: usize) -> Option<&'static str> {
        let run = self.runs.partition_point(|&(_, end)| end <= index);
        self.runs.get(run).map(|&(name, _)| name)
    }
}

#[cfg(test)]
mod tests {
    use super::Names;

    #[test]
    fn runs_give_each_index_its_name() {
        let mut names = Names::default();
        for name in ["SET", "SET", "GET", "SET", "SET", "SET"] {
            names.push(name);
        }
        assert_eq!(names.len(), 6);
        assert_eq!(names.runs.len(), 3);
        let got: Vec<_> = (0..7).map(|i| names.get(i)).collect();
        assert_eq!(
            got,
            [
                Some("SET"),
                Some("SET"),
                Some("GET"),
                Some("SET"),
                Some("SET"),
                Some("SET"),
                None
            ]
        );
    }
}
