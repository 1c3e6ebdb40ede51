//! [`Record`]: map-shaped replies decoded into your own serde types, and serde types written as
//! field/value arguments (feature `serde`).
//!
//! Imports from `reply`, `resp` and `error`, plus `serde`; `write` adds `args` and `cmd`. The
//! serde `Deserializer` here walks [`Frame`]s: a map (a RESP3 map, or RESP2's flat array of
//! fields and values) feeds a struct's fields, and each value, usually a bulk string, is parsed
//! as the type the field asks for. The `Serializer` in `write` goes the other way.

use crate::error::ReplyError;
use crate::reply::{pairs, FromReply};
use crate::resp::Frame;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use std::fmt;
use std::ops::{Deref, DerefMut};

/// A struct (any serde type) as a hash's fields and values: decoded from a reply through
/// `Deserialize`, and written as field/value arguments through `Serialize`.
///
/// Decode `HGETALL` with [`hgetall_as`](crate::Commands::hgetall_as) (`hgetall` keeps returning a
/// `HashMap`), or any other map-shaped reply (`CONFIG GET`, `XINFO STREAM`...) through the
/// command's caller-picked type. RESP2's flat arrays and RESP3's maps decode alike. Write one
/// with `Record(&value)` wherever a command takes field/value pairs (`HSET`, `HSETEX`, `HMSET`,
/// `XADD`...).
///
/// ```no_run
/// use serde::{Deserialize, Serialize};
/// use sider::prelude::*;
/// use sider::Record;
///
/// #[derive(Serialize, Deserialize)]
/// struct User {
///     name: String,
///     age: u32,
///     admin: bool,           // stored as 1 or 0
///     email: Option<String>, // None: no such field in the hash
/// }
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// let ada = User { name: "Ada".into(), age: 36, admin: true, email: None };
/// client.hset("user:1", Record(&ada)).await?; // HSET user:1 name Ada age 36 admin 1
/// let user = client.hgetall_as::<Record<User>>("user:1").await?.into_inner();
/// assert_eq!(user.age, 36);
///
/// // A missing hash is an empty map: `Option<Record<T>>` reads it as `None`.
/// let nobody = client.hgetall_as::<Option<Record<User>>>("user:404").await?;
/// assert!(nobody.is_none());
/// # Ok(()) }
/// ```
///
/// # Reading
///
/// Field values are parsed as the field's type asks: strings, integers, floats (`inf` too),
/// booleans (`1`/`0`, `true`/`false`, `yes`/`no`), `Option` (missing field or null), unit enum
/// variants by name, `Json<T>` (feature `json`) from a value holding JSON, and nested structs,
/// maps and sequences where the reply nests them. Fields the struct does not name are skipped.
///
/// `HGETALL` on a missing key replies an empty map. Asked for `Option<Record<T>>`, or for
/// `Record<Option<T>>`, it is `None`, so that a missing hash is told from a corrupt one; asked
/// for `Record<T>`, it fails on the first required field. A field that is missing or does not
/// parse is an error that names it:
///
/// ```
/// # use serde::Deserialize;
/// use sider::{FromReply, Record, Value};
/// # #[derive(Debug, Deserialize)]
/// # struct User { name: String, age: u32 }
///
/// let bulk = |text: &str| Value::Bulk(text.to_owned().into());
/// // HGETALL under RESP2: fields and values in one flat array.
/// let reply = Value::Array(vec![bulk("name"), bulk("Ada"), bulk("age"), bulk("abc")]);
/// let err = Record::<User>::from_reply(reply).unwrap_err();
/// assert_eq!(err.to_string(), "field `age`: expected integer, got \"abc\"");
///
/// // Under RESP3: a map.
/// let reply = Value::Map(vec![(bulk("name"), bulk("Ada"))]);
/// let err = Record::<User>::from_reply(reply).unwrap_err();
/// assert_eq!(err.to_string(), "missing field `age`");
/// ```
///
/// A [`ReplyError`] converts into [`Error`](crate::Error) with `?`. Decoding by hand, say where
/// with [`ReplyError::at`], as the typed methods do with the command's name:
///
/// ```
/// # use serde::Deserialize;
/// # use sider::{FromReply, Record, Value};
/// # #[derive(Debug, Deserialize)]
/// # struct User { name: String, age: u32 }
/// fn user(reply: Value) -> Result<Option<User>, sider::Error> {
///     let user = Option::<Record<User>>::from_reply(reply).map_err(|e| e.at("HGETALL user:1"))?;
///     Ok(user.map(Record::into_inner))
/// }
/// assert!(user(Value::Map(Vec::new()))?.is_none());
/// let err = user(Value::Map(vec![(Value::Bulk("name".into()), Value::Bulk("Ada".into()))]));
/// assert_eq!(
///     err.unwrap_err().to_string(),
///     "unexpected reply: HGETALL user:1: missing field `age`"
/// );
/// # Ok::<(), sider::Error>(())
/// ```
///
/// # Writing
///
/// `Record(&value)` is field/value arguments ([`ToArgs`](crate::ToArgs)) when `T: Serialize`:
/// a struct's fields in order (or a map's entries, `#[serde(flatten)]` included), each value
/// one argument, the mirror of reading: strings and bytes as they are, numbers in decimal,
/// `bool` as `1`/`0`, unit enum variants by name, `Json<T>` as its JSON text. A field that is
/// `None` is left out (HSET leaves an existing value in place; delete it with `HDEL`). A value
/// that is not one argument (a list, a map, a nested struct, `()`) cannot go into a hash: wrap
/// it in `Json`. Arguments cannot fail as they are written, so such a command is sent as one
/// the server refuses, naming the field (``ERR unknown command 'sider: field `tags`: a
/// sequence is not one value; wrap it in Json'``), and nothing of it runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Record<T>(pub T);

impl<T> Record<T> {
    /// The decoded value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Record<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Record<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: DeserializeOwned> FromReply for Record<T> {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        // An empty map or array is how Redis answers for a missing hash: read it as null, so
        // that `Record<Option<T>>` is `None`, while a struct still names its first missing
        // field and a map or a list is empty (a type that takes anything, such as an untagged
        // enum, sees a null).
        let frame = if is_absence(&frame) {
            Frame::Null
        } else {
            frame
        };
        T::deserialize(FrameDeserializer::new(frame))
            .map(Record)
            .map_err(DeError::into_reply)
    }

    fn __from_optional(frame: Frame) -> Result<Option<Self>, ReplyError> {
        if is_absence(&frame) {
            return Ok(None);
        }
        Self::from_reply(frame).map(Some)
    }
}

/// A null, or an empty map or array: a missing key's reply to `HGETALL` and its kin.
fn is_absence(frame: &Frame) -> bool {
    match frame {
        Frame::Null => true,
        Frame::Map(pairs) => pairs.is_empty(),
        Frame::Array(items) | Frame::Set(items) => items.is_empty(),
        Frame::Attribute { value, .. } => is_absence(value),
        _ => false,
    }
}

/// A step on the way to a failing value: a map's field or a sequence's index.
#[derive(Debug)]
enum Step {
    Field(String),
    Index(usize),
}

/// The deserializer's error: a [`ReplyError`] and the path to the value it is about, innermost
/// step first (steps are added as the error travels out).
#[derive(Debug)]
struct DeError {
    path: Vec<Step>,
    error: ReplyError,
}

impl DeError {
    fn mismatch(expected: &'static str, got: &Frame) -> DeError {
        DeError {
            path: Vec::new(),
            error: ReplyError::invalid(expected, Shown(got)),
        }
    }

    fn within(mut self, step: Step) -> DeError {
        self.path.push(step);
        self
    }

    fn into_reply(self) -> ReplyError {
        if self.path.is_empty() {
            return self.error;
        }
        let mut path = String::new();
        for step in self.path.iter().rev() {
            match step {
                Step::Field(name) if path.is_empty() => path.push_str(name),
                Step::Field(name) => {
                    path.push('.');
                    path.push_str(name);
                }
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        self.error.at(format_args!("field `{path}`"))
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            path: Vec::new(),
            error: ReplyError::message(msg),
        }
    }
}

/// A frame as an error message shows it: text quoted (and cut when long), others by shape.
struct Shown<'a>(&'a Frame);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 64;
        match text(self.0) {
            Some(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                match text.char_indices().nth(MAX) {
                    Some((cut, _)) => write!(f, "{:?}...", &text[..cut]),
                    None => write!(f, "{text:?}"),
                }
            }
            None => write!(f, "{}", self.0.describe()),
        }
    }
}

/// The bytes of a textual frame.
fn text(frame: &Frame) -> Option<&[u8]> {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::BigNumber(b) => Some(b),
        Frame::Verbatim { data, .. } => Some(data),
        _ => None,
    }
}

/// A field's name for error messages.
fn field_name(key: &Frame) -> String {
    match key {
        Frame::Integer(n) => n.to_string(),
        other => text(other).map_or_else(
            || other.describe().to_string(),
            |b| String::from_utf8_lossy(b).into_owned(),
        ),
    }
}

/// Deserializes one frame.
struct FrameDeserializer(Frame);

impl FrameDeserializer {
    fn new(frame: Frame) -> Self {
        FrameDeserializer(frame.into_value())
    }

    fn int<N>(&self) -> Result<N, DeError>
    where
        N: TryFrom<i64> + std::str::FromStr,
    {
        let parsed = match &self.0 {
            Frame::Integer(n) => N::try_from(*n).ok(),
            Frame::Boolean(b) => N::try_from(i64::from(*b)).ok(),
            other => text(other)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|s| s.parse().ok()),
        };
        parsed.ok_or_else(|| DeError::mismatch("integer", &self.0))
    }

    fn float(&self) -> Result<f64, DeError> {
        let parsed = match &self.0 {
            Frame::Double(d) => Some(*d),
            Frame::Integer(n) => Some(*n as f64),
            other => match text(other) {
                Some(b"inf" | b"+inf") => Some(f64::INFINITY),
                Some(b"-inf") => Some(f64::NEG_INFINITY),
                Some(b) => std::str::from_utf8(b).ok().and_then(|s| s.parse().ok()),
                None => None,
            },
        };
        parsed.ok_or_else(|| DeError::mismatch("number", &self.0))
    }

    fn error(&self) -> Option<DeError> {
        match &self.0 {
            Frame::Error(line) => Some(de::Error::custom(format_args!(
                "error reply: {}",
                String::from_utf8_lossy(line)
            ))),
            _ => None,
        }
    }
}

macro_rules! deserialize_ints {
    ($($method:ident $visit:ident $t:ty)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            visitor.$visit(self.int::<$t>()?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for FrameDeserializer {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        match self.0 {
            Frame::Bulk(b) | Frame::Simple(b) | Frame::BigNumber(b) => {
                match std::str::from_utf8(&b) {
                    Ok(s) => visitor.visit_str(s),
                    Err(_) => visitor.visit_bytes(&b),
                }
            }
            Frame::Verbatim { data, .. } => match std::str::from_utf8(&data) {
                Ok(s) => visitor.visit_str(s),
                Err(_) => visitor.visit_bytes(&data),
            },
            Frame::Integer(n) => visitor.visit_i64(n),
            Frame::Double(d) => visitor.visit_f64(d),
            Frame::Boolean(b) => visitor.visit_bool(b),
            Frame::Null => visitor.visit_none(),
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                visitor.visit_seq(Items::new(items))
            }
            Frame::Map(pairs) => visitor.visit_map(Pairs::new(pairs)),
            other => Err(DeError::mismatch("a value", &other)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let parsed = match &self.0 {
            Frame::Boolean(b) => Some(*b),
            Frame::Integer(0) => Some(false),
            Frame::Integer(1) => Some(true),
            other => match text(other) {
                Some(b"1" | b"true" | b"yes") => Some(true),
                Some(b"0" | b"false" | b"no") => Some(false),
                _ => None,
            },
        };
        match parsed {
            Some(b) => visitor.visit_bool(b),
            None => Err(DeError::mismatch("boolean", &self.0)),
        }
    }

    deserialize_ints! {
        deserialize_i8 visit_i8 i8
        deserialize_i16 visit_i16 i16
        deserialize_i32 visit_i32 i32
        deserialize_i64 visit_i64 i64
        deserialize_i128 visit_i128 i128
        deserialize_u8 visit_u8 u8
        deserialize_u16 visit_u16 u16
        deserialize_u32 visit_u32 u32
        deserialize_u64 visit_u64 u64
        deserialize_u128 visit_u128 u128
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f32(self.float()? as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f64(self.float()?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let one = text(&self.0)
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| {
                let mut chars = s.chars();
                chars.next().filter(|_| chars.next().is_none())
            });
        match one {
            Some(c) => visitor.visit_char(c),
            None => Err(DeError::mismatch("one character", &self.0)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.0 {
            Frame::Integer(n) => visitor.visit_string(n.to_string()),
            Frame::Double(d) => visitor.visit_string(d.to_string()),
            other => match text(other).map(std::str::from_utf8) {
                Some(Ok(s)) => visitor.visit_str(s),
                Some(Err(e)) => Err(DeError {
                    path: Vec::new(),
                    error: ReplyError::invalid(
                        "UTF-8 string",
                        format_args!("invalid UTF-8 at byte {}", e.valid_up_to()),
                    ),
                }),
                None => Err(self
                    .error()
                    .unwrap_or_else(|| DeError::mismatch("string", other))),
            },
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.0 {
            Frame::Integer(n) => visitor.visit_bytes(n.to_string().as_bytes()),
            other => match text(other) {
                Some(b) => visitor.visit_bytes(b),
                None => Err(self
                    .error()
                    .unwrap_or_else(|| DeError::mismatch("bytes", other))),
            },
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Frame::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.0 {
            Frame::Null => visitor.visit_unit(),
            other => Err(DeError::mismatch("null", other)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                visitor.visit_seq(Items::new(items))
            }
            Frame::Null => visitor.visit_seq(Items::new(Vec::new())),
            Frame::Map(pairs) => visitor.visit_seq(Items::new(
                pairs
                    .into_iter()
                    .map(|(k, v)| Frame::Array(vec![k, v]))
                    .collect(),
            )),
            ref other => Err(self
                .error()
                .unwrap_or_else(|| DeError::mismatch("array", other))),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        match self.0 {
            frame @ (Frame::Map(_) | Frame::Array(_) | Frame::Set(_) | Frame::Null) => {
                match pairs(frame) {
                    Ok(pairs) => visitor.visit_map(Pairs::new(pairs)),
                    Err(error) => Err(DeError {
                        path: Vec::new(),
                        error,
                    }),
                }
            }
            other => Err(DeError::mismatch("map", &other)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match text(&self.0).map(std::str::from_utf8) {
            Some(Ok(name)) => visitor.visit_enum(name.into_deserializer()),
            _ => Err(self
                .error()
                .unwrap_or_else(|| DeError::mismatch("the name of a variant", &self.0))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

/// The elements of an array, for sequences.
struct Items {
    iter: std::vec::IntoIter<Frame>,
    index: usize,
}

impl Items {
    fn new(items: Vec<Frame>) -> Self {
        Items {
            iter: items.into_iter(),
            index: 0,
        }
    }
}

impl<'de> SeqAccess<'de> for Items {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(frame) = self.iter.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(FrameDeserializer::new(frame))
            .map(Some)
            .map_err(|e| e.within(Step::Index(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// The field/value pairs of a map.
struct Pairs {
    iter: std::vec::IntoIter<(Frame, Frame)>,
    /// The pair whose key was just read: its key (for error messages) and value.
    current: Option<(Frame, Frame)>,
}

impl Pairs {
    fn new(pairs: Vec<(Frame, Frame)>) -> Self {
        Pairs {
            iter: pairs.into_iter(),
            current: None,
        }
    }
}

impl<'de> MapAccess<'de> for Pairs {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.iter.next() else {
            return Ok(None);
        };
        // A clone of a bulk string shares its bytes: it costs a reference count.
        let name = key.clone();
        self.current = Some((key, value));
        seed.deserialize(FrameDeserializer::new(name))
            .map(Some)
            .map_err(|e| e.within(Step::Field("(a key)".to_owned())))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (key, value) = self
            .current
            .take()
            .ok_or_else(|| de::Error::custom("a map value was asked for before its key"))?;
        seed.deserialize(FrameDeserializer::new(value))
            .map_err(|e| e.within(Step::Field(field_name(&key))))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

mod write;

#[cfg(test)]
mod tests;
