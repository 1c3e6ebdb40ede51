//! `Record(&value)` as arguments: a `Serialize` value written as field/value pairs, the mirror
//! of reading a hash into a [`Record`].
//!
//! Imports from `args` and `cmd`, plus `serde`. Each pair is written straight into the
//! command's buffer as the value is serialized: a struct's field names are `&'static str`, and
//! only a map's keys are copied (a key must wait for its value, which may be `None`).

use super::Record;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeStruct, Serializer};
use std::fmt;

impl<T: Serialize> ToArgs for Record<T> {
    /// Writes `field value` for each field that has a value. A value that is not one argument
    /// turns the command into one the server refuses, naming the field (see
    /// [`Record`](super::Record), "Writing").
    fn write_args(&self, cmd: &mut Cmd) {
        if let Err(Refusal(reason)) = self.0.serialize(Pairs { cmd: &mut *cmd }) {
            cmd.refuse(reason);
        }
    }
}

/// Why a value cannot be written as field/value pairs.
#[derive(Debug)]
struct Refusal(String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

impl ser::Error for Refusal {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Refusal(msg.to_string())
    }
}

/// A value that is not one argument, in the words of the refusal.
fn not_one_value(field: &[u8], what: &str) -> Refusal {
    Refusal(format!(
        "field `{}`: {what} is not one value; wrap it in Json",
        String::from_utf8_lossy(field)
    ))
}

/// The whole value: a struct or a map, whose entries become pairs.
struct Pairs<'a> {
    cmd: &'a mut Cmd,
}

/// Refuses a top-level value that has no fields.
fn no_fields(what: &str) -> Refusal {
    Refusal(format!(
        "a Record is written from a struct or a map, not {what}"
    ))
}

macro_rules! top_level_refusals {
    ($($method:ident($($arg:ty),*) $what:literal;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<(), Refusal> {
            Err(no_fields($what))
        }
    )*};
}

impl<'a> Serializer for Pairs<'a> {
    type Ok = ();
    type Error = Refusal;
    type SerializeSeq = Impossible<(), Refusal>;
    type SerializeTuple = Impossible<(), Refusal>;
    type SerializeTupleStruct = Impossible<(), Refusal>;
    type SerializeTupleVariant = Impossible<(), Refusal>;
    type SerializeMap = MapPairs<'a>;
    type SerializeStruct = StructPairs<'a>;
    type SerializeStructVariant = Impossible<(), Refusal>;

    top_level_refusals! {
        serialize_bool(bool) "a bool";
        serialize_i8(i8) "a number";
        serialize_i16(i16) "a number";
        serialize_i32(i32) "a number";
        serialize_i64(i64) "a number";
        serialize_i128(i128) "a number";
        serialize_u8(u8) "a number";
        serialize_u16(u16) "a number";
        serialize_u32(u32) "a number";
        serialize_u64(u64) "a number";
        serialize_u128(u128) "a number";
        serialize_f32(f32) "a number";
        serialize_f64(f64) "a number";
        serialize_char(char) "a character";
        serialize_str(&str) "a string";
        serialize_bytes(&[u8]) "bytes";
        serialize_unit() "()";
        serialize_unit_struct(&'static str) "a unit struct";
        serialize_unit_variant(&'static str, u32, &'static str) "an enum variant";
    }

    /// No value: no pairs.
    fn serialize_none(self) -> Result<(), Refusal> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Refusal> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Refusal> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Refusal> {
        Err(no_fields("an enum variant"))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Refusal> {
        Err(no_fields("a sequence"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Refusal> {
        Err(no_fields("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Refusal> {
        Err(no_fields("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Refusal> {
        Err(no_fields("an enum variant"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapPairs<'a>, Refusal> {
        Ok(MapPairs {
            cmd: self.cmd,
            key: Vec::new(),
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<StructPairs<'a>, Refusal> {
        Ok(StructPairs { cmd: self.cmd })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Refusal> {
        Err(no_fields("an enum variant"))
    }
}

/// A struct's fields, each written as a pair.
struct StructPairs<'a> {
    cmd: &'a mut Cmd,
}

impl SerializeStruct for StructPairs<'_> {
    type Ok = ();
    type Error = Refusal;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Refusal> {
        value.serialize(Value {
            cmd: self.cmd,
            field: key.as_bytes(),
        })
    }

    fn end(self) -> Result<(), Refusal> {
        Ok(())
    }
}

/// A map's entries (and a struct's `#[serde(flatten)]`ed ones), each written as a pair.
struct MapPairs<'a> {
    cmd: &'a mut Cmd,
    /// The key just read, held until its value says whether the pair is written.
    key: Vec<u8>,
}

impl SerializeMap for MapPairs<'_> {
    type Ok = ();
    type Error = Refusal;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Refusal> {
        self.key.clear();
        key.serialize(Key(&mut self.key))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refusal> {
        value.serialize(Value {
            cmd: self.cmd,
            field: &self.key,
        })
    }

    fn end(self) -> Result<(), Refusal> {
        Ok(())
    }
}

/// A map's key, written as the text a field name is.
struct Key<'a>(&'a mut Vec<u8>);

impl Key<'_> {
    fn text(self, text: &[u8]) -> Result<(), Refusal> {
        self.0.extend_from_slice(text);
        Ok(())
    }
}

macro_rules! keys_from_integers {
    ($($method:ident $t:ty)*) => {$(
        fn $method(self, v: $t) -> Result<(), Refusal> {
            self.text(itoa::Buffer::new().format(v).as_bytes())
        }
    )*};
}

impl Serializer for Key<'_> {
    type Ok = ();
    type Error = Refusal;
    type SerializeSeq = Impossible<(), Refusal>;
    type SerializeTuple = Impossible<(), Refusal>;
    type SerializeTupleStruct = Impossible<(), Refusal>;
    type SerializeTupleVariant = Impossible<(), Refusal>;
    type SerializeMap = Impossible<(), Refusal>;
    type SerializeStruct = Impossible<(), Refusal>;
    type SerializeStructVariant = Impossible<(), Refusal>;

    keys_from_integers! {
        serialize_i8 i8
        serialize_i16 i16
        serialize_i32 i32
        serialize_i64 i64
        serialize_i128 i128
        serialize_u8 u8
        serialize_u16 u16
        serialize_u32 u32
        serialize_u64 u64
        serialize_u128 u128
    }

    fn serialize_bool(self, v: bool) -> Result<(), Refusal> {
        self.text(if v { b"1" } else { b"0" })
    }

    fn serialize_f32(self, _v: f32) -> Result<(), Refusal> {
        Err(bad_key("a float"))
    }

    fn serialize_f64(self, _v: f64) -> Result<(), Refusal> {
        Err(bad_key("a float"))
    }

    fn serialize_char(self, v: char) -> Result<(), Refusal> {
        self.text(v.encode_utf8(&mut [0; 4]).as_bytes())
    }

    fn serialize_str(self, v: &str) -> Result<(), Refusal> {
        self.text(v.as_bytes())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Refusal> {
        self.text(v)
    }

    fn serialize_none(self) -> Result<(), Refusal> {
        Err(bad_key("`None`"))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Refusal> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Refusal> {
        Err(bad_key("`()`"))
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Refusal> {
        Err(bad_key("a unit struct"))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Refusal> {
        self.text(variant.as_bytes())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Refusal> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Refusal> {
        Err(bad_key("an enum variant with data"))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Refusal> {
        Err(bad_key("a sequence"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Refusal> {
        Err(bad_key("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Refusal> {
        Err(bad_key("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Refusal> {
        Err(bad_key("an enum variant with data"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Refusal> {
        Err(bad_key("a map"))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Refusal> {
        Err(bad_key("a struct"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Refusal> {
        Err(bad_key("an enum variant with data"))
    }
}

fn bad_key(what: &str) -> Refusal {
    Refusal(format!("a field name is text or a number, not {what}"))
}

/// One field's value: written with its field name as a pair, or (for `None`) not at all.
struct Value<'a> {
    cmd: &'a mut Cmd,
    field: &'a [u8],
}

impl Value<'_> {
    fn pair(self, value: &(impl ToArg + ?Sized)) -> Result<(), Refusal> {
        self.cmd.push_arg(self.field);
        self.cmd.push_arg(value);
        Ok(())
    }

    fn refuse(self, what: &str) -> Refusal {
        not_one_value(self.field, what)
    }
}

macro_rules! values_from_numbers {
    ($($method:ident $t:ty)*) => {$(
        fn $method(self, v: $t) -> Result<(), Refusal> {
            self.pair(&v)
        }
    )*};
}

impl Serializer for Value<'_> {
    type Ok = ();
    type Error = Refusal;
    type SerializeSeq = Impossible<(), Refusal>;
    type SerializeTuple = Impossible<(), Refusal>;
    type SerializeTupleStruct = Impossible<(), Refusal>;
    type SerializeTupleVariant = Impossible<(), Refusal>;
    type SerializeMap = Impossible<(), Refusal>;
    type SerializeStruct = Impossible<(), Refusal>;
    type SerializeStructVariant = Impossible<(), Refusal>;

    values_from_numbers! {
        serialize_bool bool
        serialize_i8 i8
        serialize_i16 i16
        serialize_i32 i32
        serialize_i64 i64
        serialize_i128 i128
        serialize_u16 u16
        serialize_u32 u32
        serialize_u64 u64
        serialize_u128 u128
        serialize_f32 f32
        serialize_f64 f64
    }

    fn serialize_u8(self, v: u8) -> Result<(), Refusal> {
        // `u8` is not an argument (so that `&[u8]` is bytes); as a field it is a number.
        self.pair(&u16::from(v))
    }

    fn serialize_char(self, v: char) -> Result<(), Refusal> {
        self.pair(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Refusal> {
        self.pair(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Refusal> {
        self.pair(v)
    }

    /// No value, no pair: reading the hash back gives `None` for a missing field.
    fn serialize_none(self) -> Result<(), Refusal> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Refusal> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Refusal> {
        Err(self.refuse("`()`"))
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Refusal> {
        Err(self.refuse("a unit struct"))
    }

    /// By name, as a `Record` reads it back.
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Refusal> {
        self.pair(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Refusal> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Refusal> {
        Err(self.refuse("an enum variant with data"))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Refusal> {
        Err(self.refuse("a sequence"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Refusal> {
        Err(self.refuse("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Refusal> {
        Err(self.refuse("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Refusal> {
        Err(self.refuse("an enum variant with data"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Refusal> {
        Err(self.refuse("a map"))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Refusal> {
        Err(self.refuse("a struct"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Refusal> {
        Err(self.refuse("an enum variant with data"))
    }
}

#[cfg(test)]
mod tests {
    use super::Record;
    use crate::cmd::Cmd;
    use serde::Serialize;
    use std::collections::BTreeMap;

    /// The arguments after the name, as text.
    fn args(cmd: &Cmd) -> Vec<String> {
        let wire = cmd.to_bytes();
        let text = String::from_utf8_lossy(&wire);
        text.split("\r\n")
            .skip(1)
            .filter(|line| !line.starts_with('$') && !line.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Role {
        Admin,
    }

    #[derive(Serialize)]
    struct User<'a> {
        name: &'a str,
        age: u8,
        score: f64,
        active: bool,
        role: Role,
        email: Option<String>,
        initial: char,
        #[serde(flatten)]
        extra: BTreeMap<String, i64>,
    }

    #[test]
    fn a_struct_is_its_fields_and_values() {
        let user = User {
            name: "Ada",
            age: 36,
            score: 9.5,
            active: true,
            role: Role::Admin,
            email: None,
            initial: 'A',
            extra: [("visits".to_owned(), 3)].into_iter().collect(),
        };
        let cmd = Cmd::new("HSET").key("user:1").args(Record(&user));
        assert_eq!(
            args(&cmd),
            [
                "HSET", "user:1", "name", "Ada", "age", "36", "score", "9.5", "active", "1",
                "role", "admin", "initial", "A", "visits", "3"
            ]
        );
        assert_eq!(cmd.keys().collect::<Vec<_>>(), [b"user:1"]);
    }

    #[test]
    fn a_map_is_its_entries() {
        let map: BTreeMap<u32, Option<&str>> = [(1, Some("one")), (2, None)].into_iter().collect();
        let cmd = Cmd::new("HSET").arg("h").args(Record(map));
        assert_eq!(args(&cmd), ["HSET", "h", "1", "one"]);
    }

    #[derive(Serialize)]
    struct Nested {
        name: &'static str,
        tags: Vec<&'static str>,
    }

    #[test]
    fn a_value_that_is_not_one_argument_refuses_the_command() {
        let value = Nested {
            name: "a",
            tags: vec!["x"],
        };
        let mut cmd = Cmd::new("HSET");
        cmd.push_key("h");
        cmd.push_args(&Record(&value));
        cmd.push_key("after");
        assert_eq!(
            args(&cmd),
            [
                "sider: field `tags`: a sequence is not one value; wrap it in Json",
                "after"
            ]
        );
        assert_eq!(cmd.keys().count(), 0);
        assert_eq!(cmd.first_key_index(), None);

        // Through a fragment, as counted blocks are written (HSETEX ... FIELDS n ...).
        let mut fragment = Cmd::fragment();
        fragment.push_args(&Record(&value));
        let mut cmd = Cmd::new("HSETEX").key("h");
        cmd.append(fragment);
        assert_eq!(cmd.name(), "HSETEX");
        assert_eq!(
            args(&cmd),
            ["sider: field `tags`: a sequence is not one value; wrap it in Json"]
        );

        let cmd = Cmd::new("HSET").arg("h").args(Record(42));
        assert_eq!(
            args(&cmd),
            ["sider: a Record is written from a struct or a map, not a number"]
        );
    }
}
