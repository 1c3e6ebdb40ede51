//! [`FromReply`]: decoding a reply [`Frame`] into a Rust type.
//!
//! RESP2 and RESP3 send some replies in different shapes (a flat array of field/value pairs
//! against a map, a bulk string "1.5" against a double). The impls here accept both, so a typed
//! call decodes to the same value under either protocol.

use crate::error::ReplyError;
use crate::resp::Frame;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

mod expiry;
pub use expiry::{FieldExpire, FieldPersist, Ttl};

/// A type a Redis reply decodes into.
///
/// Server error replies never reach `from_reply` at the top level: sider turns them into
/// [`ErrorKind::Server`](crate::ErrorKind::Server) errors first. Inside aggregates (a transaction's
/// replies), an error element decodes only into [`Value`](crate::Value).
///
/// ```
/// use sider::{FromReply, Value};
///
/// let reply = Value::Array(vec![Value::Bulk("a".into()), Value::Null]);
/// let values: Vec<Option<String>> = FromReply::from_reply(reply).unwrap();
/// assert_eq!(values, [Some("a".to_owned()), None]);
/// ```
#[diagnostic::on_unimplemented(
    message = "a Redis reply cannot be decoded into `{Self}`",
    label = "`{Self}` does not implement `FromReply`",
    note = "replies decode into strings, bytes, numbers, bool, Option, Vec, maps, sets, tuples and `sider::Value`"
)]
pub trait FromReply: Sized {
    /// Decodes `frame` into `Self`.
    ///
    /// # Errors
    ///
    /// A [`ReplyError`] naming the expected and the actual shape when the frame does not fit.
    fn from_reply(frame: Frame) -> Result<Self, ReplyError>;

    /// Decodes a list of replies. Overridden by `u8` so that `Vec<u8>` reads a bulk string.
    #[doc(hidden)]
    fn __from_list(frame: Frame) -> Result<Vec<Self>, ReplyError> {
        let arity = Self::__ARITY;
        match frame {
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                // RESP2 sends pairs flat (`HGETALL`, `WITHSCORES`): regroup them for tuples.
                if arity > 1 && !items.first().is_some_and(|f| matches!(f, Frame::Array(_))) {
                    return regroup(items, arity);
                }
                items.into_iter().map(Self::from_reply).collect()
            }
            Frame::Map(pairs) => pairs
                .into_iter()
                .map(|(k, v)| {
                    if arity == 2 {
                        Self::from_reply(Frame::Array(vec![k, v]))
                    } else {
                        Err(ReplyError::invalid(
                            "list",
                            "map (decode into a map or pairs)",
                        ))
                    }
                })
                .collect(),
            Frame::Null => Ok(Vec::new()),
            Frame::Attribute { value, .. } => Self::__from_list(*value),
            other => Err(ReplyError::unexpected("array", &other)),
        }
    }

    /// The number of elements a tuple type decodes from; 0 for everything else.
    #[doc(hidden)]
    const __ARITY: usize = 0;

    /// Decodes the reply for `Option<Self>`: a null is `None`. Overridden by types for which
    /// another reply means absence, such as `Record`, whose missing hash is an empty map.
    #[doc(hidden)]
    fn __from_optional(frame: Frame) -> Result<Option<Self>, ReplyError> {
        match frame {
            Frame::Null => Ok(None),
            other => Self::from_reply(other).map(Some),
        }
    }
}

fn regroup<T: FromReply>(items: Vec<Frame>, arity: usize) -> Result<Vec<T>, ReplyError> {
    if items.len() % arity != 0 {
        return Err(ReplyError::invalid(
            "a multiple of the tuple's length",
            format_args!("array ({} elements)", items.len()),
        ));
    }
    let mut out = Vec::with_capacity(items.len() / arity);
    let mut items = items.into_iter();
    loop {
        let group: Vec<Frame> = items.by_ref().take(arity).collect();
        if group.is_empty() {
            return Ok(out);
        }
        out.push(T::from_reply(Frame::Array(group))?);
    }
}

impl FromReply for Frame {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        Ok(frame)
    }
}

impl FromReply for () {
    /// Accepts any reply and discards it.
    fn from_reply(_: Frame) -> Result<Self, ReplyError> {
        Ok(())
    }
}

fn text_bytes(frame: Frame, expected: &'static str) -> Result<Bytes, ReplyError> {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::BigNumber(b) => Ok(b),
        Frame::Verbatim { data, .. } => Ok(data),
        Frame::Integer(n) => Ok(Bytes::copy_from_slice(
            itoa::Buffer::new().format(n).as_bytes(),
        )),
        Frame::Double(d) => Ok(Bytes::from(format_double(d))),
        Frame::Attribute { value, .. } => text_bytes(*value, expected),
        other => Err(ReplyError::unexpected(expected, &other)),
    }
}

fn format_double(d: f64) -> String {
    if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else if d.is_nan() {
        "nan".to_owned()
    } else {
        ryu::Buffer::new().format_finite(d).to_owned()
    }
}

impl FromReply for Bytes {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        text_bytes(frame, "string")
    }
}

impl FromReply for String {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        let bytes = text_bytes(frame, "string")?;
        String::from_utf8(bytes.into()).map_err(|e| {
            ReplyError::invalid(
                "UTF-8 string",
                format_args!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            )
        })
    }
}

impl FromReply for u8 {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        int_from_reply(frame)
    }

    fn __from_list(frame: Frame) -> Result<Vec<Self>, ReplyError> {
        match frame {
            Frame::Array(items) => items.into_iter().map(u8::from_reply).collect(),
            other => Ok(text_bytes(other, "bytes")?.into()),
        }
    }
}

fn parse_int_text<T: std::str::FromStr>(bytes: &[u8]) -> Option<T> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn int_from_reply<T>(frame: Frame) -> Result<T, ReplyError>
where
    T: TryFrom<i64> + std::str::FromStr,
{
    match frame {
        Frame::Integer(n) => T::try_from(n)
            .map_err(|_| ReplyError::invalid("integer in range", format_args!("integer {n}"))),
        Frame::Bulk(b) | Frame::Simple(b) | Frame::BigNumber(b) => {
            parse_int_text(&b).ok_or_else(|| {
                ReplyError::invalid(
                    "integer",
                    format_args!("string {:?}", String::from_utf8_lossy(&b)),
                )
            })
        }
        Frame::Boolean(v) => {
            T::try_from(i64::from(v)).map_err(|_| ReplyError::invalid("integer", "boolean"))
        }
        Frame::Attribute { value, .. } => int_from_reply(*value),
        other => Err(ReplyError::unexpected("integer", &other)),
    }
}

macro_rules! int_impls {
    ($($t:ty)*) => {$(
        impl FromReply for $t {
            fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
                int_from_reply(frame)
            }
        }
    )*};
}
int_impls!(i8 i16 i32 i64 i128 isize u16 u32 u64 u128 usize);

fn float_from_reply(frame: Frame) -> Result<f64, ReplyError> {
    match frame {
        Frame::Double(d) => Ok(d),
        Frame::Integer(n) => Ok(n as f64),
        Frame::Bulk(b) | Frame::Simple(b) => {
            let parsed = match &b[..] {
                b"inf" | b"+inf" => Some(f64::INFINITY),
                b"-inf" => Some(f64::NEG_INFINITY),
                text => parse_int_text::<f64>(text),
            };
            parsed.ok_or_else(|| {
                ReplyError::invalid(
                    "number",
                    format_args!("string {:?}", String::from_utf8_lossy(&b)),
                )
            })
        }
        Frame::Attribute { value, .. } => float_from_reply(*value),
        other => Err(ReplyError::unexpected("number", &other)),
    }
}

impl FromReply for f64 {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        float_from_reply(frame)
    }
}

impl FromReply for f32 {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        float_from_reply(frame).map(|d| d as f32)
    }
}

impl FromReply for bool {
    /// Accepts RESP3 booleans and the integers 0 and 1 that RESP2 sends in their place, and
    /// the strings `1` and `0` that a `bool` argument is stored as.
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        match frame {
            Frame::Boolean(b) => Ok(b),
            Frame::Integer(0) => Ok(false),
            Frame::Integer(1) => Ok(true),
            Frame::Bulk(s) if &s[..] == b"0" => Ok(false),
            Frame::Bulk(s) if &s[..] == b"1" => Ok(true),
            Frame::Simple(s) if &s[..] == b"OK" => Ok(true),
            Frame::Null => Ok(false),
            Frame::Attribute { value, .. } => bool::from_reply(*value),
            other => Err(ReplyError::unexpected("boolean", &other)),
        }
    }
}

impl<T: FromReply> FromReply for Option<T> {
    /// `None` for a null reply, and for whatever else `T` reads as absence (an empty map for a
    /// `Record`, as `HGETALL` answers for a missing key).
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        T::__from_optional(frame)
    }
}

impl<T: FromReply> FromReply for Vec<T> {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        T::__from_list(frame)
    }
}

/// Splits a map-shaped reply into pairs: a RESP3 map, a RESP2 flat array of alternating keys and
/// values, or an array of two-element arrays.
pub(crate) fn pairs(frame: Frame) -> Result<Vec<(Frame, Frame)>, ReplyError> {
    match frame {
        Frame::Map(pairs) => Ok(pairs),
        Frame::Array(items) | Frame::Set(items) => {
            if items
                .iter()
                .all(|f| matches!(f, Frame::Array(a) if a.len() == 2))
                && !items.is_empty()
            {
                return Ok(items
                    .into_iter()
                    .filter_map(|f| match f {
                        Frame::Array(a) => {
                            let mut a = a.into_iter();
                            Some((a.next()?, a.next()?))
                        }
                        _ => None,
                    })
                    .collect());
            }
            if items.len() % 2 != 0 {
                return Err(ReplyError::invalid(
                    "map",
                    format_args!("array of odd length {}", items.len()),
                ));
            }
            let mut out = Vec::with_capacity(items.len() / 2);
            let mut items = items.into_iter();
            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                out.push((k, v));
            }
            Ok(out)
        }
        Frame::Null => Ok(Vec::new()),
        Frame::Attribute { value, .. } => pairs(*value),
        other => Err(ReplyError::unexpected("map", &other)),
    }
}

impl<K, V, S> FromReply for HashMap<K, V, S>
where
    K: FromReply + Eq + Hash,
    V: FromReply,
    S: BuildHasher + Default,
{
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        pairs(frame)?
            .into_iter()
            .map(|(k, v)| Ok((K::from_reply(k)?, V::from_reply(v)?)))
            .collect()
    }
}

impl<K: FromReply + Ord, V: FromReply> FromReply for BTreeMap<K, V> {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        pairs(frame)?
            .into_iter()
            .map(|(k, v)| Ok((K::from_reply(k)?, V::from_reply(v)?)))
            .collect()
    }
}

fn elements(frame: Frame) -> Result<Vec<Frame>, ReplyError> {
    match frame {
        Frame::Array(items) | Frame::Set(items) => Ok(items),
        Frame::Null => Ok(Vec::new()),
        Frame::Attribute { value, .. } => elements(*value),
        other => Err(ReplyError::unexpected("set", &other)),
    }
}

impl<T, S> FromReply for HashSet<T, S>
where
    T: FromReply + Eq + Hash,
    S: BuildHasher + Default,
{
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        elements(frame)?.into_iter().map(T::from_reply).collect()
    }
}

impl<T: FromReply + Ord> FromReply for BTreeSet<T> {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        elements(frame)?.into_iter().map(T::from_reply).collect()
    }
}

macro_rules! tuple_impls {
    ($($len:literal => ($($name:ident)+))+) => {$(
        impl<$($name: FromReply),+> FromReply for ($($name,)+) {
            fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
                let items = match frame {
                    Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => items,
                    Frame::Map(pairs) if $len == 2 && pairs.len() == 1 => {
                        pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()
                    }
                    Frame::Attribute { value, .. } => return Self::from_reply(*value),
                    other => return Err(ReplyError::unexpected(concat!("array of ", $len), &other)),
                };
                if items.len() != $len {
                    return Err(ReplyError::invalid(
                        concat!("array of ", $len),
                        format_args!("array ({} elements)", items.len()),
                    ));
                }
                let mut items = items.into_iter();
                Ok(($($name::from_reply(items.next().unwrap_or(Frame::Null))?,)+))
            }
            const __ARITY: usize = $len;
        }
    )+};
}

tuple_impls! {
    1 => (A)
    2 => (A B)
    3 => (A B C)
    4 => (A B C D)
    5 => (A B C D E)
    6 => (A B C D E F)
    7 => (A B C D E F G)
    8 => (A B C D E F G H)
    9 => (A B C D E F G H I)
    10 => (A B C D E F G H I J)
    11 => (A B C D E F G H I J K)
    12 => (A B C D E F G H I J K L)
}

#[cfg(test)]
mod tests;
