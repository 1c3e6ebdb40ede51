//! Optional `tracing` instrumentation, compiled out entirely without the `tracing` feature, in
//! the shape of OpenTelemetry's semantic conventions for database client spans, so that
//! `tracing-opentelemetry` exports what Jaeger, Tempo or Datadog expect of a Redis client.
//!
//! Each request gets a span named `redis` for `tracing` subscribers, and `otel.name` for
//! OpenTelemetry, with these fields:
//!
//! | field | value |
//! |---|---|
//! | `otel.name` | the operation name, which the conventions make the span's name |
//! | `otel.kind` | `client` |
//! | `db.system.name` | `redis` |
//! | `db.operation.name` | the command (`GET`, `CLIENT KILL`), or `PIPELINE` / `MULTI` for a batch |
//! | `db.operation.batch.size` | the number of commands in a batch (a transaction's `MULTI` and `EXEC` not counted) |
//! | `server.address`, `server.port` | the host and port (for a Unix socket, its path and no port) |
//! | `network.transport` | `tcp` or `unix` |
//! | `error.type` | on failure: the server's error code (`WRONGTYPE`), or the kind of connection error (`timeout`, `io`...) |
//! | `db.response.status_code` | the server's error code, when it replied with an error |
//! | `otel.status_code` | `ERROR` on failure |
//!
//! Never keys, values or credentials. Events (connects, reconnects, timeouts, failovers,
//! cluster redirects) name their fields the same way: see [`event!`].
//!
//! Imports from `conn` (the address), `error` and `resp` only.

use crate::error::Error;
use crate::resp::Frame;
use tokio::time::Instant;

/// Emits a `tracing` event with the feature, nothing without it. Fields take the names of
/// OpenTelemetry's conventions: `addr = %a` (an [`Addr`](super::Addr)) becomes `server.address`
/// and `server.port`, `to` the same (the server a redirect or failover leads to), `from`
/// `sider.previous.address`, `kind` (an [`ErrorKind`](crate::ErrorKind)) `error.type`, `error`
/// `error.message`, `protocol` `network.protocol.name` and `network.protocol.version`, and
/// `waiting` `sider.requests.waiting`; other fields pass through as written.
macro_rules! event {
    ($level:ident, $($rest:tt)*) => {
        #[cfg(feature = "tracing")]
        $crate::conn::trace::otel_event!(@fields $level [] $($rest)*);
    };
}
pub(crate) use event;

/// The field renaming behind [`event!`]: a tt-muncher that moves each field, renamed, into the
/// brackets, then emits the event with the message that ends the list.
#[cfg(feature = "tracing")]
macro_rules! otel_event {
    (@fields $level:ident [$($out:tt)*] addr = %$e:expr, $($rest:tt)*) => {
        $crate::conn::trace::otel_event!(@fields $level [$($out)*
            "server.address" = %$crate::conn::trace::address(&$e),
            "server.port" = $crate::conn::trace::port(&$e),
        ] $($rest)*)
    };
    (@fields $level:ident [$($out:tt)*] to = %$e:expr, $($rest:tt)*) => {
        $crate::conn::trace::otel_event!(@fields $level [$($out)*
            "server.address" = %$crate::conn::trace::address(&$e),
            "server.port" = $crate::conn::trace::port(&$e),
        ] $($rest)*)
    };
    (@fields $level:ident [$($out:tt)*] from = %$e:expr, $($rest:tt)*) => {
        $crate::conn::trace::otel_event!(@fields $level [$($out)*
            "sider.previous.address" = %$e,
        ] $($rest)*)
    };
    (@fields $level:ident [$($out:tt)*] kind = ?$e:expr, $($rest:tt)*) => {
        $crate::conn::trace::otel_event!(@fields $level [$($out)*
            "error.type" = $crate::conn::trace::error_type($e),
        ] $($rest)*)
    };
    (@fields $level:ident [$($out:tt)*] error = %$e:expr, $($rest:tt)*) => {
        $crate::conn::trace::otel_event!(@fields $level [$($out)* "error.message" = %$e,] $($rest)*)
    };
    (@fields $level:ident [$($out:tt)*] protocol = ?$e:expr, $($rest:tt)*) => {
        $crate::conn::trace::otel_event!(@fields $level [$($out)*
            "network.protocol.name" = "resp",
            "network.protocol.version" = $crate::conn::trace::protocol_version($e),
        ] $($rest)*)
    };
    (@fields $level:ident [$($out:tt)*] waiting = $e:expr, $($rest:tt)*) => {
        $crate::conn::trace::otel_event!(@fields $level [$($out)* "sider.requests.waiting" = $e,] $($rest)*)
    };
    (@fields $level:ident [$($out:tt)*] $name:literal = %$e:expr, $($rest:tt)*) => {
        $crate::conn::trace::otel_event!(@fields $level [$($out)* $name = %$e,] $($rest)*)
    };
    (@fields $level:ident [$($out:tt)*] $name:literal = ?$e:expr, $($rest:tt)*) => {
        $crate::conn::trace::otel_event!(@fields $level [$($out)* $name = ?$e,] $($rest)*)
    };
    (@fields $level:ident [$($out:tt)*] $name:literal = $e:expr, $($rest:tt)*) => {
        $crate::conn::trace::otel_event!(@fields $level [$($out)* $name = $e,] $($rest)*)
    };
    (@fields $level:ident [$($out:tt)*] $message:literal) => {
        // Braces: fields named by literals must not read as the message.
        ::tracing::$level!(target: "sider", { $($out)* }, $message)
    };
}
#[cfg(feature = "tracing")]
pub(crate) use otel_event;

/// `server.address`: the host, or a Unix socket's path; for a Sentinel group, what it is.
#[cfg(feature = "tracing")]
pub(crate) fn address(addr: &impl Address) -> impl std::fmt::Display + '_ {
    addr.host()
}

/// `server.port`, where there is one.
#[cfg(feature = "tracing")]
pub(crate) fn port(addr: &impl Address) -> Option<u16> {
    addr.port()
}

/// What `server.address` and `server.port` are read from: an [`Addr`](super::Addr), or the
/// `host:port` text of a cluster node.
#[cfg(feature = "tracing")]
pub(crate) trait Address {
    fn host(&self) -> HostOf<'_>;
    fn port(&self) -> Option<u16>;
}

/// The display form of an address's host.
#[cfg(feature = "tracing")]
pub(crate) enum HostOf<'a> {
    Text(&'a str),
    Addr(&'a super::Addr),
}

#[cfg(feature = "tracing")]
impl std::fmt::Display for HostOf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostOf::Text(text) => f.write_str(text),
            HostOf::Addr(super::Addr::Tcp { host, .. }) => f.write_str(host),
            HostOf::Addr(super::Addr::Unix(path)) => write!(f, "{}", path.display()),
            HostOf::Addr(addr) => write!(f, "{addr}"),
        }
    }
}

#[cfg(feature = "tracing")]
impl Address for super::Addr {
    fn host(&self) -> HostOf<'_> {
        HostOf::Addr(self)
    }

    fn port(&self) -> Option<u16> {
        match self {
            super::Addr::Tcp { port, .. } => Some(*port),
            _ => None,
        }
    }
}

#[cfg(feature = "tracing")]
impl<T: Address + ?Sized> Address for &T {
    fn host(&self) -> HostOf<'_> {
        (**self).host()
    }

    fn port(&self) -> Option<u16> {
        (**self).port()
    }
}

/// A cluster node's `host:port` (`[::1]:7000` for IPv6).
#[cfg(feature = "tracing")]
impl Address for String {
    fn host(&self) -> HostOf<'_> {
        let host = match self.rsplit_once(':') {
            Some((host, port)) if port.parse::<u16>().is_ok() => host,
            _ => self,
        };
        HostOf::Text(host.trim_start_matches('[').trim_end_matches(']'))
    }

    fn port(&self) -> Option<u16> {
        self.rsplit_once(':')?.1.parse().ok()
    }
}

/// `error.type` of a connection error: its kind in lower case (`timeout`, `io`, `closed`).
#[cfg(feature = "tracing")]
pub(crate) fn error_type(kind: crate::ErrorKind) -> String {
    format!("{kind:?}").to_ascii_lowercase()
}

/// `network.protocol.version`: `2` or `3`.
#[cfg(feature = "tracing")]
pub(crate) fn protocol_version(protocol: super::Protocol) -> &'static str {
    match protocol {
        super::Protocol::Resp2 => "2",
        super::Protocol::Resp3 => "3",
    }
}

/// The error code of an error reply: its first word (`WRONGTYPE`, `ERR`).
#[cfg(feature = "tracing")]
fn status_code(line: &[u8]) -> String {
    let code = line.split(|&b| b == b' ').next().unwrap_or_default();
    String::from_utf8_lossy(code).into_owned()
}

/// The operation name and batch size of a request labelled `label` (a command's name, or the
/// kind of batch) that takes `commands` replies.
#[cfg(feature = "tracing")]
fn operation(label: &'static str, commands: usize) -> (&'static str, Option<i64>) {
    let commands = i64::try_from(commands).unwrap_or(i64::MAX);
    match label {
        // A transaction's replies include those of MULTI and EXEC.
        "MULTI" => ("MULTI", Some(commands.saturating_sub(2))),
        "PIPELINE" => ("PIPELINE", Some(commands)),
        name => (name, None),
    }
}

/// One request waiting for its replies: when it was queued and, with the feature, its span.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) at: Instant,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Queued {
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn new(
        command: &'static str,
        commands: usize,
        addr: &super::Addr,
        at: Instant,
    ) -> Queued {
        Queued {
            at,
            #[cfg(feature = "tracing")]
            span: span(command, commands, addr),
        }
    }

    /// The last reply arrived.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn finish(self, last: &Frame) {
        #[cfg(feature = "tracing")]
        {
            // Without a subscriber that wants the span, nothing is recorded or emitted.
            if self.span.is_disabled() {
                return;
            }
            if let Frame::Error(line) = last {
                let code = status_code(line);
                self.span.record("db.response.status_code", code.as_str());
                self.span.record("error.type", code.as_str());
                self.span.record("otel.status_code", "ERROR");
            }
            let _entered = self.span.enter();
            tracing::debug!(target: "sider", elapsed_us = self.at.elapsed().as_micros() as u64, "replied");
        }
    }

    /// The connection failed before the replies came.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn fail(self, err: &Error) {
        #[cfg(feature = "tracing")]
        {
            if self.span.is_disabled() {
                return;
            }
            self.span
                .record("error.type", error_type(err.kind()).as_str());
            self.span.record("otel.status_code", "ERROR");
            let _entered = self.span.enter();
            tracing::debug!(target: "sider", elapsed_us = self.at.elapsed().as_micros() as u64, error = %err, "failed");
        }
    }
}

/// The span of one request. `tracing` evaluates the fields only when a subscriber wants the
/// span, so without one none of this runs.
#[cfg(feature = "tracing")]
fn span(label: &'static str, commands: usize, addr: &super::Addr) -> tracing::Span {
    tracing::info_span!(
        target: "sider",
        "redis",
        "otel.name" = operation(label, commands).0,
        "otel.kind" = "client",
        "db.system.name" = "redis",
        "db.operation.name" = operation(label, commands).0,
        "db.operation.batch.size" = operation(label, commands).1,
        "server.address" = %address(addr),
        "server.port" = port(addr).map(i64::from),
        "network.transport" = transport(addr),
        "error.type" = tracing::field::Empty,
        "db.response.status_code" = tracing::field::Empty,
        "otel.status_code" = tracing::field::Empty,
    )
}

/// `network.transport`: `tcp`, or `unix` for a Unix socket.
#[cfg(feature = "tracing")]
fn transport(addr: &super::Addr) -> &'static str {
    match addr {
        super::Addr::Unix(_) => "unix",
        _ => "tcp",
    }
}

#[cfg(all(test, feature = "tracing"))]
mod tests {
    use super::*;

    #[test]
    fn operations_and_batch_sizes() {
        assert_eq!(operation("GET", 1), ("GET", None));
        assert_eq!(operation("PIPELINE", 3), ("PIPELINE", Some(3)));
        assert_eq!(operation("MULTI", 4), ("MULTI", Some(2)));
    }

    #[test]
    fn addresses_split_into_host_and_port() {
        let tcp = super::super::Addr::Tcp {
            host: "10.0.0.5".to_owned(),
            port: 6380,
        };
        assert_eq!(
            (address(&tcp).to_string(), port(&tcp)),
            ("10.0.0.5".to_owned(), Some(6380))
        );
        let unix = super::super::Addr::Unix("/run/redis.sock".into());
        assert_eq!(
            (address(&unix).to_string(), port(&unix)),
            ("/run/redis.sock".to_owned(), None)
        );
        let node = "[::1]:7001".to_owned();
        assert_eq!(
            (address(&node).to_string(), port(&node)),
            ("::1".to_owned(), Some(7001))
        );
        assert_eq!(
            status_code(b"WRONGTYPE Operation against a key"),
            "WRONGTYPE"
        );
        assert_eq!(error_type(crate::ErrorKind::Timeout), "timeout");
    }
}
