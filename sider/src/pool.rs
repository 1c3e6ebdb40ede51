//! [`Pool`]: connections held alone, handed out in FIFO order.

use crate::conn::Config;
use crate::connection::Connection;
use crate::error::Error;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A fixed-size pool of [`Connection`]s, each lent to one task at a time.
///
/// Connections open lazily, up to the size ([`Pool::init`] opens them all up front). A
/// connection lent out runs every command, connection-state ones included: `WATCH`, `SELECT`,
/// blocking reads. It comes back on drop; one that broke, still owes replies (its user left
/// mid-command) or had its state changed is closed instead of being lent again.
///
/// For plain commands from many tasks, the shared [`Client`](crate::Client) is usually faster:
/// it pipelines every task's commands over one connection.
///
/// ```no_run
/// use sider::prelude::*;
///
/// # async fn run() -> Result<(), sider::Error> {
/// let pool = sider::Pool::new("redis://127.0.0.1:6379".parse()?, 2);
/// let mut conn = pool.acquire().await?;
/// conn.set("k", "v").await?;
/// drop(conn); // back to the pool
/// pool.drain().await; // close them all; the pool opens fresh ones when asked again
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Pool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    size: usize,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Connection>>,
    acquire_timeout: Option<Duration>,
    /// Bumped by `drain`: connections from an older generation are closed on return.
    generation: AtomicU64,
}

impl Pool {
    /// A pool of up to `size` connections to the server `config` describes.
    pub fn new(config: Config, size: usize) -> Pool {
        Pool::with_acquire_timeout(config, size, None)
    }

    /// A pool whose [`acquire`](Pool::acquire) gives up after `timeout` (if set).
    pub fn with_acquire_timeout(config: Config, size: usize, timeout: Option<Duration>) -> Pool {
        let size = size.max(1);
        Pool {
            inner: Arc::new(Inner {
                config,
                size,
                permits: Arc::new(Semaphore::new(size)),
                idle: Mutex::new(Vec::new()),
                acquire_timeout: timeout,
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// Opens every connection now, so the first users do not wait.
    ///
    /// # Errors
    ///
    /// The first connection that fails to open.
    pub async fn init(&self) -> Result<(), Error> {
        let mut opened = Vec::new();
        for _ in 0..self.inner.size {
            opened.push(self.acquire().await?);
        }
        Ok(())
    }

    /// Waits for a connection (first come, first served), opening one if the pool is below its
    /// size.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Closed`](crate::ErrorKind::Closed) once the pool is closed,
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) after the acquire timeout, or the error
    /// of opening a connection.
    pub async fn acquire(&self) -> Result<PooledConnection, Error> {
        let permits = self.inner.permits.clone();
        let permit = match self.inner.acquire_timeout {
            Some(limit) => tokio::time::timeout(limit, permits.acquire_owned())
                .await
                .map_err(|_| {
                    Error::timeout(format!("acquiring a pooled connection (limit {limit:?})"))
                })?,
            None => permits.acquire_owned().await,
        }
        .map_err(|_| Error::closed("the pool is closed"))?;
        let generation = self.inner.generation.load(Ordering::Acquire);
        let idle = self.inner.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => Connection::open(self.inner.config.clone()).await?,
        };
        Ok(PooledConnection {
            failures: conn.failures(),
            conn: Some(conn),
            pool: self.inner.clone(),
            generation,
            _permit: permit,
        })
    }

    /// How many connections the pool holds at most.
    pub fn size(&self) -> usize {
        self.inner.size
    }

    /// Open connections waiting to be lent.
    pub fn idle(&self) -> usize {
        self.inner.idle.lock().map(|idle| idle.len()).unwrap_or(0)
    }

    /// Connections lent out right now.
    pub fn in_use(&self) -> usize {
        self.inner.size - self.inner.permits.available_permits()
    }

    /// Closes the idle connections and marks those lent out to be closed when they come back.
    /// The pool stays usable: later [`acquire`](Pool::acquire)s open fresh connections.
    pub fn drain_idle(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.clear();
        }
    }

    /// Like [`drain_idle`](Pool::drain_idle), then waits until every lent connection has come
    /// back (and been closed). The pool stays usable afterwards.
    pub async fn drain(&self) {
        self.drain_idle();
        let size = u32::try_from(self.inner.size).unwrap_or(u32::MAX);
        // Holding every permit means every connection is back.
        if let Ok(all) = self.inner.permits.acquire_many(size).await {
            drop(all);
        }
        self.drain_idle();
    }

    /// Shuts the pool for good: idle connections close now, lent ones when returned, and every
    /// later [`acquire`](Pool::acquire) fails.
    pub fn close(&self) {
        self.inner.permits.close();
        self.drain_idle();
    }

    /// Whether [`close`](Pool::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.permits.is_closed()
    }
}

/// A connection lent by a [`Pool`]; it returns on drop. Dereferences to [`Connection`].
#[derive(Debug)]
pub struct PooledConnection {
    conn: Option<Connection>,
    pool: Arc<Inner>,
    generation: u64,
    failures: u64,
    _permit: OwnedSemaphorePermit,
}

impl Deref for PooledConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Present until drop.
        self.conn.as_ref().unwrap_or_else(|| unreachable_conn())
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        match &mut self.conn {
            Some(conn) => conn,
            None => unreachable_conn(),
        }
    }
}

#[cold]
#[expect(
    clippy::panic,
    reason = "the connection is taken only in Drop, after which no deref can happen"
)]
fn unreachable_conn() -> ! {
    panic!("pooled connection used after return")
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let current = self.pool.generation.load(Ordering::Acquire) == self.generation;
        if current && !self.pool.permits.is_closed() && conn.is_clean(self.failures) {
            if let Ok(mut idle) = self.pool.idle.lock() {
                idle.push(conn);
            }
        }
        // Otherwise `conn` drops here and its driver closes the socket once nothing is owed.
    }
}
