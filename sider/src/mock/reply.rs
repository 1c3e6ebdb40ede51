//! [`ToReply`]: the other direction of [`FromReply`], a Rust value encoded as the reply that
//! decodes back into it, so that a mock's expectation states its reply as a value of the
//! command's own reply type.
//!
//! Imports from `resp` (the frame) only.

use crate::resp::Frame;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A value a mock server can send as a reply: encoded here as a RESP3 frame (the mock turns it
/// into RESP2's shapes for a RESP2 connection), which sider's [`FromReply`] decodes back into
/// an equal value.
///
/// Implemented for the reply types of sider's typed commands: `()`, integers, floats, `bool`,
/// `String`, `&str`, [`Bytes`], `Vec<u8>`, `Option`, `Vec`, maps, sets, tuples up to 12,
/// [`Ttl`](crate::Ttl), [`FieldExpire`](crate::FieldExpire), [`FieldPersist`](crate::FieldPersist),
/// `Record<T>` and `Json<T>` (features `serde`, `json`), and [`Value`](crate::Value) itself. `()` is `+OK`; a `bool` is a RESP3 boolean (`:1`/`:0` under
/// RESP2); a map is a RESP3 map (a flat array under RESP2).
///
/// [`FromReply`]: crate::FromReply
///
/// ```
/// use sider::mock::ToReply;
/// use sider::{FromReply, Value};
///
/// let frame = Some(vec![("a".to_owned(), 1.5)]).to_reply();
/// let back: Option<Vec<(String, f64)>> = FromReply::from_reply(frame).unwrap();
/// assert_eq!(back, Some(vec![("a".to_owned(), 1.5)]));
/// assert_eq!(().to_reply(), Value::Simple("OK".into()));
/// ```
#[diagnostic::on_unimplemented(
    message = "a mock cannot send `{Self}` as a reply",
    label = "`{Self}` does not implement `ToReply`",
    note = "replies are strings, bytes, numbers, bool, Option, Vec, maps, sets, tuples and `sider::Value`; for anything else use `Mock::expect_cmd` and reply a `Value`"
)]
pub trait ToReply {
    /// The reply that decodes into `self`.
    fn to_reply(self) -> Frame;

    /// Encodes a list of these. Overridden by `u8`, whose `Vec` is a bulk string.
    #[doc(hidden)]
    fn __list_to_reply(items: Vec<Self>) -> Frame
    where
        Self: Sized,
    {
        Frame::Array(items.into_iter().map(ToReply::to_reply).collect())
    }
}

impl ToReply for Frame {
    fn to_reply(self) -> Frame {
        self
    }
}

impl ToReply for () {
    fn to_reply(self) -> Frame {
        Frame::Simple(Bytes::from_static(b"OK"))
    }
}

impl ToReply for bool {
    fn to_reply(self) -> Frame {
        Frame::Boolean(self)
    }
}

impl ToReply for String {
    fn to_reply(self) -> Frame {
        Frame::Bulk(Bytes::from(self))
    }
}

impl ToReply for &str {
    fn to_reply(self) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(self.as_bytes()))
    }
}

impl ToReply for Bytes {
    fn to_reply(self) -> Frame {
        Frame::Bulk(self)
    }
}

impl ToReply for u8 {
    fn to_reply(self) -> Frame {
        Frame::Integer(i64::from(self))
    }

    fn __list_to_reply(items: Vec<u8>) -> Frame {
        Frame::Bulk(Bytes::from(items))
    }
}

macro_rules! int_to_reply {
    ($($t:ty)*) => {$(
        impl ToReply for $t {
            /// An integer reply, or its digits as a bulk string past 64 bits.
            fn to_reply(self) -> Frame {
                match i64::try_from(self) {
                    Ok(n) => Frame::Integer(n),
                    Err(_) => Frame::Bulk(Bytes::from(self.to_string())),
                }
            }
        }
    )*};
}
int_to_reply!(i8 i16 i32 i64 i128 isize u16 u32 u64 u128 usize);

impl ToReply for f64 {
    fn to_reply(self) -> Frame {
        Frame::Double(self)
    }
}

impl ToReply for f32 {
    fn to_reply(self) -> Frame {
        Frame::Double(f64::from(self))
    }
}

impl<T: ToReply> ToReply for Option<T> {
    /// `None` is a null reply.
    fn to_reply(self) -> Frame {
        match self {
            Some(value) => value.to_reply(),
            None => Frame::Null,
        }
    }
}

impl<T: ToReply> ToReply for Vec<T> {
    fn to_reply(self) -> Frame {
        T::__list_to_reply(self)
    }
}

impl<K: ToReply, V: ToReply, S> ToReply for HashMap<K, V, S> {
    fn to_reply(self) -> Frame {
        Frame::Map(
            self.into_iter()
                .map(|(k, v)| (k.to_reply(), v.to_reply()))
                .collect(),
        )
    }
}

impl<K: ToReply, V: ToReply> ToReply for BTreeMap<K, V> {
    fn to_reply(self) -> Frame {
        Frame::Map(
            self.into_iter()
                .map(|(k, v)| (k.to_reply(), v.to_reply()))
                .collect(),
        )
    }
}

impl<T: ToReply, S> ToReply for HashSet<T, S> {
    fn to_reply(self) -> Frame {
        Frame::Set(self.into_iter().map(ToReply::to_reply).collect())
    }
}

impl<T: ToReply> ToReply for BTreeSet<T> {
    fn to_reply(self) -> Frame {
        Frame::Set(self.into_iter().map(ToReply::to_reply).collect())
    }
}

macro_rules! tuple_to_reply {
    ($(($($name:ident)+))+) => {$(
        impl<$($name: ToReply),+> ToReply for ($($name,)+) {
            #[allow(non_snake_case, reason = "the tuple's elements, named by their types")]
            fn to_reply(self) -> Frame {
                let ($($name,)+) = self;
                Frame::Array(vec![$($name.to_reply()),+])
            }
        }
    )+};
}

tuple_to_reply! {
    (A)
    (A B)
    (A B C)
    (A B C D)
    (A B C D E)
    (A B C D E F)
    (A B C D E F G)
    (A B C D E F G H)
    (A B C D E F G H I)
    (A B C D E F G H I J)
    (A B C D E F G H I J K)
    (A B C D E F G H I J K L)
}

impl ToReply for crate::Ttl {
    /// Milliseconds to live, as `PTTL` replies: -2 when missing, -1 without expiry.
    fn to_reply(self) -> Frame {
        Frame::Integer(match self {
            crate::Ttl::Missing => -2,
            crate::Ttl::Persistent => -1,
            crate::Ttl::Expires(left) => i64::try_from(left.as_millis()).unwrap_or(i64::MAX),
        })
    }
}

impl ToReply for crate::FieldExpire {
    /// The code `HEXPIRE` replies for one field.
    fn to_reply(self) -> Frame {
        Frame::Integer(match self {
            crate::FieldExpire::Set => 1,
            crate::FieldExpire::Deleted => 2,
            crate::FieldExpire::ConditionNotMet => 0,
            crate::FieldExpire::Missing => -2,
        })
    }
}

impl ToReply for crate::FieldPersist {
    /// The code `HPERSIST` replies for one field.
    fn to_reply(self) -> Frame {
        Frame::Integer(match self {
            crate::FieldPersist::Removed => 1,
            crate::FieldPersist::Persistent => -1,
            crate::FieldPersist::Missing => -2,
        })
    }
}

#[cfg(feature = "serde")]
impl<T: serde::Serialize> ToReply for crate::Record<T> {
    /// The struct's fields and values as a map, as `HGETALL` replies them (written as a command
    /// writes a `Record`'s fields; one it refuses, such as a list in a field, is a null reply).
    fn to_reply(self) -> Frame {
        let mut fields = crate::Cmd::fragment();
        crate::ToArgs::write_args(&self, &mut fields);
        let args: Vec<Bytes> = fields.written_args().map(Bytes::copy_from_slice).collect();
        // A refused record is one argument, the reason: never a whole number of pairs.
        if args.len() % 2 != 0 {
            return Frame::Null;
        }
        let mut args = args.into_iter();
        let mut pairs = Vec::new();
        while let (Some(k), Some(v)) = (args.next(), args.next()) {
            pairs.push((Frame::Bulk(k), Frame::Bulk(v)));
        }
        Frame::Map(pairs)
    }
}

#[cfg(feature = "json")]
impl<T: serde::Serialize> ToReply for crate::Json<T> {
    /// The value as JSON, in a bulk string (a value serde cannot write is a null reply).
    fn to_reply(self) -> Frame {
        match serde_json::to_vec(&self.0) {
            Ok(json) => Frame::Bulk(Bytes::from(json)),
            Err(_) => Frame::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FromReply;
    use std::fmt::Debug;

    fn round_trip<T: ToReply + FromReply + PartialEq + Debug + Clone>(value: T) {
        let back = T::from_reply(value.clone().to_reply()).expect("decodes");
        assert_eq!(back, value);
    }

    #[test]
    fn every_reply_type_decodes_back() {
        round_trip(());
        round_trip(true);
        round_trip(-42i64);
        round_trip(u64::MAX);
        round_trip(i128::MIN);
        round_trip(2.5f64);
        round_trip(f64::INFINITY);
        round_trip("ada".to_owned());
        round_trip(Bytes::from_static(b"\x00\xff"));
        round_trip(b"raw".to_vec());
        round_trip(Some("x".to_owned()));
        round_trip(None::<i64>);
        round_trip(vec![Some(1i64), None]);
        round_trip(vec![("m".to_owned(), 1.5f64), ("n".to_owned(), 2.0)]);
        round_trip(HashMap::from([("a".to_owned(), 1i64)]));
        round_trip(BTreeMap::from([("a".to_owned(), vec![1i64, 2])]));
        round_trip(HashSet::from(["s".to_owned()]));
        round_trip((1i64, "two".to_owned(), Some(3.0f64)));
        round_trip(Frame::Array(vec![Frame::Integer(1), Frame::Null]));
        round_trip(crate::Ttl::Expires(std::time::Duration::from_millis(1500)));
        round_trip(vec![crate::Ttl::Missing, crate::Ttl::Persistent]);
        round_trip(vec![
            crate::FieldExpire::Set,
            crate::FieldExpire::Deleted,
            crate::FieldExpire::ConditionNotMet,
            crate::FieldExpire::Missing,
        ]);
        round_trip(vec![
            crate::FieldPersist::Removed,
            crate::FieldPersist::Persistent,
            crate::FieldPersist::Missing,
        ]);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn records_are_maps_of_their_fields() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct User {
            name: String,
            age: u32,
        }
        let user = User {
            name: "ada".to_owned(),
            age: 36,
        };
        let frame = crate::Record(&user).to_reply();
        let back = crate::Record::<User>::from_reply(frame).expect("decodes");
        assert_eq!(back.0, user);
    }
}
