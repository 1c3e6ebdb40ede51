//! [`ServerInfo`]: which server a connection talks to, read during the handshake from `HELLO`'s
//! reply (RESP3) or `INFO server` (RESP2).

use crate::resp::Frame;
use std::fmt;

/// The server a connection talks to: its name and version, as it reported them on connect.
///
/// Read from `HELLO`'s `server` and `version` fields under RESP3, or from `INFO server` under
/// RESP2 (`valkey_version` before `redis_version`, since Valkey reports both). A server that
/// reports neither is named `"unknown"`, with version `(0, 0, 0)`.
///
/// ```no_run
/// # async fn run(client: sider::Client) {
/// let server = client.server();
/// if server.name() == "valkey" || server.version() >= (7, 4, 0) {
///     // hash-field expiration is there
/// }
/// println!("connected to {server}"); // "Redis 7.0.15"
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServerInfo {
    name: String,
    version: (u32, u32, u32),
    availability_zone: Option<String>,
}

impl ServerInfo {
    /// The server's name in lower case: `"redis"`, `"valkey"`, or what another server says.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version as `(major, minor, patch)`; tuples compare in version order.
    pub fn version(&self) -> (u32, u32, u32) {
        self.version
    }

    /// The availability zone the server says it runs in: `HELLO`'s `availability_zone` (Valkey
    /// 8.1 and later, set with its `availability-zone` option), or `availability_zone` in
    /// `INFO server`. `None` when the server reports none or an empty one.
    pub fn availability_zone(&self) -> Option<&str> {
        self.availability_zone.as_deref()
    }

    /// Whether the server is Valkey.
    pub fn is_valkey(&self) -> bool {
        self.name == "valkey"
    }

    pub(crate) fn unknown() -> ServerInfo {
        ServerInfo {
            name: "unknown".to_owned(),
            version: (0, 0, 0),
            availability_zone: None,
        }
    }

    pub(crate) fn new(name: &str, version: &str) -> ServerInfo {
        ServerInfo {
            name: name.trim().to_ascii_lowercase(),
            version: parse_version(version).unwrap_or((0, 0, 0)),
            availability_zone: None,
        }
    }

    /// From `HELLO`'s reply: a map (RESP3) or flat pairs (RESP2).
    pub(crate) fn from_hello(reply: &Frame) -> ServerInfo {
        let mut name = None;
        let mut version = None;
        let mut zone = None;
        let mut field = |key: &Frame, value: &Frame| match text(key) {
            Some("server") => name = text(value).map(str::to_owned),
            Some("version") => version = text(value).map(str::to_owned),
            Some("availability_zone") => zone = text(value).map(str::to_owned),
            _ => {}
        };
        match reply {
            Frame::Map(pairs) => pairs.iter().for_each(|(k, v)| field(k, v)),
            Frame::Array(items) => items.chunks_exact(2).for_each(|kv| field(&kv[0], &kv[1])),
            _ => {}
        }
        let info = match (name, version) {
            (Some(name), Some(version)) => ServerInfo::new(&name, &version),
            (None, Some(version)) => ServerInfo::new("redis", &version),
            _ => ServerInfo::unknown(),
        };
        info.with_zone(zone.as_deref())
    }

    fn with_zone(mut self, zone: Option<&str>) -> ServerInfo {
        self.availability_zone = zone
            .map(str::trim)
            .filter(|z| !z.is_empty())
            .map(str::to_owned);
        self
    }

    /// From the text of `INFO server`.
    pub(crate) fn from_info(text: &str) -> ServerInfo {
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
        };
        let zone = field("availability_zone");
        if let Some(version) = field("valkey_version") {
            return ServerInfo::new("valkey", version).with_zone(zone);
        }
        let info = match (field("server_name"), field("redis_version")) {
            (Some(name), Some(version)) => ServerInfo::new(name, version),
            (None, Some(version)) => ServerInfo::new("redis", version),
            _ => ServerInfo::unknown(),
        };
        info.with_zone(zone)
    }

    /// Whether this server has a command or argument that came in `redis` (Redis) or `valkey`
    /// (Valkey), either `None` when that server has none; `None` when the server is neither.
    pub(crate) fn has(&self, redis: Option<&str>, valkey: Option<&str>) -> Option<bool> {
        let since = match self.name.as_str() {
            "redis" => redis,
            "valkey" => valkey,
            _ => return None,
        };
        Some(
            since
                .and_then(parse_version)
                .is_some_and(|v| self.version >= v),
        )
    }

    /// Whether `CLIENT SETINFO` is there (Redis 7.2, every Valkey).
    pub(crate) fn has_setinfo(&self) -> bool {
        self.has(Some("7.2.0"), Some("7.2.4")).unwrap_or(false)
    }
}

impl fmt::Display for ServerInfo {
    /// `Redis 7.0.15`, `Valkey 9.1.2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (major, minor, patch) = self.version;
        let name = match self.name.as_str() {
            "redis" => "Redis",
            "valkey" => "Valkey",
            other => other,
        };
        write!(f, "{name} {major}.{minor}.{patch}")
    }
}

fn text(frame: &Frame) -> Option<&str> {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) => std::str::from_utf8(b).ok(),
        Frame::Verbatim { data, .. } => std::str::from_utf8(data).ok(),
        _ => None,
    }
}

/// `"7.0.15"` as `(7, 0, 15)`; a missing patch (`"8.0"`) is 0, a suffix (`"8.0.0-rc1"`) ignored.
fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.trim().split('.').map(|p| {
        let digits = p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len());
        p[..digits].parse::<u32>().ok()
    });
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn reads_hello_in_both_shapes() {
        let pairs = vec![
            (bulk("server"), bulk("valkey")),
            (bulk("version"), bulk("9.1.2")),
            (bulk("proto"), Frame::Integer(3)),
        ];
        let flat: Vec<Frame> = pairs
            .iter()
            .flat_map(|(k, v)| [k.clone(), v.clone()])
            .collect();
        for reply in [Frame::Map(pairs), Frame::Array(flat)] {
            let info = ServerInfo::from_hello(&reply);
            assert_eq!((info.name(), info.version()), ("valkey", (9, 1, 2)));
            assert!(info.is_valkey());
            assert_eq!(info.to_string(), "Valkey 9.1.2");
        }
        assert_eq!(ServerInfo::from_hello(&Frame::Null), ServerInfo::unknown());
        let zoned = Frame::Map(vec![
            (bulk("server"), bulk("valkey")),
            (bulk("version"), bulk("9.1.0")),
            (bulk("availability_zone"), bulk("us-east-1a")),
        ]);
        let info = ServerInfo::from_hello(&zoned);
        assert_eq!(info.availability_zone(), Some("us-east-1a"));
        let blank = Frame::Map(vec![
            (bulk("version"), bulk("8.1.0")),
            (bulk("availability_zone"), bulk("")),
        ]);
        assert_eq!(ServerInfo::from_hello(&blank).availability_zone(), None);
    }

    #[test]
    fn reads_info_server() {
        let redis = "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n";
        assert_eq!(ServerInfo::from_info(redis).to_string(), "Redis 7.0.15");
        // Valkey reports the Redis version it is compatible with too.
        let valkey =
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:9.1.2\r\n";
        assert_eq!(ServerInfo::from_info(valkey).to_string(), "Valkey 9.1.2");
        assert_eq!(ServerInfo::from_info("").name(), "unknown");
    }

    #[test]
    fn versions_compare_in_order() {
        assert_eq!(parse_version("8.0"), Some((8, 0, 0)));
        assert_eq!(parse_version("8.2.0-rc1"), Some((8, 2, 0)));
        assert_eq!(parse_version("x"), None);
        let redis = ServerInfo::new("redis", "7.0.15");
        assert_eq!(redis.has(Some("7.4.0"), Some("9.0.0")), Some(false));
        assert_eq!(redis.has(Some("6.2.0"), Some("6.2.0")), Some(true));
        assert_eq!(redis.has(None, Some("9.0.0")), Some(false));
        let valkey = ServerInfo::new("valkey", "9.1.2");
        assert_eq!(valkey.has(Some("7.4.0"), Some("9.0.0")), Some(true));
        assert_eq!(valkey.has(Some("8.0.0"), None), Some(false));
        assert_eq!(ServerInfo::unknown().has(Some("1.0.0"), None), None);
        assert!(valkey.has_setinfo() && !redis.has_setinfo());
    }
}
