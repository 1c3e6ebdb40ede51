//! Connecting through Redis Sentinel: ask the sentinels, in order, where the group's primary
//! (or a healthy replica) is, connect there, and check with `ROLE` that it is what the sentinel
//! said. The driver reconnects through `connect`, so this runs again after every lost
//! connection, and a failover is followed without any state kept here.
//!
//! Also parses `redis+sentinel://` URLs. Imports from `cmd`, `resp`, `error` and the rest of
//! `conn`.

use super::config::{Addr, Config, Protocol};
use super::handshake::{connect_to, open, Established};
use crate::cmd::Cmd;
use crate::error::Error;
use crate::resp::Frame;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The port sentinels listen on unless told otherwise.
const SENTINEL_PORT: u16 = 26379;

/// Connects to the primary (or a replica) of `master`, as the first sentinel that answers says.
///
/// A sentinel that is down, does not know the group, or names a server that is down or has
/// another role (in the middle of a failover) is skipped for the next one. When all fail, the
/// error is the last one; the driver's reconnect backoff paces the next try.
pub(crate) async fn connect(
    config: &Config,
    master: &str,
    sentinels: &[(String, u16)],
    replica: bool,
) -> Result<Established, Error> {
    let mut last = None;
    for sentinel in sentinel_addrs(sentinels) {
        let candidates = match ask(config, &sentinel, master, replica, sentinels.len()).await {
            Ok(candidates) if candidates.is_empty() => {
                last = Some(unavailable(
                    format!("the sentinel at {sentinel} knows no replica of `{master}` that is up and in sync"),
                    "no replica available",
                ));
                continue;
            }
            Ok(candidates) => candidates,
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        for addr in candidates {
            match connect_checked(config, &addr, replica).await {
                Ok(mut conn) => {
                    if !replica {
                        follow_switches(config, &mut conn).await;
                    }
                    return Ok(conn);
                }
                Err(e) => last = Some(e),
            }
        }
    }
    let role = if replica { "a replica" } else { "the primary" };
    Err(last
        .unwrap_or_else(|| Error::config("a Sentinel address needs at least one sentinel"))
        .context(format!("finding {role} of `{master}` through Sentinel")))
}

/// The current primary of `master`, as the first sentinel that answers says.
pub(crate) async fn primary_addr(config: &Config) -> Result<Addr, Error> {
    let (master, sentinels) = group(config)?;
    let mut last = None;
    for sentinel in sentinel_addrs(sentinels) {
        match ask(config, &sentinel, master, false, sentinels.len()).await {
            Ok(mut addrs) if !addrs.is_empty() => return Ok(addrs.remove(0)),
            Ok(_) => {}
            Err(e) => last = Some(e),
        }
    }
    Err(last
        .unwrap_or_else(|| Error::config("a Sentinel address needs at least one sentinel"))
        .context(format!(
            "finding the primary of `{master}` through Sentinel"
        )))
}

/// The healthy replicas of `master`, as the first sentinel that answers says.
pub(crate) async fn replica_addrs(config: &Config) -> Result<Vec<Addr>, Error> {
    let (master, sentinels) = group(config)?;
    let mut last = None;
    for sentinel in sentinel_addrs(sentinels) {
        match ask(config, &sentinel, master, true, sentinels.len()).await {
            Ok(addrs) => return Ok(addrs),
            Err(e) => last = Some(e),
        }
    }
    Err(last
        .unwrap_or_else(|| Error::config("a Sentinel address needs at least one sentinel"))
        .context(format!(
            "finding the replicas of `{master}` through Sentinel"
        )))
}

/// A Sentinel address's group name and sentinels.
type Group<'a> = (&'a str, &'a [(String, u16)]);

fn group(config: &Config) -> Result<Group<'_>, Error> {
    match &config.addr {
        Addr::Sentinel {
            master, sentinels, ..
        } => Ok((master, sentinels)),
        other => Err(Error::config(format!(
            "{other} is not a Sentinel address (see Config::sentinel)"
        ))),
    }
}

fn sentinel_addrs(sentinels: &[(String, u16)]) -> impl Iterator<Item = Addr> + '_ {
    sentinels.iter().map(|(host, port)| Addr::Tcp {
        host: host.clone(),
        port: *port,
    })
}

/// Asks one sentinel for the primary's address (a list of one) or the healthy replicas'
/// (rotated, so that successive connections spread over them).
///
/// Each sentinel gets an equal share of the connect timeout, so one that swallows packets
/// leaves time to ask the others and to connect.
async fn ask(
    config: &Config,
    sentinel: &Addr,
    master: &str,
    replica: bool,
    sentinels: usize,
) -> Result<Vec<Addr>, Error> {
    let share = config.connect_timeout / (sentinels as u32 + 1).max(2);
    let share = share.max(Duration::from_millis(100));
    match tokio::time::timeout(share, ask_inner(config, sentinel, master, replica)).await {
        Ok(result) => result,
        Err(_) => Err(Error::timeout(format!(
            "asking the sentinel at {sentinel} (limit {share:?})"
        ))),
    }
}

async fn ask_inner(
    config: &Config,
    sentinel: &Addr,
    master: &str,
    replica: bool,
) -> Result<Vec<Addr>, Error> {
    let stream = open(config, sentinel).await?;
    let mut conn = Established::new(stream, sentinel.clone(), config);
    // Sentinels get no HELLO: RESP2 replies are all that is needed, and no credentials are
    // sent (the configured ones are the data nodes').
    conn.protocol = Protocol::Resp2;
    if replica {
        let cmd = Cmd::new("SENTINEL REPLICAS").arg(master);
        let reply = conn.call(&cmd, sentinel).await?;
        let mut replicas = healthy_replicas(reply, sentinel, master)?;
        if !replicas.is_empty() {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed) % replicas.len();
            replicas.rotate_left(n);
        }
        return Ok(replicas);
    }
    let cmd = Cmd::new("SENTINEL GET-MASTER-ADDR-BY-NAME").arg(master);
    match conn.call(&cmd, sentinel).await? {
        Frame::Array(items) if items.len() == 2 => {
            let host = text(&items[0]);
            match (host, text(&items[1]).and_then(|p| p.parse().ok())) {
                (Some(host), Some(port)) => Ok(vec![Addr::Tcp { host, port }]),
                _ => Err(Error::protocol_msg(format!(
                    "the sentinel at {sentinel} named the primary of `{master}` in a malformed reply"
                ))),
            }
        }
        Frame::Null => Err(Error::config(format!(
            "the sentinel at {sentinel} watches no group named `{master}`"
        ))),
        Frame::Error(line) => {
            Err(Error::server(&line)
                .context(format!("SENTINEL GET-MASTER-ADDR-BY-NAME on {sentinel}")))
        }
        other => Err(Error::protocol_msg(format!(
            "the sentinel at {sentinel} answered SENTINEL GET-MASTER-ADDR-BY-NAME with {}",
            other.describe()
        ))),
    }
}

/// The replicas in a `SENTINEL REPLICAS` reply that are up and in sync with their primary.
fn healthy_replicas(reply: Frame, sentinel: &Addr, master: &str) -> Result<Vec<Addr>, Error> {
    let entries = match reply {
        Frame::Array(entries) => entries,
        Frame::Error(line) => {
            return Err(
                Error::server(&line).context(format!("SENTINEL REPLICAS {master} on {sentinel}"))
            )
        }
        other => {
            return Err(Error::protocol_msg(format!(
                "the sentinel at {sentinel} answered SENTINEL REPLICAS with {}",
                other.describe()
            )))
        }
    };
    let mut healthy = Vec::new();
    for entry in entries {
        let fields: Vec<(String, String)> = match entry {
            Frame::Array(flat) => flat
                .chunks(2)
                .filter_map(|pair| match pair {
                    [k, v] => Some((text(k)?, text(v)?)),
                    _ => None,
                })
                .collect(),
            Frame::Map(pairs) => pairs
                .iter()
                .filter_map(|(k, v)| Some((text(k)?, text(v)?)))
                .collect(),
            _ => continue,
        };
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let down = field("flags").is_none_or(|flags| {
            flags
                .split(',')
                .any(|f| matches!(f, "s_down" | "o_down" | "disconnected"))
        });
        if down || field("master-link-status") != Some("ok") {
            continue;
        }
        if let (Some(host), Some(Ok(port))) = (field("ip"), field("port").map(str::parse)) {
            healthy.push(Addr::Tcp {
                host: host.to_owned(),
                port,
            });
        }
    }
    Ok(healthy)
}

/// Connects to `addr` and checks that `ROLE` agrees with the sentinel: right after a failover a
/// sentinel may still name the old primary, now a replica, and a replica is only of use once it
/// is in sync.
async fn connect_checked(
    config: &Config,
    addr: &Addr,
    replica: bool,
) -> Result<Established, Error> {
    let mut conn = connect_to(config, addr).await?;
    let reply = conn.call(&Cmd::new("ROLE"), addr).await?;
    let (role, state) = match &reply {
        Frame::Array(items) => (items.first().and_then(text), items.get(3).and_then(text)),
        _ => (None, None),
    };
    let ok = match role.as_deref() {
        Some("master") => !replica,
        Some("slave") => replica && state.as_deref() == Some("connected"),
        _ => false,
    };
    if ok {
        return Ok(conn);
    }
    let expected = if replica {
        "a replica in sync"
    } else {
        "the primary"
    };
    let said = role.as_deref().unwrap_or("something else");
    Err(unavailable(
        format!("the sentinel named {addr} as {expected}, but its ROLE says {said}"),
        "the server has another role",
    ))
}

/// No server fit to connect to: a connection failure like a refused one, so that callers and
/// the driver treat it the same way.
fn unavailable(context: String, reason: &'static str) -> Error {
    Error::io(
        context,
        std::io::Error::new(std::io::ErrorKind::NotConnected, reason),
    )
}

fn text(frame: &Frame) -> Option<String> {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) => String::from_utf8(b.to_vec()).ok(),
        Frame::Verbatim { data, .. } => String::from_utf8(data.to_vec()).ok(),
        Frame::Integer(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The primary connections of one Sentinel group made in this process, by server and
/// `CLIENT ID`, for the group's listener to close when a failover moves the primary away.
#[derive(Debug)]
struct Watched {
    master: String,
    sentinels: Vec<(String, u16)>,
    conns: Arc<Mutex<VecDeque<(Addr, i64)>>>,
}

/// The most connections remembered per group: entries of connections that closed are only
/// forgotten this way (or when a failover moves their server's), and closing a connection that
/// is gone is harmless.
const MAX_WATCHED: usize = 4096;

static WATCHED: Mutex<Vec<Watched>> = Mutex::new(Vec::new());

/// Makes a new primary connection follow `+switch-master`: its `CLIENT ID` is remembered, and
/// the group's listener (started with the first connection, one per group for the life of the
/// process) closes it from the server side as soon as the sentinels announce that its server
/// is no longer the primary. The driver then sees the connection end, fails what was in flight
/// with a connection error, and its next command reconnects through the sentinels, to the new
/// primary, instead of writing to a server being demoted. A server that cannot be reached is
/// not asked: its connection is broken already, or times out.
async fn follow_switches(config: &Config, conn: &mut Established) {
    let Addr::Sentinel {
        master, sentinels, ..
    } = &config.addr
    else {
        return;
    };
    let addr = conn.addr.clone();
    let id = match conn.call(&Cmd::new("CLIENT ID"), &addr).await {
        Ok(Frame::Integer(id)) => id,
        _ => return, // a server without CLIENT ID (before 5.0): nothing to follow with
    };
    let conns = {
        let mut watched = WATCHED.lock().unwrap_or_else(PoisonError::into_inner);
        let found = watched
            .iter()
            .find(|w| w.master == *master && w.sentinels == *sentinels)
            .map(|w| w.conns.clone());
        match found {
            Some(conns) => conns,
            None => {
                let Ok(switches) = listen(config) else {
                    return;
                };
                let conns: Arc<Mutex<VecDeque<(Addr, i64)>>> = Arc::default();
                watched.push(Watched {
                    master: master.clone(),
                    sentinels: sentinels.clone(),
                    conns: conns.clone(),
                });
                tokio::spawn(close_on_switch(config.clone(), switches, conns.clone()));
                conns
            }
        }
    };
    let mut conns = conns.lock().unwrap_or_else(PoisonError::into_inner);
    if conns.len() >= MAX_WATCHED {
        conns.pop_front();
    }
    conns.push_back((addr, id));
}

/// The group's listener: on each switch, closes the connections to the old primary.
async fn close_on_switch(
    config: Config,
    mut switches: tokio::sync::mpsc::UnboundedReceiver<Switch>,
    conns: Arc<Mutex<VecDeque<(Addr, i64)>>>,
) {
    while let Some(switch) = switches.recv().await {
        let ids: Vec<i64> = {
            let mut conns = conns.lock().unwrap_or_else(PoisonError::into_inner);
            let ids = conns
                .iter()
                .filter(|(addr, _)| *addr == switch.from)
                .map(|(_, id)| *id)
                .collect();
            conns.retain(|(addr, _)| *addr != switch.from);
            ids
        };
        if ids.is_empty() {
            continue;
        }
        let close = async {
            let mut conn = connect_to(&config, &switch.from).await?;
            for id in ids {
                let kill = Cmd::new("CLIENT KILL").arg("ID").arg(id);
                conn.call(&kill, &switch.from).await?;
            }
            Ok::<(), Error>(())
        };
        let _ = tokio::time::timeout(config.connect_timeout, close).await;
    }
}

/// A `+switch-master` announcement: the sentinels moved `master` from one server to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Switch {
    pub(crate) master: String,
    pub(crate) from: Addr,
    pub(crate) to: Addr,
}

/// Parses a `+switch-master` payload: `<master> <old ip> <old port> <new ip> <new port>`.
fn parse_switch(payload: &[u8]) -> Option<Switch> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut words = text.split(' ');
    let master = words.next()?.to_owned();
    let mut addr = || -> Option<Addr> {
        let host = words.next()?.to_owned();
        let port = words.next()?.parse().ok()?;
        Some(Addr::Tcp { host, port })
    };
    let from = addr()?;
    let to = addr()?;
    Some(Switch { master, from, to })
}

/// Listens to `+switch-master` on every sentinel of `config`'s group at once, and sends each
/// switch of its group once (every sentinel announces it). A sentinel that is down or drops the
/// connection is asked again after a pause; the others keep listening meanwhile. The tasks end
/// when the receiver is dropped.
pub(crate) fn listen(
    config: &Config,
) -> Result<tokio::sync::mpsc::UnboundedReceiver<Switch>, Error> {
    let (master, sentinels) = group(config)?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let last: std::sync::Arc<std::sync::Mutex<Option<Switch>>> = Default::default();
    for sentinel in sentinel_addrs(sentinels) {
        let (config, master, tx, last) =
            (config.clone(), master.to_owned(), tx.clone(), last.clone());
        tokio::spawn(async move {
            let mut pause = Duration::from_millis(100);
            loop {
                let closed = tx.clone();
                tokio::select! {
                    () = closed.closed() => return,
                    result = listen_one(&config, &sentinel, &master, &tx, &last) => {
                        if result.is_ok() {
                            pause = Duration::from_millis(100);
                        }
                    }
                }
                tokio::select! {
                    () = tx.closed() => return,
                    () = tokio::time::sleep(pause) => {}
                }
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        });
    }
    Ok(rx)
}

/// Subscribes to `+switch-master` on one sentinel and forwards its group's switches until the
/// connection fails.
async fn listen_one(
    config: &Config,
    sentinel: &Addr,
    master: &str,
    tx: &tokio::sync::mpsc::UnboundedSender<Switch>,
    last: &std::sync::Mutex<Option<Switch>>,
) -> Result<(), Error> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::time::timeout(config.connect_timeout, open(config, sentinel))
        .await
        .map_err(|_| Error::timeout(format!("connecting to the sentinel at {sentinel}")))??;
    let mut conn = Established::new(stream, sentinel.clone(), config);
    conn.protocol = Protocol::Resp2;
    let subscribe = Cmd::new("SUBSCRIBE").arg("+switch-master");
    conn.stream
        .write_all(&subscribe.to_bytes())
        .await
        .map_err(|e| Error::io(format!("subscribing on the sentinel at {sentinel}"), e))?;
    loop {
        while let Some(frame) = conn
            .decoder
            .decode(&mut conn.read_buf)
            .map_err(|e| Error::protocol(format!("message from the sentinel at {sentinel}"), e))?
        {
            let Frame::Array(items) = frame.into_value() else {
                continue;
            };
            let payload = match items.as_slice() {
                [kind, _, Frame::Bulk(payload)] if text(kind).as_deref() == Some("message") => {
                    payload
                }
                _ => continue,
            };
            let Some(switch) = parse_switch(payload).filter(|s| s.master == master) else {
                continue;
            };
            let mut last = last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.as_ref() != Some(&switch) {
                *last = Some(switch.clone());
                let _ = tx.send(switch);
            }
        }
        let n = conn
            .stream
            .read_buf(&mut conn.read_buf)
            .await
            .map_err(|e| Error::io(format!("reading from the sentinel at {sentinel}"), e))?;
        if n == 0 {
            return Err(Error::closed(format!(
                "the sentinel at {sentinel} closed the connection"
            )));
        }
    }
}

/// Parses what follows `redis+sentinel://` (or `rediss+sentinel://`, `tls`):
/// `[user[:password]@]host[:port][,host[:port]...]/master[/db][?params]`.
pub(crate) fn parse_url(tls: bool, rest: &str) -> Result<Config, Error> {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => (Some(userinfo), hosts),
        None => (None, authority),
    };
    let sentinels = hosts
        .split(',')
        .map(parse_host)
        .collect::<Result<Vec<_>, _>>()?;
    let tail = tail.split_once('#').map_or(tail, |(before, _)| before);
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let master = match segments.next() {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => {
            return Err(Error::config(
                "a redis+sentinel:// URL names its group after the hosts: \
                 redis+sentinel://host:26379/mymaster",
            ))
        }
    };
    let db = segments.next().unwrap_or("").trim_end_matches('/');
    // `role` is Sentinel's own; every other parameter means what it means in redis:// URLs.
    let mut replica = false;
    let mut others = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key == "role" {
            replica = match &*value {
                "primary" | "master" => false,
                "replica" | "slave" => true,
                other => {
                    return Err(Error::config(format!(
                        "unknown role `{other}` (expected primary or replica)"
                    )))
                }
            };
        } else {
            others.append_pair(&key, &value);
        }
    }
    let scheme = if tls { "rediss" } else { "redis" };
    let userinfo = userinfo.map(|u| format!("{u}@")).unwrap_or_default();
    let others = others.finish();
    let mut config = Config::from_url(&format!(
        "{scheme}://{userinfo}sentinel.invalid/{db}?{others}"
    ))?;
    config.addr = Addr::Sentinel {
        master,
        sentinels,
        replica,
    };
    Ok(config)
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; the port defaults to 26379.
fn parse_host(text: &str) -> Result<(String, u16), Error> {
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| Error::config(format!("sentinel address `{text}` lacks a `]`")))?;
            (host, after.strip_prefix(':'))
        }
        None => match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        },
    };
    if host.is_empty() {
        return Err(Error::config(
            "a redis+sentinel:// URL lists sentinels as host:port, separated by commas",
        ));
    }
    let port = match port {
        None => SENTINEL_PORT,
        Some(port) => port
            .parse()
            .map_err(|_| Error::config(format!("sentinel port `{port}` is not a number")))?,
    };
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sentinel_urls() {
        let c = Config::from_url("redis+sentinel://a:1,b,[::1]:3/mymaster/2?protocol=2").unwrap();
        assert_eq!(
            c.addr,
            Addr::Sentinel {
                master: "mymaster".into(),
                sentinels: vec![("a".into(), 1), ("b".into(), 26379), ("::1".into(), 3)],
                replica: false,
            }
        );
        assert_eq!((c.db, c.protocol), (2, Protocol::Resp2));

        let c =
            Config::from_url("redis+sentinel://u:p%40ss@127.0.0.1:5000/grp?role=replica").unwrap();
        assert!(matches!(c.addr, Addr::Sentinel { replica: true, .. }));
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        assert!(!format!("{c:?}").contains("p@ss"));
        assert_eq!(c.db, 0);

        for bad in [
            "redis+sentinel://host:1",
            "redis+sentinel://host:1/",
            "redis+sentinel://host:x/m",
            "redis+sentinel://,host/m",
            "redis+sentinel://host/m?role=boss",
            "redis+sentinel://host/m/notadb",
            "redis+sentinel://host/m?bogus=1",
        ] {
            let err = Config::from_url(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{bad}");
        }
    }

    #[test]
    fn parses_switches() {
        let switch = parse_switch(b"mymaster 127.0.0.1 6379 10.0.0.2 6380").unwrap();
        assert_eq!(switch.master, "mymaster");
        assert_eq!(switch.from.to_string(), "127.0.0.1:6379");
        assert_eq!(switch.to.to_string(), "10.0.0.2:6380");
        assert_eq!(parse_switch(b"mymaster 127.0.0.1 x 10.0.0.2 6380"), None);
        assert_eq!(parse_switch(b"mymaster"), None);
    }

    #[test]
    fn keeps_healthy_replicas() {
        let entry = |ip: &str, port: &str, flags: &str, link: &str| {
            let pairs = [
                ("name", "x"),
                ("ip", ip),
                ("port", port),
                ("flags", flags),
                ("master-link-status", link),
            ];
            Frame::Array(
                pairs
                    .iter()
                    .flat_map(|(k, v)| {
                        [
                            Frame::Bulk(k.as_bytes().to_vec().into()),
                            Frame::Bulk(v.as_bytes().to_vec().into()),
                        ]
                    })
                    .collect(),
            )
        };
        let reply = Frame::Array(vec![
            entry("10.0.0.1", "6380", "slave", "ok"),
            entry("10.0.0.2", "6380", "s_down,slave", "ok"),
            entry("10.0.0.3", "6380", "slave", "err"),
            entry("10.0.0.4", "6381", "slave", "ok"),
        ]);
        let sentinel = Addr::Tcp {
            host: "s".into(),
            port: 1,
        };
        let healthy = healthy_replicas(reply, &sentinel, "m").unwrap();
        let hosts: Vec<String> = healthy.iter().map(ToString::to_string).collect();
        assert_eq!(hosts, ["10.0.0.1:6380", "10.0.0.4:6381"]);
    }
}
