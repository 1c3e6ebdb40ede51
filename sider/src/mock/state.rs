//! What the mock and its connections share: the expectations and how far each is met, the
//! commands that came unexpected, and the connections with their subscriptions.
//!
//! Imports from `resp` and the mock's `expect`, `report` and `server`.

use super::expect::{difference, Action, Rule};
use super::report::{Args, Mismatch, Unexpected};
use super::server::Control;
use crate::resp::Frame;
use bytes::Bytes;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;

/// At most this many expectations are listed beside an unexpected command.
const MAX_LISTED: usize = 8;

/// The mock's state, behind one lock that no one holds across an `.await`.
#[derive(Debug)]
pub(super) struct Shared {
    state: Mutex<State>,
    server: (String, String),
    resp2_only: bool,
    has_reset: bool,
    ordered: bool,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Rule>,
    /// In an ordered mock: the first expectation the next command may meet.
    cursor: usize,
    unexpected: Vec<Unexpected>,
    received: Vec<String>,
    peers: HashMap<u64, Peer>,
    accepted: u64,
}

/// One connection, as the mock sees it from outside its task.
#[derive(Debug)]
pub(super) struct Peer {
    tx: mpsc::UnboundedSender<Control>,
    subscriptions: [BTreeSet<Bytes>; 3],
}

/// Which of a connection's subscriptions: channels, patterns or shard channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SubscriptionSet {
    Channels = 0,
    Patterns = 1,
    Shards = 2,
}

impl SubscriptionSet {
    /// The set a (un)subscribe command, in capitals, works on.
    pub(super) fn of(command: &[u8]) -> SubscriptionSet {
        match command {
            b"PSUBSCRIBE" | b"PUNSUBSCRIBE" => SubscriptionSet::Patterns,
            b"SSUBSCRIBE" | b"SUNSUBSCRIBE" => SubscriptionSet::Shards,
            _ => SubscriptionSet::Channels,
        }
    }

    fn words(self) -> (&'static str, &'static str) {
        match self {
            SubscriptionSet::Channels => ("subscribe", "unsubscribe"),
            SubscriptionSet::Patterns => ("psubscribe", "punsubscribe"),
            SubscriptionSet::Shards => ("ssubscribe", "sunsubscribe"),
        }
    }
}

impl Peer {
    fn new(tx: mpsc::UnboundedSender<Control>) -> Peer {
        Peer {
            tx,
            subscriptions: Default::default(),
        }
    }

    /// What a confirmation counts: channels and patterns together, shard channels apart.
    fn count(&self, set: SubscriptionSet) -> i64 {
        let [channels, patterns, shards] = &self.subscriptions;
        let n = match set {
            SubscriptionSet::Shards => shards.len(),
            _ => channels.len() + patterns.len(),
        };
        i64::try_from(n).unwrap_or(i64::MAX)
    }
}

fn push(words: [Frame; 3]) -> Frame {
    Frame::Push(words.into())
}

fn bulk(text: &'static str) -> Frame {
    Frame::Bulk(Bytes::from_static(text.as_bytes()))
}

impl Shared {
    pub(super) fn new(server: (String, String), resp2_only: bool, ordered: bool) -> Shared {
        let info = crate::conn::ServerInfo::new(&server.0, &server.1);
        Shared {
            state: Mutex::new(State::default()),
            has_reset: info.has(Some("6.2.0"), Some("7.2.4")) == Some(true),
            server,
            resp2_only,
            ordered,
        }
    }

    /// The lock. Nothing panics while holding it, so a poisoned lock still guards sound state.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn server(&self) -> (&str, &str) {
        (&self.server.0, &self.server.1)
    }

    pub(super) fn resp2_only(&self) -> bool {
        self.resp2_only
    }

    pub(super) fn has_reset(&self) -> bool {
        self.has_reset
    }

    pub(super) fn add(&self, rule: Rule) {
        self.lock().rules.push(rule);
    }

    /// Registers a new connection; returns its number (1 for the first).
    pub(super) fn connect(&self, tx: mpsc::UnboundedSender<Control>) -> u64 {
        let mut state = self.lock();
        state.accepted += 1;
        let id = state.accepted;
        state.peers.insert(id, Peer::new(tx));
        id
    }

    pub(super) fn disconnect(&self, id: u64) {
        self.lock().peers.remove(&id);
    }

    pub(super) fn accepted(&self) -> u64 {
        self.lock().accepted
    }

    /// Asks every connection to close.
    pub(super) fn close_all(&self) {
        for peer in self.lock().peers.values() {
            let _ = peer.tx.send(Control::Close);
        }
    }

    pub(super) fn received(&self) -> Vec<String> {
        self.lock().received.clone()
    }

    /// Meets the expectation `args` matches, if one may still be met, and returns what to
    /// answer. Without one, a command that `report`s is recorded as unexpected; one that does
    /// not (the mock has an answer of its own) is not.
    pub(super) fn take(
        &self,
        conn: u64,
        args: &[Bytes],
        report: bool,
    ) -> Option<(Action, Option<Duration>)> {
        let mut state = self.lock();
        let found = if self.ordered {
            let mut i = state.cursor;
            loop {
                match state.rules.get(i) {
                    Some(rule) if rule.open() && rule.matches(args) => break Some(i),
                    Some(rule) if rule.satisfied() => i += 1,
                    _ => break None,
                }
            }
        } else {
            state
                .rules
                .iter()
                .position(|rule| rule.open() && rule.matches(args))
        };
        if found.is_some() || report {
            state.received.push(Args(args).to_string());
        }
        match found {
            Some(i) => {
                if self.ordered {
                    state.cursor = i;
                }
                let rule = state.rules.get_mut(i)?;
                rule.seen += 1;
                Some((rule.action.clone(), rule.delay))
            }
            None => {
                if report {
                    let unexpected = self.unexpected(&state, conn, args);
                    state.unexpected.push(unexpected);
                }
                None
            }
        }
    }

    /// What `verify` says of `args`: the expectations it might have been meant for, and how
    /// it differs from each.
    fn unexpected(&self, state: &State, conn: u64, args: &[Bytes]) -> Unexpected {
        let candidates: Vec<&Rule> = if self.ordered {
            // The next expectation in order, and those that may come before it is met.
            let mut next = Vec::new();
            for rule in state.rules.iter().skip(state.cursor) {
                if rule.open() {
                    next.push(rule);
                }
                if !rule.satisfied() {
                    break;
                }
            }
            next
        } else {
            let open = state.rules.iter().filter(|rule| rule.open());
            let same_name: Vec<&Rule> = open
                .clone()
                .filter(|rule| match (rule.args.first(), args.first()) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    _ => false,
                })
                .collect();
            if same_name.is_empty() {
                open.collect()
            } else {
                same_name
            }
        };
        let expected = candidates
            .iter()
            .take(MAX_LISTED)
            .map(|rule| format!("{}\n      {}", rule.describe(), difference(rule, args)))
            .collect();
        Unexpected {
            conn,
            came: Args(args).to_string(),
            expected,
            ordered: self.ordered,
        }
    }

    /// Every problem so far, if there is one.
    pub(super) fn verify(&self) -> Result<(), Mismatch> {
        let state = self.lock();
        let unmet: Vec<String> = state.rules.iter().filter_map(Rule::unmet).collect();
        if state.unexpected.is_empty() && unmet.is_empty() {
            return Ok(());
        }
        Err(Mismatch {
            unexpected: state.unexpected.clone(),
            unmet,
        })
    }

    /// Subscribes connection `id` to `names`; returns the confirmations to send.
    pub(super) fn subscribe(&self, id: u64, set: SubscriptionSet, names: &[Bytes]) -> Vec<Frame> {
        let mut state = self.lock();
        let Some(peer) = state.peers.get_mut(&id) else {
            return Vec::new();
        };
        let (word, _) = set.words();
        names
            .iter()
            .map(|name| {
                peer.subscriptions[set as usize].insert(name.clone());
                let count = Frame::Integer(peer.count(set));
                push([bulk(word), Frame::Bulk(name.clone()), count])
            })
            .collect()
    }

    /// Unsubscribes connection `id` from `names` (from every one of the set when empty);
    /// returns the confirmations to send.
    pub(super) fn unsubscribe(&self, id: u64, set: SubscriptionSet, names: &[Bytes]) -> Vec<Frame> {
        let mut state = self.lock();
        let Some(peer) = state.peers.get_mut(&id) else {
            return Vec::new();
        };
        let (_, word) = set.words();
        let names: Vec<Bytes> = if names.is_empty() {
            peer.subscriptions[set as usize].iter().cloned().collect()
        } else {
            names.to_vec()
        };
        if names.is_empty() {
            return vec![push([
                bulk(word),
                Frame::Null,
                Frame::Integer(peer.count(set)),
            ])];
        }
        names
            .into_iter()
            .map(|name| {
                peer.subscriptions[set as usize].remove(&name);
                let count = Frame::Integer(peer.count(set));
                push([bulk(word), Frame::Bulk(name), count])
            })
            .collect()
    }

    /// `RESET` ends every subscription of connection `id`, without confirmations.
    pub(super) fn unsubscribe_all(&self, id: u64) {
        if let Some(peer) = self.lock().peers.get_mut(&id) {
            peer.subscriptions = Default::default();
        }
    }

    /// Sends `message` to every connection subscribed to `channel` (in `set`), or to a pattern
    /// that matches it; returns how many received it.
    pub(super) fn publish(&self, set: SubscriptionSet, channel: &[u8], message: &[u8]) -> usize {
        let state = self.lock();
        let channel = Bytes::copy_from_slice(channel);
        let message = Bytes::copy_from_slice(message);
        let mut delivered = 0;
        for peer in state.peers.values() {
            let [channels, patterns, shards] = &peer.subscriptions;
            let mut frames = Vec::new();
            let word = match set {
                SubscriptionSet::Shards => "smessage",
                _ => "message",
            };
            let exact = match set {
                SubscriptionSet::Shards => shards,
                _ => channels,
            };
            if exact.contains(&channel) {
                frames.push(Frame::Push(vec![
                    bulk(word),
                    Frame::Bulk(channel.clone()),
                    Frame::Bulk(message.clone()),
                ]));
            }
            if set != SubscriptionSet::Shards {
                for pattern in patterns.iter().filter(|p| glob(p, &channel)) {
                    frames.push(Frame::Push(vec![
                        bulk("pmessage"),
                        Frame::Bulk(pattern.clone()),
                        Frame::Bulk(channel.clone()),
                        Frame::Bulk(message.clone()),
                    ]));
                }
            }
            for frame in frames {
                if peer.tx.send(Control::Push(frame)).is_ok() {
                    delivered += 1;
                }
            }
        }
        delivered
    }
}

/// Whether `text` matches the glob `pattern` as Redis matches channel patterns: `*`, `?`,
/// `[abc]`, `[a-z]`, `[^a]`, and `\` to escape.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => {
            (0..=text.len()).any(|i| glob(rest, text.get(i..).unwrap_or_default()))
        }
        Some((b'?', rest)) => text.split_first().is_some_and(|(_, t)| glob(rest, t)),
        Some((b'[', rest)) => {
            let Some((&c, t)) = text.split_first() else {
                return false;
            };
            let (negate, mut class) = match rest.split_first() {
                Some((b'^', r)) => (true, r),
                _ => (false, rest),
            };
            let mut hit = false;
            loop {
                match class {
                    [b']', after @ ..] => {
                        class = after;
                        break;
                    }
                    [b'\\', x, after @ ..] => {
                        hit |= *x == c;
                        class = after;
                    }
                    [lo, b'-', hi, after @ ..] if *hi != b']' => {
                        hit |= (*lo.min(hi)..=*lo.max(hi)).contains(&c);
                        class = after;
                    }
                    [x, after @ ..] => {
                        hit |= *x == c;
                        class = after;
                    }
                    [] => break,
                }
            }
            hit != negate && glob(class, t)
        }
        Some((b'\\', [x, rest @ ..])) => text
            .split_first()
            .is_some_and(|(c, t)| c == x && glob(rest, t)),
        Some((x, rest)) => text
            .split_first()
            .is_some_and(|(c, t)| c == x && glob(rest, t)),
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn patterns_match_as_redis_matches_them() {
        assert!(glob(b"news.*", b"news.tech"));
        assert!(glob(b"h?llo", b"hello") && !glob(b"h?llo", b"hllo"));
        assert!(glob(b"h[ae]llo", b"hallo") && !glob(b"h[^e]llo", b"hello"));
        assert!(glob(b"h[a-c]llo", b"hbllo") && glob(b"a\\*", b"a*") && !glob(b"a\\*", b"ab"));
        assert!(glob(b"*", b"") && !glob(b"a", b""));
    }
}
