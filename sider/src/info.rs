//! [`CommandInfo`]: what the spec says of a command, readable at run time.

/// Facts about one command from the spec: its name, group, version and the flags the client
/// uses to route and retry it. The generated [`COMMANDS`](crate::commands::COMMANDS) table lists
/// every command.
///
/// ```
/// let set = sider::commands::COMMANDS.iter().find(|c| c.name() == "SET").unwrap();
/// assert_eq!(set.group(), "string");
/// assert!(set.is_write() && !set.is_blocking());
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct CommandInfo {
    name: &'static str,
    method: &'static str,
    group: &'static str,
    redis_since: Option<&'static str>,
    valkey_since: Option<&'static str>,
    flags: u16,
    timeout_arg: Option<&'static str>,
    first_key: usize,
    /// The name's words as RESP bulk strings, and how many there are.
    encoded_name: &'static [u8],
    words: usize,
}

const READONLY: u16 = 1;
const WRITE: u16 = 1 << 1;
const BLOCKING: u16 = 1 << 2;
const CACHEABLE: u16 = 1 << 3;
const ADMIN: u16 = 1 << 4;
const PUBSUB: u16 = 1 << 5;
const NOSCRIPT: u16 = 1 << 6;
const FAST: u16 = 1 << 7;
const NO_CLUSTER: u16 = 1 << 8;
const EXCLUSIVE: u16 = 1 << 9;

impl CommandInfo {
    #[doc(hidden)]
    #[allow(
        clippy::too_many_arguments,
        reason = "called only by generated statics, one call per command"
    )]
    pub const fn __new(
        name: &'static str,
        method: &'static str,
        group: &'static str,
        redis_since: Option<&'static str>,
        valkey_since: Option<&'static str>,
        flags: u16,
        timeout_arg: Option<&'static str>,
        first_key: usize,
        encoded_name: &'static [u8],
        words: usize,
    ) -> CommandInfo {
        CommandInfo {
            name,
            method,
            group,
            redis_since,
            valkey_since,
            flags,
            timeout_arg,
            first_key,
            encoded_name,
            words,
        }
    }

    /// The name's words encoded as RESP bulk strings, and how many words there are.
    pub(crate) fn encoded_name(&self) -> (&'static [u8], usize) {
        (self.encoded_name, self.words)
    }

    /// The command as sent, e.g. `"CONFIG GET"`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The generated method's name, e.g. `"config_get"`.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The command group, e.g. `"string"`.
    pub fn group(&self) -> &'static str {
        self.group
    }

    /// The Redis version that introduced the command; for a command only Valkey has, the Valkey
    /// version.
    pub fn since(&self) -> &'static str {
        self.redis_since.or(self.valkey_since).unwrap_or("")
    }

    /// The first Redis version that has the command, or `None` when Redis has none.
    pub fn redis_since(&self) -> Option<&'static str> {
        self.redis_since
    }

    /// The first Valkey version that has the command, or `None` when Valkey has none. Valkey
    /// forked from Redis 7.2.4, so for what Redis had by then this is the Redis version.
    pub fn valkey_since(&self) -> Option<&'static str> {
        self.valkey_since
    }

    /// Never writes: safe to retry, may be served by a replica.
    pub fn is_readonly(&self) -> bool {
        self.flags & READONLY != 0
    }

    /// May modify data.
    pub fn is_write(&self) -> bool {
        self.flags & WRITE != 0
    }

    /// May wait for data; see [`timeout_arg`](Self::timeout_arg).
    pub fn is_blocking(&self) -> bool {
        self.flags & BLOCKING != 0
    }

    /// A read whose reply client-side caching may keep.
    pub fn is_cacheable(&self) -> bool {
        self.flags & CACHEABLE != 0
    }

    /// An administrative command.
    pub fn is_admin(&self) -> bool {
        self.flags & ADMIN != 0
    }

    /// A pub/sub command.
    pub fn is_pubsub(&self) -> bool {
        self.flags & PUBSUB != 0
    }

    /// Not allowed inside scripts.
    pub fn is_noscript(&self) -> bool {
        self.flags & NOSCRIPT != 0
    }

    /// Constant or logarithmic time.
    pub fn is_fast(&self) -> bool {
        self.flags & FAST != 0
    }

    /// Meaningless or refused in Redis Cluster.
    pub fn is_no_cluster(&self) -> bool {
        self.flags & NO_CLUSTER != 0
    }

    /// Changes the state of its connection: only for connections held alone.
    pub fn is_exclusive(&self) -> bool {
        self.flags & EXCLUSIVE != 0
    }

    /// For a blocking command, the name of the argument that holds its timeout.
    pub fn timeout_arg(&self) -> Option<&'static str> {
        self.timeout_arg
    }

    /// The argument index (the name's words counted) of the first key when it is fixed, else 0.
    pub fn first_key(&self) -> usize {
        self.first_key
    }
}
