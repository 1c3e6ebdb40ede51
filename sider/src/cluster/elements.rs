//! `HSCAN`, `SSCAN` and `ZSCAN` on a cluster: [`ClusterElements`], from
//! [`ClusterClient::hscan_iter`], [`sscan_iter`](ClusterClient::sscan_iter) and
//! [`zscan_iter`](ClusterClient::zscan_iter).
//!
//! A collection lives whole on the node serving its key's slot, so its walk is one node's. The
//! cursor means nothing to another node: when the key moves (`MOVED`, or `ASK` while its slot
//! migrates) or its node fails, the walk starts over from cursor 0 where the key is now. So
//! every element present for the whole walk is returned at least once; elements returned before
//! the move come again.
//!
//! Imports the siblings `client`, `call` and `slot`, and `args`, `cmd`, `error`, `reply`, `resp`.

use super::call::ask;
use super::client::ClusterClient;
use super::slot::key_slot;
use super::{never_sent, Redirect};
use crate::args::ToArg;
use crate::cmd::Cmd;
use crate::error::Error;
use crate::reply::FromReply;
use crate::resp::Frame;
use bytes::Bytes;
use futures_core::Stream;
use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Where the walk is: the node, whether it needs `ASKING`, and the cursor there.
#[derive(Clone, Debug)]
struct Position {
    addr: Option<String>,
    asking: bool,
    cursor: Bytes,
    /// Failed attempts in a row.
    failures: u32,
    restarts: u32,
}

impl Position {
    fn start() -> Position {
        Position {
            addr: None,
            asking: false,
            cursor: Bytes::from_static(b"0"),
            failures: 0,
            restarts: 0,
        }
    }
}

/// The command of a walk: its name, key and options, as written so far.
#[derive(Clone, Debug)]
struct Walk {
    name: &'static str,
    key: Bytes,
    slot: u16,
    /// Elements per item: 2 for `HSCAN` and `ZSCAN` (field and value, member and score).
    width: usize,
    pattern: Option<Bytes>,
    count: Option<u64>,
}

type Page<'a> = Pin<Box<dyn Future<Output = Result<(Position, Vec<Frame>), Error>> + Send + 'a>>;

/// The elements of one hash, set or sorted set on a cluster, as a stream of `T`, safe across
/// the key's moves; see [`ClusterClient::hscan_iter`].
#[must_use = "streams do nothing unless polled"]
pub struct ClusterElements<'a, T> {
    cluster: &'a ClusterClient,
    walk: Walk,
    at: Option<Position>,
    page: Option<Page<'a>>,
    items: VecDeque<Frame>,
    done: bool,
    item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ClusterElements<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterElements")
            .field("command", &self.walk.name)
            .field("buffered", &self.items.len())
            .field("done", &self.done)
            .finish()
    }
}

impl<T> Unpin for ClusterElements<'_, T> {}

fn key_bytes(key: &impl ToArg) -> Bytes {
    let mut cmd = Cmd::new("");
    cmd.push_arg(key);
    let bytes = cmd
        .written_args()
        .next()
        .map_or_else(Bytes::new, Bytes::copy_from_slice);
    bytes
}

impl ClusterClient {
    fn elements<T>(
        &self,
        name: &'static str,
        key: &impl ToArg,
        width: usize,
    ) -> ClusterElements<'_, T> {
        let key = key_bytes(key);
        ClusterElements {
            cluster: self,
            walk: Walk {
                name,
                slot: key_slot(&key),
                key,
                width,
                pattern: None,
                count: None,
            },
            at: Some(Position::start()),
            page: None,
            items: VecDeque::new(),
            done: false,
            item: PhantomData,
        }
    }

    /// Every field of the hash at `key` with its value (`HSCAN`), at least once even if the key
    /// moves to another node meanwhile (its walk then starts over there).
    ///
    /// ```no_run
    /// # async fn run(cluster: sider::cluster::ClusterClient) -> Result<(), sider::Error> {
    /// let mut fields = cluster.hscan_iter::<String, String>("user:1");
    /// while let Some(pair) = fields.next().await {
    ///     let (field, value) = pair?;
    ///     println!("{field} = {value}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn hscan_iter<F: FromReply, V: FromReply>(
        &self,
        key: impl ToArg,
    ) -> ClusterElements<'_, (F, V)> {
        self.elements("HSCAN", &key, 2)
    }

    /// Every member of the set at `key` (`SSCAN`), as [`hscan_iter`](Self::hscan_iter) does.
    pub fn sscan_iter<M: FromReply>(&self, key: impl ToArg) -> ClusterElements<'_, M> {
        self.elements("SSCAN", &key, 1)
    }

    /// Every member of the sorted set at `key` with its score (`ZSCAN`), as
    /// [`hscan_iter`](Self::hscan_iter) does.
    pub fn zscan_iter<M: FromReply>(&self, key: impl ToArg) -> ClusterElements<'_, (M, f64)> {
        self.elements("ZSCAN", &key, 2)
    }
}

impl<T: FromReply> ClusterElements<'_, T> {
    /// Only elements (fields, members) matching a glob-style pattern (`MATCH`).
    pub fn pattern(mut self, pattern: impl ToArg) -> Self {
        self.walk.pattern = Some(key_bytes(&pattern));
        self
    }

    /// A hint of how many elements each page looks at (`COUNT`).
    pub fn count(mut self, count: u64) -> Self {
        self.walk.count = Some(count);
        self
    }

    /// How many times the walk started over on another node (the key moved, or its node failed).
    pub fn restarts(&self) -> u32 {
        self.at.as_ref().map_or(0, |at| at.restarts)
    }

    /// The next element; `None` at the end of the walk.
    ///
    /// # Errors
    ///
    /// An element that does not decode as `T` (the walk goes on), or a walk that failed more
    /// times in a row than [`ClusterConfig::max_attempts`](super::ClusterConfig::max_attempts)
    /// allows (it ends).
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        std::future::poll_fn(|cx| self.poll_element(cx)).await
    }

    /// Every remaining element, collected.
    ///
    /// # Errors
    ///
    /// The first error [`next`](Self::next) meets.
    pub async fn try_collect<C: Default + Extend<T>>(mut self) -> Result<C, Error> {
        let mut out = C::default();
        while let Some(item) = self.next().await {
            out.extend(Some(item?));
        }
        Ok(out)
    }

    fn poll_element(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, Error>>> {
        loop {
            if self.items.len() >= self.walk.width {
                let frame = if self.walk.width == 1 {
                    self.items.pop_front().unwrap_or(Frame::Null)
                } else {
                    Frame::Array(self.items.drain(..self.walk.width).collect())
                };
                return Poll::Ready(Some(crate::client::decode(frame)));
            }
            if self.done {
                return Poll::Ready(None);
            }
            if self.page.is_none() {
                let Some(at) = self.at.take() else {
                    return Poll::Ready(None);
                };
                let (cluster, walk) = (self.cluster, self.walk.clone());
                self.page = Some(Box::pin(async move { step(cluster, &walk, at).await }));
            }
            let Some(page) = self.page.as_mut() else {
                continue;
            };
            let result = ready!(page.as_mut().poll(cx));
            self.page = None;
            match result {
                Ok((at, items)) => {
                    self.done = at.cursor.as_ref() == b"0" && at.failures == 0 && at.addr.is_some();
                    self.items.extend(items);
                    self.at = Some(at);
                }
                Err(err) => {
                    self.done = true;
                    self.items.clear();
                    return Poll::Ready(Some(Err(err)));
                }
            }
        }
    }
}

impl<T: FromReply> Stream for ClusterElements<'_, T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_element(cx)
    }
}

/// One page; on a redirect or a failure, the position to start over from instead (with no
/// elements, and `failures` counted).
async fn step(
    cluster: &ClusterClient,
    walk: &Walk,
    mut at: Position,
) -> Result<(Position, Vec<Frame>), Error> {
    let config = cluster.config();
    if at.failures > 0 {
        let mut backoff = config.retry_backoff.0;
        for _ in 1..at.failures {
            backoff = (backoff * 2).min(config.retry_backoff.1);
        }
        tokio::time::sleep(backoff).await;
    }
    let addr = match &at.addr {
        Some(addr) => addr.clone(),
        None => cluster
            .primary_for_slot(walk.slot)
            .ok_or_else(|| Error::closed(format!("no node serves slot {}", walk.slot)))?,
    };
    let mut cmd = Cmd::new(walk.name)
        .key(walk.key.as_ref())
        .arg(at.cursor.as_ref());
    if let Some(pattern) = &walk.pattern {
        cmd = cmd.arg("MATCH").arg(pattern.as_ref());
    }
    if let Some(count) = walk.count {
        cmd = cmd.arg("COUNT").arg(count);
    }
    let reply = match cluster.node(&addr).await {
        Ok(client) if at.asking => ask(&client, &cmd).await,
        Ok(client) => client.send::<Frame>(cmd).await,
        Err(err) => Err(err),
    };
    let err = match reply.and_then(page) {
        Ok((cursor, items)) => {
            let restarted = at.restarts;
            return Ok((
                Position {
                    addr: Some(addr),
                    asking: at.asking,
                    cursor,
                    failures: 0,
                    restarts: restarted,
                },
                items,
            ));
        }
        Err(err) => err,
    };
    at.failures += 1;
    if at.failures >= config.max_attempts {
        return Err(err.context(format_args!(
            "{} gave up after {} attempts",
            walk.name, config.max_attempts
        )));
    }
    let redirect = Redirect::of_error(&err);
    cluster.count_redirect(&redirect);
    let moved_to = match redirect {
        Redirect::Moved { addr, .. } => {
            cluster.refresh().await.ok();
            Some((addr, false))
        }
        Redirect::Ask { addr } => Some((addr, true)),
        // TRYAGAIN, LOADING...: the same node and cursor, after the backoff.
        Redirect::Retry { .. } => return Ok((at, Vec::new())),
        Redirect::None if never_sent(&err) || err.is_connection_error() => {
            cluster.refresh().await.ok();
            None
        }
        Redirect::None => return Err(err.context(walk.name)),
    };
    // Another node: the cursor means nothing there, so the walk starts over.
    at.restarts += 1;
    at.cursor = Bytes::from_static(b"0");
    match moved_to {
        Some((addr, asking)) => {
            at.addr = Some(addr);
            at.asking = asking;
        }
        None => {
            at.addr = None;
            at.asking = false;
        }
    }
    Ok((at, Vec::new()))
}

/// `*SCAN`'s reply: the next cursor and the elements, flat.
fn page(frame: Frame) -> Result<(Bytes, Vec<Frame>), Error> {
    match frame {
        Frame::Array(mut items) if items.len() == 2 => {
            let elements = items.pop();
            let cursor = items.pop();
            match (cursor, elements) {
                (
                    Some(Frame::Bulk(cursor) | Frame::Simple(cursor)),
                    Some(Frame::Array(elements)),
                ) => Ok((cursor, elements)),
                (Some(Frame::Bulk(cursor) | Frame::Simple(cursor)), Some(Frame::Map(pairs))) => {
                    Ok((
                        cursor,
                        pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
                    ))
                }
                _ => Err(Error::protocol_msg("a SCAN page in an unexpected shape")),
            }
        }
        other => Err(Error::protocol_msg(format!(
            "a SCAN page as {}",
            other.describe()
        ))),
    }
}
