//! The test harness: real `redis-server` processes on free loopback ports.
//!
//! Every test starts the servers it needs and owns them: [`RedisServer`] kills its process on
//! drop (and, should the test process die first, the kernel does, through `PR_SET_PDEATHSIG`).
//! Servers run with `--save "" --appendonly no` in a temporary directory of their own, so tests
//! never touch a server they did not start and run in parallel.
//!
//! The binary is `redis-server` from `PATH`, or `REDIS_SERVER_BIN` when set. A missing binary
//! fails the test with a message saying how to install it; nothing is skipped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod cluster;
pub mod fake;
pub mod log;
pub mod proxy;
pub mod sentinel;

/// A `redis-server` child process, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    options: ServerBuilder,
}

/// Options for [`RedisServer::builder`].
#[derive(Debug, Default, Clone)]
pub struct ServerBuilder {
    args: Vec<String>,
    password: Option<String>,
    tls: bool,
    binary: Option<String>,
}

impl ServerBuilder {
    /// Adds `--name value` to the server's command line.
    pub fn arg(mut self, name: &str, value: &str) -> Self {
        self.args.push(format!("--{name}"));
        self.args.push(value.to_owned());
        self
    }

    /// Adds raw command-line words.
    pub fn raw(mut self, words: &[&str]) -> Self {
        self.args.extend(words.iter().map(|w| (*w).to_owned()));
        self
    }

    /// Runs this binary instead of `REDIS_SERVER_BIN` or `redis-server` (a Valkey build from
    /// `scripts/servers`, say).
    pub fn binary(mut self, path: &str) -> Self {
        self.binary = Some(path.to_owned());
        self
    }

    /// Requires a password for the default user (`--requirepass`).
    pub fn requirepass(mut self, password: &str) -> Self {
        self.password = Some(password.to_owned());
        self.arg("requirepass", password)
    }

    /// Serves TLS only: the port the harness picks becomes `--tls-port` and `--port 0` turns
    /// plain TCP off. Give the certificate files with `arg` (`tls-cert-file`...). Readiness is
    /// then a TCP connect, not a PING.
    pub fn tls_only(mut self) -> Self {
        self.tls = true;
        self
    }

    /// The words that move a [`tls_only`](Self::tls_only) server to TLS on `port`; they come
    /// after `--port <port>`, and the last `--port` wins.
    fn tls_args(&self, port: u16) -> Vec<String> {
        if !self.tls {
            return Vec::new();
        }
        let port = port.to_string();
        ["--tls-port", &port, "--port", "0"]
            .map(str::to_owned)
            .to_vec()
    }

    /// Starts the server, retrying on another port if the chosen one was taken meanwhile.
    pub fn start(self) -> RedisServer {
        let mut last_error = String::new();
        for _ in 0..5 {
            match RedisServer::try_start(&self) {
                Ok(server) => return server,
                Err(e) => last_error = e,
            }
        }
        panic!("could not start redis-server: {last_error}");
    }
}

fn server_binary() -> String {
    std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".to_owned())
}

/// A port nobody listens on right now. Another process may take it before the server binds it;
/// [`ServerBuilder::start`] retries then.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

impl RedisServer {
    /// Starts a plain server.
    pub fn start() -> RedisServer {
        RedisServer::builder().start()
    }

    /// Starts a server with options.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    fn try_start(options: &ServerBuilder) -> Result<RedisServer, String> {
        let dir = tempfile::Builder::new()
            .prefix("sider-redis-")
            .tempdir()
            .map_err(|e| format!("creating a temp dir: {e}"))?;
        let port = free_port();
        let child = spawn_server(options, port, dir.path())?;
        let mut server = RedisServer {
            child,
            port,
            dir,
            options: options.clone(),
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log =
                    std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default();
                return Err(format!("redis-server exited with {status}: {log}"));
            }
            let ready = if self.options.tls {
                TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            } else {
                ping(self.port, self.options.password.as_deref())
            };
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("redis-server did not answer PING within 10 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The server's Unix socket.
    pub fn unix_socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    /// The server's working directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kills the server now (as a crash would).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the server (if it still runs) and starts a new one with the same options on the
    /// same port and directory, as a restarted server would come back. The data is gone: servers
    /// run with `--save ""`.
    ///
    /// Another process may take the port in between; that is retried for a few seconds, then
    /// panics, since a test that restarts a server cannot move it elsewhere.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let attempt =
                spawn_server(&self.options, self.port, self.dir.path()).and_then(|child| {
                    self.child = child;
                    self.wait_ready()
                });
            match attempt {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => {
                    panic!("could not restart redis-server on port {}: {e}", self.port)
                }
                Err(_) => {
                    self.kill();
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }
}

/// A server stopped with `SIGSTOP`: it reads nothing and answers nothing until this is dropped
/// (`SIGCONT`). Unlike a busy script, which newer servers interrupt to answer `BUSY`, every
/// server kind stays silent the same way.
#[derive(Debug)]
pub struct Frozen {
    pid: libc::pid_t,
}

impl Drop for Frozen {
    fn drop(&mut self) {
        // SAFETY: sending a signal to our own child process has no memory effects.
        unsafe {
            libc::kill(self.pid, libc::SIGCONT);
        }
    }
}

impl RedisServer {
    /// Stops the server's process until the returned guard is dropped.
    pub fn freeze(&self) -> Frozen {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t");
        // SAFETY: as in `Frozen::drop`.
        let rc = unsafe { libc::kill(pid, libc::SIGSTOP) };
        assert_eq!(
            rc,
            0,
            "SIGSTOP to redis-server: {}",
            std::io::Error::last_os_error()
        );
        Frozen { pid }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `redis-server` on `port` with `dir` as its working directory.
fn spawn_server(options: &ServerBuilder, port: u16, dir: &Path) -> Result<Child, String> {
    let mut cmd = Command::new(options.binary.clone().unwrap_or_else(server_binary));
    cmd.arg("--port")
        .arg(port.to_string())
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .arg("--unixsocket")
        .arg(dir.join("redis.sock"))
        .args(["--unixsocketperm", "700", "--daemonize", "no"])
        .args(&options.args)
        .args(options.tls_args(port))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd.spawn().map_err(|e| {
        format!(
            "running `{}`: {e}. Install it with `sudo apt-get install -y redis-server` \
             or point REDIS_SERVER_BIN at a redis-server binary",
            server_binary()
        )
    })
}

/// Sends PING (after AUTH when a password is given) and reports whether the server answered.
fn ping(port: u16, password: Option<&str>) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut request = String::new();
    if let Some(password) = password {
        request.push_str(&format!(
            "*2\r\n$4\r\nAUTH\r\n${}\r\n{password}\r\n",
            password.len()
        ));
    }
    request.push_str("*1\r\n$4\r\nPING\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut reply = Vec::new();
    let mut buf = [0u8; 256];
    while !reply.ends_with(b"+PONG\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
        }
        if reply.starts_with(b"-LOADING") {
            return false;
        }
    }
    true
}
