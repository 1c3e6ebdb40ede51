//! Opening a connection and greeting the server: `HELLO 3` with `AUTH` and `SETNAME`, falling back
//! to RESP2's `AUTH` and `CLIENT SETNAME`; then `SELECT`.

use super::config::{Addr, Config, Protocol};
use super::stream::Stream;
use crate::cmd::Cmd;
use crate::error::{Error, ServerError};
use crate::resp::{Decoder, Frame};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A connected, greeted socket, ready for the driver.
#[derive(Debug)]
pub(crate) struct Established {
    pub(crate) stream: Stream,
    pub(crate) read_buf: BytesMut,
    pub(crate) decoder: Decoder,
    pub(crate) protocol: Protocol,
}

/// Connects to `config.addr` and runs the handshake, within `config.connect_timeout`.
pub(crate) async fn connect(config: &Config) -> Result<Established, Error> {
    match tokio::time::timeout(config.connect_timeout, connect_inner(config)).await {
        Ok(result) => result,
        Err(_) => Err(Error::timeout(format!(
            "connecting to {} (limit {:?})",
            config.addr, config.connect_timeout
        ))),
    }
}

async fn connect_inner(config: &Config) -> Result<Established, Error> {
    let stream = match &config.addr {
        Addr::Tcp { host, port } => {
            let tcp = TcpStream::connect((host.as_str(), *port))
                .await
                .map_err(|e| Error::io(format!("connecting to {}", config.addr), e))?;
            tcp.set_nodelay(true)
                .map_err(|e| Error::io(format!("setting TCP_NODELAY on {}", config.addr), e))?;
            Stream::Tcp(tcp)
        }
        #[cfg(unix)]
        Addr::Unix(path) => Stream::Unix(
            tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| Error::io(format!("connecting to {}", config.addr), e))?,
        ),
        #[cfg(not(unix))]
        Addr::Unix(_) => return Err(Error::config("Unix sockets need a Unix platform")),
    };
    let mut conn = Established {
        stream,
        read_buf: BytesMut::with_capacity(16 * 1024),
        decoder: Decoder::new(config.limits),
        protocol: config.protocol,
    };
    conn.greet(config).await?;
    Ok(conn)
}

impl Established {
    async fn call(&mut self, cmd: &Cmd, addr: &Addr) -> Result<Frame, Error> {
        let bytes = cmd.to_bytes();
        self.stream
            .write_all(&bytes)
            .await
            .map_err(|e| Error::io(format!("writing {} to {addr}", cmd.name()), e))?;
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
                .map_err(|e| Error::io(format!("reading from {addr}"), e))?;
            if n == 0 {
                return Err(Error::closed(format!(
                    "{addr} closed the connection during the handshake"
                )));
            }
        }
    }

    async fn greet(&mut self, config: &Config) -> Result<(), Error> {
        let addr = &config.addr;
        if self.protocol == Protocol::Resp3 {
            let mut hello = Cmd::new("HELLO").arg(3);
            if let Some(password) = &config.password {
                let user = config.username.as_deref().unwrap_or("default");
                hello = hello.arg("AUTH").arg(user).arg(password.as_str());
            }
            if let Some(name) = &config.client_name {
                hello = hello.arg("SETNAME").arg(name.as_str());
            }
            if let Frame::Error(line) = self.call(&hello, addr).await? {
                let err = ServerError::parse(&line);
                let unsupported = err.code() == "NOPROTO"
                    || (err.code() == "ERR" && err.message().contains("unknown command"));
                if !unsupported {
                    return Err(Error::auth(format!("HELLO to {addr}"), err));
                }
                self.protocol = Protocol::Resp2;
            } else {
                return self.select(config).await;
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
        self.select(config).await
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
        if let Frame::Error(line) = self.call(&tracking.command(), &config.addr).await? {
            return Err(Error::server(&line).context(format!("CLIENT TRACKING on {}", config.addr)));
        }
        Ok(())
    }

    async fn select(&mut self, config: &Config) -> Result<(), Error> {
        self.track(config).await?;
        if config.db != 0 {
            let select = Cmd::new("SELECT").arg(config.db);
            if let Frame::Error(line) = self.call(&select, &config.addr).await? {
                return Err(Error::server(&line).context(format!(
                    "selecting database {} on {}",
                    config.db, config.addr
                )));
            }
        }
        Ok(())
    }
}
