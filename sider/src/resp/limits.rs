/// Bounds the decoder enforces on every frame, so a hostile or broken server cannot make the
/// client allocate without bound or recurse without end.
///
/// The defaults follow what a Redis server itself accepts: bulk strings up to 512 MiB (the server's
/// `proto-max-bulk-len`), aggregates up to 2^32 - 1 elements, and 128 levels of nesting, far deeper
/// than any reply Redis builds.
///
/// ```
/// let limits = sider::resp::Limits::default().max_bulk_len(1 << 20).max_depth(16);
/// assert_eq!(limits.bulk_len(), 1 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    max_bulk_len: usize,
    max_aggregate_len: usize,
    max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_aggregate_len: u32::MAX as usize,
            max_depth: 128,
        }
    }
}

impl Limits {
    /// Sets the longest bulk string, bulk error, verbatim string or big number accepted, in bytes.
    pub fn max_bulk_len(mut self, bytes: usize) -> Self {
        self.max_bulk_len = bytes;
        self
    }

    /// Sets the most elements an array, set or push may declare (a map counts its pairs).
    pub fn max_aggregate_len(mut self, elements: usize) -> Self {
        self.max_aggregate_len = elements;
        self
    }

    /// Sets how deeply aggregates may nest; a top-level scalar has depth 0.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// The longest bulk payload accepted, in bytes.
    pub fn bulk_len(&self) -> usize {
        self.max_bulk_len
    }

    /// The most elements an aggregate may declare.
    pub fn aggregate_len(&self) -> usize {
        self.max_aggregate_len
    }

    /// The deepest nesting accepted.
    pub fn depth(&self) -> usize {
        self.max_depth
    }
}
