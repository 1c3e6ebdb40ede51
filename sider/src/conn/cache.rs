//! The client-side cache: replies to cacheable reads, kept while the connection that carries
//! their invalidations lives.
//!
//! The rule Redis states for tracking holds here: invalidations are only as good as the
//! connection that carries them. So the cache is *live* only while such a connection is up: the
//! driver empties it and marks it dead the moment that connection is known to be gone (an error,
//! the server closing it, a failed health check), before any waiter hears of the loss, and marks
//! it live again once a new connection has turned tracking on. No hit is served while it is dead.
//!
//! Entries are bounded in number and in bytes, and evicted least recently used first. Each may
//! carry an expiry: the smaller of the caller's (or [`Config::cache_ttl`]'s) time to live and the
//! key's own (`PTTL`, read along with the reply). Lookup, insertion, eviction and invalidation of
//! a key are O(1) in the size of the cache: entries live in a slab threaded by a doubly linked
//! list (recency), with maps from the encoded command and from the key to their slots.
//!
//! [`Config::cache_ttl`]: super::Config::cache_ttl

use crate::cmd::Cmd;
use crate::resp::Frame;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Client-side caching: how invalidations are asked for.
///
/// The bounds in bytes and in time, and the health check of an idle connection, are set on
/// [`Config`](crate::Config): [`cache_max_bytes`](crate::Config::cache_max_bytes),
/// [`cache_ttl`](crate::Config::cache_ttl) (and [`Call::cache_ttl`](crate::Call::cache_ttl) per
/// read), [`cache_health_check`](crate::Config::cache_health_check).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tracking {
    /// `CLIENT TRACKING ON`: the server remembers the keys this client read.
    Default {
        /// The most replies kept.
        capacity: usize,
    },
    /// `CLIENT TRACKING ON BCAST PREFIX ...`: invalidations for every key under the prefixes,
    /// whether this client read it or not (the server keeps no per-client key table).
    Broadcast {
        /// Key prefixes to track (all keys when empty).
        prefixes: Vec<String>,
        /// The most replies kept.
        capacity: usize,
    },
}

impl Tracking {
    /// The prefixes of broadcast mode (none otherwise).
    pub(crate) fn prefixes(&self) -> Vec<Bytes> {
        match self {
            Tracking::Broadcast { prefixes, .. } => prefixes
                .iter()
                .map(|p| Bytes::copy_from_slice(p.as_bytes()))
                .collect(),
            Tracking::Default { .. } => Vec::new(),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        match self {
            Tracking::Default { capacity } | Tracking::Broadcast { capacity, .. } => *capacity,
        }
    }

    pub(crate) fn command(&self) -> Cmd {
        let mut cmd = Cmd::new("CLIENT TRACKING").arg("ON");
        if let Tracking::Broadcast { prefixes, .. } = self {
            cmd = cmd.arg("BCAST");
            for prefix in prefixes {
                cmd = cmd.arg("PREFIX").arg(prefix.as_str());
            }
        }
        cmd
    }
}

/// No slot: the end of the recency list.
const NIL: u32 = u32::MAX;

/// Bytes counted for an entry beyond its command, key and reply: the slab slot and map entries.
const ENTRY_OVERHEAD: usize = 96;

/// The bounds of a cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CacheLimits {
    /// The most entries kept.
    pub(crate) entries: usize,
    /// The most bytes kept (commands, keys, replies and bookkeeping).
    pub(crate) bytes: usize,
    /// The longest an entry lives, unless a call says otherwise.
    pub(crate) ttl: Option<Duration>,
    /// In broadcast mode, the key prefixes the server sends invalidations for: a key under
    /// none of them is never kept, since nothing would invalidate it. Empty: every key.
    pub(crate) prefixes: Vec<Bytes>,
}

/// What the cache has done since the client connected; part of [`Stats`](crate::Stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Reads answered from the cache.
    pub hits: u64,
    /// Cacheable reads that went to the server (MGET counts each key).
    pub misses: u64,
    /// Entries dropped by the server's invalidations (a flush counts every entry it drops).
    pub invalidated: u64,
    /// Entries dropped to stay within the bounds.
    pub evicted: u64,
    /// Entries dropped because their time to live (theirs or their key's) ran out.
    pub expired: u64,
    /// Times the cache was emptied because the connection carrying invalidations was lost.
    pub disconnects: u64,
    /// Entries held now.
    pub entries: usize,
    /// Bytes held now, as counted against [`Config::cache_max_bytes`](crate::Config::cache_max_bytes).
    pub bytes: usize,
}

/// The cache of one client, shared by its handles (which read it) and its driver (which fills
/// and invalidates it in stream order).
#[derive(Debug)]
pub(crate) struct Cache {
    store: Mutex<Store>,
    limits: CacheLimits,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidated: AtomicU64,
    evicted: AtomicU64,
    expired: AtomicU64,
    disconnects: AtomicU64,
}

#[derive(Debug)]
struct Entry {
    command: Bytes,
    key: Bytes,
    frame: Frame,
    size: usize,
    expires: Option<Instant>,
}

#[derive(Debug)]
struct Slot {
    entry: Option<Entry>,
    /// Toward the most recently used.
    prev: u32,
    /// Toward the least recently used.
    next: u32,
}

#[derive(Debug)]
struct Store {
    /// Whether a connection carrying invalidations is up.
    live: bool,
    by_command: HashMap<Bytes, u32>,
    by_key: HashMap<Bytes, Vec<u32>>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Most recently used.
    head: u32,
    /// Least recently used: evicted first.
    tail: u32,
    bytes: usize,
}

impl Store {
    fn new() -> Store {
        Store {
            live: false,
            by_command: HashMap::new(),
            by_key: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            bytes: 0,
        }
    }

    fn len(&self) -> usize {
        self.by_command.len()
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = {
            let slot = &self.slots[i as usize];
            (slot.prev, slot.next)
        };
        match prev {
            NIL => self.head = next,
            p => self.slots[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.slots[n as usize].prev = prev,
        }
    }

    fn push_front(&mut self, i: u32) {
        let old = self.head;
        {
            let slot = &mut self.slots[i as usize];
            slot.prev = NIL;
            slot.next = old;
        }
        match old {
            NIL => self.tail = i,
            o => self.slots[o as usize].prev = i,
        }
        self.head = i;
    }

    /// Removes slot `i` everywhere; `from_key` is false when the caller already took the key's
    /// list of slots.
    fn remove(&mut self, i: u32, from_key: bool) -> Option<Entry> {
        let entry = self.slots.get_mut(i as usize)?.entry.take()?;
        self.unlink(i);
        self.free.push(i);
        self.by_command.remove(&entry.command);
        self.bytes -= entry.size;
        if from_key {
            if let Some(list) = self.by_key.get_mut(&entry.key) {
                if let Some(at) = list.iter().position(|&s| s == i) {
                    list.swap_remove(at);
                }
                if list.is_empty() {
                    self.by_key.remove(&entry.key);
                }
            }
        }
        Some(entry)
    }

    fn insert(&mut self, entry: Entry) {
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.slots.len()).unwrap_or(NIL);
                if i == NIL {
                    return; // four billion entries: keep what is there
                }
                self.slots.push(Slot {
                    entry: None,
                    prev: NIL,
                    next: NIL,
                });
                i
            }
        };
        self.bytes += entry.size;
        self.by_command.insert(entry.command.clone(), i);
        self.by_key.entry(entry.key.clone()).or_default().push(i);
        self.slots[i as usize].entry = Some(entry);
        self.push_front(i);
    }

    fn clear(&mut self) -> usize {
        let dropped = self.len();
        let live = self.live;
        *self = Store::new();
        self.live = live;
        dropped
    }
}

impl Cache {
    pub(crate) fn new(limits: CacheLimits) -> Cache {
        Cache {
            store: Mutex::new(Store::new()),
            limits: CacheLimits {
                entries: limits.entries.max(1),
                ..limits
            },
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            invalidated: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves at worst a partly updated entry list; nothing
        // in it can be trusted, so start again empty (and dead until the next connection).
        self.store.lock().unwrap_or_else(|poisoned| {
            let mut store = poisoned.into_inner();
            *store = Store::new();
            store
        })
    }

    /// The time to live an entry gets when its call names none.
    pub(crate) fn default_ttl(&self) -> Option<Duration> {
        self.limits.ttl
    }

    /// The reply cached for an encoded command, if the cache is live and holds an unexpired one.
    /// Counts a hit or a miss.
    pub(crate) fn get(&self, command: &[u8]) -> Option<Frame> {
        let found = self.lookup(command, Instant::now());
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn lookup(&self, command: &[u8], now: Instant) -> Option<Frame> {
        let mut store = self.store();
        if !store.live {
            return None;
        }
        let i = *store.by_command.get(command)?;
        let expired = store.slots[i as usize]
            .entry
            .as_ref()
            .is_some_and(|e| e.expires.is_some_and(|at| at <= now));
        if expired {
            store.remove(i, true);
            self.expired.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        store.unlink(i);
        store.push_front(i);
        store.slots[i as usize]
            .entry
            .as_ref()
            .map(|e| e.frame.clone())
    }

    /// Counts reads that were looked up elsewhere (MGET's keys) as hits and misses.
    pub(crate) fn count(&self, hits: usize, misses: usize) {
        self.hits.fetch_add(hits as u64, Ordering::Relaxed);
        self.misses.fetch_add(misses as u64, Ordering::Relaxed);
    }

    /// Looks up several encoded commands at once (MGET's keys, as GETs), without counting.
    pub(crate) fn get_many<'a>(
        &self,
        commands: impl Iterator<Item = &'a [u8]>,
    ) -> Vec<Option<Frame>> {
        let now = Instant::now();
        commands.map(|c| self.lookup(c, now)).collect()
    }

    /// Keeps `frame` as the reply to `command` (which reads `key`) until it is invalidated,
    /// evicted, or `expires`. Called by the driver in stream order, so an invalidation read
    /// after this reply removes it. Nothing is kept while the cache is dead.
    pub(crate) fn insert(
        &self,
        key: Bytes,
        command: Bytes,
        frame: Frame,
        expires: Option<Instant>,
    ) {
        let size = ENTRY_OVERHEAD + command.len() + key.len() + frame_size(&frame);
        if size > self.limits.bytes {
            return;
        }
        let prefixes = &self.limits.prefixes;
        if !prefixes.is_empty() && !prefixes.iter().any(|p| key.starts_with(p)) {
            return;
        }
        let mut store = self.store();
        if !store.live {
            return;
        }
        if let Some(&i) = store.by_command.get(&command) {
            store.remove(i, true);
        }
        let mut evicted = 0;
        while store.len() >= self.limits.entries || store.bytes + size > self.limits.bytes {
            let tail = store.tail;
            if tail == NIL || store.remove(tail, true).is_none() {
                break;
            }
            evicted += 1;
        }
        store.insert(Entry {
            command,
            key,
            frame,
            size,
            expires,
        });
        drop(store);
        if evicted > 0 {
            self.evicted.fetch_add(evicted, Ordering::Relaxed);
        }
    }

    /// Drops every entry that reads `key` (an invalidation push).
    pub(crate) fn invalidate(&self, key: &[u8]) {
        let mut store = self.store();
        let Some(slots) = store.by_key.remove(key) else {
            return;
        };
        let n = slots.len() as u64;
        for i in slots {
            store.remove(i, false);
        }
        drop(store);
        self.invalidated.fetch_add(n, Ordering::Relaxed);
    }

    /// Drops everything (a null invalidation: the server flushed its keys).
    pub(crate) fn flush(&self) {
        let dropped = self.store().clear();
        self.invalidated
            .fetch_add(dropped as u64, Ordering::Relaxed);
    }

    /// The connection carrying invalidations is gone: drop everything and serve no hit until
    /// [`connected`](Self::connected).
    pub(crate) fn disconnected(&self) {
        let mut store = self.store();
        let was_live = store.live;
        store.clear();
        store.live = false;
        drop(store);
        if was_live {
            self.disconnects.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A new connection has turned tracking on: invalidations flow again. Whatever was kept
    /// before is dropped, since invalidations sent while disconnected are lost.
    pub(crate) fn connected(&self) {
        let mut store = self.store();
        store.clear();
        store.live = true;
    }

    pub(crate) fn len(&self) -> usize {
        self.store().len()
    }

    pub(crate) fn stats(&self) -> CacheStats {
        let (entries, bytes) = {
            let store = self.store();
            (store.len(), store.bytes)
        };
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            invalidated: self.invalidated.load(Ordering::Relaxed),
            evicted: self.evicted.load(Ordering::Relaxed),
            expired: self.expired.load(Ordering::Relaxed),
            disconnects: self.disconnects.load(Ordering::Relaxed),
            entries,
            bytes,
        }
    }
}

/// About how many bytes a reply holds.
fn frame_size(frame: &Frame) -> usize {
    const HEADER: usize = 16;
    HEADER
        + match frame {
            Frame::Simple(b) | Frame::Error(b) | Frame::Bulk(b) | Frame::BigNumber(b) => b.len(),
            Frame::Verbatim { data, .. } => data.len(),
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                items.iter().map(frame_size).sum()
            }
            Frame::Map(pairs) => pairs
                .iter()
                .map(|(k, v)| frame_size(k) + frame_size(v))
                .sum(),
            Frame::Attribute { attrs, value } => {
                attrs
                    .iter()
                    .map(|(k, v)| frame_size(k) + frame_size(v))
                    .sum::<usize>()
                    + frame_size(value)
            }
            Frame::Integer(_) | Frame::Null | Frame::Boolean(_) | Frame::Double(_) => 0,
        }
}

#[cfg(test)]
mod tests;
