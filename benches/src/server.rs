//! A `redis-server` child process on a free loopback port, killed and cleaned up on drop.

use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server this process started; dropping it kills the process and removes its directory.
#[derive(Debug)]
pub struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// A port nobody listens on right now. Another process may take it before the server binds it,
/// so [`Server::start`] retries on another port when the server does not come up.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
    Ok(listener.local_addr()?.port())
}

impl Server {
    /// Starts `redis-server` (or `$REDIS_SERVER_BIN`) with persistence off, bound to 127.0.0.1.
    pub fn start() -> Result<Server> {
        let mut last = None;
        for attempt in 0..5 {
            match Server::try_start(attempt) {
                Ok(server) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("no attempt made")))
            .context("starting redis-server")
    }

    fn try_start(attempt: u32) -> Result<Server> {
        let port = free_port()?;
        if port == 6379 {
            bail!("refusing port 6379");
        }
        let dir = std::env::temp_dir().join(format!(
            "sider-bench-{}-{}-{attempt}",
            std::process::id(),
            port
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let bin = std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&bin)
            .arg("--port")
            .arg(port.to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--logfile", "redis.log"])
            .arg("--dir")
            .arg(&dir)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| {
                format!("running `{bin}` (apt-get install redis-server, or set REDIS_SERVER_BIN)")
            })?;
        let mut server = Server { child, port, dir };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait()? {
                let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
                bail!("redis-server exited with {status}: {log}");
            }
            if ping(self.port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("redis-server did not answer PING within 10 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The TCP port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// True when something on `127.0.0.1:port` answers `PING` with `+PONG`.
pub fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// The server at `url`, or one started here when there is none (kept running while the
/// returned `Server` lives); its host and port either way.
pub fn given_or_started(url: Option<&str>) -> Result<(Option<Server>, String, u16)> {
    match url {
        Some(url) => {
            let (host, port) = host_port(url)?;
            Ok((None, host, port))
        }
        None => {
            let server = Server::start()?;
            let port = server.port();
            Ok((Some(server), "127.0.0.1".to_owned(), port))
        }
    }
}

/// Host and port from a `redis://host:port` URL (the form `--url` takes).
pub fn host_port(url: &str) -> Result<(String, u16)> {
    let rest = url
        .strip_prefix("redis://")
        .context("--url must start with redis://")?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    match authority.rsplit_once(':') {
        Some((host, port)) => Ok((host.to_owned(), port.parse().context("port in --url")?)),
        None => Ok((authority.to_owned(), 6379)),
    }
}
