//! A fault-injecting TCP proxy between a client and a real server.
//!
//! [`Proxy::start`] listens on a free loopback port and forwards every connection to the
//! upstream port. The client-to-server direction is always forwarded as is; the server-to-client
//! direction can be stalled, dripped, corrupted or cut while the test runs. Faults apply to the
//! connections open at the time (cuts, half-closes) or to the next bytes forwarded on any
//! connection (corruption, cut after N bytes), so a test drives one client connection at a time.
//!
//! Controls that change what is on the wire ([`Proxy::cut_all`], [`Proxy::half_close`]) return
//! once every affected connection has acted, so a test never has to sleep for them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How [`Proxy::cut_all`] ends the client's side of each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// An abortive close: `SO_LINGER` 0, so the client gets a TCP RST (`ECONNRESET`).
    Reset,
    /// An orderly close: the client reads end-of-stream.
    Close,
}

/// A change to the next server-to-client bytes forwarded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// XOR the byte at this offset (from the start of the next forwarded chunk) with `0xff`.
    Flip(usize),
    /// Insert these bytes before the next forwarded chunk.
    Insert(Vec<u8>),
}

/// What the proxy does to the server-to-client stream.
#[derive(Debug, Default)]
struct State {
    /// Hold server bytes back (they wait in the kernel buffers) until released.
    stalled: bool,
    /// Forward in chunks of this many bytes, sleeping this long after each.
    drip: Option<(usize, Duration)>,
    /// One-shot: applied to the next chunk forwarded.
    corrupt: Option<Corruption>,
    /// One-shot: the next connection to forward bytes forwards this many more, then is reset.
    cut_after: Option<usize>,
    /// Connections opened before this epoch are cut...
    cut_epoch: u64,
    /// ...this way.
    cut_how: Option<Cut>,
    /// Connections opened before this epoch shut down their write side toward the client.
    half_close_epoch: u64,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Bumped on every control change, to wake the connection tasks.
    changed: watch::Sender<u64>,
    /// Live connections: id -> (cut epoch, half-close epoch) each has acted on.
    live: Mutex<HashMap<u64, (u64, u64)>>,
    accepted: AtomicUsize,
    next_id: AtomicU64,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn live(&self) -> MutexGuard<'_, HashMap<u64, (u64, u64)>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state());
        self.changed.send_modify(|n| *n += 1);
    }
}

/// A TCP proxy on `127.0.0.1:<port>` forwarding to `127.0.0.1:<upstream>`. Stops on drop.
#[derive(Debug)]
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy to the server on `upstream` (a loopback port).
    pub async fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("proxy: binding a loopback port: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("proxy: local address: {e}"))
            .port();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: watch::channel(0).0,
            live: Mutex::new(HashMap::new()),
            accepted: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
        });
        let accept = tokio::spawn(accept_loop(listener, upstream, shared.clone()));
        Proxy {
            port,
            shared,
            accept,
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A [`sider::Config`] for the proxy's address.
    pub fn config(&self) -> sider::Config {
        sider::Config::tcp("127.0.0.1", self.port)
    }

    /// How many client connections the proxy has accepted since it started.
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections open right now.
    pub fn live(&self) -> usize {
        self.shared.live().len()
    }

    /// Cuts every open connection now, both toward the client and toward the server, and
    /// returns once all of them are closed. Connections opened later are forwarded normally.
    pub async fn cut_all(&self, how: Cut) {
        let mut epoch = 0;
        self.shared.update(|s| {
            s.cut_epoch += 1;
            s.cut_how = Some(how);
            epoch = s.cut_epoch;
        });
        self.wait_until("cutting every connection", |live| {
            live.values().all(|&(cut, _)| cut >= epoch)
        })
        .await;
    }

    /// Shuts down the write side toward the client on every open connection (the client reads
    /// end-of-stream; what it sends still reaches the server), and returns once all have.
    pub async fn half_close(&self) {
        let mut epoch = 0;
        self.shared.update(|s| {
            s.half_close_epoch += 1;
            epoch = s.half_close_epoch;
        });
        self.wait_until("half-closing every connection", |live| {
            live.values().all(|&(_, half)| half >= epoch)
        })
        .await;
    }

    /// Stops forwarding server-to-client bytes until [`release`](Proxy::release).
    pub fn stall(&self) {
        self.shared.update(|s| s.stalled = true);
    }

    /// Forwards again what a [`stall`](Proxy::stall) held back.
    pub fn release(&self) {
        self.shared.update(|s| s.stalled = false);
    }

    /// Forwards server-to-client bytes `chunk` at a time, waiting `delay` after each.
    pub fn drip(&self, chunk: usize, delay: Duration) {
        self.shared.update(|s| s.drip = Some((chunk.max(1), delay)));
    }

    /// Corrupts the next server-to-client chunk forwarded, once. After a reconnect, that is the
    /// handshake's reply: arm it once the client is connected.
    pub fn corrupt_next(&self, corruption: Corruption) {
        self.shared.update(|s| s.corrupt = Some(corruption));
    }

    /// Arms a cut: the next connection to forward server bytes forwards `bytes` more of them,
    /// then is reset. After a reconnect, the handshake's reply counts toward them.
    pub fn cut_after(&self, bytes: usize) {
        self.shared.update(|s| s.cut_after = Some(bytes));
    }

    /// Back to plain forwarding: releases a stall, stops dripping, disarms pending faults.
    pub fn normal(&self) {
        self.shared.update(|s| {
            s.stalled = false;
            s.drip = None;
            s.corrupt = None;
            s.cut_after = None;
        });
    }

    /// Polls the live table until `done`, for at most 5 seconds.
    async fn wait_until(&self, what: &str, done: impl Fn(&HashMap<u64, (u64, u64)>) -> bool) {
        let wait = async {
            while !done(&self.shared.live()) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .is_err()
        {
            panic!("proxy: {what} took more than 5 s");
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        // Connection tasks end at the next control change they see.
        self.shared.update(|s| {
            s.cut_epoch += 1;
            s.cut_how = Some(Cut::Close);
        });
    }
}

async fn accept_loop(listener: TcpListener, upstream: u16, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
        let epochs = {
            let s = shared.state();
            (s.cut_epoch, s.half_close_epoch)
        };
        shared.live().insert(id, epochs);
        let shared = shared.clone();
        tokio::spawn(async move {
            if let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await {
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                relay(id, client, server, &shared, epochs).await;
            }
            shared.live().remove(&id);
        });
    }
}

/// Forwards one connection until either side closes or a cut reaches it.
async fn relay(
    id: u64,
    mut client: TcpStream,
    mut server: TcpStream,
    shared: &Shared,
    (cut_seen, mut half_seen): (u64, u64),
) {
    let mut changed = shared.changed.subscribe();
    let mut half_closed = false;
    // Bytes left before this connection's armed cut, once it took one.
    let mut cut_left: Option<usize> = None;
    let mut from_client = vec![0u8; 64 * 1024];
    let mut from_server = vec![0u8; 64 * 1024];
    loop {
        let (stalled, cut, half) = {
            let s = shared.state();
            let cut =
                (s.cut_epoch > cut_seen).then_some((s.cut_how.unwrap_or(Cut::Close), s.cut_epoch));
            (s.stalled, cut, s.half_close_epoch)
        };
        if let Some((how, epoch)) = cut {
            drop(server);
            if let Some(entry) = shared.live().get_mut(&id) {
                entry.0 = epoch;
            }
            match how {
                Cut::Reset => {
                    let _ = client.set_zero_linger();
                }
                Cut::Close => close_gracefully(client).await,
            }
            return;
        }
        if half > half_seen {
            if !half_closed {
                let _ = client.shutdown().await;
                half_closed = true;
            }
            half_seen = half;
            if let Some(entry) = shared.live().get_mut(&id) {
                entry.1 = half;
            }
        }
        tokio::select! {
            _ = changed.changed() => {}
            read = client.read(&mut from_client) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if server.write_all(&from_client[..n]).await.is_err() {
                        return;
                    }
                }
            },
            read = server.read(&mut from_server), if !stalled && !half_closed => match read {
                // The server went away: close toward the client as the server did.
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if !forward(&mut client, &from_server[..n], shared, &mut cut_left).await {
                        return;
                    }
                }
            },
        }
    }
}

/// Sends FIN, then reads and drops what the client still sends until it closes too: closing a
/// socket with unread bytes would send a RST instead of the orderly end of stream asked for.
async fn close_gracefully(mut client: TcpStream) {
    let _ = client.shutdown().await;
    let mut sink = vec![0u8; 16 * 1024];
    let drain = async {
        while let Ok(n) = client.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
}

/// Writes server bytes to the client under the current faults. False when the connection must
/// end (a cut, or the client went away).
async fn forward(
    client: &mut TcpStream,
    data: &[u8],
    shared: &Shared,
    cut_left: &mut Option<usize>,
) -> bool {
    let mut data = data.to_vec();
    let drip = {
        let mut s = shared.state();
        match s.corrupt.take() {
            Some(Corruption::Flip(at)) => {
                if let Some(byte) = data.get_mut(at) {
                    *byte ^= 0xff;
                }
            }
            Some(Corruption::Insert(bytes)) => {
                data.splice(0..0, bytes);
            }
            None => {}
        }
        if let Some(n) = s.cut_after.take() {
            *cut_left = Some(n);
        }
        s.drip
    };
    let (send, cut) = match *cut_left {
        Some(left) if left <= data.len() => (left, true),
        Some(left) => {
            *cut_left = Some(left - data.len());
            (data.len(), false)
        }
        None => (data.len(), false),
    };
    let written = match drip {
        None => client.write_all(&data[..send]).await.is_ok(),
        Some((chunk, delay)) => {
            let mut ok = true;
            for piece in data[..send].chunks(chunk) {
                if client.write_all(piece).await.is_err() {
                    ok = false;
                    break;
                }
                tokio::time::sleep(delay).await;
            }
            ok
        }
    };
    if cut {
        let _ = client.set_zero_linger();
        return false;
    }
    written
}
