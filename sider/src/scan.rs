//! `SCAN`, `HSCAN`, `SSCAN` and `ZSCAN` as async streams of typed items: [`Scan`] starts one,
//! [`ScanStream`] walks the cursor.
//!
//! Imports from `cmd`, `args`, `reply`, `error` and the client-level `target`.
//!
//! A stream asks for the next page only when the items of the last one are used up, and ends
//! when the server hands back cursor 0. Redis guarantees that every element present for the
//! whole walk is returned at least once; an element may come more than once (when the server
//! resizes its table in between), and elements added or removed during the walk may or may not
//! appear. The stream passes items on as they come, duplicates included.

use crate::args::ToArg;
use crate::client::{CallFuture, Client};
use crate::cmd::Cmd;
use crate::connection::Connection;
use crate::error::Error;
use crate::info::CommandInfo;
use crate::reply::FromReply;
use crate::target::Target;
use futures_core::Stream;
use std::future::{poll_fn, Future};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Walks keys and collections with `SCAN`, `HSCAN`, `SSCAN` and `ZSCAN`, as [`ScanStream`]s of
/// typed items. Implemented for `&Client` and `&mut Connection`; in scope with
/// `use sider::prelude::*`.
///
/// ```no_run
/// use sider::prelude::*;
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// let mut users = client.scan_iter::<String>().pattern("user:*").count(500);
/// while let Some(key) = users.next().await {
///     println!("{}", key?);
/// }
/// # Ok(()) }
/// ```
pub trait Scan<'a>: Sized {
    /// Every key of the database (`SCAN`), decoded as `K`; filter with
    /// [`pattern`](ScanStream::pattern) and [`of_type`](ScanStream::of_type).
    fn scan_iter<K: FromReply>(self) -> ScanStream<'a, K, Keyspace>;

    /// Every field of the hash at `key` with its value (`HSCAN`).
    fn hscan_iter<F: FromReply, V: FromReply>(
        self,
        key: impl ToArg,
    ) -> ScanStream<'a, (F, V), Elements>;

    /// Every member of the set at `key` (`SSCAN`).
    fn sscan_iter<M: FromReply>(self, key: impl ToArg) -> ScanStream<'a, M, Elements>;

    /// Every member of the sorted set at `key` with its score (`ZSCAN`).
    fn zscan_iter<M: FromReply>(self, key: impl ToArg) -> ScanStream<'a, (M, f64), Elements>;
}

fn in_key<'a, T>(
    target: Target<'a>,
    info: &'static CommandInfo,
    key: &impl ToArg,
) -> ScanStream<'a, T, Elements> {
    let mut head = Cmd::fragment();
    head.push_key(key);
    ScanStream::new(target, info, head)
}

macro_rules! scan_impl {
    ($target:ty, $variant:ident) => {
        impl<'a> Scan<'a> for $target {
            fn scan_iter<K: FromReply>(self) -> ScanStream<'a, K, Keyspace> {
                ScanStream::new(
                    Target::$variant(self),
                    crate::info::spec!("SCAN"),
                    Cmd::fragment(),
                )
            }

            fn hscan_iter<F: FromReply, V: FromReply>(
                self,
                key: impl ToArg,
            ) -> ScanStream<'a, (F, V), Elements> {
                in_key(Target::$variant(self), crate::info::spec!("HSCAN"), &key)
            }

            fn sscan_iter<M: FromReply>(self, key: impl ToArg) -> ScanStream<'a, M, Elements> {
                in_key(Target::$variant(self), crate::info::spec!("SSCAN"), &key)
            }

            fn zscan_iter<M: FromReply>(
                self,
                key: impl ToArg,
            ) -> ScanStream<'a, (M, f64), Elements> {
                in_key(Target::$variant(self), crate::info::spec!("ZSCAN"), &key)
            }
        }
    };
}

scan_impl!(&'a Client, Client);
scan_impl!(&'a mut Connection, Connection);

/// Marks a [`ScanStream`] over the keyspace (`SCAN`), which alone takes a `TYPE` filter.
#[derive(Debug)]
pub struct Keyspace(());

/// Marks a [`ScanStream`] over one key's elements (`HSCAN`, `SSCAN`, `ZSCAN`).
#[derive(Debug)]
pub struct Elements(());

/// The items of a `SCAN`-family walk, one at a time, with the cursor handled inside.
///
/// It is a [`Stream`] of `Result<T, Error>` (use `StreamExt` from `futures` or `tokio-stream`),
/// and has its own [`next`](ScanStream::next) and [`try_collect`](ScanStream::try_collect) so
/// that neither is needed. Options go on before the first item is asked for. An error ends the
/// stream. See [`Scan`] for the methods that start one.
#[must_use = "streams do nothing unless polled"]
#[derive(Debug)]
pub struct ScanStream<'a, T, S = Keyspace> {
    target: Target<'a>,
    info: &'static CommandInfo,
    /// The key of `HSCAN`/`SSCAN`/`ZSCAN`, written once.
    head: Cmd,
    /// `MATCH`, `COUNT` and `TYPE`, written once.
    options: Cmd,
    cursor: u64,
    page: std::vec::IntoIter<T>,
    pending: Option<CallFuture<(u64, Vec<T>)>>,
    done: bool,
    scan: PhantomData<S>,
}

// Items are never pinned: they are moved out of a `Vec` as they are handed over.
impl<T, S> Unpin for ScanStream<'_, T, S> {}

impl<'a, T, S> ScanStream<'a, T, S> {
    fn new(target: Target<'a>, info: &'static CommandInfo, head: Cmd) -> Self {
        ScanStream {
            target,
            info,
            head,
            options: Cmd::fragment(),
            cursor: 0,
            page: Vec::new().into_iter(),
            pending: None,
            done: false,
            scan: PhantomData,
        }
    }

    /// Only items matching a glob-style pattern (`MATCH`), e.g. `"user:*"`. The server filters
    /// each page after reading it, so a selective pattern can make pages empty; the stream keeps
    /// asking until the walk ends.
    pub fn pattern(mut self, pattern: impl ToArg) -> Self {
        self.options.push_arg("MATCH");
        self.options.push_arg(&pattern);
        self
    }

    /// How much work each call does (`COUNT`, a hint; the server's default is 10). Larger
    /// values mean fewer round trips and longer calls.
    pub fn count(mut self, count: u64) -> Self {
        self.options.push_arg("COUNT");
        self.options.push_arg(&count);
        self
    }

    /// The command for the page at the current cursor.
    fn page_cmd(&self) -> Cmd {
        let mut cmd = Cmd::from_info(self.info);
        cmd.append(self.head.clone());
        cmd.push_arg(&self.cursor);
        cmd.append(self.options.clone());
        cmd
    }
}

impl<T, S> ScanStream<'_, T, S>
where
    T: FromReply,
{
    /// The next item, or `None` once the walk is over.
    ///
    /// # Errors
    ///
    /// The server's error (`WRONGTYPE` for a key of another type) or a page that does not decode
    /// into `T`; the stream ends after it.
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Walks to the end, gathering every item into `C` (a `Vec`, a `HashSet`...).
    ///
    /// # Errors
    ///
    /// The first error the walk meets.
    pub async fn try_collect<C: Default + Extend<T>>(mut self) -> Result<C, Error> {
        let mut out = C::default();
        while let Some(item) = self.next().await {
            out.extend(Some(item?));
        }
        Ok(out)
    }
}

impl<T> ScanStream<'_, T, Keyspace> {
    /// Only keys holding this type (`TYPE`): `"string"`, `"list"`, `"set"`, `"zset"`, `"hash"`,
    /// `"stream"`, or a module type's name.
    pub fn of_type(mut self, key_type: impl ToArg) -> Self {
        self.options.push_arg("TYPE");
        self.options.push_arg(&key_type);
        self
    }
}

impl<T: FromReply, S> Stream for ScanStream<'_, T, S> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.page.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(pending) = &mut this.pending {
                let result = ready!(Pin::new(pending).poll(cx));
                this.pending = None;
                match result {
                    Ok((cursor, items)) => {
                        this.cursor = cursor;
                        this.done = cursor == 0;
                        this.page = items.into_iter();
                    }
                    Err(e) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                continue;
            }
            if this.done {
                return Poll::Ready(None);
            }
            let cmd = this.page_cmd();
            this.pending = Some(this.target.send(cmd));
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let buffered = self.page.len();
        (buffered, if self.done { Some(buffered) } else { None })
    }
}
