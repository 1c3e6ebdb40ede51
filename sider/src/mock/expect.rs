//! Expectations: the command a test expects, captured from the typed API ([`Capture`]), what
//! the mock answers it with, and how many times it may come ([`Times`]).
//!
//! Imports from `cmd`, `dispatch` and `reply` (the typed API's seam), `resp`, and the mock's
//! `reply` and `report`.

use super::reply::ToReply;
use super::report::{self, Args};
use super::Mock;
use crate::cmd::Cmd;
use crate::dispatch::Dispatch;
use crate::reply::FromReply;
use crate::resp::Frame;
use bytes::Bytes;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};
use std::panic::Location;
use std::time::Duration;

/// What [`Mock::expect`]'s closure gets: every typed command method, as on a
/// [`Client`](crate::Client), but each one captures its command instead of sending it.
///
/// ```
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use sider::prelude::*;
///
/// let mock = sider::mock::Mock::start().await?;
/// mock.expect(|c| c.set("k", "v").nx()).returns(true); // SET k v NX, replying bool
/// mock.expect(|c| c.cmd::<i64>(sider::Cmd::new("MY.COUNT"))).returns(3);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Capture {
    _private: (),
}

impl Capture {
    pub(super) fn new() -> Capture {
        Capture { _private: () }
    }
}

/// A command captured by [`Capture`], with the type its reply decodes into.
#[derive(Debug)]
#[must_use = "return it from the closure given to `Mock::expect`"]
pub struct Captured<T> {
    cmd: Cmd,
    reply: PhantomData<fn() -> T>,
}

impl Dispatch for Capture {
    type Out<T: FromReply> = Captured<T>;

    fn dispatch<T: FromReply>(self, cmd: Cmd) -> Captured<T> {
        Captured {
            cmd,
            reply: PhantomData,
        }
    }
}

/// Connection-state commands (`WATCH`, `SELECT`...) are expected like any other.
impl crate::__private::Exclusive for Capture {}

/// What [`Mock::expect`]'s closure may return: a captured command, or a command with options
/// (a builder), which is finished as `.await` would finish it.
pub trait IntoExpectation {
    /// The type the command's reply decodes into, which the expectation's reply must be.
    type Reply;

    /// The command, finished.
    #[doc(hidden)]
    fn into_cmd(self) -> Cmd;
}

impl<T> IntoExpectation for Captured<T> {
    type Reply = T;

    fn into_cmd(self) -> Cmd {
        self.cmd
    }
}

impl<B> IntoExpectation for B
where
    B: crate::__private::Builder,
    B::Done: IntoExpectation,
{
    type Reply = <B::Done as IntoExpectation>::Reply;

    fn into_cmd(self) -> Cmd {
        self.finish().into_cmd()
    }
}

/// How many times an expectation may be met: `2` (exactly), `1..=3`, `1..` (at least once),
/// `..` (any number, none included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Times {
    pub(super) min: usize,
    pub(super) max: Option<usize>,
}

impl Times {
    fn describe(&self) -> String {
        let plural = |n: usize| if n == 1 { "time" } else { "times" };
        match (self.min, self.max) {
            (min, Some(max)) if min == max => format!("{min} {}", plural(min)),
            (0, None) => "any number of times".to_owned(),
            (min, None) => format!("at least {min} {}", plural(min)),
            (min, Some(max)) => format!("{min} to {max} times"),
        }
    }
}

impl From<usize> for Times {
    fn from(n: usize) -> Times {
        Times {
            min: n,
            max: Some(n),
        }
    }
}

macro_rules! times_from_range {
    ($($range:ty),*) => {$(
        impl From<$range> for Times {
            fn from(range: $range) -> Times {
                let min = match <$range as RangeBounds<usize>>::start_bound(&range) {
                    Bound::Included(&n) => n,
                    Bound::Excluded(&n) => n.saturating_add(1),
                    Bound::Unbounded => 0,
                };
                let max = match <$range as RangeBounds<usize>>::end_bound(&range) {
                    Bound::Included(&n) => Some(n),
                    Bound::Excluded(&n) => Some(n.saturating_sub(1)),
                    Bound::Unbounded => None,
                };
                Times { min, max }
            }
        }
    )*};
}
times_from_range!(
    std::ops::Range<usize>,
    std::ops::RangeInclusive<usize>,
    std::ops::RangeFrom<usize>,
    std::ops::RangeTo<usize>,
    std::ops::RangeToInclusive<usize>,
    std::ops::RangeFull
);

/// What the mock does when an expectation is met.
#[derive(Clone, Debug)]
pub(super) enum Action {
    /// Replies this frame (as RESP2 or RESP3, whichever the connection speaks).
    Reply(Frame),
    /// Replies this error line (`ERR ...`, `WRONGTYPE ...`).
    Fail(Bytes),
    /// Closes the connection instead of replying.
    Drop,
    /// Nothing was set: replies an error, and `verify` reports it.
    Unset,
}

/// One expectation, as the mock keeps it.
#[derive(Debug)]
pub(super) struct Rule {
    pub(super) args: Vec<Bytes>,
    /// How many of the first arguments are the command's name (`CLIENT KILL` is two): they
    /// match in any case.
    pub(super) name_words: usize,
    pub(super) action: Action,
    pub(super) delay: Option<Duration>,
    pub(super) times: Times,
    pub(super) seen: usize,
    pub(super) at: &'static Location<'static>,
}

impl Rule {
    pub(super) fn new(cmd: &Cmd, at: &'static Location<'static>) -> Rule {
        let words = cmd.name().split(' ').filter(|w| !w.is_empty()).count();
        Rule {
            args: cmd.written_args().map(Bytes::copy_from_slice).collect(),
            name_words: words.max(1),
            action: Action::Unset,
            delay: None,
            times: Times::from(1),
            seen: 0,
            at,
        }
    }

    /// Whether `args`, as they came, are this expectation's command.
    pub(super) fn matches(&self, args: &[Bytes]) -> bool {
        self.args.len() == args.len()
            && self.args.iter().zip(args).enumerate().all(|(i, (a, b))| {
                if i < self.name_words {
                    a.eq_ignore_ascii_case(b)
                } else {
                    a == b
                }
            })
    }

    /// Another command may still meet it.
    pub(super) fn open(&self) -> bool {
        self.times.max.is_none_or(|max| self.seen < max)
    }

    /// It came as often as it must.
    pub(super) fn satisfied(&self) -> bool {
        self.seen >= self.times.min
    }

    /// `GET "user:1"  (tests/mock.rs:12:5)`
    pub(super) fn describe(&self) -> String {
        format!("{}  ({})", Args(&self.args), self.at)
    }

    /// Why this expectation fails `verify`, if it does.
    pub(super) fn unmet(&self) -> Option<String> {
        if let Action::Unset = self.action {
            return Some(format!(
                "{}\n    has no reply: call `returns`, `fails` or `drops_connection` on it",
                self.describe()
            ));
        }
        if self.satisfied() {
            return None;
        }
        Some(format!(
            "{}\n    expected {}, came {}",
            self.describe(),
            self.times.describe(),
            Times::from(self.seen).describe()
        ))
    }
}

/// An expectation being written: set its reply (or failure), delay and count; it takes effect
/// when this value is dropped, at the end of the statement.
///
/// The reply's type is the command's, so this does not compile, since `INCR` replies `i64`:
///
/// ```compile_fail
/// # async fn run(mock: sider::mock::Mock) {
/// use sider::prelude::*;
///
/// mock.expect(|c| c.incr("n")).returns("one");
/// # }
/// ```
///
/// nor does a `GET` whose reply is not an `Option`:
///
/// ```compile_fail
/// # async fn run(mock: sider::mock::Mock) {
/// use sider::prelude::*;
///
/// mock.expect(|c| c.get::<String>("k")).returns("ada".to_owned());
/// # }
/// ```
#[derive(Debug)]
pub struct Expectation<'m, R> {
    mock: &'m Mock,
    rule: Option<Rule>,
    reply: PhantomData<fn(R)>,
}

impl<'m, R> Expectation<'m, R> {
    pub(super) fn new(mock: &'m Mock, rule: Rule) -> Expectation<'m, R> {
        Expectation {
            mock,
            rule: Some(rule),
            reply: PhantomData,
        }
    }

    fn set(mut self, change: impl FnOnce(&mut Rule)) -> Self {
        if let Some(rule) = &mut self.rule {
            change(rule);
        }
        self
    }

    /// Replies `value`, of the command's reply type.
    pub fn returns(self, value: R) -> Self
    where
        R: ToReply,
    {
        let frame = value.to_reply();
        self.set(|rule| rule.action = Action::Reply(frame))
    }

    /// Replies a server error instead: `line` is its code and message, as Redis writes them
    /// (`"WRONGTYPE Operation against a key holding the wrong kind of value"`); a line that
    /// does not start with a code in capitals gets `ERR`.
    pub fn fails(self, line: &str) -> Self {
        let line = line.trim();
        let coded = line
            .split(' ')
            .next()
            .is_some_and(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase()));
        let line = if coded {
            line.to_owned()
        } else {
            format!("ERR {line}")
        };
        let line = line.replace(['\r', '\n'], " ");
        self.set(|rule| rule.action = Action::Fail(Bytes::from(line)))
    }

    /// Closes the connection instead of replying, as a server that crashed or a network that
    /// failed would: the command fails with a connection error, and the client reconnects for
    /// the next one (to the same mock, which greets it again).
    pub fn drops_connection(self) -> Self {
        self.set(|rule| rule.action = Action::Drop)
    }

    /// Waits `delay` before replying (or dropping). Replies on one connection keep their order,
    /// so later commands on it wait too, as on a slow server.
    pub fn after(self, delay: Duration) -> Self {
        self.set(|rule| rule.delay = Some(delay))
    }

    /// How many times the command may come: `3`, `1..=3`, `1..`, `..`. Once by default.
    pub fn times(self, times: impl Into<Times>) -> Self {
        let times = times.into();
        self.set(|rule| rule.times = times)
    }
}

impl<R> Drop for Expectation<'_, R> {
    fn drop(&mut self) {
        if let Some(rule) = self.rule.take() {
            self.mock.add(rule);
        }
    }
}

/// The first argument where `came` differs from `expected`, in words.
pub(super) fn difference(expected: &Rule, came: &[Bytes]) -> String {
    for (i, (a, b)) in expected.args.iter().zip(came).enumerate() {
        let same = if i < expected.name_words {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        };
        if !same {
            return format!(
                "argument {} differs: came {}, expected {}",
                i + 1,
                report::quote(b),
                report::quote(a)
            );
        }
    }
    format!(
        "came {} arguments, expected {}",
        came.len(),
        expected.args.len()
    )
}
