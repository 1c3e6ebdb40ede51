//! Opening a connection and greeting the server: `HELLO 3` with `AUTH` and `SETNAME`, falling back
//! to RESP2's `AUTH` and `CLIENT SETNAME` (and `INFO server` for the server's name and version);
//! then `CLIENT SETINFO` where the server has it, and `SELECT`. TLS (the `tls` feature) wraps the TCP
//! stream first; a Sentinel address is resolved first (see `sentinel.rs`).

use super::config::{Addr, Config, Protocol};
use super::server::ServerInfo;
use super::stream::Stream;
use crate::cmd::Cmd;
use crate::error::{Error, ServerError};
use crate::resp::{Decoder, Frame};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The name sider gives itself in `CLIENT SETINFO LIB-NAME` (shown by `CLIENT LIST`).
pub(crate) const LIB_NAME: &str = "sider";

/// A connected, greeted socket, ready for the driver.
#[derive(Debug)]
pub(crate) struct Established {
    pub(crate) stream: Stream,
    /// The server connected to: for a Sentinel address, the primary or replica it resolved to.
    pub(crate) addr: Addr,
    pub(crate) read_buf: BytesMut,
    pub(crate) decoder: Decoder,
    pub(crate) protocol: Protocol,
    /// The server's name and version, as it reported them.
    pub(crate) server: ServerInfo,
}

/// Connects to the server at `addr` (TCP or Unix) and greets it as `config` says.
pub(super) async fn connect_to(config: &Config, addr: &Addr) -> Result<Established, Error> {
    let stream = open(config, addr).await?;
    let mut conn = Established::new(stream, addr.clone(), config);
    conn.greet(config).await?;
    Ok(conn)
}

/// Opens the byte stream to `addr`, with TLS when `config` asks for it.
pub(super) async fn open(config: &Config, addr: &Addr) -> Result<Stream, Error> {
    #[cfg(not(feature = "tls"))]
    let _ = config; // only its TLS settings are read here
    match addr {
        Addr::Tcp { host, port } => {
            let tcp = TcpStream::connect((host.as_str(), *port))
                .await
                .map_err(|e| Error::io(format!("connecting to {addr}"), e))?;
            tcp.set_nodelay(true)
                .map_err(|e| Error::io(format!("setting TCP_NODELAY on {addr}"), e))?;
            #[cfg(feature = "tls")]
            if let Some(tls) = &config.tls {
                let tls = super::tls::handshake(tls, host, addr, tcp).await?;
                return Ok(Stream::Tls(Box::new(tls)));
            }
            Ok(Stream::Tcp(tcp))
        }
        #[cfg(unix)]
        Addr::Unix(path) => {
            #[cfg(feature = "tls")]
            if config.tls.is_some() {
                return Err(Error::config(
                    "TLS is for TCP addresses: Redis does not speak TLS on a Unix socket",
                ));
            }
            let unix = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| Error::io(format!("connecting to {addr}"), e))?;
            Ok(Stream::Unix(unix))
        }
        #[cfg(not(unix))]
        Addr::Unix(_) => Err(Error::config("Unix sockets need a Unix platform")),
        Addr::Sentinel { .. } => Err(Error::config(format!(
            "{addr} is found through Sentinel, not connected to directly"
        ))),
    }
}

/// An I/O error on a stream that may be TLS, where rustls's own errors (a refused client
/// certificate) arrive as I/O errors.
fn io_error(context: String, e: std::io::Error) -> Error {
    #[cfg(feature = "tls")]
    return super::tls::io_error(context, e);
    #[cfg(not(feature = "tls"))]
    Error::io(context, e)
}

impl Established {
    /// A stream not yet greeted; `call` works on it (in RESP2 unless `config` said otherwise).
    pub(super) fn new(stream: Stream, addr: Addr, config: &Config) -> Established {
        Established {
            stream,
            addr,
            read_buf: BytesMut::with_capacity(16 * 1024),
            decoder: Decoder::new(config.limits),
            protocol: config.protocol,
            server: ServerInfo::unknown(),
        }
    }

    /// Sends one command and waits for its reply.
    pub(super) async fn call(&mut self, cmd: &Cmd, addr: &Addr) -> Result<Frame, Error> {
        let bytes = cmd.to_bytes();
        self.stream
            .write_all(&bytes)
            .await
            .map_err(|e| io_error(format!("writing {} to {addr}", cmd.name()), e))?;
        self.read_reply(addr).await
    }

    /// Sends several commands in one write and waits for all their replies, in order.
    async fn call_all(&mut self, cmds: &[Cmd], addr: &Addr) -> Result<Vec<Frame>, Error> {
        let mut bytes = Vec::new();
        for cmd in cmds {
            bytes.extend_from_slice(&cmd.to_bytes());
        }
        self.stream
            .write_all(&bytes)
            .await
            .map_err(|e| io_error(format!("writing the handshake to {addr}"), e))?;
        let mut replies = Vec::with_capacity(cmds.len());
        for _ in cmds {
            replies.push(self.read_reply(addr).await?);
        }
        Ok(replies)
    }

    async fn read_reply(&mut self, addr: &Addr) -> Result<Frame, Error> {
        loop {
            match self.decoder.decode(&mut self.read_buf) {
                // RESP3 may deliver pushes at any time; none are expected during the handshake.
                Ok(Some(Frame::Push(_))) => continue,
                Ok(Some(frame)) => return Ok(frame.into_value()),
                Ok(None) => {}
                Err(e) => return Err(Error::protocol(format!("reply from {addr}"), e)),
            }
            let n = self
                .stream
                .read_buf(&mut self.read_buf)
                .await
                .map_err(|e| io_error(format!("reading from {addr}"), e))?;
            if n == 0 {
                return Err(Error::closed(format!(
                    "{addr} closed the connection during the handshake"
                )));
            }
        }
    }

    async fn greet(&mut self, config: &Config) -> Result<(), Error> {
        let addr = &self.addr.clone();
        if self.protocol == Protocol::Resp3 {
            let mut hello = Cmd::new("HELLO").arg(3);
            if let Some(password) = &config.password {
                let user = config.username.as_deref().unwrap_or("default");
                hello = hello.arg("AUTH").arg(user).arg(password.as_str());
            }
            if let Some(name) = &config.client_name {
                hello = hello.arg("SETNAME").arg(name.as_str());
            }
            match self.call(&hello, addr).await? {
                Frame::Error(line) => {
                    let err = ServerError::parse(&line);
                    let unsupported = err.code() == "NOPROTO"
                        || (err.code() == "ERR" && err.message().contains("unknown command"));
                    if !unsupported {
                        return Err(Error::auth(format!("HELLO to {addr}"), err));
                    }
                    self.protocol = Protocol::Resp2;
                }
                reply => {
                    self.server = ServerInfo::from_hello(&reply);
                    self.set_info(Vec::new()).await?;
                    return self.select(config).await;
                }
            }
        }
        if let Some(password) = &config.password {
            let mut auth = Cmd::new("AUTH");
            if let Some(user) = &config.username {
                auth = auth.arg(user.as_str());
            }
            auth = auth.arg(password.as_str());
            if let Frame::Error(line) = self.call(&auth, addr).await? {
                return Err(Error::auth(
                    format!("AUTH to {addr}"),
                    ServerError::parse(&line),
                ));
            }
        }
        if let Some(name) = &config.client_name {
            let setname = Cmd::new("CLIENT SETNAME").arg(name.as_str());
            if let Frame::Error(line) = self.call(&setname, addr).await? {
                return Err(Error::server(&line).context(format!("CLIENT SETNAME on {addr}")));
            }
        }
        // RESP2 has no HELLO: INFO tells the server's name and version.
        self.set_info(vec![Cmd::new("INFO").arg("server")]).await?;
        self.select(config).await
    }

    /// Sends `first` (INFO under RESP2) and `CLIENT SETINFO` with the library's name and
    /// version in one write, as clients of Redis 7.2+ do. Under RESP3 the server is known from
    /// HELLO and SETINFO goes only where it exists; under RESP2 it goes along with INFO, and a
    /// server that does not know it refuses it harmlessly: its refusal is not an error.
    async fn set_info(&mut self, mut first: Vec<Cmd>) -> Result<(), Error> {
        let info = !first.is_empty();
        if info || self.server.has_setinfo() {
            first.push(Cmd::new("CLIENT SETINFO").arg("LIB-NAME").arg(LIB_NAME));
            first.push(
                Cmd::new("CLIENT SETINFO")
                    .arg("LIB-VER")
                    .arg(env!("CARGO_PKG_VERSION")),
            );
        }
        let addr = self.addr.clone();
        let replies = self.call_all(&first, &addr).await?;
        if info {
            if let Some(reply) = replies.first() {
                let text = match reply {
                    Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                    Frame::Verbatim { data, .. } => String::from_utf8_lossy(data).into_owned(),
                    // A server without INFO (a proxy, say) is simply unknown.
                    _ => String::new(),
                };
                self.server = ServerInfo::from_info(&text);
            }
        }
        Ok(())
    }

    async fn track(&mut self, config: &Config) -> Result<(), Error> {
        let Some(tracking) = &config.tracking else {
            return Ok(());
        };
        if self.protocol != Protocol::Resp3 {
            return Err(Error::config(
                "client-side caching needs RESP3 (the server refused HELLO 3, or protocol=2 was asked for)",
            ));
        }
        let addr = self.addr.clone();
        if let Frame::Error(line) = self.call(&tracking.command(), &addr).await? {
            return Err(Error::server(&line).context(format!("CLIENT TRACKING on {addr}")));
        }
        Ok(())
    }

    async fn select(&mut self, config: &Config) -> Result<(), Error> {
        self.track(config).await?;
        if config.db != 0 {
            let select = Cmd::new("SELECT").arg(config.db);
            let addr = self.addr.clone();
            if let Frame::Error(line) = self.call(&select, &addr).await? {
                return Err(Error::server(&line)
                    .context(format!("selecting database {} on {addr}", config.db)));
            }
        }
        Ok(())
    }
}
