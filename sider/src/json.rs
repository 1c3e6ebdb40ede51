//! [`Json`]: any serde type stored as a JSON string value (feature `json`).
//!
//! Imports from `args`, `reply`, `resp` and `error`, plus `serde` and `serde_json`.

use crate::args::ToArg;
use crate::error::ReplyError;
use crate::reply::FromReply;
use crate::resp::{self, Frame};
use bytes::{BufMut, BytesMut};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

/// A value sent and read as JSON: `Json(value)` is an argument when `T: Serialize`, and a reply
/// decodes into `Json<T>` when `T: Deserialize`.
///
/// ```no_run
/// use serde::{Deserialize, Serialize};
/// use sider::prelude::*;
/// use sider::Json;
///
/// #[derive(Serialize, Deserialize)]
/// struct Settings {
///     theme: String,
///     font_size: u32,
/// }
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// let settings = Settings { theme: "dark".into(), font_size: 14 };
/// client.set("settings:1", Json(&settings)).await?;
/// let stored: Option<Json<Settings>> = client.get("settings:1").await?;
/// let font_size = stored.map(|s| s.font_size);
/// # Ok(()) }
/// ```
///
/// The value is serialized straight into the command's buffer, with no `String` of its own.
/// Arguments cannot fail, so a value `serde_json` refuses to serialize (a map whose keys are not
/// strings or numbers, a `Serialize` impl that returns an error) is sent as an empty string, and
/// reading it back as `Json<T>` fails. Check such values with `serde_json::to_vec` first.
///
/// `Json<T>` is also a serde type of its own, so it can be a field of a struct written and read
/// as a hash with [`Record`](crate::Record): it serializes as one string, the JSON text, and
/// deserializes from a string holding JSON (in any serde format, not only in sider).
///
/// ```no_run
/// use serde::{Deserialize, Serialize};
/// use sider::prelude::*;
/// use sider::{Json, Record};
///
/// #[derive(Serialize, Deserialize)]
/// struct Session {
///     user_id: u64,
///     roles: Json<Vec<String>>, // one hash field holding `["admin","dev"]`
/// }
///
/// # async fn run(client: sider::Client) -> Result<(), sider::Error> {
/// let session = Session { user_id: 7, roles: Json(vec!["admin".into(), "dev".into()]) };
/// client.hset("session:abc", Record(&session)).await?;
/// let back = client.hgetall_as::<Option<Record<Session>>>("session:abc").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The wrapped value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> From<T> for Json<T> {
    fn from(value: T) -> Self {
        Json(value)
    }
}

impl<T: Serialize> ToArg for Json<T> {
    fn write_arg(&self, out: &mut BytesMut) {
        let start = out.len();
        if serde_json::to_writer((&mut *out).writer(), &self.0).is_err() {
            out.truncate(start);
            resp::put_bulk(out, b"");
            return;
        }
        // The length goes before the payload but is known only after it: append the header
        // behind the payload and rotate it into place, which moves bytes but allocates nothing.
        let len = out.len() - start;
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(len).as_bytes();
        out.reserve(digits.len() + 5);
        out.put_u8(b'$');
        out.put_slice(digits);
        out.put_slice(b"\r\n");
        let header = digits.len() + 3;
        out[start..].rotate_right(header);
        out.put_slice(b"\r\n");
    }
}

impl<T: DeserializeOwned> FromReply for Json<T> {
    fn from_reply(frame: Frame) -> Result<Self, ReplyError> {
        let text = match frame {
            Frame::Bulk(b) | Frame::Simple(b) => b,
            Frame::Verbatim { data, .. } => data,
            Frame::Attribute { value, .. } => return Self::from_reply(*value),
            other => return Err(ReplyError::unexpected("JSON string", &other)),
        };
        serde_json::from_slice(&text).map(Json).map_err(|e| {
            ReplyError::message(format_args!(
                "invalid JSON for {}: {e}",
                std::any::type_name::<T>()
            ))
        })
    }
}

impl<T: Serialize> Serialize for Json<T> {
    /// As one string: the JSON text of the value.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(&self.0).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Json<T> {
    /// From a string holding JSON.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(JsonText(PhantomData))
    }
}

/// Reads a string as the JSON text of a `T`.
struct JsonText<T>(PhantomData<fn() -> T>);

impl<T: DeserializeOwned> Visitor<'_> for JsonText<T> {
    type Value = Json<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string holding JSON")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Json<T>, E> {
        self.visit_bytes(text.as_bytes())
    }

    fn visit_bytes<E: de::Error>(self, text: &[u8]) -> Result<Json<T>, E> {
        serde_json::from_slice(text).map(Json).map_err(|e| {
            E::custom(format_args!(
                "invalid JSON for {}: {e}",
                std::any::type_name::<T>()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cmd;
    use std::collections::BTreeMap;

    #[test]
    fn writes_one_bulk_string() {
        let value: BTreeMap<&str, u32> = [("a", 1), ("b", 22)].into_iter().collect();
        let cmd = Cmd::new("SET").arg("k").arg(Json(&value));
        assert_eq!(cmd.arg_count(), 3);
        assert_eq!(
            &cmd.to_bytes()[..],
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$14\r\n{\"a\":1,\"b\":22}\r\n"
        );
    }

    #[test]
    fn long_values_keep_their_length() {
        let value = "x".repeat(1000);
        let cmd = Cmd::new("SET").arg("k").arg(Json(&value));
        let bytes = cmd.to_bytes();
        let expected = format!("$1002\r\n\"{value}\"\r\n");
        assert!(bytes.ends_with(expected.as_bytes()));
    }

    #[test]
    fn unserializable_values_become_an_empty_string() {
        let value: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
        let cmd = Cmd::new("SET").arg("k").arg(Json(&value)).arg("after");
        assert_eq!(
            &cmd.to_bytes()[..],
            b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$5\r\nafter\r\n"
        );
    }

    #[test]
    fn decodes_and_names_the_type_on_failure() {
        let ok: Json<Vec<u8>> = Json::from_reply(Frame::Bulk("[1,2]".into())).unwrap();
        assert_eq!(ok.0, [1, 2]);
        let err = Json::<Vec<u8>>::from_reply(Frame::Bulk("[1,".into())).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("invalid JSON for alloc::vec::Vec<u8>: "));
        let err = Json::<u8>::from_reply(Frame::Integer(1)).unwrap_err();
        assert_eq!(err.to_string(), "expected JSON string, got integer");
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Session {
        user_id: u64,
        roles: Json<Vec<String>>,
    }

    #[test]
    fn a_record_field_is_its_json_text() {
        let session = Session {
            user_id: 7,
            roles: Json(vec!["admin".into()]),
        };
        let cmd = Cmd::new("HSET").arg("s").args(crate::Record(&session));
        assert!(cmd
            .to_bytes()
            .ends_with(b"$7\r\nuser_id\r\n$1\r\n7\r\n$5\r\nroles\r\n$9\r\n[\"admin\"]\r\n"));

        let bulk = |s: &str| Frame::Bulk(s.to_owned().into());
        let reply = Frame::Array(vec![
            bulk("user_id"),
            bulk("7"),
            bulk("roles"),
            bulk("[\"admin\"]"),
        ]);
        let back = crate::Record::<Session>::from_reply(reply).unwrap();
        assert_eq!(back.0, session);

        let reply = Frame::Array(vec![bulk("user_id"), bulk("7"), bulk("roles"), bulk("[1")]);
        let err = crate::Record::<Session>::from_reply(reply).unwrap_err();
        assert!(err.to_string().starts_with(
            "field `roles`: invalid JSON for alloc::vec::Vec<alloc::string::String>: "
        ));
    }

    #[test]
    fn other_formats_see_a_string() {
        let text = serde_json::to_string(&Json([1, 2])).unwrap();
        assert_eq!(text, r#""[1,2]""#);
        let back: Json<[u8; 2]> = serde_json::from_str(&text).unwrap();
        assert_eq!(back.0, [1, 2]);
    }
}
