//! [`ToArg`] and [`ToArgs`]: how Rust values become command arguments.
//!
//! Arguments are written straight into the command's buffer as RESP bulk strings; numbers are
//! formatted on the stack, so no argument gets an allocation of its own.

use crate::cmd::Cmd;
use crate::resp;
use bytes::{Bytes, BytesMut};
use std::borrow::Cow;

/// A value that is sent as exactly one argument (one RESP bulk string).
///
/// Implemented for strings, byte slices, [`Bytes`], integers, floats and `bool` (sent as `1` or
/// `0`, which is how Redis itself answers yes or no), and references to them. `u8` is
/// deliberately not an argument, so that `&[u8]` is one binary argument rather than a list of
/// numbers.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a Redis argument",
    label = "`{Self}` does not implement `ToArg`",
    note = "an argument is a string, byte slice, `Bytes`, integer, float or bool, or a reference to one",
    note = "a value of your own goes in as `Json(&value)` (feature `json`), or implement `ToArg` for it; lists go where a command takes several"
)]
pub trait ToArg {
    /// Writes `self` as one bulk string.
    fn write_arg(&self, out: &mut BytesMut);
}

impl<T: ToArg + ?Sized> ToArg for &T {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        (**self).write_arg(out);
    }
}

impl ToArg for str {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, self.as_bytes());
    }
}

impl ToArg for String {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, self.as_bytes());
    }
}

impl ToArg for Cow<'_, str> {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, self.as_bytes());
    }
}

impl ToArg for [u8] {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, self);
    }
}

impl<const N: usize> ToArg for [u8; N] {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, self);
    }
}

impl ToArg for Vec<u8> {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, self);
    }
}

impl ToArg for Bytes {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, self);
    }
}

impl ToArg for BytesMut {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, self);
    }
}

macro_rules! signed_args {
    ($($t:ty)*) => {$(
        impl ToArg for $t {
            #[inline]
            fn write_arg(&self, out: &mut BytesMut) {
                resp::put_bulk_i64(out, i64::from(*self));
            }
        }
    )*};
}
signed_args!(i8 i16 i32 i64);

macro_rules! unsigned_args {
    ($($t:ty)*) => {$(
        impl ToArg for $t {
            #[inline]
            fn write_arg(&self, out: &mut BytesMut) {
                resp::put_bulk_u64(out, u64::from(*self));
            }
        }
    )*};
}
unsigned_args!(u16 u32 u64);

impl ToArg for isize {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, itoa::Buffer::new().format(*self).as_bytes());
    }
}

impl ToArg for usize {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, itoa::Buffer::new().format(*self).as_bytes());
    }
}

impl ToArg for i128 {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, itoa::Buffer::new().format(*self).as_bytes());
    }
}

impl ToArg for u128 {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, itoa::Buffer::new().format(*self).as_bytes());
    }
}

impl ToArg for f64 {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk_f64(out, *self);
    }
}

impl ToArg for f32 {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk_f64(out, f64::from(*self));
    }
}

impl ToArg for bool {
    /// `1` or `0`: what Redis replies for yes and no, and what [`FromReply`](crate::FromReply)
    /// for `bool` (and a `Record` field) reads back.
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        resp::put_bulk(out, if *self { b"1" } else { b"0" });
    }
}

/// A value that is sent as any number of arguments: one [`ToArg`] value, or a slice, array,
/// `Vec` or tuple (up to 16 elements) of them, nested as deep as you like.
///
/// ```
/// use sider::Cmd;
///
/// let cmd = Cmd::new("MSET").args(&[("a", 1), ("b", 2)]);
/// assert_eq!(cmd.arg_count(), 5);
/// ```
///
/// A list or tuple is arguments only when each of its elements is: `("a", 1, true)` is three
/// arguments, while `("a", Point { .. })` is none, whatever its length. A struct of your own goes
/// where field/value pairs do (`HSET`, `XADD`...) as `Record(&value)` (feature `serde`), one
/// pair per field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as Redis arguments",
    label = "`{Self}` does not implement `ToArgs`",
    note = "arguments are strings, byte slices, `Bytes`, integers, floats and bools, and slices, arrays, Vecs and tuples (up to 16) of them",
    note = "a tuple or list is arguments only when every element is: look for the element of `{Self}` that is none of these",
    note = "a struct's fields go in as field/value pairs with `Record(&value)` (feature `serde`), a whole value as `Json(&value)` (feature `json`)"
)]
pub trait ToArgs {
    /// Appends `self` to `cmd` as zero or more arguments.
    fn write_args(&self, cmd: &mut Cmd);
}

impl<T: ToArg + ?Sized> ToArgs for T {
    #[inline]
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push_arg(self);
    }
}

impl<T: ToArgs> ToArgs for &[T] {
    #[inline]
    fn write_args(&self, cmd: &mut Cmd) {
        for item in *self {
            item.write_args(cmd);
        }
    }
}

impl<T: ToArgs, const N: usize> ToArgs for [T; N] {
    #[inline]
    fn write_args(&self, cmd: &mut Cmd) {
        self.as_slice().write_args(cmd);
    }
}

impl<T: ToArgs, const N: usize> ToArgs for &[T; N] {
    #[inline]
    fn write_args(&self, cmd: &mut Cmd) {
        self.as_slice().write_args(cmd);
    }
}

impl<T: ToArgs> ToArgs for Vec<T> {
    #[inline]
    fn write_args(&self, cmd: &mut Cmd) {
        self.as_slice().write_args(cmd);
    }
}

impl<T: ToArgs> ToArgs for &Vec<T> {
    #[inline]
    fn write_args(&self, cmd: &mut Cmd) {
        self.as_slice().write_args(cmd);
    }
}

impl<T: ToArgs> ToArgs for Option<T> {
    /// `None` adds nothing.
    #[inline]
    fn write_args(&self, cmd: &mut Cmd) {
        if let Some(value) = self {
            value.write_args(cmd);
        }
    }
}

/// Sends every item an iterator yields, e.g. `Each(keys.iter().map(|k| format!("user:{k}")))`.
///
/// The iterator is cloned for each write, so pass a cheap one (a borrowing iterator, a range).
#[derive(Clone, Debug)]
pub struct Each<I>(pub I);

impl<I> ToArgs for Each<I>
where
    I: IntoIterator + Clone,
    I::Item: ToArgs,
{
    fn write_args(&self, cmd: &mut Cmd) {
        for item in self.0.clone() {
            item.write_args(cmd);
        }
    }
}

impl ToArgs for () {
    /// No arguments, e.g. a script called without keys.
    #[inline]
    fn write_args(&self, _: &mut Cmd) {}
}

// `do_not_recommend`: without it, a tuple with one element that is not an argument is answered
// with the list of tuple arities that are, which reads as if the tuple were too long.
macro_rules! tuple_args {
    ($(($($name:ident $idx:tt)+))+) => {$(
        #[diagnostic::do_not_recommend]
        impl<$($name: ToArgs),+> ToArgs for ($($name,)+) {
            #[inline]
            fn write_args(&self, cmd: &mut Cmd) {
                $(self.$idx.write_args(cmd);)+
            }
        }
    )+};
}

tuple_args! {
    (A 0)
    (A 0 B 1)
    (A 0 B 1 C 2)
    (A 0 B 1 C 2 D 3)
    (A 0 B 1 C 2 D 3 E 4)
    (A 0 B 1 C 2 D 3 E 4 F 5)
    (A 0 B 1 C 2 D 3 E 4 F 5 G 6)
    (A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7)
    (A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8)
    (A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8 J 9)
    (A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8 J 9 K 10)
    (A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8 J 9 K 10 L 11)
    (A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8 J 9 K 10 L 11 M 12)
    (A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8 J 9 K 10 L 11 M 12 N 13)
    (A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8 J 9 K 10 L 11 M 12 N 13 O 14)
    (A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8 J 9 K 10 L 11 M 12 N 13 O 14 P 15)
}

/// The unit a command takes a time in.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Millis,
}

/// A span of time given to a command (`EXPIRE`'s TTL, `BLPOP`'s timeout, `SET ... PX`): a
/// [`Duration`](std::time::Duration), or a whole number in the unit the command itself takes
/// (seconds for `EXPIRE` and `HEXPIRE`, milliseconds for `PEXPIRE` and `PX`).
///
/// ```no_run
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// use sider::prelude::*;
/// use std::time::Duration;
/// client.expire("session", Duration::from_secs(600)).await?;
/// client.expire("session", 600).await?; // the same: EXPIRE takes seconds
/// client.pexpire("session", 600_000).await?; // PEXPIRE takes milliseconds
/// # Ok(()) }
/// ```
///
/// A duration is sent in whole units of the command (truncated), saturating at `i64::MAX`.
pub trait TimeSpan {
    #[doc(hidden)]
    fn __whole(&self, unit: Unit) -> i64;
    #[doc(hidden)]
    fn __fractional_secs(&self) -> f64;
}

impl TimeSpan for std::time::Duration {
    fn __whole(&self, unit: Unit) -> i64 {
        let whole = match unit {
            Unit::Seconds => u128::from(self.as_secs()),
            Unit::Millis => self.as_millis(),
        };
        i64::try_from(whole).unwrap_or(i64::MAX)
    }

    fn __fractional_secs(&self) -> f64 {
        self.as_secs_f64()
    }
}

/// A point in time given to a command (`EXPIREAT`, `SET ... EXAT`): a
/// [`SystemTime`](std::time::SystemTime), or a whole number since the Unix epoch in the unit the
/// command takes (seconds for `EXPIREAT`, milliseconds for `PEXPIREAT`).
pub trait Timestamp {
    #[doc(hidden)]
    fn __since_epoch(&self, unit: Unit) -> i64;
}

impl Timestamp for std::time::SystemTime {
    fn __since_epoch(&self, unit: Unit) -> i64 {
        let (after, span) = match self.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => (true, d),
            Err(e) => (false, e.duration()),
        };
        let whole = span.__whole(unit);
        if after {
            whole
        } else {
            -whole
        }
    }
}

macro_rules! number_time {
    ($($t:ty),*) => {$(
        impl TimeSpan for $t {
            fn __whole(&self, _: Unit) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }

            #[allow(clippy::cast_precision_loss, reason = "a timeout of more than 2^53 seconds")]
            fn __fractional_secs(&self) -> f64 {
                *self as f64
            }
        }

        impl Timestamp for $t {
            fn __since_epoch(&self, _: Unit) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
    )*};
}

number_time!(i32, i64, u32, u64, usize);

impl<T: TimeSpan + ?Sized> TimeSpan for &T {
    fn __whole(&self, unit: Unit) -> i64 {
        (**self).__whole(unit)
    }

    fn __fractional_secs(&self) -> f64 {
        (**self).__fractional_secs()
    }
}

impl<T: Timestamp + ?Sized> Timestamp for &T {
    fn __since_epoch(&self, unit: Unit) -> i64 {
        (**self).__since_epoch(unit)
    }
}

#[cfg(test)]
mod time_tests {
    use super::{TimeSpan, Timestamp, Unit};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    #[test]
    fn durations_and_numbers_in_the_command_unit() {
        let d = Duration::from_millis(2_500);
        assert_eq!(d.__whole(Unit::Seconds), 2);
        assert_eq!(d.__whole(Unit::Millis), 2_500);
        assert_eq!(d.__fractional_secs(), 2.5);
        assert_eq!(Duration::MAX.__whole(Unit::Millis), i64::MAX);
        // A number is already in the command's unit.
        assert_eq!(600.__whole(Unit::Seconds), 600);
        assert_eq!(600u64.__whole(Unit::Millis), 600);
        assert_eq!((-1i64).__whole(Unit::Seconds), -1);
        assert_eq!(u64::MAX.__whole(Unit::Seconds), i64::MAX);
        let by_ref: &dyn TimeSpan = &&5u32;
        assert_eq!(by_ref.__fractional_secs(), 5.0);
    }

    #[test]
    fn timestamps_before_and_after_the_epoch() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(t.__since_epoch(Unit::Seconds), 1_700_000_000);
        assert_eq!(t.__since_epoch(Unit::Millis), 1_700_000_000_123);
        let before = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(before.__since_epoch(Unit::Seconds), -10);
        assert_eq!(1_700_000_000i64.__since_epoch(Unit::Seconds), 1_700_000_000);
        assert!(SystemTime::now().__since_epoch(Unit::Seconds) > 1_700_000_000);
    }
}

#[cfg(test)]
mod tests {
    use crate::Cmd;

    #[test]
    fn bools_are_one_and_zero() {
        let cmd = Cmd::new("SET").arg("k").arg(true);
        assert_eq!(
            &cmd.to_bytes()[..],
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n"
        );
        let cmd = Cmd::new("SET").arg("k").arg(false);
        assert!(cmd.to_bytes().ends_with(b"$1\r\n0\r\n"));
    }

    #[test]
    fn tuples_go_up_to_sixteen() {
        let pairs = (
            ("a", 1),
            ("b", 2.5),
            ("c", true),
            ("d", "x"),
            ("e", 5u64),
            ("f", -6i8),
            ("g", String::from("g")),
            ("h", 8usize),
        );
        assert_eq!(Cmd::new("HSET").arg("k").args(pairs).arg_count(), 18);
        let sixteen = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
        assert_eq!(Cmd::new("RPUSH").arg("k").args(sixteen).arg_count(), 18);
    }
}
