//! A scripted fake Redis server: the hostile or broken peer a real server cannot be made into.
//!
//! [`FakeServer::start`] listens on a free loopback port. Each connection first gets a proper
//! answer to `HELLO` (a RESP3 map, or an error so that the client falls back to RESP2, or
//! whatever the script says, as [`Hello`] chooses). Every later command is handed to the test's script with the connection's
//! number (0 for the first accepted), and the script says what to send back: any bytes at all,
//! then optionally close. [`normal`] is a well-behaved answer for the commands tests use to check
//! that a client recovered, so a script is typically "misbehave on connection 0, then be normal".

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the fake answers `HELLO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hello {
    /// A RESP3 map, as Redis 6+ answers `HELLO 3`.
    Resp3,
    /// `-ERR unknown command 'HELLO'`, as Redis 5 does: the client falls back to RESP2.
    Unknown,
    /// `HELLO` goes to the script like any other command, to break the handshake itself.
    Script,
}

/// What the fake does with one command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Sends these bytes (in one write) and goes on reading commands.
    Send(Vec<u8>),
    /// Sends these bytes (in one write), then closes the connection.
    SendThenClose(Vec<u8>),
    /// Sends nothing and goes on reading: the command is never answered.
    Ignore,
}

impl Action {
    /// Sends `bytes`.
    pub fn send(bytes: impl AsRef<[u8]>) -> Action {
        Action::Send(bytes.as_ref().to_vec())
    }

    /// Sends `bytes`, then closes.
    pub fn send_then_close(bytes: impl AsRef<[u8]>) -> Action {
        Action::SendThenClose(bytes.as_ref().to_vec())
    }

    /// Closes without answering.
    pub fn close() -> Action {
        Action::SendThenClose(Vec::new())
    }
}

/// A command as the client sent it: the words of a RESP array of bulk strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command(pub Vec<Vec<u8>>);

impl Command {
    /// The command name, upper-cased.
    pub fn name(&self) -> String {
        self.0
            .first()
            .map(|w| String::from_utf8_lossy(w).to_ascii_uppercase())
            .unwrap_or_default()
    }

    /// Argument `i` (0 is the first after the name), as text.
    pub fn arg(&self, i: usize) -> String {
        self.0
            .get(i + 1)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .unwrap_or_default()
    }
}

/// The reply of a well-behaved server to the few commands recovery checks use: `HELLO` is a
/// RESP3 map, `PING` is `+PONG`, `ECHO x` is `x`, `GET k` is `value-of-k` (so every key has its
/// own value), `SET` is `+OK`; anything else is an `-ERR` reply.
pub fn normal(cmd: &Command) -> Action {
    match cmd.name().as_str() {
        "HELLO" => Action::send(HELLO_REPLY),
        "PING" => Action::send("+PONG\r\n"),
        "ECHO" => Action::Send(bulk(cmd.arg(0).as_bytes())),
        "GET" => Action::Send(bulk(format!("value-of-{}", cmd.arg(0)).as_bytes())),
        "SET" => Action::send("+OK\r\n"),
        other => Action::Send(format!("-ERR fake server does not know {other}\r\n").into_bytes()),
    }
}

/// `$<len>\r\n<data>\r\n`.
pub fn bulk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

type Script = dyn Fn(usize, &Command) -> Action + Send + Sync;

/// A scripted server on `127.0.0.1:<port>`. Stops accepting on drop.
#[derive(Debug)]
pub struct FakeServer {
    port: u16,
    accepted: Arc<AtomicUsize>,
    accept: JoinHandle<()>,
}

impl FakeServer {
    /// Starts a fake answering `HELLO` as `hello` and every other command as
    /// `script(connection number, command)` says.
    pub async fn start(
        hello: Hello,
        script: impl Fn(usize, &Command) -> Action + Send + Sync + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("fake server: binding a loopback port: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fake server: local address: {e}"))
            .port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let script: Arc<Script> = Arc::new(script);
        let counter = accepted.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let index = counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, index, hello, script.clone()));
            }
        });
        FakeServer {
            port,
            accepted,
            accept,
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A [`sider::Config`] for its address.
    pub fn config(&self) -> sider::Config {
        sider::Config::tcp("127.0.0.1", self.port)
    }

    /// How many connections it has accepted.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// The `HELLO 3` reply of a Redis 7 server (abridged: the client reads none of it).
const HELLO_REPLY: &[u8] = b"%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n\
$5\r\nproto\r\n:3\r\n";

async fn serve(mut stream: TcpStream, index: usize, hello: Hello, script: Arc<Script>) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some(cmd) = parse_command(&mut buf) {
            let action = match (cmd.name().as_str(), hello) {
                ("HELLO", Hello::Resp3) => Action::send(HELLO_REPLY),
                ("HELLO", Hello::Unknown) => {
                    Action::send("-ERR unknown command 'HELLO', with args beginning with: \r\n")
                }
                _ => script(index, &cmd),
            };
            match action {
                Action::Send(bytes) => {
                    if stream.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Action::SendThenClose(bytes) => {
                    let _ = stream.write_all(&bytes).await;
                    let _ = stream.shutdown().await;
                    return;
                }
                Action::Ignore => {}
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Takes one complete `*N\r\n$len\r\n...` command off the front of `buf`, if there is one.
/// The client is sider, which only sends arrays of bulk strings; anything else ends the parse.
fn parse_command(buf: &mut Vec<u8>) -> Option<Command> {
    let mut pos = 0;
    let count = header(buf, &mut pos, b'*')?;
    let mut words = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let len = header(buf, &mut pos, b'$')?;
        let end = pos.checked_add(len)?;
        if buf.len() < end + 2 {
            return None;
        }
        words.push(buf[pos..end].to_vec());
        pos = end + 2;
    }
    buf.drain(..pos);
    Some(Command(words))
}

/// Reads `<marker><decimal>\r\n` at `pos`, advancing past it.
fn header(buf: &[u8], pos: &mut usize, marker: u8) -> Option<usize> {
    if *buf.get(*pos)? != marker {
        return None;
    }
    let rest = buf.get(*pos + 1..)?;
    let eol = rest.windows(2).position(|w| w == b"\r\n")?;
    let n = std::str::from_utf8(&rest[..eol]).ok()?.parse().ok()?;
    *pos += 1 + eol + 2;
    Some(n)
}
