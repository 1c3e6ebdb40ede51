//! [`CommandInfo`]: what the spec says of a command, readable at run time.

use crate::conn::ServerInfo;

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
    /// forked from Redis 7.2.4, so for what Redis had by then this is 7.2.4, its first release.
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

    /// The spec's command named `name` as sent (`"GET"`, `"CONFIG GET"`, `"EVALSHA_RO"`), if
    /// the spec has it. Hand-written code finds the commands it builds this way, never through
    /// the name of a generated item.
    ///
    /// ```
    /// let info = sider::CommandInfo::find("EVALSHA_RO").unwrap();
    /// assert!(info.is_readonly());
    /// assert!(sider::CommandInfo::find("NO SUCH").is_none());
    /// ```
    pub fn find(name: &str) -> Option<&'static CommandInfo> {
        static BY_NAME: std::sync::OnceLock<
            std::collections::HashMap<&'static str, &'static CommandInfo>,
        > = std::sync::OnceLock::new();
        BY_NAME
            .get_or_init(|| {
                crate::commands::COMMANDS
                    .iter()
                    .map(|info| (info.name, *info))
                    .collect()
            })
            .get(name)
            .copied()
    }
}

/// The spec's entry for a command sider's own code builds (`spec!("EVALSHA")`), looked up once
/// per call site. A test checks that every such name is in the spec.
macro_rules! spec {
    ($name:literal) => {{
        static INFO: std::sync::OnceLock<&'static $crate::info::CommandInfo> =
            std::sync::OnceLock::new();
        *INFO.get_or_init(|| {
            $crate::info::CommandInfo::find($name)
                .unwrap_or_else(|| panic!("{} is not in the spec", $name))
        })
    }};
}
pub(crate) use spec;

/// The commands sider's own code builds through [`spec!`].
#[cfg(test)]
pub(crate) const BUILT_BY_HAND: &[&str] = &[
    "SCRIPT LOAD",
    "EVALSHA",
    "EVALSHA_RO",
    "SCAN",
    "HSCAN",
    "SSCAN",
    "ZSCAN",
];

/// For a server's "unknown command" or "unknown subcommand" error about a spec command that the
/// server is too old (or the wrong kind) for, the same error with the versions that have it:
/// `ERR HEXPIRE: needs Redis 7.4.0 or Valkey 9.0.0; connected to Redis 7.0.15 (the server
/// said: unknown command 'HEXPIRE', ...)`. `None` for every other error, and when the server
/// should have the command by its version (renamed away with `rename-command`, say).
pub(crate) fn explain_unknown(line: &[u8], server: &ServerInfo) -> Option<bytes::Bytes> {
    let said = std::str::from_utf8(line).ok()?.strip_prefix("ERR ")?;
    let quoted =
        |text: &str| -> Option<String> { Some(text.split('\'').next()?.to_ascii_uppercase()) };
    // "unknown command 'COMMANDLOG', with args beginning with: 'GET' " is a container whose
    // subcommand the spec has; "unknown subcommand 'setinfo'. Try CLIENT HELP." names both.
    let candidates = if let Some(rest) = said.strip_prefix("unknown command '") {
        let name = quoted(rest)?;
        let first_arg = rest
            .split_once("with args beginning with: '")
            .and_then(|(_, args)| quoted(args));
        let mut names = Vec::new();
        if let Some(arg) = first_arg {
            names.push(format!("{name} {arg}"));
        }
        names.push(name);
        names
    } else if let Some(rest) = said.strip_prefix("unknown subcommand '") {
        let sub = quoted(rest)?;
        let (_, after) = rest.split_once("Try ")?;
        let container = after.split(" HELP").next()?.to_ascii_uppercase();
        vec![format!("{container} {sub}")]
    } else {
        return None;
    };
    let info = candidates
        .iter()
        .find_map(|name| crate::commands::COMMANDS.iter().find(|c| c.name() == name))?;
    if server.has(info.redis_since, info.valkey_since) != Some(false) {
        return None;
    }
    let needs = match (info.redis_since, info.valkey_since) {
        (Some(redis), Some(valkey)) => format!("needs Redis {redis} or Valkey {valkey}"),
        (Some(redis), None) => format!("needs Redis {redis} (no Valkey release has it)"),
        (None, Some(valkey)) => format!("needs Valkey {valkey} (no Redis release has it)"),
        (None, None) => return None,
    };
    let name = info.name;
    Some(format!("ERR {name}: {needs}; connected to {server} (the server said: {said})").into())
}

#[cfg(test)]
mod tests {
    use super::explain_unknown;
    use crate::conn::ServerInfo;

    fn explain(line: &str, server: &ServerInfo) -> Option<String> {
        explain_unknown(line.as_bytes(), server).map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    #[test]
    fn names_the_versions_that_have_a_command() {
        let redis7 = ServerInfo::new("redis", "7.0.15");
        let line = "ERR unknown command 'hexpire', with args beginning with: 'k' '10' ";
        assert_eq!(
            explain(line, &redis7).as_deref(),
            Some(
                "ERR HEXPIRE: needs Redis 7.4.0 or Valkey 9.0.0; connected to Redis 7.0.15 \
                 (the server said: unknown command 'hexpire', with args beginning with: 'k' '10' )"
            )
        );
        // A subcommand: the container comes from the "Try X HELP" hint.
        let line = "ERR unknown subcommand 'no-touch'. Try CLIENT HELP.";
        assert!(explain(line, &ServerInfo::new("redis", "7.0.15"))
            .unwrap()
            .starts_with(
                "ERR CLIENT NO-TOUCH: needs Redis 7.2.0 or Valkey 7.2.4; connected to Redis 7.0.15"
            ));
    }

    #[test]
    fn every_command_sider_builds_by_hand_is_in_the_spec() {
        for name in crate::info::BUILT_BY_HAND {
            let info = crate::CommandInfo::find(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(info.name(), *name);
        }
        // And the source uses no other: every `spec!("...")` names one of them.
        for source in [include_str!("script.rs"), include_str!("scan.rs")] {
            for used in source.split("spec!(\"").skip(1) {
                let name = used.split('"').next().unwrap_or("");
                assert!(crate::info::BUILT_BY_HAND.contains(&name), "{name}");
            }
        }
    }

    #[test]
    fn leaves_other_errors_alone() {
        let redis7 = ServerInfo::new("redis", "7.0.15");
        // Not an unknown command, not a spec command, or one the server should have.
        assert_eq!(explain("ERR syntax error", &redis7), None);
        assert_eq!(explain("WRONGTYPE Operation", &redis7), None);
        assert_eq!(
            explain(
                "ERR unknown command 'frobnicate', with args beginning with: ",
                &redis7
            ),
            None
        );
        assert_eq!(
            explain(
                "ERR unknown command 'get', with args beginning with: 'k' ",
                &redis7
            ),
            None
        );
        // A server of unknown kind: nothing is claimed.
        assert_eq!(
            explain("ERR unknown command 'hexpire'", &ServerInfo::unknown()),
            None
        );
    }
}
