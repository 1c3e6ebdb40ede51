//! Typed readings of the integer codes expiry commands reply: [`Ttl`] for `PTTL` and `HPTTL`,
//! [`FieldExpire`] for `HEXPIRE` and its siblings, [`FieldPersist`] for `HPERSIST`.
//!
//! The commands keep their raw methods (`ttl`, `pttl` and `httl` reply `i64`s, with -2 and -1
//! meaning something else than a time); the spec adds a `_typed` method beside each, which
//! replies these types.

use super::FromReply;
use crate::error::ReplyError;
use crate::resp::Frame;
use std::time::Duration;

/// How long a key or a hash field has left to live: the reply of
/// [`pttl_typed`](crate::Commands::pttl_typed) and, per field,
/// [`hpttl_typed`](crate::Commands::hpttl_typed).
///
/// It decodes the millisecond counts of `PTTL` and `HPTTL`, so a duration is to the millisecond;
/// `TTL` and `HTTL` reply seconds, which this type would read as milliseconds.
///
/// ```no_run
/// use sider::prelude::*;
/// use sider::Ttl;
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// match client.pttl_typed("session:42").await? {
///     Ttl::Missing => println!("no such session"),
///     Ttl::Persistent => println!("never expires"),
///     Ttl::Expires(left) => println!("expires in {left:?}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ttl {
    /// The key (or the field) does not exist: the server's `-2`.
    Missing,
    /// It exists and has no expiry: `-1`.
    Persistent,
    /// It expires after this long.
    Expires(Duration),
}

impl Ttl {
    /// The time left, when it expires; `None` when it is missing or has no expiry.
    pub fn remaining(self) -> Option<Duration> {
        match self {
            Ttl::Expires(left) => Some(left),
            Ttl::Missing | Ttl::Persistent => None,
        }
    }

    /// Whether the key (or the field) exists.
    pub fn exists(self) -> bool {
        self != Ttl::Missing
    }
}

impl FromReply for Ttl {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        match i64::from_reply(frame)? {
            -2 => Ok(Ttl::Missing),
            -1 => Ok(Ttl::Persistent),
            ms => u64::try_from(ms)
                .map(|ms| Ttl::Expires(Duration::from_millis(ms)))
                .map_err(|_| {
                    ReplyError::invalid(
                        "milliseconds to live, -1 (no expiry) or -2 (missing)",
                        format_args!("integer {ms}"),
                    )
                }),
        }
    }
}

/// What `HEXPIRE`, `HPEXPIRE`, `HEXPIREAT` and `HPEXPIREAT` did to one field: the elements of
/// [`hexpire_typed`](crate::Commands::hexpire_typed) and its siblings.
///
/// ```no_run
/// use sider::prelude::*;
/// use sider::FieldExpire;
/// use std::time::Duration;
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// let done = client
///     .hexpire_typed("session:42", Duration::from_secs(60), ["token"])
///     .nx()
///     .await?;
/// if done == [FieldExpire::ConditionNotMet] {
///     println!("the token already had an expiry");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldExpire {
    /// The expiry is set: the server's `1`.
    Set,
    /// The time given is already past, so the field was deleted: `2`.
    Deleted,
    /// The `NX`, `XX`, `GT` or `LT` condition was not met, so nothing changed: `0`.
    ConditionNotMet,
    /// The field (or the key) does not exist: `-2`.
    Missing,
}

impl FromReply for FieldExpire {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        match i64::from_reply(frame)? {
            1 => Ok(FieldExpire::Set),
            2 => Ok(FieldExpire::Deleted),
            0 => Ok(FieldExpire::ConditionNotMet),
            -2 => Ok(FieldExpire::Missing),
            other => Err(ReplyError::invalid(
                "a field expiry code: 2, 1, 0 or -2",
                format_args!("integer {other}"),
            )),
        }
    }
}

/// What `HPERSIST` did to one field: the elements of
/// [`hpersist_typed`](crate::Commands::hpersist_typed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldPersist {
    /// The field's expiry was removed: the server's `1`.
    Removed,
    /// The field had no expiry to remove: `-1`.
    Persistent,
    /// The field (or the key) does not exist: `-2`.
    Missing,
}

impl FromReply for FieldPersist {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        match i64::from_reply(frame)? {
            1 => Ok(FieldPersist::Removed),
            -1 => Ok(FieldPersist::Persistent),
            -2 => Ok(FieldPersist::Missing),
            other => Err(ReplyError::invalid(
                "a field persist code: 1, -1 or -2",
                format_args!("integer {other}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_codes() {
        assert_eq!(Ttl::from_reply(Frame::Integer(-2)).unwrap(), Ttl::Missing);
        assert_eq!(
            Ttl::from_reply(Frame::Integer(-1)).unwrap(),
            Ttl::Persistent
        );
        let ttl = Ttl::from_reply(Frame::Integer(1500)).unwrap();
        assert_eq!(ttl, Ttl::Expires(Duration::from_millis(1500)));
        assert_eq!(ttl.remaining(), Some(Duration::from_millis(1500)));
        assert!(Ttl::from_reply(Frame::Integer(-3)).is_err());
        assert!(Ttl::from_reply(Frame::Null).is_err());
        let many =
            Vec::<Ttl>::from_reply(Frame::Array(vec![Frame::Integer(-2), Frame::Integer(0)]))
                .unwrap();
        assert_eq!(many, [Ttl::Missing, Ttl::Expires(Duration::ZERO)]);
    }

    #[test]
    fn field_codes() {
        let codes = [2, 1, 0, -2].map(|n| FieldExpire::from_reply(Frame::Integer(n)).unwrap());
        assert_eq!(
            codes,
            [
                FieldExpire::Deleted,
                FieldExpire::Set,
                FieldExpire::ConditionNotMet,
                FieldExpire::Missing
            ]
        );
        assert!(FieldExpire::from_reply(Frame::Integer(-1)).is_err());
        let codes = [1, -1, -2].map(|n| FieldPersist::from_reply(Frame::Integer(n)).unwrap());
        assert_eq!(
            codes,
            [
                FieldPersist::Removed,
                FieldPersist::Persistent,
                FieldPersist::Missing
            ]
        );
        let err = FieldPersist::from_reply(Frame::Integer(0)).unwrap_err();
        assert!(err.to_string().contains("integer 0"), "{err}");
    }
}
